/**
 * The journey interpreter: called by `decide` for every input, after the customer's facts,
 * stage and segments are up to date. For each journey it counts conversions, moves the customers
 * inside on (a wait that fell due, an awaited event, an exit condition), and starts customers
 * whose entry this input triggered. A customer's position in each journey lives on the profile
 * (`journeys`), so it moves only here, in the same decision and commit as everything else.
 *
 * Time: a step begins when the step before it ended (`since`), not when the engine got round to
 * it, so a wait of 60 days after an order placed on day 0 ends on day 60 whenever the event was
 * received; an email whose step began long before it is decided is judged stale (messages.ts).
 */

import { earliest, evaluate, matchesWhere, percentBucket } from './conditions.ts';
import { nextLocalTime, timezoneOf } from './contact-policy.ts';
import { impressionHold } from './impressions.ts';
import {
  type Conversion,
  durationMs,
  type Entry,
  type JourneyDefinition,
  nextPath,
  type Step,
  type StepPath,
  stepAt,
} from './journeys.ts';
import { decideMessage, type MessageEffect, refusalOf, staleDeadline, type Trigger } from './messages.ts';
import { sameCode } from './offers.ts';
import { type CampaignHistory, DAY_MS, later, type Profile, type Stage, withTraits } from './profile.ts';
import type { EngineSettings } from './rules.ts';
import { boundedProperties, type CustomerEvent } from './segment.ts';
import { expectedDaysBetweenPurchases } from './timers.ts';

/** The most of its entry event's properties a journey keeps for its templates (a cart of ~50 items). */
export const MAX_JOURNEY_EVENT_BYTES = 16 * 1024;

/** Where a customer stands in one journey. */
export interface JourneyState {
  /** The version of the journey they entered (they finish on it). */
  version: number;
  /** The step they are at; absent once they left. */
  path?: StepPath;
  /** When the current step began (logical time: when the step before it ended). */
  since?: string;
  /** The current wait (or an awaited event's time-out) ends then. */
  until?: string;
  /** What the current run answers: an event (quiet hours and freshness for events apply) or time. */
  kind?: 'event' | 'timer';
  /** How many times they entered, and when they last did and last left. */
  entries: number;
  enteredAt?: string;
  leftAt?: string;
  /** Why they last left: finished, an exit step, exitWhen, the journey was disabled. */
  leftBecause?: 'finished' | 'exit' | 'exitWhen' | 'disabled';
  /** The event that started the current run, for its templates. */
  event?: { name: string; properties?: Record<string, unknown> };
  /** Why the customer waits at a marketing email: a negative impression balance. */
  heldBecause?: string;
  /** The steps passed in the current run (their paths), for per-step numbers. */
  passed?: string[];
}

export interface JourneyEffect {
  type: 'journey';
  journey: string;
  change: 'entered' | 'left';
  at: string;
  because?: JourneyState['leftBecause'];
}

export interface ConversionEffect {
  type: 'conversion';
  campaignId: string;
  occurrence: number;
  at: string;
  by: string;
}

type Effect = MessageEffect | ConversionEffect | JourneyEffect | { type: string };

/** What happened in this decision that journeys react to. */
export interface Happening {
  inputId: string;
  /** The engine's now. */
  now: string;
  /** The event applied, if the input was one. */
  event?: CustomerEvent | undefined;
  /** The stage before the input was applied (conversions that count only from some stages). */
  stageBefore?: Stage | undefined;
  /** Stage changes made in this decision, with the time each took effect. */
  stagesEntered: { stage: Stage; at: string; byTimer: boolean }[];
  /** Segments entered in this decision, with the time the truth changed. */
  segmentsEntered: { segment: string; at: string; byTimer: boolean }[];
  /** A re-evaluation (a definitions change): it moves customers on, but starts nobody. */
  reevaluation: boolean;
  /** The event repeats an order already known: it starts nobody. */
  repeatedOrder?: boolean;
  /**
   * The input is the clock's (a sweep or a re-evaluation): only then do waits that have ended move
   * on. An event that finds a wait already over (a backfill of old history) leaves it for the sweep
   * a minute later, by when the rest of the history has arrived.
   */
  byClock: boolean;
}

/** The most steps one decision walks in one journey (a guard against a loop of instant steps). */
const MAX_STEPS_PER_DECISION = 200;

export function runJourneys(
  profile: Profile,
  happening: Happening,
  settings: EngineSettings,
  effects: Effect[],
): Profile {
  let next = reanchored(profile);
  for (const journey of settings.journeys.published) {
    next = convert(next, journey, happening, effects);
  }
  // A broadcast's email converts by the rule it carried.
  for (const [id, history] of Object.entries(next.campaigns)) {
    if (history.conversion) next = convert(next, { id, conversion: history.conversion }, happening, effects);
  }
  const published = new Set<string>();
  for (const journey of settings.journeys.published) {
    published.add(journey.id);
    const state = next.journeys?.[journey.id];
    if (state?.path) next = moveOn(next, state, journey, happening, settings, effects);
    next = maybeEnter(next, journey, happening, settings, effects);
  }
  // A journey deleted while customers were inside: they leave it.
  for (const [id, state] of Object.entries(next.journeys ?? {})) {
    if (state.path && !published.has(id)) next = leave(next, id, state, happening.now, 'disabled', effects);
  }
  return next;
}

/**
 * A run started by an order keeps time with the order: when a repeat of the order reports an
 * earlier time (the order's fact moves back), the run's clock moves back with it, so its waits end
 * as they would have had the reports come the other way round.
 */
function reanchored(profile: Profile): Profile {
  let journeys = profile.journeys;
  for (const [id, state] of Object.entries(profile.journeys ?? {})) {
    const orderId = state.event?.properties?.order_id ?? state.event?.properties?.orderId;
    if (!state.path || !state.enteredAt || typeof orderId !== 'string') continue;
    const order = profile.orders.find((candidate) => candidate.orderId === orderId.trim());
    if (!order || order.at >= state.enteredAt) continue;
    const shift = Date.parse(state.enteredAt) - Date.parse(order.at);
    const back = (time: string | undefined) =>
      time ? new Date(Date.parse(time) - shift).toISOString() : undefined;
    const since = back(state.since);
    const until = back(state.until);
    journeys = {
      ...journeys,
      [id]: { ...state, enteredAt: order.at, ...(since ? { since } : {}), ...(until ? { until } : {}) },
    };
  }
  return journeys === profile.journeys ? profile : { ...profile, journeys };
}

/** The earliest time a journey moves on its own: a wait ending, an awaited event timing out, a date entry. */
export function journeysDueAt(profile: Profile, settings: EngineSettings, now: string): string | undefined {
  const times: (string | undefined)[] = [];
  for (const state of Object.values(profile.journeys ?? {})) if (state.path) times.push(state.until);
  for (const journey of settings.journeys.published) {
    if (journey.enabled && 'date' in journey.entry) times.push(nextDateEntry(profile, journey.entry, now));
  }
  return earliest(times);
}

function definitionOf(settings: EngineSettings, id: string, version: number): JourneyDefinition | undefined {
  return settings.journeys.versions.get(`${id}@${version}`);
}

/** The customer inside: leave on exitWhen or a disabled journey, else take the steps that are due. */
function moveOn(
  profile: Profile,
  state: JourneyState,
  current: JourneyDefinition,
  happening: Happening,
  settings: EngineSettings,
  effects: Effect[],
): Profile {
  // They finish on the version they entered; a version no longer kept ends their run.
  const journey = definitionOf(settings, current.id, state.version);
  if (!journey) return leave(profile, current.id, state, happening.now, 'disabled', effects);
  if (!current.enabled && current.onDisable === 'exit')
    return leave(profile, journey.id, state, happening.now, 'disabled', effects);
  if (journey.exitWhen && holds(journey.exitWhen, profile, journey.id, happening.now, settings)) {
    return leave(profile, journey.id, state, happening.now, 'exitWhen', effects);
  }
  return walk(profile, { ...state }, journey, happening, settings, effects);
}

function holds(
  condition: NonNullable<JourneyDefinition['audience']>,
  profile: Profile,
  id: string,
  now: string,
  settings: EngineSettings,
) {
  return evaluate(condition, {
    profile,
    now,
    definitionId: id,
    model: settings.model,
    segment: (segment) => ({ value: !!profile.segments?.[segment] }),
  }).value;
}

/** Starts the customer on the journey when this decision triggers its entry and they may enter. */
function maybeEnter(
  profile: Profile,
  journey: JourneyDefinition,
  happening: Happening,
  settings: EngineSettings,
  effects: Effect[],
): Profile {
  if (!journey.enabled || happening.reevaluation) return profile;
  const state = profile.journeys?.[journey.id];
  if (state?.path) return profile; // inside already
  const trigger = entryTrigger(journey.entry, profile, state, happening);
  if (!trigger) return profile;
  const reentry = journey.reentry ?? 'never';
  if (state && state.entries > 0) {
    if (reentry === 'never') return profile;
    if (
      reentry !== 'always' &&
      state.enteredAt &&
      Date.parse(trigger.at) - Date.parse(state.enteredAt) < reentry.afterDays * DAY_MS
    )
      return profile;
  }
  if (journey.audience && !holds(journey.audience, profile, journey.id, happening.now, settings))
    return profile;
  const entered: JourneyState = {
    version: journey.version,
    path: [0],
    since: trigger.at,
    kind: trigger.kind,
    entries: (state?.entries ?? 0) + 1,
    enteredAt: trigger.at,
    passed: [],
    ...(trigger.event ? { event: trigger.event } : {}),
  };
  effects.push({ type: 'journey', journey: journey.id, change: 'entered', at: trigger.at });
  return walk(withState(profile, journey.id, entered), entered, journey, happening, settings, effects);
}

/** What in this decision starts the journey, if anything: when it happened, and the event to keep. */
function entryTrigger(
  entry: Entry,
  profile: Profile,
  state: JourneyState | undefined,
  happening: Happening,
): { at: string; kind: 'event' | 'timer'; event?: JourneyState['event'] } | undefined {
  const { event } = happening;
  if ('event' in entry) {
    const names = Array.isArray(entry.event) ? entry.event : [entry.event];
    if (!event || happening.repeatedOrder || !names.includes(nameOf(event))) return undefined;
    if (!matchesWhere(event.properties, entry.where, event.timestamp)) return undefined;
    return {
      at: event.timestamp,
      kind: 'event',
      event: {
        name: nameOf(event),
        // Kept on the profile and copied to each email's ledger entry: bounded for both.
        ...(event.properties
          ? { properties: boundedProperties(event.properties, MAX_JOURNEY_EVENT_BYTES) }
          : {}),
      },
    };
  }
  if ('stageEntered' in entry) {
    const change = happening.stagesEntered.find((candidate) => candidate.stage === entry.stageEntered);
    return change ? { at: change.at, kind: change.byTimer ? 'timer' : 'event' } : undefined;
  }
  if ('segmentEntered' in entry) {
    const change = happening.segmentsEntered.find((candidate) => candidate.segment === entry.segmentEntered);
    return change ? { at: change.at, kind: change.byTimer ? 'timer' : 'event' } : undefined;
  }
  // A yearly date: this year's occurrence, once it has come, if this run has not had it yet and
  // the date was known by then (a birthday told in June is not celebrated for last March).
  const occurrence = lastDateEntry(profile, entry, happening.now);
  if (!occurrence || (state?.enteredAt && state.enteredAt >= occurrence)) return undefined;
  const knownSince = (profile.traitTimes[entry.date.trait] ?? profile.firstSeenAt).slice(0, 10);
  if (occurrence.slice(0, 10) < knownSince) return undefined;
  return { at: occurrence, kind: 'timer' };
}

/** Walks the steps from where the customer is, until a step must wait or the run ends. */
function walk(
  profile: Profile,
  state: JourneyState,
  journey: JourneyDefinition,
  happening: Happening,
  settings: EngineSettings,
  effects: Effect[],
): Profile {
  let next = profile;
  const now = happening.now;
  for (let guard = 0; guard < MAX_STEPS_PER_DECISION; guard++) {
    const path = state.path;
    const step = path ? stepAt(journey.steps, path) : undefined;
    if (!path || !step) return leave(next, journey.id, state, now, 'finished', effects);
    const since = state.since ?? now;
    // The step is done: on to `to` (none: the run ends), the next step beginning at `at`.
    const done = (to: StepPath | undefined, at = since, kind = state.kind) => {
      const { until: _until, path: _path, heldBecause: _held, ...rest } = state;
      state = {
        ...rest,
        passed: [...(state.passed ?? []), path.join('.')].slice(-50),
        since: at,
        ...(kind ? { kind } : {}),
        ...(to ? { path: to } : {}),
      };
    };
    if ('wait' in step) {
      const until = state.until ?? waitEnd(step.wait, since, next, settings);
      if (until > now || !happening.byClock) return withState(next, journey.id, { ...state, until });
      done(nextPath(journey.steps, path), until, 'timer');
    } else if ('waitFor' in step) {
      const until =
        state.until ?? new Date(Date.parse(since) + durationMs(step.waitFor.timeout)).toISOString();
      const awaited = happening.event;
      if (
        awaited &&
        nameOf(awaited) === step.waitFor.event &&
        awaited.timestamp > since &&
        awaited.timestamp <= until &&
        matchesWhere(awaited.properties, step.waitFor.where, awaited.timestamp)
      ) {
        done(
          step.waitFor.then?.length ? [...path, 'then', 0] : nextPath(journey.steps, path),
          awaited.timestamp,
          'event',
        );
      } else if (until <= now && happening.byClock) {
        done(
          step.waitFor.timedOut?.length ? [...path, 'timedOut', 0] : nextPath(journey.steps, path),
          until,
          'timer',
        );
      } else {
        return withState(next, journey.id, { ...state, until });
      }
    } else if ('send' in step) {
      const trigger: Trigger = { id: happening.inputId, at: since, now, kind: state.kind ?? 'event' };
      // A negative impression balance holds marketing: the customer waits at the email until the
      // balance recovers (good impressions, or bad ones leaving the window), or it is skipped with
      // the reason once it would be stale.
      const hold =
        journey.category === 'marketing' && !refusalOf(next, journey)
          ? impressionHold(next, now, settings.policy)
          : undefined;
      const staleAt = hold ? staleDeadline(trigger, settings) : undefined;
      if (hold && staleAt && now < staleAt) {
        const until = earliest([hold.recoversAt, staleAt]) ?? staleAt;
        return withState(next, journey.id, { ...state, until, heldBecause: hold.reason });
      }
      next = decideMessage(
        next,
        {
          journey,
          template: step.send.template,
          offer: step.send.offer,
          event: state.event,
          step: path.join('.'),
        },
        trigger,
        settings,
        effects,
        hold?.reason,
      );
      done(nextPath(journey.steps, path));
    } else if ('branch' in step) {
      const taken = holds(step.branch.if, next, journey.id, now, settings)
        ? 'then'
        : step.branch.else?.length
          ? 'else'
          : undefined;
      done(taken && step.branch[taken]?.length ? [...path, taken, 0] : nextPath(journey.steps, path));
    } else if ('split' in step) {
      const inside = percentBucket(next.id, `${journey.id}:${path.join('.')}`) < step.split.percent;
      const taken = inside ? 'then' : step.split.else?.length ? 'else' : undefined;
      done(taken && step.split[taken]?.length ? [...path, taken, 0] : nextPath(journey.steps, path));
    } else if ('setTrait' in step) {
      next = withTraits(next, { [step.setTrait.name]: step.setTrait.value }, since);
      done(nextPath(journey.steps, path));
    } else if ('pauseMarketing' in step) {
      const until = new Date(Date.parse(since) + step.pauseMarketing.days * DAY_MS).toISOString();
      next = {
        ...next,
        marketingPausedUntil: next.marketingPausedUntil ? later(next.marketingPausedUntil, until) : until,
      };
      done(nextPath(journey.steps, path));
    } else {
      done(undefined);
      return leave(next, journey.id, state, now, 'exit', effects);
    }
  }
  return withState(next, journey.id, state);
}

function waitEnd(
  wait: Extract<Step, { wait: unknown }>['wait'],
  since: string,
  profile: Profile,
  settings: EngineSettings,
) {
  if ('untilLocalTime' in wait) {
    const zone = timezoneOf(profile, settings.policy) ?? 'UTC';
    return new Date(nextLocalTime(Date.parse(since), wait.untilLocalTime, zone)).toISOString();
  }
  const predicted = wait.predicted ? expectedDaysBetweenPurchases(settings.model) : undefined;
  const ms = predicted !== undefined ? predicted * DAY_MS : durationMs(wait);
  return new Date(Date.parse(since) + ms).toISOString();
}

function leave(
  profile: Profile,
  journeyId: string,
  state: JourneyState,
  at: string,
  because: NonNullable<JourneyState['leftBecause']>,
  effects: Effect[],
): Profile {
  const { path: _path, until: _until, since: _since, kind: _kind, event: _event, ...kept } = state;
  effects.push({ type: 'journey', journey: journeyId, change: 'left', at, because });
  return withState(profile, journeyId, { ...kept, leftAt: at, leftBecause: because });
}

function withState(profile: Profile, journeyId: string, state: JourneyState): Profile {
  return { ...profile, journeys: { ...profile.journeys, [journeyId]: state } };
}

/**
 * Conversions of the journey's latest email: the event its `conversion` names, within its window
 * (or, without one, while the stage lasts), from the stages it names; and any order paid with the
 * email's own offer code, whenever it comes.
 */
function convert(
  profile: Profile,
  journey: Pick<JourneyDefinition, 'id' | 'conversion'>,
  happening: Happening,
  effects: Effect[],
): Profile {
  const history = profile.campaigns[journey.id];
  const { event } = happening;
  if (!history?.lastAt || !reached(history.lastStatus) || history.lastConvertedAt || !event) return profile;
  const byCoupon = (() => {
    const coupon = event.properties?.coupon;
    return typeof coupon === 'string' && !!history.offerCode && sameCode(history.offerCode, coupon);
  })();
  if (!byCoupon && !(journey.conversion && converts(journey.conversion, history, happening))) return profile;
  effects.push({
    type: 'conversion',
    campaignId: journey.id,
    occurrence: history.count,
    at: event.timestamp,
    by: event.messageId,
  });
  return {
    ...profile,
    campaigns: { ...profile.campaigns, [journey.id]: { ...history, lastConvertedAt: event.timestamp } },
  };
}

function converts(conversion: Conversion, history: CampaignHistory, happening: Happening): boolean {
  const event = happening.event;
  if (!event || !history.lastAt) return false;
  const names = Array.isArray(conversion.event) ? conversion.event : [conversion.event];
  if (!names.includes(nameOf(event))) return false;
  if (!matchesWhere(event.properties, conversion.where, event.timestamp)) return false;
  if (conversion.stage && !(happening.stageBefore && conversion.stage.includes(happening.stageBefore)))
    return false;
  const sinceMs = Date.parse(event.timestamp) - Date.parse(history.from ?? history.lastAt);
  if (sinceMs < 0) return false;
  return conversion.withinDays === undefined || sinceMs <= conversion.withinDays * DAY_MS;
}

/** Messages that count for conversion: those meant to reach the customer, and the held-out ones. */
function reached(status: CampaignHistory['lastStatus']) {
  return status === 'queued' || status === 'deferred' || status === 'held-out';
}

/** An event by the name journeys use: a track by its own, `Page Viewed` and `Screen Viewed` for the rest. */
export function nameOf(event: CustomerEvent): string {
  if (event.type === 'track') return event.event ?? '';
  return event.type === 'page' ? 'Page Viewed' : event.type === 'screen' ? 'Screen Viewed' : event.type;
}

/** This year's occurrence of a yearly date entry (the trait's month and day, less `daysBefore`), if it has come. */
function lastDateEntry(
  profile: Profile,
  entry: Extract<Entry, { date: unknown }>,
  now: string,
): string | undefined {
  const occurrences = dateOccurrences(profile, entry, now);
  return occurrences.filter((time) => time <= now).at(-1);
}

function nextDateEntry(
  profile: Profile,
  entry: Extract<Entry, { date: unknown }>,
  now: string,
): string | undefined {
  return dateOccurrences(profile, entry, now).find((time) => time > now);
}

function dateOccurrences(profile: Profile, entry: Extract<Entry, { date: unknown }>, now: string): string[] {
  const value = profile.traits[entry.date.trait];
  if (typeof value !== 'string') return [];
  const match = /^(\d{4})?-?(\d{2})-(\d{2})/.exec(value.replace(/^--/, '0000-'));
  if (!match) return [];
  const month = Number(match[2]);
  const day = Number(match[3]);
  const year = new Date(now).getUTCFullYear();
  return [year - 1, year, year + 1].map((y) =>
    new Date(Date.UTC(y, month - 1, day) - (entry.date.daysBefore ?? 0) * DAY_MS).toISOString(),
  );
}
