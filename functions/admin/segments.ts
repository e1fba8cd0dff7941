/**
 * Segments for marketers: list with live counts, read, save (a new version, then a build over
 * the existing customers in the background), delete, preview a condition before saving, and
 * list members. Counts come from the counters, never from a scan.
 */

import { evaluate, parseCondition, segmentRefsOf } from '../../shared/domain/conditions.ts';
import { referencesOf } from '../../shared/domain/journeys.ts';
import type { Profile } from '../../shared/domain/profile.ts';
import type { EngineSettings } from '../../shared/domain/rules.ts';
import { parseSegment, type SegmentDefinition } from '../../shared/domain/segments.ts';
import { type StoredSegment, segmentsOf } from '../../shared/domain/settings.ts';
import { missingKeys, signalNeeds, withHistory } from '../../shared/domain/signals.ts';
import type {
  BroadcastStore,
  CounterStore,
  CustomerDirectoryIndex,
  CustomerStore,
  EventHistory,
  JobReason,
  JobState,
  JobStore,
  SettingsStore,
} from '../../shared/ports.ts';
import { jobIdOf } from '../jobs/jobs.ts';
import { type Answer, invalid } from './http.ts';

export interface SegmentDeps {
  store: SettingsStore;
  settings: () => Promise<EngineSettings>;
  counters: CounterStore;
  jobs: JobStore;
  startJob: (reason: JobReason) => Promise<JobState>;
  customers: CustomerStore & EventHistory;
  directory: CustomerDirectoryIndex;
  /** Broadcasts still to send a segment hold it, as journeys and other segments do. */
  broadcasts: Pick<BroadcastStore, 'list'>;
  now: () => Date;
}

/** A segment's build: `ready` once every customer was evaluated under its current version. */
interface BuildView {
  status: 'ready' | 'building';
  /** Share of the customers evaluated so far (0 to 1), while building. */
  progress?: number;
  startedAt?: string;
  finishedAt?: string;
}

async function buildOf(segment: SegmentDefinition, deps: SegmentDeps, customers: number): Promise<BuildView> {
  const reason = { kind: 'segment-saved', segment: segment.id, version: segment.version } as const;
  // A segment never built (a built-in one, on an installation that had customers before it
  // shipped) is built the first time anyone looks.
  const job = (await deps.jobs.get(jobIdOf(reason))) ?? (await deps.startJob(reason));
  if (job.status === 'done')
    return {
      status: 'ready',
      startedAt: job.startedAt,
      ...(job.finishedAt ? { finishedAt: job.finishedAt } : {}),
    };
  return {
    status: 'building',
    progress: customers > 0 ? Math.min(0.99, job.evaluated / customers) : 0,
    startedAt: job.startedAt,
  };
}

function viewOf(segment: SegmentDefinition, gauges: Record<string, number>) {
  return {
    id: segment.id,
    name: segment.name,
    ...(segment.description ? { description: segment.description } : {}),
    condition: segment.condition,
    version: segment.version,
    updatedAt: segment.updatedAt,
    builtIn: segment.builtIn ?? false,
    count: gauges[`segment:${segment.id}`] ?? 0,
  };
}

export async function listSegments(deps: SegmentDeps): Promise<Answer> {
  const [stored, gauges] = await Promise.all([deps.store.load(), deps.counters.gauges()]);
  const segments = await Promise.all(
    segmentsOf(stored).map(async (segment) => ({
      ...viewOf(segment, gauges),
      ...(await buildOf(segment, deps, gauges.customers ?? 0)),
    })),
  );
  return { status: 200, body: { segments, customers: gauges.customers ?? 0 } };
}

export async function getSegment(id: string, deps: SegmentDeps): Promise<Answer> {
  const [stored, gauges] = await Promise.all([deps.store.load(), deps.counters.gauges()]);
  const all = segmentsOf(stored);
  const segment = all.find((candidate) => candidate.id === id);
  if (!segment) return notFound(id);
  return {
    status: 200,
    body: {
      ...viewOf(segment, gauges),
      ...(await buildOf(segment, deps, gauges.customers ?? 0)),
      usedBy: await usersOf(id, all, deps),
    },
  };
}

/** Saves a new version; the build over existing customers starts at once, in the background. */
export async function putSegment(id: string, body: unknown, deps: SegmentDeps): Promise<Answer> {
  const stored = await deps.store.load();
  const all = segmentsOf(stored);
  const current = all.find((segment) => segment.id === id);
  const others = new Map(all.filter((segment) => segment.id !== id).map((segment) => [segment.id, segment]));
  const { version: editedVersion, ...definition } = (body && typeof body === 'object' ? body : {}) as Record<
    string,
    unknown
  >;
  const parsed = parseSegment(id, definition, others);
  if (!parsed.ok) return invalid(parsed.problems);
  const previous = stored.segments?.[id]?.version ?? 0;
  if (editedVersion !== undefined && editedVersion !== (current?.version ?? previous)) {
    return conflict(
      `segment ${id} is at version ${current?.version ?? previous}, not ${String(editedVersion)}: reload it and edit again`,
    );
  }
  const segment: SegmentDefinition = {
    id,
    ...parsed.value,
    version: Math.max(previous, current?.version ?? 0) + 1,
    updatedAt: deps.now().toISOString(),
  };
  if ((await deps.store.saveSegment(segment, previous)) === 'conflict') {
    return conflict(`segment ${id} was changed meanwhile: reload it and edit again`);
  }
  const job = await deps.startJob({ kind: 'segment-saved', segment: id, version: segment.version });
  const gauges = await deps.counters.gauges();
  return {
    status: current ? 200 : 201,
    body: { ...viewOf(segment, gauges), status: 'building', progress: 0, startedAt: job.startedAt },
  };
}

/** Deletes a segment no other definition uses; the build takes the memberships away. */
export async function deleteSegment(id: string, deps: SegmentDeps): Promise<Answer> {
  const stored = await deps.store.load();
  const all = segmentsOf(stored);
  const segment = all.find((candidate) => candidate.id === id);
  if (!segment) return notFound(id);
  const users = await usersOf(id, all, deps);
  if (users.length > 0) {
    return conflict(
      `segment ${id} is used by ${users.map((user) => `${user.kind} ${user.id}`).join(', ')}: change them first`,
      {
        usedBy: users,
      },
    );
  }
  const version = segment.version + 1;
  const tombstone: StoredSegment = { id, deleted: true, version, updatedAt: deps.now().toISOString() };
  if ((await deps.store.saveSegment(tombstone, stored.segments?.[id]?.version ?? 0)) === 'conflict') {
    return conflict(`segment ${id} was changed meanwhile: reload and try again`);
  }
  await deps.startJob({ kind: 'segment-deleted', segment: id, version });
  return { status: 200, body: { deleted: id } };
}

/** Who uses a segment: other segments' conditions, journeys (any version a customer may be on), broadcasts still to send. */
async function usersOf(
  id: string,
  all: SegmentDefinition[],
  deps: Pick<SegmentDeps, 'settings' | 'broadcasts'>,
) {
  const segments = all
    .filter((segment) => segment.id !== id && segmentRefsOf(segment.condition).includes(id))
    .map((segment) => ({ kind: 'segment', id: segment.id }));
  const { journeys } = await deps.settings();
  const journeyIds = new Set(
    [...journeys.versions.values()]
      .filter((journey) => referencesOf(journey).segments.includes(id))
      .map((journey) => journey.id),
  );
  const broadcasts = (await deps.broadcasts.list()).filter(
    (broadcast) =>
      broadcast.definition.segment === id &&
      (broadcast.status === 'scheduled' || broadcast.status === 'sending'),
  );
  return [
    ...segments,
    ...[...journeyIds].sort().map((journey) => ({ kind: 'journey', id: journey })),
    ...broadcasts.map((broadcast) => ({ kind: 'broadcast', id: broadcast.id })),
  ];
}

/** How many customers a preview evaluates: enough for an estimate, quick enough to type against. */
const PREVIEW_SAMPLE = 400;

/**
 * Estimates how many customers a condition holds for, before it is saved: evaluated exactly on a
 * sample of customers (every customer, when there are fewer than PREVIEW_SAMPLE), scaled to the
 * whole base; with the sampled ids that match.
 */
export async function previewSegment(body: unknown, deps: SegmentDeps): Promise<Answer> {
  const input = (body && typeof body === 'object' ? body : {}) as { condition?: unknown };
  const parsed = parseCondition(input.condition);
  if (!parsed.ok) return invalid(parsed.problems);
  const stored = await deps.store.load();
  const known = new Set(segmentsOf(stored).map((segment) => segment.id));
  const missing = segmentRefsOf(parsed.value).filter((ref) => !known.has(ref));
  if (missing.length > 0)
    return invalid([
      { field: 'condition', message: `refers to segment ${missing[0]}, which does not exist` },
    ]);
  const [settings, gauges] = await Promise.all([deps.settings(), deps.counters.gauges()]);
  const needs = signalNeeds([parsed.value]);
  const now = deps.now().toISOString();
  const { entries } = await deps.directory.page(PREVIEW_SAMPLE);
  const profiles = await loadProfiles(
    entries.map((entry) => entry.id),
    deps,
  );
  let matched = 0;
  const sample: string[] = [];
  for (const profile of profiles) {
    const filled =
      missingKeys(profile.signals, needs).length > 0
        ? { ...profile, signals: withHistory(profile.signals, needs, await deps.customers.history(profile)) }
        : profile;
    const outcome = evaluate(parsed.value, {
      profile: filled,
      now,
      definitionId: 'preview',
      model: settings.model,
      segment: (ref) => ({ value: !!profile.segments?.[ref] }),
    });
    if (!outcome.value) continue;
    matched++;
    if (sample.length < 20) sample.push(profile.id);
  }
  const total = gauges.customers ?? profiles.length;
  const exact = profiles.length >= total;
  return {
    status: 200,
    body: {
      estimate: exact || profiles.length === 0 ? matched : Math.round((matched / profiles.length) * total),
      exact,
      evaluated: profiles.length,
      matched,
      customers: total,
      sample,
    },
  };
}

/** The members of a segment, a page at a time, with when each entered. */
export async function segmentMembers(
  id: string,
  query: Record<string, string | undefined>,
  deps: SegmentDeps,
): Promise<Answer> {
  const stored = await deps.store.load();
  if (!segmentsOf(stored).some((segment) => segment.id === id)) return notFound(id);
  const page = await customersWhere((profile) => profile.segments?.[id], query, deps);
  if ('problem' in page) return invalid([page.problem]);
  return {
    status: 200,
    body: {
      members: page.found.map(({ profile, match }) => ({
        id: profile.id,
        email: profile.email ?? null,
        enteredAt: match,
      })),
      ...(page.cursor ? { cursor: page.cursor } : {}),
    },
  };
}

/** Looked through per request at most, so a page of a small segment answers in time (with a cursor). */
const MAX_LOOKED_AT = 2000;

/**
 * Customers for whom `test` answers something, a page at a time: through the directory (every
 * customer once), each profile read and tested. A page may hold fewer than `limit` when a small
 * group is spread thin; its cursor goes on where it stopped.
 */
export async function customersWhere<T>(
  test: (profile: Profile) => T | undefined,
  query: Record<string, string | undefined>,
  deps: { customers: Pick<CustomerStore, 'load'>; directory: CustomerDirectoryIndex },
): Promise<
  | { found: { profile: Profile; match: T }[]; cursor?: string }
  | { problem: { field: string; message: string } }
> {
  const limit = query.limit === undefined ? 50 : Number(query.limit);
  if (!Number.isInteger(limit) || limit < 1 || limit > 200)
    return { problem: { field: 'limit', message: 'must be a whole number from 1 to 200' } };
  let cursor = query.cursor;
  if (cursor !== undefined && !/^[A-Za-z0-9_-]{1,2000}$/.test(cursor))
    return { problem: { field: 'cursor', message: 'is not a cursor this API gave' } };
  const found: { profile: Profile; match: T }[] = [];
  let lookedAt = 0;
  do {
    // Never more entries than matches still wanted: a page never finds more than it can return.
    const page = await deps.directory.page(Math.min(100, limit - found.length), cursor);
    cursor = page.cursor;
    lookedAt += page.entries.length;
    for (const profile of await loadProfiles(
      page.entries.map((entry) => entry.id),
      deps,
    )) {
      const match = test(profile);
      if (match !== undefined && match !== false) found.push({ profile, match });
    }
  } while (cursor && found.length < limit && lookedAt < MAX_LOOKED_AT);
  return { found, ...(cursor ? { cursor } : {}) };
}

async function loadProfiles(
  ids: string[],
  deps: { customers: Pick<CustomerStore, 'load'> },
): Promise<Profile[]> {
  const loaded = await Promise.all(ids.map((id) => deps.customers.load(id)));
  return loaded.flatMap((stored) => (stored?.kind === 'profile' ? [stored.profile] : []));
}

function notFound(id: string): Answer {
  return { status: 404, body: { success: false, error: `no segment with id ${id}` } };
}

function conflict(error: string, extra: Record<string, unknown> = {}): Answer {
  return { status: 409, body: { success: false, error, ...extra } };
}
