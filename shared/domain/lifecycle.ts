/**
 * The lifecycle engine: the one place where lifecycle rules live.
 *
 *   decide(profile, input, settings) -> { profile, effects }
 *
 * Pure. It reads time only from its input (the event's corrected timestamp and the time ingest
 * received it), never from the wall clock, so replaying history gives the same answer.
 */
import type { CampaignId, EngineSettings, Meaning } from './campaigns.ts';
import {
  earlier,
  hasOrder,
  later,
  mergeProfiles,
  newProfile,
  type OrderFact,
  type Profile,
  roundMoney,
  type Stage,
  withOrder,
  withTraits,
} from './profile.ts';
import type { CustomerEvent } from './segment.ts';

export type MessageStatus = 'queued' | 'skipped';

/** A decision to send (or, with the reason, not to send) one occurrence of a campaign. */
export interface MessageEffect {
  type: 'message';
  campaignId: CampaignId;
  occurrence: number;
  status: MessageStatus;
  reason?: string;
  /** The input that triggered it (an event's messageId). */
  triggeredBy: string;
  /** Event time of the trigger. */
  triggeredAt: string;
  /** The engine's "now" when it decided: the event's receive time. */
  decidedAt: string;
}

export interface StageEffect {
  type: 'stage-changed';
  from: Stage | null;
  to: Stage;
  at: string;
  triggeredBy: string;
}

export type Effect = MessageEffect | StageEffect;

export interface Decision {
  profile: Profile;
  effects: Effect[];
}

const HOUR_MS = 3_600_000;

export function meaningOf(event: CustomerEvent, settings: EngineSettings): Meaning | undefined {
  if (event.type === 'page' || event.type === 'screen') return 'visit';
  if (event.type === 'track' && event.event) return settings.eventMeanings[event.event];
  return undefined;
}

/** Applies one customer event. `profile` is undefined for a customer seen for the first time. */
export function decide(
  current: Profile | undefined,
  customerId: string,
  event: CustomerEvent,
  settings: EngineSettings,
): Decision {
  const effects: Effect[] = [];
  let profile = current ?? newProfile(customerId, event.timestamp);
  if (!current) {
    effects.push({
      type: 'stage-changed',
      from: null,
      to: 'acquaintance',
      at: event.timestamp,
      triggeredBy: event.messageId,
    });
  }
  profile = seen(profile, event);

  const traits = { ...contextTraits(event), ...(event.type === 'identify' ? event.traits : undefined) };
  if (Object.keys(traits).length > 0) profile = withTraits(profile, traits, event.timestamp);
  if (
    event.anonymousId &&
    event.anonymousId !== profile.id &&
    !profile.anonymousIds.includes(event.anonymousId)
  ) {
    profile = { ...profile, anonymousIds: [...profile.anonymousIds, event.anonymousId] };
  }

  switch (meaningOf(event, settings)) {
    case 'visit':
      profile = {
        ...profile,
        visitCount: profile.visitCount + 1,
        lastVisitAt: profile.lastVisitAt ? later(profile.lastVisitAt, event.timestamp) : event.timestamp,
      };
      break;
    case 'order':
      profile = applyOrder(profile, event, settings, effects);
      break;
    case 'refund':
      profile = applyRefund(profile, event);
      break;
    default:
      break;
  }
  return { profile, effects };
}

/**
 * Folds a linked anonymous profile into the customer's. Stage follows the merged order history,
 * so the transition is reported like any other.
 */
export function merge(target: Profile, source: Profile, triggeredBy: string): Decision {
  const merged = mergeProfiles(target, source);
  const effects: Effect[] = [];
  const stage = stageAfterOrders(merged);
  if (stage && stage.to !== merged.stage) {
    effects.push({ type: 'stage-changed', from: merged.stage, to: stage.to, at: stage.at, triggeredBy });
    return { profile: { ...merged, stage: stage.to, stageChangedAt: stage.at }, effects };
  }
  return { profile: merged, effects };
}

function seen(profile: Profile, event: CustomerEvent): Profile {
  return {
    ...profile,
    firstSeenAt: earlier(profile.firstSeenAt, event.timestamp),
    lastSeenAt: later(profile.lastSeenAt, event.timestamp),
  };
}

/** Segment lets any call carry the user's traits in `context.traits`. */
function contextTraits(event: CustomerEvent): Record<string, unknown> {
  const traits = event.context?.traits;
  return traits && typeof traits === 'object' && !Array.isArray(traits)
    ? (traits as Record<string, unknown>)
    : {};
}

function applyOrder(
  profile: Profile,
  event: CustomerEvent,
  settings: EngineSettings,
  effects: Effect[],
): Profile {
  const order = orderFrom(event);
  const isNew = !hasOrder(profile.orders, order.orderId);
  const orders = withOrder(profile.orders, order);
  if (!orders) return profile;
  let next: Profile = { ...profile, orders };
  // The same order id again (a client retry under a new messageId) is not a new order: at most
  // an earlier report of it corrects its time.
  if (!isNew) return next;

  const stage = stageAfterOrders(next);
  if (stage && stage.to !== next.stage) {
    effects.push({
      type: 'stage-changed',
      from: next.stage,
      to: stage.to,
      at: stage.at,
      triggeredBy: event.messageId,
    });
    next = { ...next, stage: stage.to, stageChangedAt: stage.at };
  }

  if (orders.length === 1 && next.campaigns['welcome-kit'] === undefined) {
    next = decideMessage(next, 'welcome-kit', event, settings, effects);
  }
  return next;
}

function applyRefund(profile: Profile, event: CustomerEvent): Profile {
  const properties = event.properties ?? {};
  const orderId = stringOf(properties.order_id ?? properties.orderId);
  const known = orderId ? profile.orders.find((order) => order.orderId === orderId) : undefined;
  const amount = numberOf(properties.total ?? properties.revenue ?? properties.value) ?? known?.revenue ?? 0;
  const refund = { at: event.timestamp, amount: roundMoney(amount), ...(orderId ? { orderId } : {}) };
  const refunds = [...profile.refunds, refund].sort((a, b) => (a.at < b.at ? -1 : 1));
  return { ...profile, refunds };
}

/**
 * The stage an order history implies: buildup from the first order, continuation from the
 * second. Derived from the ordered history, so arrival order does not matter. Stages reached by
 * timers (deterioration, termination) are left alone here.
 */
function stageAfterOrders(profile: Profile): { to: Stage; at: string } | undefined {
  const [first, second] = profile.orders;
  if (profile.stage !== 'acquaintance' && profile.stage !== 'buildup') return undefined;
  if (second) return { to: 'continuation', at: second.at };
  if (first) return { to: 'buildup', at: first.at };
  return undefined;
}

function decideMessage(
  profile: Profile,
  campaignId: CampaignId,
  event: CustomerEvent,
  settings: EngineSettings,
  effects: Effect[],
): Profile {
  const history = profile.campaigns[campaignId];
  const occurrence = (history?.count ?? 0) + 1;
  const reason = reasonNotToSend(campaignId, event, settings);
  effects.push({
    type: 'message',
    campaignId,
    occurrence,
    status: reason ? 'skipped' : 'queued',
    ...(reason ? { reason } : {}),
    triggeredBy: event.messageId,
    triggeredAt: event.timestamp,
    decidedAt: event.receivedAt,
  });
  return {
    ...profile,
    campaigns: { ...profile.campaigns, [campaignId]: { count: occurrence, lastAt: event.receivedAt } },
  };
}

function reasonNotToSend(campaignId: CampaignId, event: CustomerEvent, settings: EngineSettings) {
  if (!settings.campaigns[campaignId].enabled) return 'campaign disabled';
  const ageHours = (Date.parse(event.receivedAt) - Date.parse(event.timestamp)) / HOUR_MS;
  if (ageHours > settings.freshnessHours) {
    return `stale: the event is ${Math.floor(ageHours)} hours old (limit ${settings.freshnessHours})`;
  }
  return undefined;
}

function orderFrom(event: CustomerEvent): OrderFact {
  const properties = event.properties ?? {};
  const order: OrderFact = {
    orderId: stringOf(properties.order_id ?? properties.orderId) ?? event.messageId,
    at: event.timestamp,
    revenue: roundMoney(numberOf(properties.revenue ?? properties.total ?? properties.value) ?? 0),
  };
  const currency = stringOf(properties.currency);
  if (currency) order.currency = currency.toUpperCase();
  const coupon = stringOf(properties.coupon);
  if (coupon) order.coupon = coupon;
  return order;
}

function stringOf(value: unknown): string | undefined {
  if (typeof value === 'string' && value.trim()) return value.trim();
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  return undefined;
}

function numberOf(value: unknown): number | undefined {
  const number = typeof value === 'string' ? Number(value) : value;
  return typeof number === 'number' && Number.isFinite(number) ? number : undefined;
}
