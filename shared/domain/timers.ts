/**
 * Time-based triggers. A customer's timers are not stored as separate items: they follow from
 * the profile's facts, so they are recomputed after every change and a late or repeated event
 * can never leave a wrong timer behind. Only the earliest due time is stored (as `nextDueAt`),
 * for the sweep's index.
 */
import type { EngineSettings } from './campaigns.ts';
import { addDays, later, type Profile } from './profile.ts';

export const TIMER_KINDS = ['second-purchase-nudge', 're-engagement', 'win-back', 'farewell'] as const;
export type TimerKind = (typeof TIMER_KINDS)[number];

export interface Timer {
  kind: TimerKind;
  dueAt: string;
}

export function timersOf(profile: Profile, settings: EngineSettings): Timer[] {
  const { campaigns } = settings;
  const timers: Timer[] = [];
  const [firstOrder] = profile.orders;
  const lastOrder = profile.orders.at(-1);

  // second-purchase-nudge: N days after the first order, while it is still the only one.
  if (firstOrder && profile.orders.length === 1 && !profile.campaigns['second-purchase-nudge']) {
    timers.push({
      kind: 'second-purchase-nudge',
      dueAt: addDays(firstOrder.at, campaigns['second-purchase-nudge'].afterDays),
    });
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
    timers.push({ kind: 'win-back', dueAt: addDays(lastActivity, campaigns['win-back'].afterDays) });
  }

  // farewell: N days after the win-back (the move to deterioration) with no order since.
  if (profile.stage === 'deterioration') {
    timers.push({ kind: 'farewell', dueAt: addDays(profile.stageChangedAt, campaigns.farewell.afterDays) });
  }

  return timers.sort((a, b) => (a.dueAt < b.dueAt ? -1 : a.dueAt > b.dueAt ? 1 : 0));
}

export function nextDueAt(profile: Profile, settings: EngineSettings): string | undefined {
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
