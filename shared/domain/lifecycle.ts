/**
 * The lifecycle engine: the one place where lifecycle rules live.
 *
 *   decide(profile, input, settings) -> { profile, effects }
 *
 * An input is a customer event or the timers of a sweep. Pure: it reads time only from its input
 * (the event's corrected timestamp and the time ingest received it, or the sweep's "now"), never
 * from the wall clock, so replaying history gives the same answer.
 *
 * Staleness policy, so that neither a backfill of old history nor a sweep after a long outage
 * sends a burst of stale messages:
 * - an event-triggered email is sent only if the event was younger than `freshnessHours` (48 h)
 *   when ingest received it;
 * - a timer that fires more than `staleTimerDays` (7 days) after it fell due still changes the
 *   stage, but its email is recorded as skipped;
 * - a farewell is only sent after a win-back that was itself sent.
 * Stage changes made by timers are dated at the due time, so history reads true.
 */
import type { CampaignId, EngineSettings, Meaning } from './campaigns.ts';
import { earliest } from './conditions.ts';
import {
  earliestSendTime,
  holdoutBucket,
  recentMarketing,
  relationshipAllows,
  relationshipOf,
} from './contact-policy.ts';
import { sameCode } from './offers.ts';
import {
  type CampaignHistory,
  type ConsentSource,
  DAY_MS,
  dayOf,
  earlier,
  hasOrder,
  inputKey,
  KEPT_SEGMENT_CHANGES,
  KEPT_STAGE_CHANGES,
  later,
  mergeProfiles,
  newProfile,
  type OrderFact,
  type Profile,
  roundMoney,
  type Stage,
  withOrder,
  withTraits,
  withVisitDays,
} from './profile.ts';
import type { CustomerEvent } from './segment.ts';
import { evaluateSegments } from './segments.ts';
import { type LoggedEvent, mergedSignals, withEvent } from './signals.ts';
import { dueBucket, nextDueAt, type Timer, type TimerKind, timersOf } from './timers.ts';

export type EngineInput =
  | { kind: 'event'; event: CustomerEvent }
  /** A sweep found the customer due: fire every timer due at or before `now`. */
  | { kind: 'timers'; messageId: string; now: string }
  /** The customer changed what they receive (unsubscribe link, preference page, complaint). */
  | ConsentInput
  /** The customer opened or clicked one of our emails (SES feedback). */
  | { kind: 'engagement'; messageId: string; at: string; action: 'open' | 'click'; campaignId?: string }
  /** The definitions changed (a segment saved or deleted): evaluate the customer again at `now`. */
  | { kind: 'evaluate'; messageId: string; now: string };

export interface ConsentInput {
  kind: 'consent';
  messageId: string;
  at: string;
  source: ConsentSource;
  marketing?: boolean;
  optedOut?: CampaignId[];
  service?: boolean;
}

/**
 * queued: goes now; deferred: goes at `sendAt` (caps, quiet hours, cool-down); held-out: the
 * customer is in the campaign's holdout, recorded but not sent; skipped: not sent, and why.
 */
export type MessageStatus = 'queued' | 'deferred' | 'held-out' | 'skipped';

/** A decision to send (or, with the reason, not to send) one occurrence of a campaign. */
export interface MessageEffect {
  type: 'message';
  campaignId: CampaignId;
  occurrence: number;
  status: MessageStatus;
  reason?: string;
  /** The input that triggered it: an event's messageId, or the sweep's. */
  triggeredBy: string;
  /** Event time of the trigger, or the timer's due time. */
  triggeredAt: string;
  /** The engine's "now" when it decided. */
  decidedAt: string;
  /** For a deferred message: when it may go. */
  sendAt?: string;
  /** The customer's own code, for campaigns that carry an offer. */
  offerCode?: string;
}

export interface StageEffect {
  type: 'stage-changed';
  from: Stage | null;
  to: Stage;
  at: string;
  triggeredBy: string;
}

/** An order (or, for re-engagement, a visit) inside a campaign's conversion window. */
export interface ConversionEffect {
  type: 'conversion';
  campaignId: CampaignId;
  occurrence: number;
  at: string;
  by: string;
}

export interface TimerEffect {
  type: 'timer-fired';
  timer: TimerKind;
  dueAt: string;
  firedAt: string;
}

/** The customer entered or left a segment. */
export interface SegmentEffect {
  type: 'segment-changed';
  segment: string;
  change: 'entered' | 'exited';
  at: string;
  triggeredBy: string;
}

export type Effect = MessageEffect | StageEffect | ConversionEffect | TimerEffect | SegmentEffect;

export interface Decision {
  profile: Profile;
  effects: Effect[];
}

interface Trigger {
  id: string;
  /** When the triggering thing happened (event time, or the timer's due time). */
  at: string;
  /** The engine's "now". */
  now: string;
  kind: 'event' | 'timer';
}

const HOUR_MS = 3_600_000;
/** A sweep fires at most this many timers for one customer (a chain such as win-back, farewell). */
const MAX_TIMERS_PER_SWEEP = 10;

export function meaningOf(event: CustomerEvent, settings: EngineSettings): Meaning | undefined {
  if (event.type === 'page' || event.type === 'screen') return 'visit';
  if (event.type === 'track' && event.event) return settings.eventMeanings[event.event];
  return undefined;
}

export function inputId(input: EngineInput): string {
  return input.kind === 'event' ? input.event.messageId : input.messageId;
}

export function inputTime(input: EngineInput): string {
  if (input.kind === 'event') return input.event.timestamp;
  return input.kind === 'timers' || input.kind === 'evaluate' ? input.now : input.at;
}

/** The engine's "now" for an input: when ingest received an event, the sweep's time, ... */
export function inputNow(input: EngineInput): string {
  return input.kind === 'event' ? input.event.receivedAt : inputTime(input);
}

/** Applies one input. `profile` is undefined for a customer seen for the first time. */
export function decide(
  current: Profile | undefined,
  customerId: string,
  input: EngineInput,
  settings: EngineSettings,
): Decision {
  const effects: Effect[] = [];
  let profile: Profile;
  if (input.kind === 'event') {
    profile = applyEvent(current, customerId, input.event, settings, effects);
  } else if (!current) {
    // Timers, consent or engagement for a customer we do not know (erased meanwhile): nothing to do.
    return { profile: newProfile(customerId, inputTime(input)), effects };
  } else if (input.kind === 'timers') {
    profile = fireTimers(current, input, settings, effects);
  } else if (input.kind === 'consent') {
    profile = applyConsent(current, input, effects);
  } else if (input.kind === 'engagement') {
    profile = applyEngagement(current, input);
  } else {
    profile = current;
  }
  profile = withSegments(withStageHistory(profile, effects), input, settings, effects);
  return { profile: withNextDue(profile, settings, inputNow(input)), effects };
}

function applyEngagement(profile: Profile, input: Extract<EngineInput, { kind: 'engagement' }>): Profile {
  let next =
    input.action === 'click'
      ? { ...profile, lastClickAt: later(profile.lastClickAt ?? input.at, input.at) }
      : profile;
  const campaignId = input.campaignId as CampaignId | undefined;
  const history = campaignId ? next.campaigns[campaignId] : undefined;
  if (campaignId && history) {
    const field = input.action === 'click' ? 'lastClickedAt' : 'lastOpenedAt';
    next = {
      ...next,
      campaigns: {
        ...next.campaigns,
        [campaignId]: { ...history, [field]: later(history[field] ?? input.at, input.at) },
      },
    };
  }
  return next;
}

/**
 * Keeps the event in the log and the signals, then evaluates every segment at the input's "now":
 * entries and exits are effects (published, counted, shown on the timeline), and the earliest
 * time a membership may change on its own joins the customer's next due time.
 */
function withSegments(
  profile: Profile,
  input: EngineInput,
  settings: EngineSettings,
  effects: Effect[],
): Profile {
  const { segments } = settings;
  const now = inputNow(input);
  let next = profile;
  // Signals for keys no definition uses any more are dropped.
  const signals = Object.fromEntries(
    Object.entries(next.signals ?? {}).filter(([key]) => segments.needs.has(key)),
  );
  next = { ...next, signals };
  const logged = input.kind === 'event' ? loggedEventOf(input.event) : undefined;
  if (logged) {
    next = {
      ...next,
      events: [...(next.events ?? []), logged],
      signals: withEvent(signals, segments.needs, logged),
    };
  }
  const evaluation = evaluateSegments(next, segments, now, settings.model);
  for (const change of evaluation.changes) {
    effects.push({ type: 'segment-changed', ...change, triggeredBy: inputId(input) });
  }
  const { segmentsDueAt: _before, ...rest } = next;
  next = { ...rest, segments: evaluation.memberships };
  if (evaluation.changesAt) next.segmentsDueAt = evaluation.changesAt;
  if (evaluation.changes.length > 0) {
    next.segmentHistory = [...(next.segmentHistory ?? []), ...evaluation.changes].slice(
      -KEPT_SEGMENT_CHANGES,
    );
  }
  return next;
}

/** Largest properties object the event log keeps for one event (JSON bytes). */
export const MAX_LOGGED_PROPERTIES_BYTES = 2048;

/**
 * The event as the log keeps it: track events by their name, page calls as `Page Viewed` and
 * screen calls as `Screen Viewed` (with the page's name and category among the properties).
 * Properties over MAX_LOGGED_PROPERTIES_BYTES keep only their short top-level values.
 */
export function loggedEventOf(event: CustomerEvent): LoggedEvent | undefined {
  const name =
    event.type === 'track'
      ? event.event
      : event.type === 'page'
        ? 'Page Viewed'
        : event.type === 'screen'
          ? 'Screen Viewed'
          : undefined;
  if (!name) return undefined;
  const properties: Record<string, unknown> = { ...event.properties };
  if (event.type !== 'track') {
    if (event.name) properties.name ??= event.name;
    if (event.category) properties.category ??= event.category;
  }
  const logged: LoggedEvent = { name, at: event.timestamp, key: inputKey(event.messageId) };
  if (Object.keys(properties).length > 0) logged.properties = boundedProperties(properties);
  return logged;
}

function boundedProperties(properties: Record<string, unknown>): Record<string, unknown> {
  if (JSON.stringify(properties).length <= MAX_LOGGED_PROPERTIES_BYTES) return properties;
  const kept: Record<string, unknown> = { truncated: true };
  let size = 20;
  for (const [key, value] of Object.entries(properties)) {
    if (value !== null && typeof value === 'object') continue;
    const short = typeof value === 'string' ? value.slice(0, 200) : value;
    size += key.length + JSON.stringify(short ?? null).length + 4;
    if (size > MAX_LOGGED_PROPERTIES_BYTES) break;
    kept[key] = short;
  }
  return kept;
}

/**
 * Folds a linked anonymous profile into the customer's. Stage follows the merged order history,
 * so the transition is reported like any other.
 */
export function merge(
  target: Profile,
  source: Profile,
  triggeredBy: string,
  settings: EngineSettings,
): Decision {
  const merged: Profile = {
    ...mergeProfiles(target, source),
    // Keys only one side had filled are filled again from both ids' history (apply-event).
    signals: mergedSignals(target.signals ?? {}, source.signals ?? {}, settings.segments.needs),
  };
  const effects: Effect[] = [];
  const stage = stageAfterOrders(merged);
  let profile = merged;
  if (stage && stage.to !== merged.stage) {
    effects.push({ type: 'stage-changed', from: merged.stage, to: stage.to, at: stage.at, triggeredBy });
    profile = { ...merged, stage: stage.to, stageChangedAt: stage.at };
  }
  return { profile: withNextDue(withStageHistory(profile, effects), settings, merged.lastSeenAt), effects };
}

/**
 * A change of consent. Leaving all marketing ends the relationship gracefully (termination); a
 * complaint also starts the cool-down. Nothing here ever subscribes anyone again but the customer.
 */
function applyConsent(profile: Profile, input: ConsentInput, effects: Effect[]): Profile {
  const before = profile.consent ?? { marketing: true, optedOut: [], service: true };
  const consent = {
    marketing: input.marketing ?? before.marketing,
    optedOut: input.optedOut ?? before.optedOut,
    service: input.service ?? before.service,
    changedAt: input.at,
    source: input.source,
  };
  let next: Profile = { ...profile, consent };
  if (input.source === 'complaint') next = { ...next, lastComplaintAt: input.at };
  if (!consent.marketing && next.stage !== 'termination') {
    effects.push({
      type: 'stage-changed',
      from: next.stage,
      to: 'termination',
      at: input.at,
      triggeredBy: input.messageId,
    });
    next = { ...next, stage: 'termination', stageChangedAt: input.at };
  }
  return next;
}

/** Remembers the stage changes (for metrics: stage changes per day), the most recent 20. */
function withStageHistory(profile: Profile, effects: Effect[]): Profile {
  const changes = effects.flatMap((effect) =>
    effect.type === 'stage-changed' ? [{ stage: effect.to, at: effect.at }] : [],
  );
  if (changes.length === 0) return profile;
  const stageHistory = [...(profile.stageHistory ?? []), ...changes]
    .sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0))
    .slice(-KEPT_STAGE_CHANGES);
  return { ...profile, stageHistory };
}

/**
 * The earliest of the customer's timers and of the times their segments may change, with its
 * bucket in the due index as seen from `now` (timers.ts `dueBucket`).
 */
export function withNextDue(
  profile: Profile,
  settings: Pick<EngineSettings, 'campaigns' | 'model'>,
  now: string,
): Profile {
  const due = earliest([nextDueAt(profile, settings), profile.segmentsDueAt]);
  const { nextDueAt: _previous, dueBucket: _bucket, ...rest } = profile;
  return due ? { ...rest, nextDueAt: due, dueBucket: dueBucket(due, now) } : rest;
}

function applyEvent(
  current: Profile | undefined,
  customerId: string,
  event: CustomerEvent,
  settings: EngineSettings,
  effects: Effect[],
): Profile {
  let profile = current ?? newProfile(customerId, event.timestamp);
  if (!current) {
    // A new customer has no history: every signal in use starts empty and known.
    profile.signals = Object.fromEntries([...settings.segments.needs.keys()].map((key) => [key, []]));
    effects.push({
      type: 'stage-changed',
      from: null,
      to: 'acquaintance',
      at: event.timestamp,
      triggeredBy: event.messageId,
    });
  }
  profile = {
    ...profile,
    firstSeenAt: earlier(profile.firstSeenAt, event.timestamp),
    lastSeenAt: later(profile.lastSeenAt, event.timestamp),
  };
  const traits = { ...contextTraits(event), ...(event.type === 'identify' ? event.traits : undefined) };
  if (Object.keys(traits).length > 0) profile = withTraits(profile, traits, event.timestamp);
  const deviceTimezone = event.context?.timezone;
  if (typeof deviceTimezone === 'string' && (!profile.timezoneAt || profile.timezoneAt <= event.timestamp)) {
    profile = { ...profile, timezone: deviceTimezone, timezoneAt: event.timestamp };
  }
  if (
    event.anonymousId &&
    event.anonymousId !== profile.id &&
    !profile.anonymousIds.includes(event.anonymousId)
  ) {
    profile = { ...profile, anonymousIds: [...profile.anonymousIds, event.anonymousId] };
  }

  const trigger: Trigger = { id: event.messageId, at: event.timestamp, now: event.receivedAt, kind: 'event' };
  switch (meaningOf(event, settings)) {
    case 'visit':
      profile = {
        ...profile,
        visitCount: profile.visitCount + 1,
        lastVisitAt: profile.lastVisitAt ? later(profile.lastVisitAt, event.timestamp) : event.timestamp,
        visitDays: withVisitDays(profile.visitDays, [dayOf(event.timestamp)]),
      };
      profile = convert(profile, ['re-engagement'], trigger, settings, effects);
      break;
    case 'order':
      profile = applyOrder(profile, event, trigger, settings, effects);
      break;
    case 'refund':
      profile = applyRefund(profile, event);
      profile = decideMessage(profile, 'feedback-request', trigger, settings, effects);
      break;
    default:
      break;
  }
  return profile;
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
  trigger: Trigger,
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

  next = couponConversion(next, order, trigger, effects);
  const wasQuiet = next.stage === 'deterioration' || next.stage === 'termination';
  if (wasQuiet) {
    // Any order ends a lapse: the customer is back, and the win-back worked.
    next = winBackConversion(next, trigger, effects);
    effects.push({
      type: 'stage-changed',
      from: next.stage,
      to: 'continuation',
      at: order.at,
      triggeredBy: event.messageId,
    });
    next = { ...next, stage: 'continuation', stageChangedAt: order.at };
  } else {
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
  }
  next = convert(
    next,
    ['welcome-kit', 'second-purchase-nudge', 're-engagement', 'loyalty-reward', 'feedback-request'],
    trigger,
    settings,
    effects,
  );

  if (orders.length === 1 && next.campaigns['welcome-kit'] === undefined) {
    next = decideMessage(next, 'welcome-kit', trigger, settings, effects);
  }
  if (
    orders.length === settings.campaigns['loyalty-reward'].orderCount &&
    next.campaigns['loyalty-reward'] === undefined
  ) {
    next = decideMessage(next, 'loyalty-reward', trigger, settings, effects);
  }
  return next;
}

function applyRefund(profile: Profile, event: CustomerEvent): Profile {
  const properties = event.properties ?? {};
  const orderId = stringOf(properties.order_id ?? properties.orderId);
  // Without a stated amount the refunded order's revenue counts, looked up when summarizing, so
  // a refund that arrives before its order still adds up right.
  const amount = numberOf(properties.total ?? properties.revenue ?? properties.value);
  const refund = {
    at: event.timestamp,
    ...(amount !== undefined ? { amount: roundMoney(amount) } : {}),
    ...(orderId ? { orderId } : {}),
  };
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

function fireTimers(
  profile: Profile,
  input: { messageId: string; now: string },
  settings: EngineSettings,
  effects: Effect[],
) {
  let next = profile;
  for (let fired = 0; fired < MAX_TIMERS_PER_SWEEP; fired++) {
    const timer = timersOf(next, settings).find((candidate) => candidate.dueAt <= input.now);
    if (!timer) break;
    effects.push({ type: 'timer-fired', timer: timer.kind, dueAt: timer.dueAt, firedAt: input.now });
    next = fireTimer(
      next,
      timer,
      { id: input.messageId, at: timer.dueAt, now: input.now, kind: 'timer' },
      settings,
      effects,
    );
  }
  return next;
}

function fireTimer(
  profile: Profile,
  timer: Timer,
  trigger: Trigger,
  settings: EngineSettings,
  effects: Effect[],
): Profile {
  switch (timer.kind) {
    case 'second-purchase-nudge':
      return decideMessage(profile, 'second-purchase-nudge', trigger, settings, effects);
    case 're-engagement': {
      const next = decideMessage(profile, 're-engagement', trigger, settings, effects);
      const history = next.campaigns['re-engagement'];
      const lapse = profile.lastVisitAt;
      return history && lapse
        ? { ...next, campaigns: { ...next.campaigns, 're-engagement': { ...history, lapse } } }
        : next;
    }
    case 'win-back': {
      effects.push({
        type: 'stage-changed',
        from: profile.stage,
        to: 'deterioration',
        at: timer.dueAt,
        triggeredBy: trigger.id,
      });
      const quiet: Profile = { ...profile, stage: 'deterioration', stageChangedAt: timer.dueAt };
      return decideMessage(quiet, 'win-back', trigger, settings, effects);
    }
    case 'farewell': {
      effects.push({
        type: 'stage-changed',
        from: profile.stage,
        to: 'termination',
        at: timer.dueAt,
        triggeredBy: trigger.id,
      });
      const ended: Profile = { ...profile, stage: 'termination', stageChangedAt: timer.dueAt };
      const winBackSent = profile.campaigns['win-back']?.lastStatus === 'queued';
      return decideMessage(
        ended,
        'farewell',
        trigger,
        settings,
        effects,
        winBackSent ? undefined : 'no win-back was sent before it',
      );
    }
  }
}

function decideMessage(
  profile: Profile,
  campaignId: CampaignId,
  trigger: Trigger,
  settings: EngineSettings,
  effects: Effect[],
  forcedReason?: string,
): Profile {
  const campaign = settings.campaigns[campaignId];
  const occurrence = (profile.campaigns[campaignId]?.count ?? 0) + 1;
  const verdict = forcedReason
    ? { status: 'skipped' as const, reason: forcedReason }
    : judge(profile, campaignId, trigger, settings);
  const offer = 'offer' in campaign ? campaign.offer : undefined;
  const offerCode =
    offer?.enabled && verdict.status !== 'skipped'
      ? settings.offerCodes(profile.id, campaignId, occurrence, offer.prefix)
      : undefined;
  effects.push({
    type: 'message',
    campaignId,
    occurrence,
    status: verdict.status,
    ...(verdict.reason ? { reason: verdict.reason } : {}),
    triggeredBy: trigger.id,
    triggeredAt: trigger.at,
    decidedAt: trigger.now,
    ...(verdict.sendAt ? { sendAt: verdict.sendAt } : {}),
    ...(offerCode ? { offerCode } : {}),
  });
  const goes = verdict.status === 'queued' || verdict.status === 'deferred';
  const marketingLog =
    goes && campaign.category === 'marketing'
      ? recentMarketing([...profile.marketingLog, verdict.sendAt ?? trigger.now], trigger.now)
      : recentMarketing(profile.marketingLog, trigger.now);
  return {
    ...profile,
    marketingLog,
    campaigns: {
      ...profile.campaigns,
      [campaignId]: {
        count: occurrence,
        lastAt: trigger.now,
        lastStatus: verdict.status,
        ...(offerCode ? { offerCode } : {}),
      },
    },
  };
}

/**
 * The contact policy's verdict, in this order: switched off, not for this relationship, stale,
 * held out, then (marketing only) cool-down, caps and quiet hours, which defer the email, or drop
 * it with the reason when it would be stale by the time it may go.
 */
function judge(
  profile: Profile,
  campaignId: CampaignId,
  trigger: Trigger,
  settings: EngineSettings,
): { status: MessageStatus; reason?: string; sendAt?: string } {
  const campaign = settings.campaigns[campaignId];
  if (!campaign.enabled) return { status: 'skipped', reason: 'campaign disabled' };
  const refusal = consentRefusal(profile, campaignId, campaign.category);
  if (refusal) return { status: 'skipped', reason: refusal };
  const relationship = relationshipOf(profile);
  if (!relationshipAllows(relationship, campaignId, campaign.category)) {
    return {
      status: 'skipped',
      reason: `relationship "${relationship}": only the welcome kit and service emails`,
    };
  }
  const stale = staleness(trigger, trigger.now, settings);
  if (stale) return { status: 'skipped', reason: stale };
  if (holdoutBucket(profile.id, campaignId) < campaign.holdoutPercent) {
    return {
      status: 'held-out',
      reason: `holdout: ${campaign.holdoutPercent}% of customers do not receive this campaign`,
    };
  }
  if (campaign.category === 'service') return { status: 'queued' };
  // Quiet hours keep unprompted email out of the night; an answer to something the customer has
  // just done (within the hour) finds them awake, so it goes at once. Caps apply either way.
  const justActed = trigger.kind === 'event' && Date.parse(trigger.now) - Date.parse(trigger.at) <= HOUR_MS;
  const window = earliestSendTime(profile, trigger.now, settings.policy, { quietHours: !justActed });
  if (window.at === trigger.now) return { status: 'queued' };
  const staleThen = staleness(trigger, window.at, settings);
  if (staleThen)
    return {
      status: 'skipped',
      reason: `${window.reasons.join('; ')}: it would be ${staleThen.replace(/^stale: /, '')} by ${window.at}`,
    };
  return { status: 'deferred', reason: window.reasons.join('; '), sendAt: window.at };
}

/** Why the customer's consent rules this email out, or undefined when it does not. */
export function consentRefusal(profile: Profile, campaignId: CampaignId, category: 'marketing' | 'service') {
  const consent = profile.consent;
  if (!consent) return undefined;
  const since = `(${consent.source}, ${consent.changedAt})`;
  if (category === 'marketing' && !consent.marketing) return `unsubscribed from marketing ${since}`;
  if (category === 'marketing' && consent.optedOut.includes(campaignId))
    return `opted out of ${campaignId} ${since}`;
  if (category === 'service' && !consent.service) return `opted out of service email ${since}`;
  return undefined;
}

/** Why a message sent at `at` would be stale, or undefined when it would not. */
function staleness(trigger: Trigger, at: string, settings: EngineSettings) {
  const lateMs = Date.parse(at) - Date.parse(trigger.at);
  if (trigger.kind === 'event' && lateMs > settings.freshnessHours * HOUR_MS) {
    return `stale: the event is ${Math.floor(lateMs / HOUR_MS)} hours old (limit ${settings.freshnessHours})`;
  }
  if (trigger.kind === 'timer' && lateMs > settings.staleTimerDays * DAY_MS) {
    return `stale: the timer fired ${Math.floor(lateMs / DAY_MS)} days after it fell due (limit ${settings.staleTimerDays})`;
  }
  return undefined;
}

/** Marks the latest occurrence of each campaign converted when this order or visit is inside its window. */
function convert(
  profile: Profile,
  campaigns: CampaignId[],
  trigger: Trigger,
  settings: EngineSettings,
  effects: Effect[],
): Profile {
  let next = profile;
  for (const campaignId of campaigns) {
    const history = next.campaigns[campaignId];
    if (!history?.lastAt || !reached(history.lastStatus) || history.lastConvertedAt) continue;
    const sinceMs = Date.parse(trigger.at) - Date.parse(history.lastAt);
    if (sinceMs < 0 || sinceMs > settings.campaigns[campaignId].conversionWindowDays * DAY_MS) continue;
    effects.push({
      type: 'conversion',
      campaignId,
      occurrence: history.count,
      at: trigger.at,
      by: trigger.id,
    });
    next = {
      ...next,
      campaigns: { ...next.campaigns, [campaignId]: { ...history, lastConvertedAt: trigger.at } },
    };
  }
  return next;
}

/** Messages that count for conversion: those meant to reach the customer, and the held-out ones. */
function reached(status: CampaignHistory['lastStatus']) {
  return status === 'queued' || status === 'deferred' || status === 'held-out';
}

/** An order paid with a campaign's offer code converts that campaign's message, whenever it comes. */
function couponConversion(profile: Profile, order: OrderFact, trigger: Trigger, effects: Effect[]): Profile {
  if (!order.coupon) return profile;
  for (const [campaignId, history] of Object.entries(profile.campaigns) as [CampaignId, CampaignHistory][]) {
    if (!history.offerCode || !sameCode(history.offerCode, order.coupon) || history.lastConvertedAt) continue;
    effects.push({
      type: 'conversion',
      campaignId,
      occurrence: history.count,
      at: trigger.at,
      by: trigger.id,
    });
    return {
      ...profile,
      campaigns: { ...profile.campaigns, [campaignId]: { ...history, lastConvertedAt: trigger.at } },
    };
  }
  return profile;
}

/** Any order from deterioration or termination converts the win-back that preceded it. */
function winBackConversion(profile: Profile, trigger: Trigger, effects: Effect[]): Profile {
  const history = profile.campaigns['win-back'];
  if (!history?.lastAt || !reached(history.lastStatus) || history.lastConvertedAt) return profile;
  if (trigger.at < history.lastAt) return profile;
  effects.push({
    type: 'conversion',
    campaignId: 'win-back',
    occurrence: history.count,
    at: trigger.at,
    by: trigger.id,
  });
  return {
    ...profile,
    campaigns: { ...profile.campaigns, 'win-back': { ...history, lastConvertedAt: trigger.at } },
  };
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
