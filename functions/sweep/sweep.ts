/**
 * The sweep (the dispatcher): reads from the due index only the customers with something due by
 * `now` (a timer, or a segment whose truth changes with time), and publishes one "Timer Due" per
 * customer to the bus, where apply-event fires them through the same engine as every event. Its
 * cost follows the customers due, not the size of the table. It runs every minute: near due
 * times are filed to the minute (timers.ts `dueBucket`), so they fire within a minute.
 *
 * It also dispatches the deferred messages (held back by caps, quiet hours or a cool-down) whose
 * send time has come: one "Message Requested" each, for send-message.
 *
 * Timers that fall due while a sweep runs are not lost: they stay in the index until a sweep
 * fires them. A sweep run twice for the same `now` fires nothing the second time: what fired
 * left the index (its next due time moved on), and a repeated delivery is recognised by its
 * messageId, which names both the sweep time and the index entry.
 */
import { MessageRequested } from '../../shared/domain/contracts/message-requested.ts';
import { TimerDue } from '../../shared/domain/contracts/timer-due.ts';
import type { MessageStatus } from '../../shared/domain/lifecycle.ts';
import { hasApplied } from '../../shared/domain/profile.ts';
import type { BusEntry, CustomerStore, DueIndex, EventPublisher, Ledger } from '../../shared/ports.ts';

export interface SweepDeps {
  dueIndex: DueIndex;
  publisher: EventPublisher;
  /** Where to see that the published timers were applied, and what they decided (the admin's sweep waits). */
  outcomes?: { customers: Pick<CustomerStore, 'load'>; ledger: Pick<Ledger, 'list'> };
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
  /** Emails the fired timers decided, by campaign and status. */
  fired?: number;
  messages?: Record<string, Partial<Record<MessageStatus, number>>>;
  /** Where the swept customers stand now. */
  stages?: Record<string, number>;
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
  if (!wait || !deps.outcomes) return result;
  return { ...result, ...(await waitUntilApplied(published, deps.outcomes, wait.timeoutMs)) };
}

/** Polls the customers' profiles until they show the timers applied, then sums up what they decided. */
async function waitUntilApplied(
  published: { customerId: string; messageId: string }[],
  outcomes: NonNullable<SweepDeps['outcomes']>,
  timeoutMs: number,
) {
  const deadline = Date.now() + timeoutMs;
  const stages: Record<string, number> = {};
  const appliedKeys: { customerId: string; messageId: string }[] = [];
  let waiting = published;
  let polls = 0;
  while (waiting.length > 0) {
    const looks = await inChunks(waiting, async (key) => {
      const stored = await outcomes.customers.load(key.customerId);
      return { key, profile: stored?.kind === 'profile' ? stored.profile : undefined };
    });
    waiting = [];
    for (const { key, profile } of looks) {
      if (!profile || !hasApplied(profile, key.messageId)) {
        waiting.push(key);
        continue;
      }
      appliedKeys.push(key);
      stages[profile.stage] = (stages[profile.stage] ?? 0) + 1;
    }
    if (waiting.length === 0 || Date.now() > deadline) break;
    await new Promise((resolve) => setTimeout(resolve, Math.min(250, 20 * 2 ** polls++)));
  }
  const messages: Record<string, Partial<Record<MessageStatus, number>>> = {};
  let fired = 0;
  const ledgers = await inChunks(appliedKeys, async (key) => ({
    key,
    entries: await outcomes.ledger.list(key.customerId),
  }));
  for (const { key, entries } of ledgers) {
    for (const entry of entries) {
      if (entry.triggeredBy !== key.messageId) continue;
      fired++;
      const status = (entry.history[0]?.status ?? entry.status) as MessageStatus;
      const counts = messages[entry.campaignId] ?? {};
      counts[status] = (counts[status] ?? 0) + 1;
      messages[entry.campaignId] = counts;
    }
  }
  return { applied: appliedKeys.length, pending: waiting.length, fired, messages, stages };
}

/** Runs `work` over the items, 25 at a time. */
async function inChunks<T, R>(items: T[], work: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = [];
  for (let start = 0; start < items.length; start += 25)
    results.push(...(await Promise.all(items.slice(start, start + 25).map(work))));
  return results;
}
