/**
 * The sweep: reads from the due index only the customers with a timer due by `now`, and
 * publishes one "Timer Due" per customer to the bus, where apply-event fires them through the
 * same engine as every event. Its cost follows the customers due, not the size of the table.
 *
 * It also dispatches the deferred messages (held back by caps, quiet hours or a cool-down) whose
 * send time has come: one "Message Requested" each, for send-message. That part also runs every
 * 15 minutes on its own, so a message held to 08:00 goes at 08:00, not at the next night.
 *
 * Timers that fall due while a sweep runs are not lost: they stay in the index until a sweep
 * fires them. A sweep run twice for the same `now` fires nothing the second time: what fired
 * left the index (its next due time moved on), and a repeated delivery is recognised by its
 * messageId, which names both the sweep time and the index entry.
 */
import { MessageRequested } from '../../shared/domain/contracts/message-requested.ts';
import { TimerDue } from '../../shared/domain/contracts/timer-due.ts';
import type { Effect, MessageStatus } from '../../shared/domain/lifecycle.ts';
import type { AppliedEvent, AppliedKey, BusEntry, DueIndex, EventPublisher } from '../../shared/ports.ts';

export interface SweepDeps {
  dueIndex: DueIndex;
  publisher: EventPublisher;
  /** Looks up the records of applied inputs: used to wait until the published timers are applied. */
  findApplied?: (keys: AppliedKey[]) => Promise<AppliedEvent[]>;
}

export interface SweepResult {
  now: string;
  /** Customers the index listed as due. */
  due: number;
  /** Deferred messages whose send time had come, handed to send-message. */
  dispatched: number;
  /** Index items read: the sweep's cost. */
  itemsRead: number;
  published: number;
  /** Present when the sweep waited for apply-event. */
  applied?: number;
  pending?: number;
  fired?: number;
  stageChanges?: Record<string, number>;
  messages?: Record<string, Partial<Record<MessageStatus, number>>>;
}

const PUBLISH_BATCH = 100;

export interface SweepOptions {
  /** Wait for apply-event to apply the timers, and sum up what they did. */
  wait?: { timeoutMs: number };
  /** Fire timers (default) or only dispatch deferred messages. */
  only?: 'deferred';
}

export async function sweep(now: Date, deps: SweepDeps, options: SweepOptions = {}): Promise<SweepResult> {
  const { wait } = options;
  const nowIso = now.toISOString();
  const published: { customerId: string; messageId: string }[] = [];
  let itemsRead = 0;
  let batch: BusEntry[] = [];
  const flush = async () => {
    if (batch.length > 0) await deps.publisher.publish(batch);
    batch = [];
  };
  for await (const page of options.only === 'deferred' ? [] : deps.dueIndex.due(nowIso)) {
    itemsRead += page.itemsRead;
    for (const { customerId, dueKey } of page.customers) {
      const messageId = `timer#${nowIso}#${dueKey.split('#')[0]}`;
      published.push({ customerId, messageId });
      batch.push({
        source: TimerDue.source,
        detailType: TimerDue.detailType,
        detail: { version: 1, customerId, now: nowIso, messageId },
      });
      if (batch.length >= PUBLISH_BATCH) await flush();
    }
  }
  let dispatched = 0;
  for await (const page of deps.dueIndex.deferred(nowIso)) {
    itemsRead += page.itemsRead;
    for (const key of page.messages) {
      dispatched++;
      batch.push({
        source: MessageRequested.source,
        detailType: MessageRequested.detailType,
        detail: { version: 1, ...key },
      });
      if (batch.length >= PUBLISH_BATCH) await flush();
    }
  }
  await flush();
  const result: SweepResult = {
    now: nowIso,
    due: published.length,
    dispatched,
    itemsRead,
    published: published.length,
  };
  if (!wait || !deps.findApplied) return result;
  return { ...result, ...(await waitUntilApplied(published, deps.findApplied, wait.timeoutMs)) };
}

/** Polls the applied-input records of what was published and sums up what the timers did. */
async function waitUntilApplied(
  published: { customerId: string; messageId: string }[],
  findApplied: NonNullable<SweepDeps['findApplied']>,
  timeoutMs: number,
) {
  const deadline = Date.now() + timeoutMs;
  const records = new Map<string, AppliedEvent>();
  let waiting = published;
  let polls = 0;
  while (waiting.length > 0) {
    for (const record of await findApplied(waiting))
      records.set(`${record.customerId}|${record.messageId}`, record);
    waiting = waiting.filter(({ customerId, messageId }) => !records.has(`${customerId}|${messageId}`));
    if (waiting.length === 0 || Date.now() > deadline) break;
    await new Promise((resolve) => setTimeout(resolve, Math.min(250, 20 * 2 ** polls++)));
  }
  const effects: Effect[] = [...records.values()].flatMap((record) => record.effects);
  const stageChanges: Record<string, number> = {};
  const messages: Record<string, Partial<Record<MessageStatus, number>>> = {};
  for (const effect of effects) {
    if (effect.type === 'stage-changed') stageChanges[effect.to] = (stageChanges[effect.to] ?? 0) + 1;
    if (effect.type === 'message') {
      const counts = messages[effect.campaignId] ?? {};
      counts[effect.status] = (counts[effect.status] ?? 0) + 1;
      messages[effect.campaignId] = counts;
    }
  }
  return {
    applied: records.size,
    pending: waiting.length,
    fired: effects.filter((effect) => effect.type === 'timer-fired').length,
    stageChanges,
    messages,
  };
}
