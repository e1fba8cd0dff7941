/**
 * Counters: the numbers dashboards read (customers per stage, segment sizes, orders and revenue
 * per day, stage changes per day, emails per campaign), kept as the changes happen so that no
 * read has to scan the customers.
 *
 * Each stored item contributes to counters by what it is now: `contributions(item)`. When an
 * item changes, the counters move by the difference between its new and its old contributions
 * (`delta`), so they always equal the sum over what is stored, whatever the order or number of
 * changes. Stage changes are the one exception: they are counted when they happen (the profile
 * keeps only its latest 20), and an erased or merged customer's past changes stay counted.
 *
 * Counter names are `<item>/<attribute>`: item `GAUGES` for the whole base, `DAY#<yyyy-mm-dd>`
 * for what is dated (orders by their day, messages by the day they were decided).
 */

import type { Answer } from './answers.ts';
import { isBroadcast, skipKindOf } from './broadcasts.ts';
import type { LedgerEntry } from './ledger.ts';
import { KEPT_STAGE_CHANGES, type Profile } from './profile.ts';

export type Counts = Map<string, number>;

export const GAUGES = 'GAUGES';
export const dayItem = (iso: string) => `DAY#${iso.slice(0, 10)}`;

function add(counts: Counts, item: string, attribute: string, value = 1) {
  if (value === 0) return;
  const key = `${item}/${attribute}`;
  counts.set(key, Math.round(((counts.get(key) ?? 0) + value) * 100) / 100);
}

/** The message buckets of the metrics: what a message counts as, by its status and what SES reported. */
export function messageContributions(entry: LedgerEntry, counts: Counts = new Map()): Counts {
  const day = dayItem(entry.decidedAt);
  const bucket = (name: string) => add(counts, day, `campaign:${entry.campaignId}:${name}`);
  bucket('decided');
  switch (entry.status) {
    case 'sent':
      bucket('sent');
      // The questions it asked (a rating row): the response rate's denominator.
      for (const question of entry.asked ?? []) add(counts, day, `asked:${question}:${entry.campaignId}`);
      if (entry.deliveredAt) bucket('delivered');
      if (entry.openedAt) bucket('opened');
      if (entry.clickedAt) bucket('clicked');
      if (entry.convertedAt) bucket('converted');
      break;
    case 'held-out':
      bucket('heldOut');
      if (entry.convertedAt) bucket('heldOutConverted');
      break;
    case 'deferred':
      bucket('deferred');
      break;
    case 'skipped':
      bucket('skipped');
      break;
    case 'failed':
    case 'unknown':
      bucket('failed');
      break;
    default:
      break;
  }
  if (isBroadcast(entry.campaignId)) broadcastContributions(entry, counts);
  // Per step of the journey's version that sent it, since it was published.
  if (entry.step !== undefined && entry.journeyVersion !== undefined) {
    const step = (name: string) =>
      add(
        counts,
        GAUGES,
        `${journeyKey(entry.campaignId, entry.journeyVersion as number)}:${name}:${entry.step}`,
      );
    if (entry.status === 'sent') step('sent');
    if (entry.status === 'held-out') step('heldOut');
    if (entry.status === 'skipped') step('skipped');
    if (entry.convertedAt) step('converted');
  }
  return counts;
}

/** A broadcast's own counters item: its recipients by what became of their email. */
export const broadcastItem = (id: string) => `BROADCAST#${id}`;

function broadcastContributions(entry: LedgerEntry, counts: Counts) {
  const bucket = (name: string) => add(counts, broadcastItem(entry.campaignId), name);
  bucket('recipients');
  if (entry.status === 'skipped')
    bucket(`skipped:${skipKindOf(entry.history.at(-1)?.reason ?? entry.reason)}`);
  const requested = entry.status === 'queued' || entry.status === 'claimed' || entry.status === 'sending';
  if (requested || entry.status === 'deferred') bucket('waiting');
  // Requested of send-message and not done yet: what the send job keeps within bounds.
  if (requested) bucket('inFlight');
  if (entry.status !== 'sent') {
    if (entry.status === 'held-out') {
      bucket('heldOut');
      if (entry.convertedAt) bucket('heldOutConverted');
    }
    if (entry.status === 'failed' || entry.status === 'unknown') bucket('failed');
    return;
  }
  bucket('sent');
  if (entry.deliveredAt) bucket('delivered');
  if (entry.openedAt) bucket('opened');
  if (entry.clickedAt) bucket('clicked');
  if (entry.convertedAt) bucket('converted');
}

/** The prefix of a journey version's counters. */
export const journeyKey = (journey: string, version: number) => `journey:${journey}:v${version}`;

/** What one customer counts for: stage, segments, buyers, revenue, and their orders by day. */
export function profileContributions(profile: Profile, counts: Counts = new Map()): Counts {
  add(counts, GAUGES, 'customers');
  add(counts, GAUGES, `stage:${profile.stage}`);
  for (const segment of Object.keys(profile.segments ?? {})) add(counts, GAUGES, `segment:${segment}`);
  for (const [journey, state] of Object.entries(profile.journeys ?? {})) {
    if (!state.path) continue;
    add(counts, GAUGES, `${journeyKey(journey, state.version)}:inside`);
    add(counts, GAUGES, `${journeyKey(journey, state.version)}:at:${state.path.join('.')}`);
  }
  const { orders } = profile;
  if (orders.length === 0) return counts;
  add(counts, GAUGES, 'buyers');
  const revenue = orders.reduce((sum, order) => sum + order.revenue, 0);
  const refunded = profile.refunds.reduce(
    (sum, refund) =>
      sum + (refund.amount ?? orders.find((order) => order.orderId === refund.orderId)?.revenue ?? 0),
    0,
  );
  add(counts, GAUGES, 'netRevenue', revenue - refunded);
  for (const order of orders) {
    add(counts, dayItem(order.at), 'orders');
    add(counts, dayItem(order.at), 'revenue', order.revenue);
  }
  // Purchase days: the first, the second (a repeat buyer from then on), and for each later one,
  // the day before it, which answers "had ordered before the window, ordered again in it".
  const days = [...new Set(orders.map((order) => order.at.slice(0, 10)))].sort();
  days.forEach((day, index) => {
    if (index === 0) add(counts, dayItem(day), 'firstOrders');
    if (index === 1) {
      add(counts, GAUGES, 'repeatBuyers');
      add(counts, dayItem(day), 'secondOrderDays');
    }
    const previous = days[index - 1];
    if (previous) add(counts, dayItem(day), `returning:${previous}`);
  });
  return counts;
}

/** Stage changes the new profile has that the old one did not: counted once, when they happen. */
export function stageChangesAdded(before: Profile | undefined, after: Profile, counts: Counts = new Map()) {
  const kept = before?.stageHistory ?? [];
  const known = new Set(kept.map((change) => `${change.at}|${change.stage}`));
  // A full history drops its oldest changes: one older than all it kept is not new.
  const oldest = kept.length >= KEPT_STAGE_CHANGES ? kept[0]?.at : undefined;
  for (const change of after.stageHistory ?? []) {
    if (known.has(`${change.at}|${change.stage}`) || (oldest && change.at < oldest)) continue;
    add(counts, dayItem(change.at), `stage:${change.stage}`);
  }
  return counts;
}

/**
 * What customers did in journeys between two states of a profile: entries, steps passed and
 * exits, counted once when they happen (like stage changes: an erased customer's stay counted).
 */
export function journeyMovesAdded(before: Profile | undefined, after: Profile, counts: Counts = new Map()) {
  for (const [journey, state] of Object.entries(after.journeys ?? {})) {
    const previous = before?.journeys?.[journey];
    const key = journeyKey(journey, state.version);
    const newRun = state.entries > (previous?.entries ?? 0);
    if (newRun) add(counts, GAUGES, `${key}:entered`);
    const passedBefore = newRun ? 0 : (previous?.passed?.length ?? 0);
    for (const step of (state.passed ?? []).slice(passedBefore)) add(counts, GAUGES, `${key}:passed:${step}`);
    if (state.leftAt && (newRun || state.leftAt !== previous?.leftAt)) {
      add(counts, GAUGES, `${key}:left:${state.leftBecause ?? 'finished'}`);
    }
  }
  return counts;
}

/**
 * Ratings and reasons, counted when an answer settles (by its day): by the email's journey (or
 * `preferences`) and by the customer's stage then. A later answer to the same email replaces the
 * earlier one in the counts; like stage changes, an erased customer's answers stay counted.
 */
export function feedbackAdded(before: Profile | undefined, after: Profile, counts: Counts = new Map()) {
  const count = (answer: Answer, where: string, value: number) => {
    const day = dayItem(answer.at);
    add(counts, day, `feedback:${answer.question}:campaign:${where}:${answer.score}`, value);
    add(counts, day, `feedback:${answer.question}:stage:${answer.stage}:${answer.score}`, value);
  };
  for (const state of after.feedback ?? []) {
    const { answer } = state;
    if (!answer) continue;
    const previous = before?.feedback?.find(
      (candidate) =>
        candidate.campaignId === state.campaignId &&
        candidate.occurrence === state.occurrence &&
        candidate.question === state.question,
    )?.answer;
    if (previous && previous.at === answer.at && previous.score === answer.score) continue;
    const where = state.campaignId ?? 'preferences';
    if (previous) count(previous, where, -1);
    count(answer, where, 1);
  }
  return counts;
}

/** How counters move when an item goes from `before` to `after` (either may be absent). */
export function delta<T>(
  before: T | undefined,
  after: T | undefined,
  contributions: (item: T, counts?: Counts) => Counts,
): Counts {
  const counts: Counts = after ? contributions(after) : new Map();
  if (before)
    for (const [key, value] of contributions(before))
      counts.set(key, Math.round(((counts.get(key) ?? 0) - value) * 100) / 100);
  for (const [key, value] of counts) if (value === 0) counts.delete(key);
  return counts;
}

/** Sums deltas (a batch of changes) into one set of counter moves. */
export function sumCounts(into: Counts, more: Counts): Counts {
  for (const [key, value] of more)
    add(into, key.slice(0, key.indexOf('/')), key.slice(key.indexOf('/') + 1), value);
  for (const [key, value] of into) if (value === 0) into.delete(key);
  return into;
}
