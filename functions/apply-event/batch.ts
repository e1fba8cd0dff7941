/**
 * A batch of queued customer inputs (one SQS batch): each parsed once, the settings read once and
 * every customer's profile fetched in one read before the first is applied. The inputs are then
 * applied one at a time, in the queue's order, through the same use case as ever.
 */
import type { QueuedInput } from '../../shared/adapters/sqs/customer-inputs.ts';
import { CustomerEventsReceived } from '../../shared/domain/contracts/customer-events-received.ts';
import { TimerDue } from '../../shared/domain/contracts/timer-due.ts';
import type { EngineInput } from '../../shared/domain/lifecycle.ts';
import type { CustomerStore, StoredCustomer } from '../../shared/ports.ts';
import { type ApplyDeps, type ApplyOutcome, applyCustomerInputs } from './apply.ts';

export type ParsedInput =
  | { kind: 'events'; detail: ReturnType<typeof CustomerEventsReceived.schema.parse> }
  | { kind: 'timers'; detail: ReturnType<typeof TimerDue.schema.parse> };

/** A queued message's body as an input; throws, naming the problem, for anything else. */
export function parseQueuedInput(body: string): ParsedInput {
  let message: Partial<QueuedInput>;
  try {
    message = JSON.parse(body) as Partial<QueuedInput>;
  } catch {
    throw new Error('the message body is not JSON');
  }
  if (message['detail-type'] === CustomerEventsReceived.detailType)
    return { kind: 'events', detail: CustomerEventsReceived.schema.parse(message.detail) };
  if (message['detail-type'] === TimerDue.detailType)
    return { kind: 'timers', detail: TimerDue.schema.parse(message.detail) };
  throw new Error(`the message is not a customer input (detail-type ${String(message['detail-type'])})`);
}

export function customerOf(input: ParsedInput): string {
  return input.kind === 'events' ? input.detail.customerKey : input.detail.customerId;
}

/** The engine's inputs a queued input holds. */
function engineInputs(input: ParsedInput): EngineInput[] {
  return input.kind === 'events'
    ? input.detail.events.map((event): EngineInput => ({ kind: 'event', event }))
    : [{ kind: 'timers', messageId: input.detail.messageId, now: input.detail.now }];
}

/**
 * Applies one customer's queued inputs (one or several of a batch, in the queue's order) in one
 * decision and one write: a batch often holds several of a busy customer's, and reading and
 * writing the profile once for all of them is the cheaper and the faster.
 */
export function applyParsed(inputs: ParsedInput | ParsedInput[], deps: ApplyDeps): Promise<ApplyOutcome> {
  const all = Array.isArray(inputs) ? inputs : [inputs];
  const first = all[0];
  if (!first) throw new Error('no input to apply');
  return applyCustomerInputs(customerOf(first), all.flatMap(engineInputs), deps);
}

/**
 * The deps for one batch: the settings as read now, and a store that answers each customer's
 * first read from one prefetch. Later reads (after a conflict, or for a second input of the same
 * customer) go to the table, so nothing stale is ever committed: every write is conditional.
 */
export async function batchDeps(customers: string[], deps: ApplyDeps): Promise<ApplyDeps> {
  const settings = await deps.settings();
  const prefetched =
    (await deps.store.loadMany?.(customers)) ?? new Map<string, StoredCustomer | undefined>();
  const store: CustomerStore = {
    load: (id) => {
      if (!prefetched.has(id)) return deps.store.load(id);
      const stored = prefetched.get(id);
      prefetched.delete(id);
      return Promise.resolve(stored);
    },
    commit: (commit) => deps.store.commit(commit),
  };
  return { ...deps, store, settings: () => Promise.resolve(settings) };
}
