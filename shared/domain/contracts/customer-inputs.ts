/**
 * The customer inputs: what apply-event applies to one customer (their events, a sweep's "timer
 * due"). They travel through one FIFO queue, not the bus, grouped by customer: one customer's
 * inputs are applied in order by one worker at a time, and one invocation applies many customers.
 */
import type { BusEntry } from '../../ports.ts';
import { CustomerEventsReceived } from './customer-events-received.ts';
import { TimerDue } from './timer-due.ts';

export const CUSTOMER_INPUTS = [CustomerEventsReceived, TimerDue] as const;

const TYPES: ReadonlySet<string> = new Set(CUSTOMER_INPUTS.map((contract) => contract.detailType));

export function isCustomerInput(entry: Pick<BusEntry, 'detailType'>): boolean {
  return TYPES.has(entry.detailType);
}

/**
 * The customer an input belongs to (its queue's message group), and what names it for
 * deduplication: the same events sent again, or the same timer fired again, are the same input.
 */
export function customerInputKeys(entry: BusEntry): { customer: string; dedupe: string } {
  if (entry.detailType === TimerDue.detailType) {
    const detail = TimerDue.schema.parse(entry.detail);
    // A sweep's messageId names its time and index bucket, shared by every customer in it.
    return { customer: detail.customerId, dedupe: `timer ${detail.customerId} ${detail.messageId}` };
  }
  if (entry.detailType === CustomerEventsReceived.detailType) {
    const detail = CustomerEventsReceived.schema.parse(entry.detail);
    return {
      customer: detail.customerKey,
      dedupe: `events ${detail.customerKey} ${detail.events.map((event) => event.messageId).join(' ')}`,
    };
  }
  throw new Error(`${entry.detailType} is not a customer input`);
}
