/** Builders of normalized customer events and ledger entries for tests. */
import { type LedgerEntry, ledgerEntryFor } from '../../shared/domain/ledger.ts';
import type { CustomerEvent } from '../../shared/domain/segment.ts';

let counter = 0;
const nextId = () => `msg-${++counter}`;

export const at = (iso: string) => new Date(iso).toISOString();

export function event(partial: Partial<CustomerEvent> & Pick<CustomerEvent, 'type'>): CustomerEvent {
  const timestamp = partial.timestamp ?? '2026-03-01T10:00:00.000Z';
  return {
    messageId: nextId(),
    userId: 'u1',
    timestamp,
    receivedAt: partial.receivedAt ?? timestamp,
    ...partial,
  };
}

export function identify(traits: Record<string, unknown>, partial: Partial<CustomerEvent> = {}) {
  return event({ type: 'identify', traits, ...partial });
}

export function order(
  orderId: string,
  timestamp: string,
  partial: Partial<CustomerEvent> = {},
  revenue = 25,
) {
  return event({
    type: 'track',
    event: 'Order Completed',
    timestamp,
    properties: { order_id: orderId, revenue, currency: 'usd' },
    ...partial,
  });
}

export function visit(timestamp: string, partial: Partial<CustomerEvent> = {}) {
  return event({ type: 'page', name: 'Home', timestamp, ...partial });
}

/** A queued welcome kit for a customer, as apply-event writes it. */
export function queuedWelcomeKit(customerId: string, decidedAt = '2026-03-01T10:00:00.000Z'): LedgerEntry {
  return ledgerEntryFor(customerId, {
    type: 'message',
    campaignId: 'welcome-kit',
    occurrence: 1,
    status: 'queued',
    triggeredBy: 'm1',
    triggeredAt: decidedAt,
    decidedAt,
    templateName: 'welcome-kit',
    category: 'marketing',
  });
}
