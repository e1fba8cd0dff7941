/**
 * The customer profile: facts (orders, refunds, visits, traits with the time each was set) from
 * which the counters are derived. Keeping facts rather than bare counters is what lets a late,
 * out-of-order or repeated event land in the right place.
 */
import { createHash } from 'node:crypto';
import type { FeedbackState, ReplyFact } from './answers.ts';
import type { Impression } from './impressions.ts';
import type { JourneyState } from './journey-runner.ts';
import type { Conversion } from './journeys.ts';
import type { SegmentChange } from './segments.ts';
import type { LoggedEvent, Signals } from './signals.ts';

export const STAGES = ['acquaintance', 'buildup', 'continuation', 'deterioration', 'termination'] as const;
export type Stage = (typeof STAGES)[number];

export interface OrderFact {
  orderId: string;
  at: string;
  revenue: number;
  currency?: string;
  coupon?: string;
  /** The source that reported it (its name), for the timeline. */
  source?: string;
}

export interface RefundFact {
  orderId?: string;
  at: string;
  /** As the refund event stated it; without it, the refunded order's revenue counts. */
  amount?: number;
  /** The source that reported it (its name), for the timeline. */
  source?: string;
}

export interface CampaignHistory {
  /** How many occurrences were decided (sent or not); the next one is `count + 1`. */
  count: number;
  /** When the latest occurrence was decided (the engine's "now" then). */
  lastAt?: string;
  /** What was decided for the latest occurrence. */
  lastStatus?: 'queued' | 'deferred' | 'held-out' | 'skipped';
  /** The offer code the latest occurrence carried, so a coupon can be traced back to it. */
  offerCode?: string;
  /** When an order (or visit) converted the latest occurrence. */
  lastConvertedAt?: string;
  /** The last open and click of one of its emails (SES feedback), for `message` conditions. */
  lastOpenedAt?: string;
  lastClickedAt?: string;
  /** A broadcast's own conversion rule, and when its email was meant to go (conversions count from then). */
  conversion?: Conversion;
  from?: string;
}

export interface Profile {
  id: string;
  /** Optimistic-concurrency version: every write is conditional on the version read. */
  version: number;
  anonymousIds: string[];
  email?: string;
  traits: Record<string, unknown>;
  /** For each trait, the event time it was last set at: an older event never overwrites it. */
  traitTimes: Record<string, string>;
  stage: Stage;
  stageChangedAt: string;
  firstSeenAt: string;
  lastSeenAt: string;
  visitCount: number;
  lastVisitAt?: string;
  /** Distinct UTC days with a visit (days since 1970-01-01), ascending, the most recent 60. */
  visitDays: number[];
  /** Ascending by time, unique by order id. */
  orders: OrderFact[];
  refunds: RefundFact[];
  /** Each journey's latest email (by journey id): the occurrence count, status, conversion. */
  campaigns: Record<string, CampaignHistory>;
  /** Where the customer stands in each journey they entered. */
  journeys?: Record<string, JourneyState>;
  /** A journey's pauseMarketing step holds marketing email until then. */
  marketingPausedUntil?: string;
  /** When marketing emails went (or are scheduled to go) in the last 7 days, for the caps. */
  marketingLog: string[];
  /** The time zone the customer's device reported (`context.timezone`), and when. */
  timezone?: string;
  timezoneAt?: string;
  /** The last spam complaint (SES feedback): no promotional email during the cool-down after it. */
  lastComplaintAt?: string;
  /** The last click in one of our emails: activity, for the inactivity timers. */
  lastClickAt?: string;
  /** What the customer agreed to receive; absent means everything (the default). */
  consent?: Consent;
  /** The stages the customer went through, the most recent last (at most the last 20). */
  stageHistory?: { stage: Stage; at: string }[];
  /** The earliest time one of the customer's timers falls due; the sweep's index follows it. */
  nextDueAt?: string;
  /** The due index's bucket for `nextDueAt` (see timers.ts `dueBucket`): fine when near, coarse when far. */
  dueBucket?: string;
  /** For the conditions in use, the latest matching events' times (signals.ts). */
  signals?: Signals;
  /** The segments the customer is in: segment id -> when they entered. */
  segments?: Record<string, string>;
  /** The latest segment entries and exits (at most KEPT_SEGMENT_CHANGES), oldest first. */
  segmentHistory?: SegmentChange[];
  /** The earliest time a segment membership may change with no new input (a window closing). */
  segmentsDueAt?: string;
  /**
   * Events applied since the event log's last page was sealed, oldest first. The store moves them
   * to a page of their own when the profile item grows (customer-store.ts); `eventLog.head` names
   * the newest sealed page, each page names the one before.
   */
  events?: LoggedEvent[];
  eventLog?: {
    head?: string;
    /** The heads of the logs of ids merged into this profile: their pages stay under their ids. */
    linked?: Record<string, string>;
    /** When the newest sealed page expires (seconds): a later page never expires sooner. */
    expiresAt?: number;
  };
  /** Ratings and reasons, per email and question: the clicks seen and the answer they settled on. */
  feedback?: FeedbackState[];
  /** Good and bad impressions, oldest first (the newest KEPT_IMPRESSIONS): the impression balance. */
  impressions?: Impression[];
  /** The latest replies to our email, their text cleaned and bounded. */
  replies?: ReplyFact[];
  /**
   * Keys of the customer's latest inputs (at most REMEMBERED_INPUTS, newest last): a delivery seen
   * again is recognised by them, in the same write that applied it. See `inputKey`.
   */
  applied?: string[];
}

/**
 * How many of its latest inputs a profile remembers. Repeats come within minutes (a client's or
 * the bus's retry); a repeat older than this is still recognised by its content (an order by its
 * id, a visit by its day, a trait by its time), except that it would count one more page view.
 */
export const REMEMBERED_INPUTS = 64;

/** A short, fixed-size key for an input's messageId: 64 bits of its SHA-256, base64url (11 characters). */
export function inputKey(messageId: string): string {
  return createHash('sha256').update(messageId).digest().subarray(0, 8).toString('base64url');
}

export function hasApplied(profile: Profile | undefined, messageId: string): boolean {
  return !!profile?.applied?.includes(inputKey(messageId));
}

/** Remembers these inputs as applied, keeping the latest REMEMBERED_INPUTS. */
export function withApplied(profile: Profile, messageIds: readonly string[]): Profile {
  const keys = [...(profile.applied ?? []), ...messageIds.map(inputKey)];
  return { ...profile, applied: [...new Set(keys)].slice(-REMEMBERED_INPUTS) };
}

export interface Consent {
  /** False after an unsubscribe from all marketing (or a complaint). */
  marketing: boolean;
  /** Marketing journeys the customer left one by one. */
  optedOut: string[];
  /** Service email (the feedback request) stops only when the customer asks for that too. */
  service: boolean;
  changedAt: string;
  source: ConsentSource;
}

export type ConsentSource = 'one-click' | 'preferences' | 'complaint' | 'admin' | 'reply' | 'platform';

export interface ProfileSummary {
  orderCount: number;
  revenue: number;
  refundCount: number;
  refundTotal: number;
  firstOrderAt: string | null;
  lastOrderAt: string | null;
}

export function newProfile(id: string, at: string): Profile {
  return {
    id,
    version: 0,
    anonymousIds: [],
    traits: {},
    traitTimes: {},
    stage: 'acquaintance',
    stageChangedAt: at,
    firstSeenAt: at,
    lastSeenAt: at,
    visitCount: 0,
    visitDays: [],
    orders: [],
    refunds: [],
    campaigns: {},
    marketingLog: [],
  };
}

export function summarize(profile: Profile): ProfileSummary {
  const { orders, refunds } = profile;
  return {
    orderCount: orders.length,
    revenue: roundMoney(orders.reduce((sum, order) => sum + order.revenue, 0)),
    refundCount: refunds.length,
    refundTotal: roundMoney(refunds.reduce((sum, refund) => sum + refundAmount(profile, refund), 0)),
    firstOrderAt: orders[0]?.at ?? null,
    lastOrderAt: orders.at(-1)?.at ?? null,
  };
}

/** What a refund returned: its stated amount, or else the revenue of the order it refunds. */
export function refundAmount(profile: Profile, refund: RefundFact): number {
  if (refund.amount !== undefined) return refund.amount;
  return profile.orders.find((order) => order.orderId === refund.orderId)?.revenue ?? 0;
}

export function roundMoney(value: number) {
  return Math.round(value * 100) / 100;
}

export function earlier(a: string, b: string) {
  return a <= b ? a : b;
}

export function later(a: string, b: string) {
  return a >= b ? a : b;
}

/**
 * Inserts an order in time order. An order id seen before is not a new order: undefined, unless
 * this copy is older, in which case the earliest report of the order wins (so the result does
 * not depend on which copy arrived first) and the corrected list is returned as `replaced`.
 */
export function withOrder(orders: OrderFact[], order: OrderFact): OrderFact[] | undefined {
  const known = orders.find((candidate) => candidate.orderId === order.orderId);
  if (known && known.at <= order.at) return undefined;
  return [...orders.filter((candidate) => candidate !== known), order].sort((a, b) =>
    a.at === b.at ? a.orderId.localeCompare(b.orderId) : a.at < b.at ? -1 : 1,
  );
}

/** True when `orders` already holds an order with this id. */
export function hasOrder(orders: OrderFact[], orderId: string) {
  return orders.some((candidate) => candidate.orderId === orderId);
}

/** Sets traits the event carries, unless a later event already set them. */
export function withTraits(profile: Profile, traits: Record<string, unknown>, at: string): Profile {
  const next = { ...profile, traits: { ...profile.traits }, traitTimes: { ...profile.traitTimes } };
  for (const [key, value] of Object.entries(traits)) {
    const setAt = next.traitTimes[key];
    if (setAt !== undefined && setAt > at) continue;
    next.traits[key] = value;
    next.traitTimes[key] = at;
  }
  const email = normalizeEmail(next.traits.email);
  if (email) next.email = email;
  return next;
}

function normalizeEmail(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  const trimmed = value.trim();
  // Deliberately loose: SES is the judge of deliverability; this only rejects what is clearly not an address.
  return /^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(trimmed) ? trimmed : undefined;
}

/**
 * Folds an anonymous visitor's profile into the known customer's when identify or alias links
 * them. Facts are unions, so merging twice gives the same result.
 */
export function mergeProfiles(target: Profile, source: Profile): Profile {
  let merged: Profile = {
    ...target,
    anonymousIds: [...new Set([...target.anonymousIds, source.id, ...source.anonymousIds])].filter(
      (id) => id !== target.id,
    ),
    firstSeenAt: earlier(target.firstSeenAt, source.firstSeenAt),
    lastSeenAt: later(target.lastSeenAt, source.lastSeenAt),
    visitCount: target.visitCount + source.visitCount,
    refunds: [...target.refunds, ...source.refunds].sort((a, b) => (a.at < b.at ? -1 : 1)),
    campaigns: { ...target.campaigns },
    applied: [...new Set([...(source.applied ?? []), ...(target.applied ?? [])])].slice(-REMEMBERED_INPUTS),
  };
  if (source.lastVisitAt) {
    merged.lastVisitAt = merged.lastVisitAt
      ? later(merged.lastVisitAt, source.lastVisitAt)
      : source.lastVisitAt;
  }
  for (const order of source.orders) merged.orders = withOrder(merged.orders, order) ?? merged.orders;
  for (const [key, value] of Object.entries(source.traits)) {
    merged = withTraits(merged, { [key]: value }, source.traitTimes[key] ?? source.lastSeenAt);
  }
  merged.visitDays = withVisitDays(merged.visitDays, source.visitDays);
  // The other profile's sealed log pages stay under its own id (the history reads every linked id).
  const linked = { ...target.eventLog?.linked, ...source.eventLog?.linked };
  if (source.eventLog?.head) linked[source.id] = source.eventLog.head;
  if (Object.keys(linked).length > 0) merged.eventLog = { ...target.eventLog, linked };
  const events = [...(target.events ?? []), ...(source.events ?? [])];
  if (events.length > 0) {
    merged.events = [...new Map(events.map((event) => [event.key, event])).values()].sort((a, b) =>
      a.at < b.at ? -1 : a.at > b.at ? 1 : 0,
    );
  }
  // Journeys the anonymous visitor was on and the customer was not: they go on as the customer.
  const journeys = { ...source.journeys, ...target.journeys };
  if (Object.keys(journeys).length > 0) merged.journeys = journeys;
  const segmentHistory = [...(target.segmentHistory ?? []), ...(source.segmentHistory ?? [])];
  if (segmentHistory.length > 0) {
    merged.segmentHistory = segmentHistory
      .sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0))
      .slice(-KEPT_SEGMENT_CHANGES);
  }
  for (const [campaign, history] of Object.entries(source.campaigns)) {
    const mine = merged.campaigns[campaign];
    // The other profile's occurrences live in its own ledger: keep their count (so nothing is sent
    // twice) but not the conversion tracking, which would point at a ledger entry not ours.
    merged.campaigns[campaign] =
      mine && mine.count >= history.count
        ? mine
        : { count: history.count, ...(history.lastAt ? { lastAt: history.lastAt } : {}) };
  }
  return merged;
}

export const DAY_MS = 86_400_000;
const KEPT_VISIT_DAYS = 60;
/** How many stage changes a profile keeps (the latest). */
export const KEPT_STAGE_CHANGES = 20;
/** The timeline's memory of segment entries and exits. */
export const KEPT_SEGMENT_CHANGES = 30;

export function dayOf(iso: string): number {
  return Math.floor(Date.parse(iso) / DAY_MS);
}

/** Adds visit days, keeping the most recent distinct days in ascending order. */
export function withVisitDays(days: number[], more: number[]): number[] {
  return [...new Set([...days, ...more])].sort((a, b) => a - b).slice(-KEPT_VISIT_DAYS);
}

export function addDays(iso: string, days: number): string {
  return new Date(Date.parse(iso) + days * DAY_MS).toISOString();
}
