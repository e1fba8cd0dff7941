/**
 * Time-based triggers. A customer's timers are not stored as separate items: they follow from
 * the profile's facts, so they are recomputed after every change and a late or repeated event
 * can never leave a wrong timer behind. Only the earliest due time is stored (as `nextDueAt`),
 * for the sweep's index.
 */
import type { EngineSettings } from './campaigns.ts';
import { weekAliveFallsTo } from './models/bgnbd.ts';
import { trustworthy } from './models/fitted.ts';
import { purchaseSummary } from './models/summary.ts';
import { addDays, later, type OrderFact, type Profile } from './profile.ts';

/** What timers depend on: the campaigns' numbers and the fitted model. */
export type TimerSettings = Pick<EngineSettings, 'campaigns' | 'model'>;

export const TIMER_KINDS = ['second-purchase-nudge', 're-engagement', 'win-back', 'farewell'] as const;
export type TimerKind = (typeof TIMER_KINDS)[number];

export interface Timer {
  kind: TimerKind;
  dueAt: string;
}

export function timersOf(profile: Profile, settings: TimerSettings): Timer[] {
  const { campaigns } = settings;
  const timers: Timer[] = [];
  const [firstOrder] = profile.orders;
  const lastOrder = profile.orders.at(-1);

  // second-purchase-nudge: N days after the first order, while it is still the only one.
  if (firstOrder && profile.orders.length === 1 && !profile.campaigns['second-purchase-nudge']) {
    timers.push({ kind: 'second-purchase-nudge', dueAt: addDays(firstOrder.at, nudgeDelayDays(settings)) });
  }

  // re-engagement: a regular visitor without orders stops coming; once per lapse.
  const lastVisit = profile.lastVisitAt;
  if (
    profile.orders.length === 0 &&
    lastVisit &&
    profile.visitDays.length >= campaigns['re-engagement'].minVisitDays &&
    profile.campaigns['re-engagement']?.lapse !== lastVisit
  ) {
    const { minQuietDays, gapMultiplier } = campaigns['re-engagement'];
    const quietDays = Math.max(minQuietDays, gapMultiplier * medianGap(profile.visitDays));
    timers.push({ kind: 're-engagement', dueAt: addDays(lastVisit, quietDays) });
  }

  // win-back: a customer who has ordered shows no order and no visit (or click in an email) for N days.
  if (lastOrder && profile.stage !== 'deterioration' && profile.stage !== 'termination') {
    const lastActivity = [lastVisit, profile.lastClickAt].reduce<string>(
      (latest, time) => (time ? later(latest, time) : latest),
      lastOrder.at,
    );
    const predicted = predictedWinBack(profile.orders, settings);
    let dueAt = predicted
      ? later(predicted, addDays(lastActivity, MIN_QUIET_DAYS_AFTER_ACTIVITY))
      : addDays(lastActivity, campaigns['win-back'].afterDays);
    // A one-time buyer is not won back while the second-purchase nudge still has its chance.
    const nudge = campaigns['second-purchase-nudge'];
    if (firstOrder && profile.orders.length === 1 && nudge.enabled) {
      dueAt = later(dueAt, addDays(firstOrder.at, nudgeDelayDays(settings) + nudge.conversionWindowDays));
    }
    timers.push({ kind: 'win-back', dueAt });
  }

  // farewell: N days after the win-back (the move to deterioration) with no order since.
  if (profile.stage === 'deterioration') {
    timers.push({ kind: 'farewell', dueAt: addDays(profile.stageChangedAt, campaigns.farewell.afterDays) });
  }

  return timers.sort((a, b) => (a.dueAt < b.dueAt ? -1 : a.dueAt > b.dueAt ? 1 : 0));
}

/** Predictive timers never fall due sooner than this after an order, a visit or a click. */
export const MIN_QUIET_DAYS_AFTER_ACTIVITY = 7;
/** Nor does a predictive nudge wait longer than a year. */
const MAX_NUDGE_DAYS = 365;

/**
 * The second-purchase nudge's delay. Predictive: the expected time between purchases of a new
 * customer, alpha / r weeks (the mean of the fitted purchase rate is r / alpha a week), so a shop
 * whose customers come back monthly nudges sooner than one whose customers come back yearly.
 */
export function nudgeDelayDays(settings: TimerSettings): number {
  const nudge = settings.campaigns['second-purchase-nudge'];
  if (nudge.mode !== 'predictive' || !trustworthy(settings.model)) return nudge.afterDays;
  const { r, alpha } = settings.model.bgnbd;
  return Math.min(MAX_NUDGE_DAYS, Math.max(MIN_QUIET_DAYS_AFTER_ACTIVITY, Math.round((alpha / r) * 7)));
}

/**
 * When a repeat customer's P(alive) falls below the win-back threshold if they buy nothing more:
 * solved once, when the order is applied, and kept as an ordinary timer. Undefined in fixed mode,
 * without a trustworthy model, and for one-time buyers: BG/NBD keeps their P(alive) at 1, so
 * they are won back by the fixed rule (after `afterDays` of silence) in either mode.
 */
export function predictedWinBack(orders: readonly OrderFact[], settings: TimerSettings): string | undefined {
  const winBack = settings.campaigns['win-back'];
  const lastOrder = orders.at(-1);
  if (winBack.mode !== 'predictive' || !trustworthy(settings.model) || !lastOrder) return undefined;
  const summary = purchaseSummary(orders, lastOrder.at);
  if (!summary) return undefined;
  const week = weekAliveFallsTo(settings.model.bgnbd, summary.x, summary.tx, winBack.aliveThreshold);
  if (week === undefined) return undefined;
  return addDays(summary.firstPurchase, Math.ceil(week * 7));
}

export function nextDueAt(profile: Profile, settings: TimerSettings): string | undefined {
  return timersOf(profile, settings)[0]?.dueAt;
}

/** The median number of days between consecutive visit days (0 with fewer than two). */
export function medianGap(days: number[]): number {
  const gaps = days.slice(1).map((day, index) => day - (days[index] ?? day));
  if (gaps.length === 0) return 0;
  const sorted = [...gaps].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[middle] ?? 0)
    : ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2;
}

/** A due time this close is filed in the due index to the minute; a farther one by its day. */
export const NEAR_DUE_MS = 48 * 3_600_000;
const DAY_MS = 86_400_000;

/**
 * The due index's bucket for a due time, seen from `now` (a timing wheel): to the minute
 * (`2026-05-01T10:31`) when it falls due within 48 hours, so it fires within the dispatcher's
 * minute; else the start of the day before its day, so a far timer that every visit moves (the
 * win-back, 90 days after the last visit) rewrites the index at most once a day. When the
 * dispatcher reaches a far bucket, the customer is looked at again and filed to the minute.
 * A far bucket is always later than `now`: it is at least 48 hours before the due time.
 */
export function dueBucket(dueAt: string, now: string): string {
  const due = Date.parse(dueAt);
  if (due - Date.parse(now) <= NEAR_DUE_MS) {
    return new Date(Math.ceil(due / 60_000) * 60_000).toISOString().slice(0, 16);
  }
  return new Date(Math.floor(due / DAY_MS) * DAY_MS - DAY_MS).toISOString().slice(0, 16);
}
