/**
 * Journeys for marketers: list with live numbers, read (with the numbers on each step), save a
 * new version (a draft: nothing changes for customers), publish a version, turn on or off, delete,
 * and try a definition on a made-up customer. Numbers come from the counters, never a scan.
 *
 * Customers inside a journey finish on the version they entered (up to KEPT_VERSIONS versions
 * back); publishing a new version changes what new entrants go through.
 */
import * as z from 'zod';
import { BROADCAST_PREFIX, isBroadcast } from '../../shared/domain/broadcasts.ts';
import { DEFINITION_ID } from '../../shared/domain/conditions.ts';
import { journeyKey } from '../../shared/domain/counters.ts';
import { defaultTemplate } from '../../shared/domain/defaults/templates.ts';
import {
  BUILT_IN_JOURNEYS,
  builtInJourney,
  currentOf,
  type StoredJourney,
  withPublished,
} from '../../shared/domain/journey-set.ts';
import { parseSimulation, settingsWith, simulate } from '../../shared/domain/journey-simulation.ts';
import {
  type JourneyBody,
  type JourneyDefinition,
  parseJourney,
  referencesOf,
  type Step,
  type StepPath,
  walkSteps,
} from '../../shared/domain/journeys.ts';
import type { EngineSettings } from '../../shared/domain/rules.ts';
import { type Problem, problemsOf, type StoredSettings, segmentsOf } from '../../shared/domain/settings.ts';
import type {
  CounterStore,
  JobReason,
  JobState,
  JobStore,
  JourneyStore,
  SettingsStore,
  TemplateStore,
} from '../../shared/ports.ts';
import { type Answer, invalid } from './http.ts';

export interface JourneyDeps {
  store: SettingsStore;
  journeys: JourneyStore;
  templates: TemplateStore;
  settings: () => Promise<EngineSettings>;
  counters: CounterStore;
  startJob: (reason: JobReason) => Promise<JobState>;
  jobs: Pick<JobStore, 'get'>;
  now: () => Date;
}

/** Every journey's id: the built-in ones, the published ones and the drafts. */
async function journeyIds(stored: StoredSettings, deps: JourneyDeps) {
  const drafts = await deps.journeys.list();
  const ids = new Set([
    ...BUILT_IN_JOURNEYS.map((journey) => journey.id),
    ...Object.keys(stored.journeys ?? {}),
    ...drafts.map((draft) => draft.id),
  ]);
  for (const [id, record] of Object.entries(stored.journeys ?? {})) if (record.deleted) ids.delete(id);
  return { ids: [...ids].sort(), drafts: new Map(drafts.map((draft) => [draft.id, draft])) };
}

/** The published definition (the built-in one unless a marketer published their own), with its switch. */
function publishedOf(id: string, stored: StoredSettings): JourneyDefinition | undefined {
  const record = stored.journeys?.[id];
  if (record) return record.deleted ? undefined : currentOf(record);
  return builtInJourney(id);
}

/** The counters kept per step (journey-wide ones, such as `left:<why>`, are not steps). */
const STEP_COUNTERS = new Set(['at', 'passed', 'sent', 'heldOut', 'skipped', 'converted']);

/** The journey's numbers since each version was published: per version, and per step of the current one. */
function numbersOf(id: string, version: number | undefined, gauges: Record<string, number>) {
  const prefix = `journey:${id}:v`;
  const total = (name: string) =>
    Object.entries(gauges)
      .filter(([key]) => key.startsWith(prefix) && (key.endsWith(`:${name}`) || key.includes(`:${name}:`)))
      .reduce((sum, [, value]) => sum + value, 0);
  const numbers = {
    inside: total('inside'),
    entered: total('entered'),
    sent: total('sent'),
    heldOut: total('heldOut'),
    converted: total('converted'),
    exitedByExitWhen: total('left:exitWhen'),
  };
  if (version === undefined) return { numbers };
  const key = `${journeyKey(id, version)}:`;
  const steps: Record<string, Record<string, number>> = {};
  for (const [name, value] of Object.entries(gauges)) {
    if (!name.startsWith(key)) continue;
    const [kind, ...rest] = name.slice(key.length).split(':');
    const step = rest.join(':');
    if (!kind || !step || !STEP_COUNTERS.has(kind)) continue;
    const field = kind === 'at' ? 'waiting' : kind;
    steps[step] = { ...steps[step], [field]: value };
  }
  return { numbers, steps };
}

function viewOf(
  definition: JourneyBody & { id: string; version: number; updatedAt: string; builtIn?: boolean },
) {
  const { id, version, updatedAt, builtIn: _builtIn, ...body } = definition;
  // Built in is a property of the journey (it ships with the product), not of one of its versions.
  return { id, version, updatedAt, builtIn: !!builtInJourney(id), definition: body };
}

export async function listJourneys(deps: JourneyDeps): Promise<Answer> {
  const [stored, gauges] = await Promise.all([deps.store.load(), deps.counters.gauges()]);
  const { ids, drafts } = await journeyIds(stored, deps);
  const journeys = ids.map((id) => {
    const published = publishedOf(id, stored);
    const draft = drafts.get(id);
    return {
      id,
      name: published?.name ?? id,
      ...(published?.description ? { description: published.description } : {}),
      enabled: published?.enabled ?? false,
      category: published?.category ?? 'marketing',
      builtIn: !!builtInJourney(id),
      entry: published?.entry,
      published: published?.version ?? null,
      latest: draft?.latest ?? published?.version ?? 0,
      updatedAt: draft?.updatedAt ?? published?.updatedAt,
      ...numbersOf(id, undefined, gauges),
    };
  });
  return { status: 200, body: { journeys } };
}

export async function getJourney(
  id: string,
  query: Record<string, string | undefined>,
  deps: JourneyDeps,
): Promise<Answer> {
  const [stored, gauges] = await Promise.all([deps.store.load(), deps.counters.gauges()]);
  const published = publishedOf(id, stored);
  const versions = await deps.journeys.versions(id);
  if (!published && versions.length === 0) return notFound(id);
  const wanted = query.version === undefined ? undefined : Number(query.version);
  if (wanted !== undefined && !Number.isInteger(wanted))
    return invalid([{ field: 'version', message: 'must be a version number' }]);
  // The version asked for; else the latest saved (a draft newer than the published one is what an editor opens).
  const latest = versions.at(-1)?.version;
  const number = wanted ?? Math.max(latest ?? 0, published?.version ?? 0);
  const definition =
    number === published?.version
      ? published
      : number === 0
        ? builtInJourney(id)
        : await deps.journeys.get(id, number);
  if (!definition)
    return { status: 404, body: { success: false, error: `journey ${id} has no version ${number}` } };
  return {
    status: 200,
    body: {
      ...viewOf(definition),
      enabled: published?.enabled ?? false,
      published: published?.version ?? null,
      latest: Math.max(latest ?? 0, published?.version ?? 0),
      versions: [
        ...(builtInJourney(id) ? [{ version: 0, updatedAt: '1970-01-01T00:00:00.000Z' }] : []),
        ...versions,
      ],
      ...numbersOf(id, definition.version, gauges),
    },
  };
}

const putEnvelope = z.looseObject({ version: z.number().int().min(0).optional() });

/** Saves a new version: checked (shape, templates, segments) and stored; customers see nothing until it is published. */
export async function putJourney(id: string, body: unknown, deps: JourneyDeps): Promise<Answer> {
  if (!DEFINITION_ID.test(id))
    return invalid([
      { field: 'id', message: 'must be 1 to 64 of a-z, 0-9 and - (starting with a letter or digit)' },
    ]);
  if (isBroadcast(id))
    return invalid([
      { field: 'id', message: `must not start with ${BROADCAST_PREFIX} (broadcasts' ids do)` },
    ]);
  const envelope = putEnvelope.safeParse(body ?? {});
  if (!envelope.success) return invalid([{ field: 'version', message: 'must be the version you edited' }]);
  const {
    version: edited,
    id: _id,
    builtIn: _builtIn,
    updatedAt: _updatedAt,
    ...rest
  } = envelope.data as Record<string, unknown> & { version?: number };
  const parsed = parseJourney(rest);
  if (!parsed.ok) return invalid(parsed.problems);
  const stored = await deps.store.load();
  const missing = await missingReferences(parsed.value, stored, deps);
  if (missing.length > 0) return invalid(missing);
  const existing = (await deps.journeys.versions(id)).at(-1)?.version ?? 0;
  const saved = await deps.journeys.save(id, parsed.value, deps.now().toISOString(), edited);
  if (saved === 'conflict')
    return conflict(`journey ${id} has a newer version than ${String(edited)}: reload it and edit again`);
  const published = publishedOf(id, stored);
  return {
    status: existing === 0 && !published ? 201 : 200,
    body: { ...viewOf(saved), published: published?.version ?? null },
  };
}

/** Templates the journey sends that are neither built in nor published, and segments that do not exist. */
async function missingReferences(
  journey: JourneyBody,
  stored: StoredSettings,
  deps: Pick<JourneyDeps, 'templates'>,
): Promise<Problem[]> {
  const { templates, segments } = referencesOf(journey);
  const problems: Problem[] = [];
  const paths = new Map<string, string>();
  for (const { step, path } of walkSteps(journey.steps)) {
    if ('send' in step && !paths.has(step.send.template))
      paths.set(step.send.template, fieldOf(journey.steps, path));
  }
  for (const template of templates) {
    if (defaultTemplate(template) || (await deps.templates.summary(template))?.published !== undefined)
      continue;
    problems.push({
      field: `${paths.get(template)}.send.template`,
      message: `no published template named ${template}`,
    });
  }
  const known = new Set(segmentsOf(stored).map((segment) => segment.id));
  for (const segment of segments) {
    if (known.has(segment)) continue;
    const field =
      'segmentEntered' in journey.entry && journey.entry.segmentEntered === segment
        ? 'entry.segmentEntered'
        : 'segment';
    problems.push({ field, message: `refers to segment ${segment}, which does not exist` });
  }
  return problems;
}

/** `[2, 'then', 0]` as the field path an editor shows: `steps[2].branch.then[0]`. */
function fieldOf(steps: readonly Step[], path: StepPath): string {
  let text = 'steps';
  let list: readonly Step[] = steps;
  let step: Step | undefined;
  for (const part of path) {
    if (typeof part === 'number') {
      text += `[${part}]`;
      step = list[part];
    } else if (step) {
      const kind = Object.keys(step)[0] as string;
      text += `.${kind}.${part}`;
      list = ((step as Record<string, Record<string, Step[] | undefined>>)[kind]?.[part] ?? []) as Step[];
    }
  }
  return text;
}

export const publishBody = z.strictObject({ version: z.number().int().min(0).optional() }).optional();

/** Makes a saved version the one new entrants go through (customers inside finish on theirs). */
export async function publishJourney(id: string, body: unknown, deps: JourneyDeps): Promise<Answer> {
  const request = publishBody.safeParse(body);
  if (!request.success) return invalid([{ field: 'version', message: 'must be a saved version number' }]);
  const stored = await deps.store.load();
  const versions = await deps.journeys.versions(id);
  const number = request.data?.version ?? versions.at(-1)?.version;
  if (number === undefined) return notFound(id);
  const definition = number === 0 ? builtInJourney(id) : await deps.journeys.get(id, number);
  if (!definition)
    return { status: 404, body: { success: false, error: `journey ${id} has no version ${number}` } };
  // Templates may have been unpublished since the draft was saved.
  const missing = await missingReferences(definition, stored, deps);
  if (missing.length > 0) return invalid(missing);
  const at = deps.now().toISOString();
  const previous = stored.journeys?.[id];
  const record: StoredJourney =
    number === 0
      ? { id, versions: previous?.versions ?? {}, published: 0, updatedAt: at }
      : withPublished(previous && !previous.deleted ? previous : undefined, definition, at);
  if ((await deps.store.saveJourney(record, previous?.published, at)) === 'conflict')
    return conflict(`journey ${id} was published meanwhile: reload it and try again`);
  await deps.startJob({ kind: 'journey-changed', journey: id, at });
  return { status: 200, body: { ...viewOf(definition), enabled: definition.enabled, published: number } };
}

/** Turns the published version on or off, without a new version. Off: nobody new enters; those inside finish or leave (`onDisable`). */
export async function switchJourney(id: string, enabled: boolean, deps: JourneyDeps): Promise<Answer> {
  const stored = await deps.store.load();
  const published = publishedOf(id, stored);
  if (!published) {
    const drafts = await deps.journeys.versions(id);
    return drafts.length > 0
      ? conflict(`journey ${id} has no published version: publish one first`)
      : notFound(id);
  }
  const at = deps.now().toISOString();
  const previous = stored.journeys?.[id];
  const record: StoredJourney = previous
    ? { ...previous, enabled, updatedAt: at }
    : { id, versions: {}, published: 0, enabled, updatedAt: at };
  if ((await deps.store.saveJourney(record, previous?.published, at)) === 'conflict')
    return conflict(`journey ${id} was published meanwhile: reload it and try again`);
  await deps.startJob({ kind: 'journey-changed', journey: id, at });
  return { status: 200, body: { id, enabled, published: published.version } };
}

/** Deletes a marketer's journey: nobody enters any more and those inside leave. Built-in ones can only be turned off. */
export async function deleteJourney(id: string, deps: JourneyDeps): Promise<Answer> {
  if (builtInJourney(id))
    return conflict(`journey ${id} is built in: turn it off instead (POST /admin/journeys/${id}/disable)`);
  const stored = await deps.store.load();
  const previous = stored.journeys?.[id];
  const drafts = await deps.journeys.versions(id);
  if ((!previous || previous.deleted) && drafts.length === 0) return notFound(id);
  const at = deps.now().toISOString();
  const record: StoredJourney = {
    id,
    versions: {},
    published: previous?.published ?? 0,
    deleted: true,
    updatedAt: at,
  };
  if ((await deps.store.saveJourney(record, previous?.published, at)) === 'conflict')
    return conflict(`journey ${id} was published meanwhile: reload it and try again`);
  if (previous && !previous.deleted) await deps.startJob({ kind: 'journey-changed', journey: id, at });
  return { status: 200, body: { deleted: id } };
}

const testBody = z.looseObject({
  journey: z.unknown().optional(),
  version: z.number().int().min(0).optional(),
});

/**
 * Runs a definition (the one in the body, else the version asked for, else the latest saved) over
 * events for one made-up customer, and answers the timeline. Nothing is stored or sent.
 */
export async function testJourney(id: string, body: unknown, deps: JourneyDeps): Promise<Answer> {
  const request = testBody.safeParse(body ?? {});
  if (!request.success) return invalid([{ field: 'body', message: 'must be a JSON object' }]);
  const { journey: unsaved, version, ...simulation } = request.data;
  const stored = await deps.store.load();
  let definition: JourneyDefinition | undefined;
  if (unsaved !== undefined) {
    const parsed = parseJourney(unsaved);
    if (!parsed.ok)
      return invalid(parsed.problems.map((problem) => ({ ...problem, field: `journey.${problem.field}` })));
    definition = { ...parsed.value, id, version: 0, updatedAt: deps.now().toISOString() };
  } else {
    const number =
      version ??
      Math.max(
        (await deps.journeys.versions(id)).at(-1)?.version ?? 0,
        publishedOf(id, stored)?.version ?? 0,
      );
    definition =
      number === 0
        ? builtInJourney(id)
        : publishedOf(id, stored)?.version === number
          ? publishedOf(id, stored)
          : await deps.journeys.get(id, number);
    if (!definition) return notFound(id);
  }
  const missing = await missingReferences(definition, stored, deps);
  if (missing.length > 0)
    return invalid(
      unsaved === undefined
        ? missing
        : missing.map((problem) => ({ ...problem, field: `journey.${problem.field}` })),
    );
  const parsed = parseSimulation(simulation);
  if (!parsed.ok) return invalid(parsed.problems);
  const settings = settingsWith(definition, segmentsOf(stored), await deps.settings(), {
    holdout: parsed.request.holdout,
  });
  const result = simulate(
    definition,
    parsed.events,
    {
      ...(parsed.request.traits ? { traits: parsed.request.traits } : {}),
      ...(parsed.request.until ? { until: parsed.request.until } : {}),
    },
    settings,
  );
  return { status: 200, body: { journey: id, version: definition.version, ...result } };
}

export const backtestBody = z.strictObject({
  from: z.iso.date('must be a day, YYYY-MM-DD'),
  to: z.iso.date('must be a day, YYYY-MM-DD'),
  /** Default: the latest saved version. */
  version: z.number().int().min(0).optional(),
});

/** The longest window a backtest covers (the event log keeps 400 days). */
const MAX_BACKTEST_DAYS = 400;

/**
 * Starts a backtest: every customer's stored history over the window, replayed through the
 * journey's version with nothing written, as a resumable whole-base job. Answers at once (202);
 * `GET /admin/jobs/{id}` shows its progress and counts.
 */
export async function backtestJourney(id: string, body: unknown, deps: JourneyDeps): Promise<Answer> {
  const request = backtestBody.safeParse(body ?? {});
  if (!request.success) return invalid(problemsOf(request.error));
  const { from, to } = request.data;
  const days = (Date.parse(to) - Date.parse(from)) / 86_400_000;
  if (days < 0) return invalid([{ field: 'to', message: 'must not be before from' }]);
  if (days > MAX_BACKTEST_DAYS)
    return invalid([{ field: 'to', message: `must be at most ${MAX_BACKTEST_DAYS} days after from` }]);
  const stored = await deps.store.load();
  const version =
    request.data.version ??
    Math.max((await deps.journeys.versions(id)).at(-1)?.version ?? 0, publishedOf(id, stored)?.version ?? 0);
  const definition = version === 0 ? builtInJourney(id) : await deps.journeys.get(id, version);
  if (!definition) return notFound(id);
  const job = await deps.startJob({
    kind: 'journey-backtest',
    journey: id,
    version,
    from: `${from}T00:00:00.000Z`,
    to: `${to}T23:59:59.999Z`,
    requestedAt: deps.now().toISOString(),
  });
  return { status: 202, body: { job: job.id, journey: id, version, from, to, status: job.status } };
}

/** A whole-base job's progress, and what a backtest found so far. */
export async function getJob(jobId: string, deps: Pick<JourneyDeps, 'jobs' | 'counters'>): Promise<Answer> {
  const job = await deps.jobs.get(jobId);
  if (!job) return { status: 404, body: { success: false, error: `no job ${jobId}` } };
  const customers = (await deps.counters.gauges()).customers ?? 0;
  const { cursors: _cursors, ...view } = job;
  return {
    status: 200,
    body: {
      ...view,
      progress: job.status === 'done' ? 1 : customers > 0 ? Math.min(0.99, job.evaluated / customers) : 0,
    },
  };
}

function notFound(id: string): Answer {
  return { status: 404, body: { success: false, error: `no journey ${id}` } };
}

function conflict(error: string): Answer {
  return { status: 409, body: { success: false, error } };
}
