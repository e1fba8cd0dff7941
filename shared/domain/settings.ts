/**
 * The engine's settings: the defaults (stage rules, contact policy, built-in segments and
 * journeys) with what marketers stored on top. Updates are validated here and refused with the
 * field named.
 */
import type * as z from 'zod';
import { DEFAULT_SEGMENTS } from './defaults/segments.ts';
import { compileJourneys, type StoredJourney } from './journey-set.ts';
import { conditionsOf } from './journeys.ts';
import type { FittedModel } from './models/fitted.ts';
import { offerCodeMaker } from './offers.ts';
import {
  type ContactPolicy,
  DEFAULT_EVENT_MEANINGS,
  defaultLifecycle,
  defaultPolicy,
  type EngineSettings,
  type LifecycleRules,
  lifecycleSchema,
  type Meaning,
  policySchema,
} from './rules.ts';
import { compileSegments, parseSegment, type SegmentDefinition } from './segments.ts';
import type { TimerSettings } from './timers.ts';

/** What is stored: only what marketers changed. */
export interface StoredSettings {
  /** The stage rules, when a marketer changed them. */
  lifecycle?: LifecycleRules;
  policy?: ContactPolicy;
  eventMeanings?: Record<string, Meaning>;
  /** The latest fitted model (written by the nightly fit, not by marketers). */
  model?: FittedModel;
  /** Segments saved by marketers, and built-in ones they deleted. */
  segments?: Record<string, StoredSegment>;
  /** Journeys published by marketers (and built-in ones they changed or deleted). */
  journeys?: Record<string, StoredJourney>;
  /** The event types enabled webhooks listen to (kept by the admin API as webhooks change). */
  webhookEvents?: string[];
}

export type StoredSegment =
  | SegmentDefinition
  | { id: string; deleted: true; version: number; updatedAt: string };

export function isDeleted(segment: StoredSegment): segment is Extract<StoredSegment, { deleted: true }> {
  return 'deleted' in segment;
}

/** The built-in segments, parsed once (a broken file fails every test, not a customer's event). */
const BUILT_IN_SEGMENTS: SegmentDefinition[] = (() => {
  const ids = new Map(Object.keys(DEFAULT_SEGMENTS).map((id) => [id, { condition: { all: [] } as never }]));
  return Object.entries(DEFAULT_SEGMENTS).map(([id, raw]) => {
    const parsed = parseSegment(id, raw, ids);
    if (!parsed.ok) throw new Error(`built-in segment ${id}: ${JSON.stringify(parsed.problems)}`);
    return { id, ...parsed.value, version: 0, updatedAt: '1970-01-01T00:00:00.000Z', builtIn: true };
  });
})();

/** Every segment in use: the built-in ones unless changed or deleted, and the marketers' own. */
export function segmentsOf(stored: StoredSettings): SegmentDefinition[] {
  const saved = stored.segments ?? {};
  const builtIn = BUILT_IN_SEGMENTS.filter((segment) => !saved[segment.id]);
  const own = Object.values(saved).filter((segment): segment is SegmentDefinition => !isDeleted(segment));
  return [...builtIn, ...own].sort((a, b) => (a.id < b.id ? -1 : 1));
}

export function engineSettings(stored: StoredSettings, offerSecret: string): EngineSettings {
  const journeys = compileJourneys(stored.journeys);
  return {
    freshnessHours: 48,
    staleTimerDays: 7,
    eventMeanings: { ...DEFAULT_EVENT_MEANINGS, ...stored.eventMeanings },
    ...timerSettings(stored),
    journeys,
    policy: stored.policy ?? defaultPolicy(),
    webhookEvents: stored.webhookEvents ?? [],
    offerCodes: offerCodeMaker(offerSecret),
    // Signals serve the segments' conditions and the journeys' (audiences, exits, branches).
    segments: compileSegments(
      segmentsOf(stored),
      [...journeys.versions.values()].flatMap((journey) => conditionsOf(journey)),
    ),
  };
}

/** What the stage timers follow: the stage rules and the fitted model. */
export function timerSettings(stored: StoredSettings): TimerSettings {
  return {
    lifecycle: stored.lifecycle ? { ...defaultLifecycle(), ...stored.lifecycle } : defaultLifecycle(),
    ...(stored.model ? { model: stored.model } : {}),
  };
}

/** The defaults alone (tests, and a fresh installation). */
export function defaultSettings(offerSecret = 'dev-offer-secret'): EngineSettings {
  return engineSettings({}, offerSecret);
}

export interface Problem {
  field: string;
  message: string;
}

export type Validated<T> = { ok: true; value: T } | { ok: false; problems: Problem[] };

/** Merges a partial update into the stage rules and validates the whole. */
export function updatedLifecycle(current: LifecycleRules, patch: unknown): Validated<LifecycleRules> {
  if (!patch || typeof patch !== 'object' || Array.isArray(patch)) {
    return { ok: false, problems: [{ field: 'body', message: 'must be a JSON object' }] };
  }
  const update = patch as Partial<LifecycleRules>;
  const merged = {
    ...current,
    ...update,
    atRisk: {
      ...current.atRisk,
      ...update.atRisk,
      oneTimeBuyers: { ...current.atRisk.oneTimeBuyers, ...update.atRisk?.oneTimeBuyers },
    },
    ended: { ...current.ended, ...update.ended },
  };
  return validated(lifecycleSchema, merged);
}

export function updatedPolicy(current: ContactPolicy, patch: unknown): Validated<ContactPolicy> {
  if (!patch || typeof patch !== 'object' || Array.isArray(patch)) {
    return { ok: false, problems: [{ field: 'body', message: 'must be a JSON object' }] };
  }
  const update = patch as Partial<ContactPolicy>;
  const merged = {
    ...current,
    ...update,
    caps: { ...current.caps, ...update.caps },
    quietHours: { ...current.quietHours, ...update.quietHours },
    ...(update.impressions || current.impressions
      ? { impressions: { ...current.impressions, ...update.impressions } }
      : {}),
  };
  return validated(policySchema, merged);
}

function validated<T>(schema: z.ZodType<T>, value: unknown): Validated<T> {
  const result = schema.safeParse(value);
  return result.success
    ? { ok: true, value: result.data }
    : { ok: false, problems: problemsOf(result.error) };
}

/** zod's issues as problems that name the field. */
export function problemsOf(error: z.ZodError): Problem[] {
  return error.issues.map((issue) => ({
    field: issue.path.map(String).join('.') || 'body',
    message:
      issue.code === 'unrecognized_keys' ? `does not apply here: ${issue.keys.join(', ')}` : issue.message,
  }));
}
