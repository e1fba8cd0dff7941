/**
 * Broadcasts in the admin API: create (now, at a time, or at a local time of day in each
 * customer's zone), preview who would receive it and who would be left out and why, list, read
 * with its numbers, cancel. The send itself is a whole-base job (functions/jobs); every email is
 * decided by the engine, counted by the projections into the broadcast's own counters item.
 */
import {
  type Broadcast,
  type BroadcastBody,
  type BroadcastStatus,
  broadcastIdFor,
  decideBroadcast,
  isBroadcast,
  parseBroadcast,
  SKIP_KINDS,
  type SkipKind,
  sendOf,
  skipKindOf,
  startOf,
} from '../../shared/domain/broadcasts.ts';
import { DEFINITION_ID } from '../../shared/domain/conditions.ts';
import { broadcastItem } from '../../shared/domain/counters.ts';
import { defaultTemplate } from '../../shared/domain/defaults/templates.ts';
import type { MessageEffect } from '../../shared/domain/messages.ts';
import type { Profile } from '../../shared/domain/profile.ts';
import { broadcastPolicyOf, type EngineSettings } from '../../shared/domain/rules.ts';
import { type Problem, segmentsOf } from '../../shared/domain/settings.ts';
import type {
  BroadcastStore,
  CounterStore,
  CustomerDirectoryIndex,
  CustomerStore,
  JobState,
  JobStore,
  SettingsStore,
  SuppressionStore,
  TemplateStore,
} from '../../shared/ports.ts';
import { type Answer, invalid } from './http.ts';

export interface BroadcastDeps {
  broadcasts: BroadcastStore;
  store: SettingsStore;
  settings: () => Promise<EngineSettings>;
  templates: Pick<TemplateStore, 'summary'>;
  counters: Pick<CounterStore, 'gauges'>;
  customers: Pick<CustomerStore, 'load'>;
  directory: Pick<CustomerDirectoryIndex, 'page'>;
  suppressions: Pick<SuppressionStore, 'get'>;
  jobs: Pick<JobStore, 'get'>;
  /** Starts the send (functions/jobs/broadcasts.ts `startBroadcast`). */
  start: (broadcast: Broadcast) => Promise<Broadcast>;
  newId: () => string;
  now: () => Date;
}

/** Creates a broadcast: sent at once when it has no later time, else scheduled. */
export async function createBroadcast(input: unknown, deps: BroadcastDeps): Promise<Answer> {
  const now = deps.now().toISOString();
  const checked = await checkBroadcast(input, now, deps);
  if ('problems' in checked) return invalid(checked.problems);
  const { id, definition } = checked;
  const broadcast: Broadcast = {
    id: id ?? broadcastIdFor(definition.name, deps.newId()),
    definition,
    status: 'scheduled',
    createdAt: now,
    startsAt: startOf(definition, now),
  };
  if ((await deps.broadcasts.create(broadcast)) === 'exists') {
    const existing = await deps.broadcasts.get(broadcast.id);
    return {
      status: 409,
      body: {
        success: false,
        error: `id: broadcast ${broadcast.id} exists (${existing?.status ?? 'unknown'}): a broadcast is sent once; create a new one`,
      },
    };
  }
  const started = broadcast.startsAt <= now ? await deps.start(broadcast) : broadcast;
  return { status: started.status === 'sending' ? 202 : 201, body: await view(started, deps) };
}

/** Before sending: how many would receive it, and how many would be left out, by reason. */
export async function previewBroadcast(input: unknown, deps: BroadcastDeps): Promise<Answer> {
  const now = deps.now().toISOString();
  const checked = await checkBroadcast(input, now, deps, { preview: true });
  if ('problems' in checked) return invalid(checked.problems);
  const { definition } = checked;
  const settings = await deps.settings();
  const send = sendOf({
    id: 'broadcast-preview',
    definition,
    status: 'scheduled',
    createdAt: now,
    startsAt: now,
  });
  const tally = emptyTally();
  let looked = 0;
  let cursor: string | undefined;
  do {
    const page = await deps.directory.page(500, cursor);
    cursor = page.cursor;
    looked += page.entries.length;
    const profiles = await Promise.all(page.entries.map((entry) => deps.customers.load(entry.id)));
    for (const stored of profiles) {
      if (stored?.kind !== 'profile') continue;
      await count(stored.profile, tally, { send, now, settings, deps });
    }
  } while (cursor && looked < PREVIEW_LOOKED_AT);
  const gauges = await deps.counters.gauges();
  const size = gauges[`segment:${definition.segment}`] ?? tally.members;
  const exact = !cursor;
  // Scaled from the members seen to the segment's size, when not every customer was looked at.
  const scale = exact || tally.members === 0 ? 1 : size / tally.members;
  const scaled = (value: number) => Math.round(value * scale);
  return {
    status: 200,
    body: {
      segment: definition.segment,
      exact,
      members: exact ? tally.members : size,
      recipients: scaled(tally.recipients),
      heldOut: scaled(tally.heldOut),
      skipped: Object.fromEntries(
        Object.entries(tally.skipped).map(([kind, value]) => [kind, scaled(value)]),
      ),
      deferred: Object.fromEntries(
        Object.entries(tally.deferred).map(([kind, value]) => [kind, scaled(value)]),
      ),
      evaluated: tally.members,
    },
  };
}

/** Customers looked at for a preview: every one in a small shop, an estimate from a sample in a large one. */
const PREVIEW_LOOKED_AT = 5000;

function emptyTally() {
  return {
    members: 0,
    recipients: 0,
    heldOut: 0,
    skipped: Object.fromEntries(
      SKIP_KINDS.filter((kind) => kind !== 'cancelled').map((kind) => [kind, 0]),
    ) as Record<SkipKind, number>,
    deferred: { quietHours: 0, caps: 0, coolDown: 0 } as Record<'quietHours' | 'caps' | 'coolDown', number>,
  };
}

async function count(
  profile: Profile,
  tally: ReturnType<typeof emptyTally>,
  context: {
    send: ReturnType<typeof sendOf>;
    now: string;
    settings: EngineSettings;
    deps: Pick<BroadcastDeps, 'suppressions'>;
  },
) {
  const effects: MessageEffect[] = [];
  decideBroadcast(profile, context.send, context.now, undefined, context.settings, effects);
  const [effect] = effects;
  if (!effect) return;
  tally.members++;
  if (effect.status === 'held-out') {
    tally.heldOut++;
    return;
  }
  if (effect.status === 'skipped') {
    tally.skipped[skipKindOf(effect.reason)]++;
    return;
  }
  if (profile.email && (await context.deps.suppressions.get(profile.email))) {
    tally.skipped.suppressed++;
    return;
  }
  tally.recipients++;
  if (effect.status !== 'deferred') return;
  const first = skipKindOf(effect.reason);
  if (first === 'quietHours' || first === 'caps' || first === 'coolDown') tally.deferred[first]++;
}

/** Every broadcast, the newest first, with its numbers. */
export async function listBroadcasts(deps: BroadcastDeps): Promise<Answer> {
  const broadcasts = await deps.broadcasts.list();
  return {
    status: 200,
    body: { broadcasts: await Promise.all(broadcasts.map((broadcast) => view(broadcast, deps))) },
  };
}

export async function getBroadcast(id: string, deps: BroadcastDeps): Promise<Answer> {
  const broadcast = await deps.broadcasts.get(id);
  if (!broadcast) return notFound(id);
  return { status: 200, body: await view(broadcast, deps) };
}

/** Stops a broadcast: what has not gone out does not go; what went stays counted. */
export async function cancelBroadcast(id: string, deps: BroadcastDeps): Promise<Answer> {
  const now = deps.now().toISOString();
  const cancelled = await deps.broadcasts.transition(id, {
    from: ['scheduled', 'sending'],
    to: 'cancelled',
    set: { cancelledAt: now },
  });
  if (cancelled) return { status: 200, body: await view(cancelled, deps) };
  const current = await deps.broadcasts.get(id);
  if (!current) return notFound(id);
  const status = (await view(current, deps)).status;
  return {
    status: 409,
    body: {
      success: false,
      error: `broadcast ${id} is ${status}: only a scheduled or sending broadcast can be cancelled`,
    },
  };
}

/** The broadcast with its status (sent once every email is decided and none waits) and numbers. */
async function view(broadcast: Broadcast, deps: Pick<BroadcastDeps, 'counters' | 'jobs'>) {
  const [counts, job] = await Promise.all([
    deps.counters.gauges(broadcastItem(broadcast.id)),
    broadcast.jobId ? deps.jobs.get(broadcast.jobId) : undefined,
  ]);
  const n = (name: string) => counts[name] ?? 0;
  const status: BroadcastStatus =
    broadcast.status === 'sending' && job?.status === 'done' && n('waiting') === 0
      ? 'sent'
      : broadcast.status;
  const sent = n('sent');
  const heldOut = n('heldOut');
  const rate = (part: number, whole: number) => (whole > 0 ? part / whole : null);
  const convertedRate = rate(n('converted'), sent);
  const heldOutRate = rate(n('heldOutConverted'), heldOut);
  return {
    id: broadcast.id,
    ...broadcast.definition,
    status,
    createdAt: broadcast.createdAt,
    startsAt: broadcast.startsAt,
    ...(broadcast.startedAt ? { startedAt: broadcast.startedAt } : {}),
    ...(broadcast.cancelledAt ? { cancelledAt: broadcast.cancelledAt } : {}),
    progress: progressOf(job),
    numbers: {
      recipients: n('recipients'),
      sent,
      waiting: n('waiting'),
      failed: n('failed'),
      skipped: Object.fromEntries(SKIP_KINDS.map((kind) => [kind, n(`skipped:${kind}`)])),
      heldOut,
      delivered: n('delivered'),
      opened: n('opened'),
      clicked: n('clicked'),
      converted: n('converted'),
      heldOutConverted: n('heldOutConverted'),
      conversionRate: convertedRate,
      heldOutConversionRate: heldOutRate,
      // Uplift in percentage points: the conversion rate of those sent it over those held out.
      uplift:
        convertedRate !== null && heldOutRate !== null
          ? Math.round((convertedRate - heldOutRate) * 10_000) / 100
          : null,
    },
  };
}

function progressOf(job: JobState | undefined) {
  if (!job) return null;
  return {
    customersLookedAt: job.evaluated,
    partsDone: job.partsDone,
    parts: job.parts,
    done: job.status === 'done',
  };
}

/** The body, the id (when the client chose one), and that the segment and template exist. */
async function checkBroadcast(
  input: unknown,
  now: string,
  deps: BroadcastDeps,
  options: { preview?: boolean } = {},
): Promise<{ id?: string; definition: BroadcastBody } | { problems: Problem[] }> {
  const raw =
    input && typeof input === 'object' && !Array.isArray(input)
      ? { ...(input as Record<string, unknown>) }
      : input;
  let id: string | undefined;
  const problems: Problem[] = [];
  if (raw && typeof raw === 'object' && 'id' in raw) {
    const record = raw as Record<string, unknown>;
    if (!options.preview) {
      if (typeof record.id === 'string' && isBroadcast(record.id) && DEFINITION_ID.test(record.id))
        id = record.id;
      else
        problems.push({
          field: 'id',
          message: 'must start with broadcast- and be a-z, 0-9 and -, up to 63 characters',
        });
    }
    delete record.id;
  }
  // A preview needs no name yet: the numbers show while the marketer fills the form in.
  if (options.preview && raw && typeof raw === 'object' && !(raw as Record<string, unknown>).name)
    (raw as Record<string, unknown>).name = 'Preview';
  const settings = await deps.settings();
  const parsed = parseBroadcast(raw, now, broadcastPolicyOf(settings.policy).quietDays);
  if (!parsed.ok) return { problems: [...problems, ...parsed.problems] };
  const definition = parsed.value;
  const stored = await deps.store.load();
  if (!segmentsOf(stored).some((segment) => segment.id === definition.segment))
    problems.push({ field: 'segment', message: `no segment with id ${definition.segment}` });
  if (
    !defaultTemplate(definition.template) &&
    (await deps.templates.summary(definition.template))?.published === undefined
  )
    problems.push({ field: 'template', message: `no published template named ${definition.template}` });
  if (problems.length > 0) return { problems };
  return { ...(id ? { id } : {}), definition };
}

function notFound(id: string): Answer {
  return { status: 404, body: { success: false, error: `no broadcast with id ${id}` } };
}
