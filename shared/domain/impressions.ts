/**
 * The impression balance (good cop, bad cop): what the customer lived through with the shop, as
 * good impressions (an order, a day they visited, a click in our email, a high rating) and bad
 * ones (a refund, a spam complaint, a low rating, leaving a journey, a broken promise, a bounced
 * order). One bad impression outweighs ten good ones: the balance over a window is the good ones
 * times their weight less the bad ones times theirs. While it is negative, marketing waits (a
 * journey holds the customer at its email until the balance recovers, or skips the email when it
 * would be stale) and a broadcast skips them; service email still goes. The fixed cool-down after
 * a refund or complaint stays as the minimum.
 */
import type { Profile } from './profile.ts';
import type { ContactPolicy } from './rules.ts';

export interface Impression {
  at: string;
  kind: 'good' | 'bad';
  /** What made it, in words: `Order Completed`, `visited`, `CSAT 1 of 5`, `left win-back`, ... */
  what: string;
}

export interface ImpressionPolicy {
  windowDays: number;
  goodWeight: number;
  badWeight: number;
  /** Track events that are good or bad impressions beyond the built-in ones. */
  goodEvents: string[];
  badEvents: string[];
}

export const DEFAULT_IMPRESSIONS: ImpressionPolicy = {
  windowDays: 90,
  goodWeight: 1,
  badWeight: 10,
  goodEvents: [],
  badEvents: ['Promise Broken', 'Order Bounced', 'Delivery Failed'],
};

export function impressionPolicyOf(policy: ContactPolicy): ImpressionPolicy {
  return { ...DEFAULT_IMPRESSIONS, ...policy.impressions };
}

/** The most impressions a profile keeps (the newest): enough for any window's balance to be right. */
export const KEPT_IMPRESSIONS = 120;
const DAY_MS = 86_400_000;

export function withImpressions(profile: Profile, added: readonly Impression[]): Profile {
  if (added.length === 0) return profile;
  const impressions = [...(profile.impressions ?? []), ...added]
    .sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0))
    .slice(-KEPT_IMPRESSIONS);
  return { ...profile, impressions };
}

export interface Balance {
  balance: number;
  good: number;
  bad: number;
  /** The impressions inside the window, newest first. */
  impressions: Impression[];
  /** When it turns non-negative with nothing new happening (bad impressions leave the window). */
  recoversAt?: string;
}

/**
 * Every impression: the facts' (each order good, each refund bad, each visit day good, from the
 * profile's orders, refunds and visit days, so arrival order never matters) and the kept ones.
 */
export function impressionsOf(profile: Profile): Impression[] {
  return [
    ...profile.orders.map(
      (order): Impression => ({ at: order.at, kind: 'good', what: `order ${order.orderId}` }),
    ),
    ...profile.refunds.map(
      (refund): Impression => ({
        at: refund.at,
        kind: 'bad',
        what: `refund${refund.orderId ? ` of order ${refund.orderId}` : ''}`,
      }),
    ),
    ...profile.visitDays.map(
      (day): Impression => ({ at: new Date(day * DAY_MS).toISOString(), kind: 'good', what: 'visited' }),
    ),
    ...(profile.impressions ?? []),
  ].sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0));
}

export function balanceOf(profile: Profile, now: string, policy: ImpressionPolicy): Balance {
  const nowMs = Date.parse(now);
  const all = impressionsOf(profile);
  const inside = (at: number) => (impression: Impression) => {
    const time = Date.parse(impression.at);
    return time <= at && time > at - policy.windowDays * DAY_MS;
  };
  const score = (at: number) =>
    all
      .filter(inside(at))
      .reduce(
        (sum, impression) => sum + (impression.kind === 'good' ? policy.goodWeight : -policy.badWeight),
        0,
      );
  const impressions = all.filter(inside(nowMs)).reverse();
  const balance = score(nowMs);
  const result: Balance = {
    balance,
    good: impressions.filter((impression) => impression.kind === 'good').length,
    bad: impressions.filter((impression) => impression.kind === 'bad').length,
    impressions,
  };
  if (balance < 0) {
    // The balance changes on its own only when an impression leaves the window.
    const leaving = impressions
      .map((impression) => Date.parse(impression.at) + policy.windowDays * DAY_MS)
      .sort((a, b) => a - b);
    const recovers = leaving.find((at) => score(at) >= 0);
    if (recovers !== undefined) result.recoversAt = new Date(recovers).toISOString();
  }
  return result;
}

/** Why marketing waits for this customer now, or undefined when the balance is not negative. */
export function impressionHold(
  profile: Profile,
  now: string,
  policy: ContactPolicy,
): { reason: string; recoversAt?: string } | undefined {
  const rules = impressionPolicyOf(policy);
  const balance = balanceOf(profile, now, rules);
  if (balance.balance >= 0) return undefined;
  const worst = balance.impressions.find((impression) => impression.kind === 'bad');
  return {
    reason: `impression balance ${balance.balance} (${balance.bad} bad, ${balance.good} good in ${rules.windowDays} days${worst ? `; ${worst.what} on ${worst.at.slice(0, 10)}` : ''}): one bad impression outweighs ${rules.badWeight / rules.goodWeight} good ones`,
    ...(balance.recoversAt ? { recoversAt: balance.recoversAt } : {}),
  };
}
