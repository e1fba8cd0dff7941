/**
 * The lifecycle's own timers: when a customer falls at risk (deterioration) and when the
 * relationship ends (termination), by the stage rules. They are not stored as separate items:
 * they follow from the profile's facts, so they are recomputed after every change and a late or
 * repeated event can never leave a wrong timer behind. Journeys' waits and segments' time-relative
 * truths keep due times of their own; the earliest of all is the customer's next due time.
 */
import { weekAliveFallsTo } from './models/bgnbd.ts';
import { type FittedModel, trustworthy } from './models/fitted.ts';
import { purchaseSummary } from './models/summary.ts';
import { addDays, later, type OrderFact, type Profile } from './profile.ts';
import type { LifecycleRules } from './rules.ts';

/** What the stage timers depend on: the stage rules and the fitted model. */
export interface TimerSettings {
  lifecycle: LifecycleRules;
  model?: FittedModel | undefined;
}

export const TIMER_KINDS = ['at-risk', 'ended'] as const;
export type TimerKind = (typeof TIMER_KINDS)[number];

export interface Timer {
  kind: TimerKind;
  dueAt: string;
}

export function timersOf(profile: Profile, settings: TimerSettings): Timer[] {
  const { atRisk, ended } = settings.lifecycle;
  const timers: Timer[] = [];
  const [firstOrder] = profile.orders;
  const lastOrder = profile.orders.at(-1);

  // At risk: a customer who has ordered shows no order and no visit (or click in an email) for N days.
  if (lastOrder && profile.stage !== 'deterioration' && profile.stage !== 'termination') {
    const lastActivity = [profile.lastVisitAt, profile.lastClickAt].reduce<string>(
      (latest, time) => (time ? later(latest, time) : latest),
      lastOrder.at,
    );
    const predicted = predictedAtRisk(profile.orders, settings);
    let dueAt = predicted
      ? later(predicted, addDays(lastActivity, MIN_QUIET_DAYS_AFTER_ACTIVITY))
      : addDays(lastActivity, atRisk.afterDays);
    // A one-time buyer is not at risk before a second purchase could be expected, and a grace.
    if (firstOrder && profile.orders.length === 1) {
      const typical =
        (atRisk.mode === 'predictive' ? expectedDaysBetweenPurchases(settings.model) : undefined) ??
        atRisk.oneTimeBuyers.afterDays;
      dueAt = later(dueAt, addDays(firstOrder.at, typical + atRisk.oneTimeBuyers.graceDays));
    }
    timers.push({ kind: 'at-risk', dueAt });
  }

  // Ended: N days in deterioration with no order since.
  if (profile.stage === 'deterioration') {
    timers.push({ kind: 'ended', dueAt: addDays(profile.stageChangedAt, ended.afterDays) });
  }

  return timers.sort((a, b) => (a.dueAt < b.dueAt ? -1 : a.dueAt > b.dueAt ? 1 : 0));
}

/** Predictive timers never fall due sooner than this after an order, a visit or a click. */
export const MIN_QUIET_DAYS_AFTER_ACTIVITY = 7;
/** Nor does the expected time between purchases count for more than a year. */
const MAX_REPEAT_DAYS = 365;

/**
 * The expected time between purchases of a new customer, from a trustworthy model: alpha / r
 * weeks (the mean of the fitted purchase rate is r / alpha a week), so a shop whose customers come
 * back monthly expects the second order sooner than one whose customers come back yearly.
 * Undefined without a trustworthy model.
 */
export function expectedDaysBetweenPurchases(model: FittedModel | undefined): number | undefined {
  if (!trustworthy(model)) return undefined;
  const { r, alpha } = model.bgnbd;
  return Math.min(MAX_REPEAT_DAYS, Math.max(MIN_QUIET_DAYS_AFTER_ACTIVITY, Math.round((alpha / r) * 7)));
}

/**
 * When a repeat customer's P(alive) falls below the at-risk threshold if they buy nothing more:
 * solved once, when the order is applied, and kept as an ordinary timer. Undefined in fixed mode,
 * without a trustworthy model, and for one-time buyers: BG/NBD keeps their P(alive) at 1, so they
 * fall at risk by the fixed rule (after `afterDays` of silence) in either mode.
 */
export function predictedAtRisk(orders: readonly OrderFact[], settings: TimerSettings): string | undefined {
  const { atRisk } = settings.lifecycle;
  const lastOrder = orders.at(-1);
  if (atRisk.mode !== 'predictive' || !trustworthy(settings.model) || !lastOrder) return undefined;
  const summary = purchaseSummary(orders, lastOrder.at);
  if (!summary) return undefined;
  const week = weekAliveFallsTo(settings.model.bgnbd, summary.x, summary.tx, atRisk.aliveThreshold);
  if (week === undefined) return undefined;
  return addDays(summary.firstPurchase, Math.ceil(week * 7));
}

export function nextDueAt(profile: Profile, settings: TimerSettings): string | undefined {
  return timersOf(profile, settings)[0]?.dueAt;
}

/** A due time this close is filed in the due index to the minute; a farther one by its day. */
export const NEAR_DUE_MS = 48 * 3_600_000;
const DAY_MS = 86_400_000;

/**
 * The due index's bucket for a due time, seen from `now` (a timing wheel): to the minute
 * (`2026-05-01T10:31`) when it falls due within 48 hours, so it fires within the dispatcher's
 * minute; else the start of the day before its day, so a far timer that every visit moves (the
 * at-risk timer, 90 days after the last visit) rewrites the index at most once a day. When the
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
