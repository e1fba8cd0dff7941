/**
 * Signals: what the profile keeps of a customer's events for the conditions in use. Every
 * `performed` / `lastPerformed` condition (an event name and its property filters) has a key;
 * the profile keeps, per key, the times of the latest matching events, no more than the
 * conditions need (the `times` they count and the window they look back over). So a customer
 * who sends thousands of events does not make the profile grow: each key holds at most its need.
 *
 * A definition saved later brings keys a profile has not kept yet: they are filled once from
 * the customer's event history (the event log keeps every event for EVENT_RETENTION_DAYS), by
 * the segment build or by the first event that needs them, whichever comes first.
 *
 * Each entry is [seconds since 1970, a short hash of the event's messageId]: the hash makes a
 * repeated delivery of an old event count once; the set of latest entries does not depend on
 * the order in which events arrive.
 */
import { createHash } from 'node:crypto';
import { type Condition, matchesWhere, type PropertyFilter } from './conditions.ts';

export type SignalEntry = [seconds: number, id: string];
export type Signals = Record<string, SignalEntry[]>;

/** How long the event log keeps events: conditions look back at most MAX_WINDOW_DAYS (365). */
export const EVENT_RETENTION_DAYS = 400;

/** What the conditions in use need kept for one key. */
export interface SignalNeed {
  event: string;
  where?: PropertyFilter[] | undefined;
  /** The latest this many matching events. */
  count: number;
  /** Events older than this before the newest one are never looked at (undefined: kept by count only). */
  days?: number | undefined;
}

/** A stable key for an event name and its property filters (order of filters does not matter). */
export function signalKeyOf(event: string, where: readonly PropertyFilter[] | undefined): string {
  const filters = [...(where ?? [])]
    .map((filter) => JSON.stringify([filter.property, filter.op, filter.value ?? null]))
    .sort();
  return createHash('sha256')
    .update(JSON.stringify([event, filters]))
    .digest()
    .subarray(0, 9)
    .toString('base64url');
}

/** The needs of every `performed` / `lastPerformed` inside these conditions, by key. */
export function signalNeeds(conditions: readonly Condition[]): Map<string, SignalNeed> {
  const needs = new Map<string, SignalNeed>();
  const add = (
    event: string,
    where: PropertyFilter[] | undefined,
    count: number,
    days: number | undefined,
  ) => {
    const key = signalKeyOf(event, where);
    const known = needs.get(key);
    if (!known) {
      needs.set(key, { event, ...(where?.length ? { where } : {}), count, days });
      return;
    }
    known.count = Math.max(known.count, count);
    // One use without a window keeps the key by count alone.
    known.days = known.days === undefined || days === undefined ? undefined : Math.max(known.days, days);
  };
  const visit = (condition: Condition) => {
    if ('all' in condition) condition.all.forEach(visit);
    else if ('any' in condition) condition.any.forEach(visit);
    else if ('not' in condition) visit(condition.not);
    else if ('performed' in condition) {
      const { atLeast, atMost } = condition.times ?? { atLeast: 1 };
      // Telling "at most m" apart needs m + 1 events; "at least n" needs n.
      const count = Math.max(atLeast ?? 0, atMost === undefined ? 0 : atMost + 1, 1);
      add(condition.performed, condition.where, count, condition.withinDays);
    } else if ('lastPerformed' in condition) {
      add(condition.lastPerformed, condition.where, 1, condition.withinDays ?? condition.olderThanDays);
    }
  };
  for (const condition of conditions) visit(condition);
  return needs;
}

/** An event as the log keeps it, and as signals read it. */
export interface LoggedEvent {
  /** The event's name: a track's event, `Page Viewed` for page calls, `Screen Viewed` for screens. */
  name: string;
  /** When it happened (the corrected timestamp). */
  at: string;
  /** The input key of its messageId (profile.ts `inputKey`). */
  key: string;
  properties?: Record<string, unknown>;
}

/** Adds one event's time to every key it matches, keeping each key's need. */
export function withEvent(
  signals: Signals,
  needs: ReadonlyMap<string, SignalNeed>,
  event: LoggedEvent,
): Signals {
  let next = signals;
  for (const [key, need] of needs) {
    // A key not filled yet stays unknown: its history (this event included) fills it later.
    if (!(key in next) || need.event !== event.name) continue;
    if (!matchesWhere(event.properties, need.where, event.at)) continue;
    const entries = next[key] ?? [];
    const id = event.key.slice(0, 6);
    const seconds = Math.floor(Date.parse(event.at) / 1000);
    if (entries.some(([s, i]) => s === seconds && i === id)) continue;
    next = { ...next, [key]: trimmed([...entries, [seconds, id]], need) };
  }
  return next;
}

/** The latest `need.count` entries, none older than `need.days` before the newest; ascending. */
export function trimmed(entries: SignalEntry[], need: Pick<SignalNeed, 'count' | 'days'>): SignalEntry[] {
  const sorted = [...entries].sort((a, b) => a[0] - b[0] || (a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0));
  const newest = sorted.at(-1)?.[0];
  const { days } = need;
  // A day's margin: windows are measured from "now", which is at or after the newest event.
  const fresh =
    days === undefined || newest === undefined
      ? sorted
      : sorted.filter(([seconds]) => seconds > newest - days * 86_400 - 86_400);
  return fresh.slice(-need.count);
}

/** Signals of two profiles merged: the union of each key's entries, trimmed to the need. */
export function mergedSignals(a: Signals, b: Signals, needs: ReadonlyMap<string, SignalNeed>): Signals {
  const merged: Signals = {};
  for (const [key, need] of needs) {
    // A key one side never filled is not known for the whole: it is filled from history.
    if (!(key in a) || !(key in b)) continue;
    merged[key] = trimmed(
      [...new Map([...(a[key] ?? []), ...(b[key] ?? [])].map((e) => [`${e[0]}:${e[1]}`, e])).values()],
      need,
    );
  }
  return merged;
}

/** Keys in use that the profile has not filled yet: they need the customer's event history. */
export function missingKeys(signals: Signals | undefined, needs: ReadonlyMap<string, SignalNeed>): string[] {
  return [...needs.keys()].filter((key) => !signals || !(key in signals));
}

/**
 * Fills the missing keys from the event history, and drops keys no condition uses any more.
 * The history is every event the log holds (any order; repeats are counted once).
 */
export function withHistory(
  signals: Signals | undefined,
  needs: ReadonlyMap<string, SignalNeed>,
  history: readonly LoggedEvent[],
): Signals {
  const kept: Signals = {};
  for (const key of needs.keys()) if (signals?.[key]) kept[key] = signals[key] as SignalEntry[];
  const missing = new Map([...needs].filter(([key]) => !(key in kept)));
  let next: Signals = { ...kept, ...Object.fromEntries([...missing.keys()].map((key) => [key, []])) };
  for (const event of history) next = withEvent(next, missing, event);
  return next;
}
