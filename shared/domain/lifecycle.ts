/**
 * The lifecycle engine: the one place where rules live.
 *
 *   decide(profile, input, settings) -> { profile, effects }
 *
 * An input is a customer event, the timers of a sweep, a consent change, an email opened or
 * clicked, or a re-evaluation. The engine applies the customer's facts (traits, visits, orders,
 * refunds), the lifecycle's stage rules (settings: at risk, ended), every segment, and every
 * journey (data, run by journey-runner.ts), in that order, and answers the new profile with what
 * it decided: stage changes, segment entries and exits, journey steps, emails, conversions. Pure:
 * it reads time only from its input (the event's corrected timestamp and the time ingest received
 * it, or the sweep's "now"), never from the wall clock, so replaying history gives the same
 * answer. Stage changes made by timers are dated at the due time, so history reads true.
 */
import {
  FEEDBACK_GIVEN,
  type FeedbackInput,
  feedbackDueAt,
  type ReplyInput,
  settleFeedback,
  withFeedbackClick,
  withReply,
} from './answers.ts';
import { type BroadcastSend, decideBroadcast } from './broadcasts.ts';
import { earliest } from './conditions.ts';
import { type Impression, impressionPolicyOf, withImpressions } from './impressions.ts';
import {
  type ConversionEffect,
  type Happening,
  type JourneyEffect,
  journeysDueAt,
  runJourneys,
} from './journey-runner.ts';
import type { MessageEffect, MessageStatus } from './messages.ts';
import {
  type ConsentSource,
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
import type { EngineSettings, Meaning } from './rules.ts';
import { boundedProperties, type CustomerEvent } from './segment.ts';
import { evaluateSegments } from './segments.ts';
import { type LoggedEvent, mergedSignals, withEvent } from './signals.ts';
import { dueBucket, nextDueAt, type TimerKind, type TimerSettings, timersOf } from './timers.ts';

export type { ConversionEffect, JourneyEffect, MessageEffect, MessageStatus };

export type EngineInput =
  | { kind: 'event'; event: CustomerEvent }
  /** A sweep found the customer due: fire every timer, wait and time-relative truth due at `now`. */
  | { kind: 'timers'; messageId: string; now: string }
  /** The customer changed what they receive (unsubscribe link, preference page, complaint). */
  | ConsentInput
  /** A rating or reason clicked in an email or posted on a page (settles into `Feedback Given`). */
  | FeedbackInput
  /** A reply to one of our emails (becomes `Email Replied`). */
  | ReplyInput
  /** The customer opened or clicked one of our emails (SES feedback). */
  | { kind: 'engagement'; messageId: string; at: string; action: 'open' | 'click'; campaignId?: string }
  /** The definitions changed (a segment saved or deleted, a model fitted): evaluate the customer again at `now`. */
  | { kind: 'evaluate'; messageId: string; now: string }
  /** A broadcast's send reached the customer: their email of it, if they are a recipient. */
  | {
      kind: 'broadcast';
      messageId: string;
      now: string;
      broadcast: BroadcastSend;
      /** The broadcast's pace: this email's slot, not before which it goes. */
      notBefore?: string;
    };

export interface ConsentInput {
  kind: 'consent';
  messageId: string;
  at: string;
  source: ConsentSource;
  marketing?: boolean;
  optedOut?: string[];
  service?: boolean;
}

export interface StageEffect {
  type: 'stage-changed';
  from: Stage | null;
  to: Stage;
  at: string;
  triggeredBy: string;
  /** A stage rule's timer made it (rather than an order or a consent). */
  byTimer?: boolean;
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

/** The customer answered: an event the engine made from their answer (published for webhooks). */
export interface AnsweredEffect {
  type: 'answered';
  event: string;
  at: string;
  properties: Record<string, unknown>;
  triggeredBy: string;
}

export type Effect =
  | AnsweredEffect
  | MessageEffect
  | StageEffect
  | ConversionEffect
  | TimerEffect
  | SegmentEffect
  | JourneyEffect;

export interface Decision {
  profile: Profile;
  effects: Effect[];
}

/** A sweep fires at most this many stage timers for one customer (at risk, then ended). */
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
  return input.kind === 'timers' || input.kind === 'evaluate' || input.kind === 'broadcast'
    ? input.now
    : input.at;
}

/** The engine's "now" for an input: when ingest received an event, the sweep's time, ... */
export function inputNow(input: EngineInput): string {
  return input.kind === 'event' ? input.event.receivedAt : inputTime(input);
}

/**
 * Applies one input. `profile` is undefined for a customer seen for the first time. An answer
 * that settles (a rating whose prefetch window passed, a reply) is then applied as the event it
 * becomes, in the same decision.
 */
export function decide(
  current: Profile | undefined,
  customerId: string,
  input: EngineInput,
  settings: EngineSettings,
): Decision {
  const answers: CustomerEvent[] = [];
  let base = current;
  if (current && input.kind === 'reply') {
    const replied = withReply(current, input);
    base = replied.profile;
    answers.push(replied.event);
  }
  let decision = decideOne(base, customerId, input, settings);
  if (current && (input.kind === 'feedback' || input.kind === 'timers' || input.kind === 'evaluate')) {
    const settled = settleFeedback(decision.profile, inputNow(input));
    decision = { ...decision, profile: settled.profile };
    answers.push(...settled.events);
  }
  for (const event of answers) {
    const next = decideOne(decision.profile, customerId, { kind: 'event', event }, settings);
    const answered: AnsweredEffect = {
      type: 'answered',
      event: event.event ?? '',
      at: event.timestamp,
      properties: event.properties ?? {},
      triggeredBy: inputId(input),
    };
    decision = { profile: next.profile, effects: [...decision.effects, answered, ...next.effects] };
  }
  return decision;
}

function decideOne(
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
  } else if (input.kind === 'feedback' || input.kind === 'reply') {
    // Answering an email is engaging with it, as a click is.
    const clicked = input.campaignId
      ? applyEngagement(current, { ...input, kind: 'engagement', action: 'click' })
      : current;
    profile = input.kind === 'feedback' ? withFeedbackClick(clicked, input) : clicked;
  } else {
    profile = current;
  }
  profile = withImpressions(profile, impressionsFrom(current, input, settings));
  const segmentsDueBefore = current?.segmentsDueAt;
  // An order already known (reported again under a new messageId) starts no journey run.
  const repeatedOrder =
    input.kind === 'event' &&
    meaningOf(input.event, settings) === 'order' &&
    hasOrder(current?.orders ?? [], orderFrom(input.event).orderId);
  const now = inputNow(input);
  // Time moves on the clock's inputs only (the dispatcher's sweeps, re-evaluations): an event,
  // consent or engagement applied after a due time passed is judged just before it, and what
  // falls due (a wait ending, a segment's window closing) happens at the sweep a minute later.
  // So what customers receive does not depend on whether an event or the sweep came first.
  const clock =
    input.kind !== 'timers' && input.kind !== 'evaluate' && current?.nextDueAt && current.nextDueAt <= now
      ? new Date(Date.parse(current.nextDueAt) - 1).toISOString()
      : now;
  profile = withSegments(withStageHistory(profile, effects), input, settings, effects, clock);
  const happening: Happening = {
    inputId: inputId(input),
    now: clock,
    ...(input.kind === 'event' ? { event: input.event } : {}),
    ...(current ? { stageBefore: current.stage } : {}),
    stagesEntered: effects.flatMap((effect) =>
      effect.type === 'stage-changed' ? [{ stage: effect.to, at: effect.at, byTimer: !!effect.byTimer }] : [],
    ),
    // A segment entered because time passed took effect when its truth changed (the due time),
    // one entered because of an event, when the event happened.
    segmentsEntered: effects.flatMap((effect) =>
      effect.type === 'segment-changed' && effect.change === 'entered'
        ? [
            input.kind === 'event'
              ? { segment: effect.segment, at: input.event.timestamp, byTimer: false }
              : {
                  segment: effect.segment,
                  at: segmentsDueBefore && segmentsDueBefore <= clock ? segmentsDueBefore : clock,
                  byTimer: true,
                },
          ]
        : [],
    ),
    reevaluation: input.kind === 'evaluate',
    repeatedOrder,
    byClock: input.kind === 'timers' || input.kind === 'evaluate',
  };
  profile = runJourneys(profile, happening, settings, effects);
  if (input.kind === 'broadcast')
    profile = decideBroadcast(profile, input.broadcast, now, input.notBefore, settings, effects, current);
  return { profile: withNextDue(profile, settings, now), effects };
}

function applyEngagement(profile: Profile, input: Extract<EngineInput, { kind: 'engagement' }>): Profile {
  let next =
    input.action === 'click'
      ? { ...profile, lastClickAt: later(profile.lastClickAt ?? input.at, input.at) }
      : profile;
  const history = input.campaignId ? next.campaigns[input.campaignId] : undefined;
  if (input.campaignId && history) {
    const field = input.action === 'click' ? 'lastClickedAt' : 'lastOpenedAt';
    next = {
      ...next,
      campaigns: {
        ...next.campaigns,
        [input.campaignId]: { ...history, [field]: later(history[field] ?? input.at, input.at) },
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
  now: string,
): Profile {
  const { segments } = settings;
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
  if (Object.keys(properties).length > 0)
    logged.properties = boundedProperties(properties, MAX_LOGGED_PROPERTIES_BYTES);
  return logged;
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

/**
 * The impressions an input leaves beyond the profile's facts (impressions.ts counts orders,
 * refunds and visit days from the facts themselves): a click in our email and a high rating are
 * good; a complaint, a low rating, leaving a journey or all marketing, and the events the policy
 * names are bad.
 */
function impressionsFrom(
  current: Profile | undefined,
  input: EngineInput,
  settings: EngineSettings,
): Impression[] {
  const rules = impressionPolicyOf(settings.policy);
  if (input.kind === 'engagement')
    return input.action === 'click' ? [{ at: input.at, kind: 'good', what: 'clicked our email' }] : [];
  if (input.kind === 'consent') {
    const before = current?.consent ?? { marketing: true, optedOut: [] as string[] };
    if (input.source === 'complaint')
      return [{ at: input.at, kind: 'bad', what: 'marked our email as spam' }];
    if (input.marketing === false && before.marketing)
      return [{ at: input.at, kind: 'bad', what: 'unsubscribed from marketing' }];
    return (input.optedOut ?? [])
      .filter((journey) => !before.optedOut.includes(journey))
      .map((journey) => ({ at: input.at, kind: 'bad' as const, what: `left ${journey}` }));
  }
  if (input.kind !== 'event') return [];
  const { event } = input;
  const at = event.timestamp;
  // Orders, refunds and visit days are impressions by themselves (impressions.ts reads the facts).
  if (meaningOf(event, settings)) return [];
  const name = event.type === 'track' ? event.event : undefined;
  if (!name) return [];
  if (name === FEEDBACK_GIVEN) {
    const { question, score } = event.properties ?? {};
    if (typeof score !== 'number' || (question !== 'csat' && question !== 'nps')) return [];
    const what = `${question.toUpperCase()} ${score} of ${question === 'csat' ? 5 : 10}`;
    const high = question === 'csat' ? score >= 4 : score >= 9;
    const low = question === 'csat' ? score <= 2 : score <= 6;
    return high ? [{ at, kind: 'good', what }] : low ? [{ at, kind: 'bad', what }] : [];
  }
  if (rules.badEvents.includes(name)) return [{ at, kind: 'bad', what: name }];
  if (rules.goodEvents.includes(name)) return [{ at, kind: 'good', what: name }];
  return [];
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
 * The earliest of the customer's stage timers, journeys' waits and the times their segments may
 * change, with its bucket in the due index as seen from `now` (timers.ts `dueBucket`).
 */
export function withNextDue(
  profile: Profile,
  settings: TimerSettings & Pick<EngineSettings, 'journeys'>,
  now: string,
): Profile {
  const due = earliest([
    nextDueAt(profile, settings),
    profile.segmentsDueAt,
    journeysDueAt(profile, settings as EngineSettings, now),
    feedbackDueAt(profile, now),
  ]);
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
  profile = withPlatformConsent(profile, event, traits, effects);
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

  switch (meaningOf(event, settings)) {
    case 'visit':
      profile = {
        ...profile,
        visitCount: profile.visitCount + 1,
        lastVisitAt: profile.lastVisitAt ? later(profile.lastVisitAt, event.timestamp) : event.timestamp,
        visitDays: withVisitDays(profile.visitDays, [dayOf(event.timestamp)]),
      };
      break;
    case 'order':
      profile = applyOrder(profile, event, effects);
      break;
    case 'refund':
      profile = applyRefund(profile, event);
      break;
    default:
      break;
  }
  return profile;
}

/**
 * A shop platform's marketing consent (its checkbox, mapped onto a `marketingConsent` trait): a
 * customer who did not accept marketing gets only service email, and gets marketing once they
 * accept there; `Marketing Unsubscribed` from the platform is an unsubscribe, as our own link is.
 * An older report never overrides a newer choice.
 */
function withPlatformConsent(
  profile: Profile,
  event: CustomerEvent,
  traits: Record<string, unknown>,
  effects: Effect[],
): Profile {
  const source = event.context?.source as { kind?: unknown } | undefined;
  const fromPlatform =
    source?.kind === 'shopify' || source?.kind === 'woocommerce' || source?.kind === 'stripe';
  const before = profile.consent;
  if (!fromPlatform || (before && before.changedAt > event.timestamp)) return profile;
  if (event.type === 'track' && event.event === 'Marketing Unsubscribed')
    return applyConsent(
      profile,
      {
        kind: 'consent',
        messageId: event.messageId,
        at: event.timestamp,
        source: 'platform',
        marketing: false,
      },
      effects,
    );
  const accepted = traits.marketingConsent;
  if (typeof accepted !== 'boolean' || accepted === (before?.marketing ?? true)) return profile;
  // Accepting again counts only where the platform had said no: never over our own unsubscribe.
  if (accepted && before?.source !== 'platform') return profile;
  return {
    ...profile,
    consent: {
      marketing: accepted,
      optedOut: before?.optedOut ?? [],
      service: before?.service ?? true,
      changedAt: event.timestamp,
      source: 'platform',
    },
  };
}

/** Segment lets any call carry the user's traits in `context.traits`. */
function contextTraits(event: CustomerEvent): Record<string, unknown> {
  const traits = event.context?.traits;
  return traits && typeof traits === 'object' && !Array.isArray(traits)
    ? (traits as Record<string, unknown>)
    : {};
}

/** An order: the fact, and the stage it implies (any order ends a lapse: the customer is back). */
function applyOrder(profile: Profile, event: CustomerEvent, effects: Effect[]): Profile {
  const order = orderFrom(event);
  const isNew = !hasOrder(profile.orders, order.orderId);
  const orders = withOrder(profile.orders, order);
  if (!orders) return profile;
  const next: Profile = { ...profile, orders };
  // The same order id again (a client retry under a new messageId) is not a new order: at most
  // an earlier report of it corrects its time.
  if (!isNew) return next;
  const wasQuiet = next.stage === 'deterioration' || next.stage === 'termination';
  const stage = wasQuiet ? { to: 'continuation' as const, at: order.at } : stageAfterOrders(next);
  if (!stage || stage.to === next.stage) return next;
  effects.push({
    type: 'stage-changed',
    from: next.stage,
    to: stage.to,
    at: stage.at,
    triggeredBy: event.messageId,
  });
  return { ...next, stage: stage.to, stageChangedAt: stage.at };
}

function applyRefund(profile: Profile, event: CustomerEvent): Profile {
  const properties = event.properties ?? {};
  const orderId = stringOf(properties.order_id ?? properties.orderId);
  // Without a stated amount the refunded order's revenue counts, looked up when summarizing, so
  // a refund that arrives before its order still adds up right.
  const amount = numberOf(properties.total ?? properties.revenue ?? properties.value);
  const source = sourceNameOf(event);
  const refund = {
    at: event.timestamp,
    ...(amount !== undefined ? { amount: roundMoney(amount) } : {}),
    ...(orderId ? { orderId } : {}),
    ...(source ? { source } : {}),
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

/** Fires the stage rules' timers due by `now`: at risk, then ended; each dated at its due time. */
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
    const to: Stage = timer.kind === 'at-risk' ? 'deterioration' : 'termination';
    effects.push({
      type: 'stage-changed',
      from: next.stage,
      to,
      at: timer.dueAt,
      triggeredBy: input.messageId,
      byTimer: true,
    });
    next = { ...next, stage: to, stageChangedAt: timer.dueAt };
  }
  return next;
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
  const source = sourceNameOf(event);
  if (source) order.source = source;
  return order;
}

/** The name of the source an event came through (`context.source`, set by ingest and the platforms' webhooks). */
function sourceNameOf(event: CustomerEvent): string | undefined {
  const source = event.context?.source;
  if (!source || typeof source !== 'object' || Array.isArray(source)) return undefined;
  return stringOf((source as Record<string, unknown>).name)?.slice(0, 100);
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
