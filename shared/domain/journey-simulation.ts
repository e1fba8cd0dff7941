/**
 * A journey tried on a made-up customer, through the real engine (`decide`) and nothing else:
 * the events given, and the timers they lead to, in time order, with the journey's entries,
 * waits, emails and exits as a timeline. Nothing is stored. The admin API's test, the console's
 * editor and `npm run definitions -- test` all run journeys here.
 */
import * as z from 'zod';
import type { Problem } from './conditions.ts';
import { nameOf } from './journey-runner.ts';
import { conditionsOf, durationMs, durationSchema, type JourneyDefinition } from './journeys.ts';
import { decide, type Effect, type EngineInput } from './lifecycle.ts';
import { DAY_MS, type Profile } from './profile.ts';
import type { EngineSettings } from './rules.ts';
import { type CustomerEvent, parseEvent } from './segment.ts';
import { compileSegments, type SegmentDefinition } from './segments.ts';

export const TEST_CUSTOMER = 'test-customer';
const START = '2026-01-05T09:00:00.000Z';
/** How long after the last event the simulation follows the customer (the journey's longest waits). */
const DEFAULT_HORIZON_DAYS = 400;
/** The most inputs one simulation applies (events and timers): a guard, never reached by a sane journey. */
const MAX_INPUTS = 2_000;

const simulatedEvent = z.looseObject({
  type: z.enum(['track', 'page', 'screen', 'identify']).default('track'),
  event: z.string().min(1).max(512).optional(),
  properties: z.record(z.string(), z.unknown()).optional(),
  traits: z.record(z.string(), z.unknown()).optional(),
  /** When it happened; else `after` the event before it (or the start). */
  timestamp: z.iso.datetime({ offset: true }).optional(),
  after: durationSchema.optional(),
});

export const simulationSchema = z.strictObject({
  /** The made-up customer's traits (an email address is made up when none is given). */
  traits: z.record(z.string(), z.unknown()).optional(),
  events: z.array(simulatedEvent).min(1, 'needs at least one event').max(200),
  /** Follow the customer until then (default: 400 days after the last event). */
  until: z.iso.datetime({ offset: true }).optional(),
  /** Let the made-up customer fall in the journey's holdout as a real one may (default: never held out). */
  holdout: z.boolean().optional(),
});
export type SimulationRequest = z.input<typeof simulationSchema>;

export type TimelineEntry =
  | { at: string; kind: 'event'; name: string }
  | { at: string; kind: 'entered'; version: number }
  | { at: string; kind: 'waiting'; step: string; until: string }
  | {
      at: string;
      kind: 'email';
      step?: string;
      template: string;
      status: string;
      reason?: string;
      sendAt?: string;
      offerCode?: string;
    }
  | { at: string; kind: 'converted'; by: string }
  | { at: string; kind: 'left'; because: string }
  | { at: string; kind: 'stage'; stage: string };

export interface Simulation {
  timeline: TimelineEntry[];
  /** The customer as the engine left them (their traits, stage, journeys). */
  profile: Pick<Profile, 'stage' | 'traits' | 'journeys' | 'segments'>;
}

/** The engine's settings with `journey` the only journey, on, for the simulated customer. */
export function settingsWith(
  journey: JourneyDefinition,
  segments: readonly SegmentDefinition[],
  base: EngineSettings,
  options: { holdout?: boolean | undefined } = {},
): EngineSettings {
  // A test is about what the journey does: its holdout only when asked for.
  const on = { ...journey, enabled: true, ...(options.holdout ? {} : { holdoutPercent: 0 }) };
  return {
    ...base,
    journeys: { published: [on], versions: new Map([[`${on.id}@${on.version}`, on]]) },
    segments: compileSegments(segments, conditionsOf(on)),
  };
}

/** Parses a simulation request, naming the field of each problem. */
export function parseSimulation(
  input: unknown,
):
  | { ok: true; events: CustomerEvent[]; request: z.infer<typeof simulationSchema> }
  | { ok: false; problems: Problem[] } {
  const parsed = simulationSchema.safeParse(input);
  if (!parsed.success) {
    return {
      ok: false,
      problems: parsed.error.issues.map((issue) => ({
        field:
          issue.path
            .map((part) => (typeof part === 'number' ? `[${part}]` : `.${String(part)}`))
            .join('')
            .replace(/^\./, '') || 'body',
        message: issue.message,
      })),
    };
  }
  const problems: Problem[] = [];
  const events: CustomerEvent[] = [];
  let previous = Date.parse(START);
  parsed.data.events.forEach((raw, index) => {
    const { after, timestamp, ...event } = raw;
    if (event.type === 'track' && !event.event) {
      problems.push({ field: `events[${index}].event`, message: 'a track event needs its name' });
      return;
    }
    const at = timestamp ? Date.parse(timestamp) : previous + (after ? durationMs(after) : 0);
    previous = at;
    const time = new Date(at);
    const result = parseEvent(
      { messageId: `test-${index}`, ...event, userId: TEST_CUSTOMER, timestamp: time.toISOString() },
      { index, where: `events[${index}]`, receivedAt: time },
    );
    if (result.ok) events.push(result.event);
    else problems.push({ field: `events[${index}]`, message: result.rejection.error });
  });
  return problems.length > 0 ? { ok: false, problems } : { ok: true, events, request: parsed.data };
}

/** Runs the events (sorted by time) and the timers between and after them through `decide`. */
export function simulate(
  journey: JourneyDefinition,
  events: readonly CustomerEvent[],
  options: { traits?: Record<string, unknown>; until?: string },
  settings: EngineSettings,
): Simulation {
  const ordered = [...events].sort((a, b) =>
    a.timestamp < b.timestamp ? -1 : a.timestamp > b.timestamp ? 1 : 0,
  );
  const first = ordered[0]?.timestamp ?? START;
  const last = ordered.at(-1)?.timestamp ?? START;
  const end = options.until ?? new Date(Date.parse(last) + DEFAULT_HORIZON_DAYS * DAY_MS).toISOString();
  const timeline: TimelineEntry[] = [];
  // The made-up customer is known (an address, consent as a new subscriber has it) before the first event.
  const identify: CustomerEvent = {
    type: 'identify',
    messageId: 'test-identify',
    userId: TEST_CUSTOMER,
    timestamp: new Date(Date.parse(first) - 1).toISOString(),
    receivedAt: new Date(Date.parse(first) - 1).toISOString(),
    traits: { email: 'test-customer@example.com', ...options.traits },
  };
  let profile: Profile | undefined;
  let inputs = 0;
  const apply = (input: EngineInput) => {
    const before = profile?.journeys?.[journey.id];
    const decision = decide(profile, TEST_CUSTOMER, input, settings);
    profile = decision.profile;
    record(timeline, decision.effects, journey.id, journey.version);
    const after = profile.journeys?.[journey.id];
    if (
      after?.path &&
      after.until &&
      (after.until !== before?.until || after.path.join('.') !== before?.path?.join('.'))
    ) {
      timeline.push({
        at: after.since ?? after.until,
        kind: 'waiting',
        step: after.path.join('.'),
        until: after.until,
      });
    }
    inputs++;
  };
  const fireUntil = (limit: string) => {
    while (profile?.nextDueAt && profile.nextDueAt <= limit && inputs < MAX_INPUTS) {
      apply({ kind: 'timers', messageId: `test-timers-${inputs}`, now: profile.nextDueAt });
    }
  };
  apply({ kind: 'event', event: identify });
  for (const event of ordered) {
    fireUntil(event.timestamp);
    if (inputs >= MAX_INPUTS) break;
    timeline.push({ at: event.timestamp, kind: 'event', name: nameOf(event) });
    apply({ kind: 'event', event });
  }
  fireUntil(end);
  const final = profile as Profile;
  return {
    timeline: timeline.sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0)),
    profile: {
      stage: final.stage,
      traits: final.traits,
      ...(final.journeys ? { journeys: final.journeys } : {}),
      ...(final.segments ? { segments: final.segments } : {}),
    },
  };
}

function record(timeline: TimelineEntry[], effects: readonly Effect[], journeyId: string, version: number) {
  for (const effect of effects) {
    if (effect.type === 'journey' && effect.journey === journeyId) {
      timeline.push(
        effect.change === 'entered'
          ? { at: effect.at, kind: 'entered', version }
          : { at: effect.at, kind: 'left', because: effect.because ?? 'finished' },
      );
    } else if (effect.type === 'message' && effect.campaignId === journeyId) {
      timeline.push({
        at: effect.decidedAt,
        kind: 'email',
        ...(effect.step ? { step: effect.step } : {}),
        template: effect.templateName,
        status: effect.status,
        ...(effect.reason ? { reason: effect.reason } : {}),
        ...(effect.sendAt ? { sendAt: effect.sendAt } : {}),
        ...(effect.offerCode ? { offerCode: effect.offerCode } : {}),
      });
    } else if (effect.type === 'conversion' && effect.campaignId === journeyId) {
      timeline.push({ at: effect.at, kind: 'converted', by: effect.by });
    } else if (effect.type === 'stage-changed') {
      timeline.push({ at: effect.at, kind: 'stage', stage: effect.to });
    }
  }
}

/** What a scenario expects (`definitions/journeys/<id>.test.yaml`): the emails, and how the run ends. */
export const expectationSchema = z.strictObject({
  emails: z
    .array(
      z.strictObject({
        template: z.string().min(1),
        /** Default: it goes (queued, or deferred to a later time). */
        status: z.enum(['sent', 'queued', 'deferred', 'held-out', 'skipped']).optional(),
        /** When it is decided, after the first event (checked to the minute). */
        after: durationSchema.optional(),
      }),
    )
    .optional(),
  left: z.enum(['finished', 'exit', 'exitWhen', 'disabled']).optional(),
});
export type Expectation = z.infer<typeof expectationSchema>;

/** Where a simulation differs from what a scenario expects: one line each, empty when it matches. */
export function differences(simulation: Simulation, expected: Expectation, start: string): string[] {
  const found: string[] = [];
  const emails = simulation.timeline.filter((entry) => entry.kind === 'email');
  const describe = (entry: (typeof emails)[number]) =>
    `${entry.template} (${entry.status}, +${Math.round((Date.parse(entry.at) - Date.parse(start)) / 60_000)} min)`;
  if (expected.emails) {
    if (emails.length !== expected.emails.length) {
      found.push(
        `expected ${expected.emails.length} email(s), got ${emails.length}: ${emails.map(describe).join(', ') || 'none'}`,
      );
    }
    expected.emails.forEach((want, index) => {
      const got = emails[index];
      if (!got) return;
      const goes = got.status === 'queued' || got.status === 'deferred';
      const statusOk =
        want.status === undefined ? goes : want.status === 'sent' ? goes : got.status === want.status;
      if (got.template !== want.template || !statusOk) {
        found.push(
          `email ${index + 1}: expected ${want.template} (${want.status ?? 'sent'}), got ${describe(got)}`,
        );
      } else if (want.after) {
        const minutes = Math.round((Date.parse(got.at) - Date.parse(start)) / 60_000);
        const wanted = Math.round(durationMs(want.after) / 60_000);
        if (minutes !== wanted)
          found.push(`email ${index + 1}: expected at +${wanted} min, got ${describe(got)}`);
      }
    });
  }
  if (expected.left) {
    const left = simulation.timeline.filter((entry) => entry.kind === 'left').at(-1);
    if (left?.because !== expected.left)
      found.push(
        `expected the run to end by ${expected.left}, ${left ? `it ended by ${left.because}` : 'it did not end'}`,
      );
  }
  return found;
}

/** How long after the window a backtest follows the runs that began in it (their waits and emails). */
export const BACKTEST_FOLLOW_DAYS = 30;

/**
 * What a journey would have done for one real customer over `from`..`to`: their logged events
 * (the event log keeps EVENT_RETENTION_DAYS) replayed through the engine with the journey alone,
 * as a made-up customer with their traits. Counts runs begun in the window, their emails (per
 * step) and conversions; names the counts so that a job adds them up over the base.
 */
export function backtestCustomer(
  journey: JourneyDefinition,
  history: readonly { name: string; at: string; properties?: Record<string, unknown> }[],
  traits: Record<string, unknown>,
  window: { from: string; to: string },
  settings: EngineSettings,
): Record<string, number> {
  const events: CustomerEvent[] = history
    .filter((event) => event.at <= window.to)
    .map((event, index) => ({
      type: 'track',
      event: event.name,
      messageId: `backtest-${index}`,
      userId: TEST_CUSTOMER,
      timestamp: event.at,
      receivedAt: event.at,
      ...(event.properties ? { properties: event.properties } : {}),
    }));
  if (!events.some((event) => event.timestamp >= window.from)) return {};
  const until = new Date(Date.parse(window.to) + BACKTEST_FOLLOW_DAYS * DAY_MS).toISOString();
  const { timeline } = simulate(journey, events, { traits, until }, settings);
  const counts: Record<string, number> = {};
  const add = (name: string) => {
    counts[name] = (counts[name] ?? 0) + 1;
  };
  let inWindow = false;
  for (const entry of timeline) {
    if (entry.kind === 'entered') {
      inWindow = entry.at >= window.from && entry.at <= window.to;
      if (inWindow) add('entered');
      continue;
    }
    // What a run begun before the window did is not this backtest's.
    if (!inWindow) continue;
    if (entry.kind === 'email') {
      const goes = entry.status === 'queued' || entry.status === 'deferred';
      add(goes ? 'emails' : `emails:${entry.status}`);
      if (goes && entry.step !== undefined) add(`step:${entry.step}`);
    } else if (entry.kind === 'converted') add('converted');
    else if (entry.kind === 'left' && entry.because === 'exitWhen') add('exitedByExitWhen');
  }
  if (counts.entered) counts.customers = 1;
  return counts;
}
