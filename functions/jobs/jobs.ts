/**
 * Whole-base jobs (DESIGN.md, "Whole-base work"): evaluating every customer again after a segment
 * is saved or deleted, a model is fitted, the stage rules change or a journey is published,
 * turned on or off; a journey's backtest, which reads every customer's history and writes
 * nothing but its counts; a broadcast's send, which decides every customer's email once; and the
 * nightly fit, which gathers every buyer's purchase summary, then fits the model and computes the
 * best-customer insights from what it gathered.
 *
 * A job is a parallel scan in `parts` slices, each read in chunks by a runner (Step Functions'
 * Distributed Map in AWS, its stand-in locally) that calls `runChunk` with a part's cursor and
 * goes on with the cursor it answers, until the part is done; then `finishJob` once.
 *
 * A chunk is safe to run twice: evaluating a customer again changes nothing the second time, a
 * part's cursor moves (and its counts are added) only from where the chunk found it, and a
 * gathering chunk's records are kept under the cursor it began at. A chunk that finds its part
 * already moved on (its first run crashed after the move) answers where the part is now. A run
 * that gave up is resumed by `resumeStalled`, every minute.
 */
import { type BroadcastSend, sendOf } from '../../shared/domain/broadcasts.ts';
import { BestCustomersAccumulator, type BuyerRecord, buyerRecordOf } from '../../shared/domain/insights.ts';
import { type FittedModel, fitModel } from '../../shared/domain/models/fitted.ts';
import type { Profile } from '../../shared/domain/profile.ts';
import type {
  BroadcastStore,
  ChunkedBase,
  JobReason,
  JobRunner,
  JobState,
  JobStore,
  ModelStore,
} from '../../shared/ports.ts';

export interface JobDeps {
  jobs: JobStore;
  base: ChunkedBase;
  runner: JobRunner;
  /** A gathering chunk's customers, read at once. */
  profiles: (customerIds: string[]) => Promise<Profile[]>;
  models: ModelStore;
  /** Evaluates one customer again at `now` (apply-event's use case); `written` when something moved. */
  reevaluate: (customerId: string, now: string) => Promise<{ written: boolean }>;
  /** What a backtest found for one customer (nothing is written), as counts to add up. */
  backtest: (
    customerId: string,
    reason: Extract<JobReason, { kind: 'journey-backtest' }>,
  ) => Promise<Record<string, number>>;
  /** A broadcast's email for one customer (apply-event's use case); `emails` counts one that will go. */
  broadcast: (customerId: string, input: BroadcastChunkInput) => Promise<{ emails: number }>;
  broadcasts: Pick<BroadcastStore, 'get'>;
  /** Emails a second the broadcasts may take: a share of the account's SES rate, the rest left to journeys. */
  broadcastRate: () => Promise<number>;
  /** A broadcast's emails requested of send-message and not done yet (its counters). */
  broadcastInFlight: (broadcastId: string) => Promise<number>;
  sleep?: (ms: number) => Promise<void>;
  /** Customers in the base (the counters' gauge), for a new job's number of parts. */
  baseSize?: () => Promise<number>;
  /** Items of the table read per chunk (default CHUNK_ITEMS). */
  chunkItems?: number;
  now: () => Date;
}

export interface BroadcastChunkInput {
  send: BroadcastSend;
  now: string;
  /** The email's pace slot, when it is further ahead than the dispatcher's next pass. */
  notBefore?: string;
}

/** Slots nearer than this go at once: the dispatcher that sends deferred email runs every minute. */
const NEAR_SLOT_MS = 60_000;

/** Items of the table read per chunk (JOB_CHUNK_ITEMS for tests that want many chunks), and customers evaluated at once. */
export const CHUNK_ITEMS = Number(process.env.JOB_CHUNK_ITEMS) || 200;
const CONCURRENCY = 8;
/**
 * A part that has not moved for this long is run again: longer than the runner's own retries of a
 * chunk (topology.ts, WHOLE_BASE_JOB), so only a run that gave up is resumed.
 */
export const STALL_MS = 15 * 60_000;

export function jobIdOf(reason: JobReason): string {
  switch (reason.kind) {
    case 'segment-saved':
      return `segment-${reason.segment}-v${reason.version}`;
    case 'segment-deleted':
      return `segment-${reason.segment}-deleted-v${reason.version}`;
    case 'model-fit':
      return `fit-${reason.asOf}-${reason.requestedAt}`;
    case 'model-fitted':
      return `model-${reason.asOf}-${reason.fittedAt}`;
    case 'rules-changed':
      return `rules-${reason.at}`;
    case 'journey-changed':
      return `journey-${reason.journey}-${reason.at}`;
    case 'journey-backtest':
      return `backtest-${reason.journey}-v${reason.version}-${reason.from}-${reason.to}-${reason.requestedAt}`;
    case 'broadcast':
      return `${reason.broadcast}-send`;
  }
}

const countsResults = (reason: JobReason) =>
  reason.kind === 'journey-backtest' || reason.kind === 'broadcast' || reason.kind === 'model-fit';

/**
 * Parts of a job: a part is a loop of chunks one after another, the parts run side by side. Four
 * for a small shop; one per 100,000 customers above that, up to the state machine's concurrency
 * (topology.ts, WHOLE_BASE_JOB.maxConcurrency): 10 million customers in 100 parts of ~2,500 chunks.
 */
export const CUSTOMERS_PER_PART = 100_000;
export const MAX_PARTS = 100;
export function partsFor(customers: number): number {
  return Math.min(MAX_PARTS, Math.max(4, Math.ceil(customers / CUSTOMERS_PER_PART)));
}

/**
 * Starts a job (once: the same reason again is the same job, and the same run) and its run over
 * every part from the start.
 */
export async function startJob(
  reason: JobReason,
  deps: Pick<JobDeps, 'jobs' | 'runner' | 'now' | 'baseSize'>,
  parts?: number,
) {
  parts ??= partsFor((await deps.baseSize?.()) ?? 0);
  const at = deps.now().toISOString();
  const job: JobState = {
    id: jobIdOf(reason),
    reason,
    parts,
    status: 'running',
    startedAt: at,
    evaluated: 0,
    changed: 0,
    partsDone: 0,
    cursors: Array.from({ length: parts }, () => ({ done: false, movedAt: at })),
    ...(countsResults(reason) ? { results: {} } : {}),
  };
  const stored = (await deps.jobs.start(job)) === 'exists' ? ((await deps.jobs.get(job.id)) ?? job) : job;
  // Started again when it exists (a crash between the two writes): the runner knows the run by name.
  if (stored.status === 'running')
    await deps.runner.start({
      jobId: stored.id,
      name: stored.id,
      items: Array.from({ length: stored.parts }, (_, part) => ({ part })),
    });
  return stored;
}

/** What a chunk answers its runner: where its part is now, and whether it is done. */
export interface ChunkOutcome {
  jobId: string;
  part: number;
  cursor?: string;
  done: boolean;
  evaluated: number;
  changed: number;
  outcome: 'advanced' | 'stale' | 'finished';
}

/** Runs one chunk: evaluates its customers, moves the part's cursor, answers where the part is now. */
export async function runChunk(
  request: { jobId: string; part: number; cursor?: string },
  deps: JobDeps,
): Promise<ChunkOutcome> {
  const job = await deps.jobs.get(request.jobId);
  const part = job?.cursors[request.part];
  if (!job || !part || part.done || part.cursor !== request.cursor) return stale(request, part);
  const chunk = await deps.base.chunk({
    part: request.part,
    parts: job.parts,
    limit: deps.chunkItems ?? CHUNK_ITEMS,
    ...(request.cursor ? { cursor: request.cursor } : {}),
  });
  const now = deps.now().toISOString();
  let changed = 0;
  const results: Record<string, number> = {};
  const { reason } = job;
  const pace = reason.kind === 'broadcast' ? await broadcastPace(job, reason, request.part, deps) : undefined;
  // A fit gathers the chunk's buyers at once; every other job goes customer by customer below.
  if (reason.kind === 'model-fit')
    results.buyers = await gather(job.id, request, chunk.customerIds, reason.asOf, deps);
  const queue = reason.kind === 'model-fit' || pace === 'cancelled' ? [] : [...chunk.customerIds];
  const worker = async () => {
    for (let id = queue.shift(); id !== undefined; id = queue.shift()) {
      if (pace && pace !== 'cancelled') {
        const slot = pace.slot();
        // A slot within the dispatcher's minute goes at once (send-message paces the last second).
        const notBefore = Date.parse(slot) - Date.parse(now) > NEAR_SLOT_MS ? slot : undefined;
        const { emails } = await deps.broadcast(id, {
          send: pace.send,
          now,
          ...(notBefore ? { notBefore } : {}),
        });
        if (emails > 0) changed++;
      } else if (reason.kind === 'journey-backtest') {
        for (const [name, value] of Object.entries(await deps.backtest(id, reason)))
          results[name] = (results[name] ?? 0) + value;
      } else if ((await deps.reevaluate(id, now)).written) changed++;
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  const evaluated = pace === 'cancelled' ? 0 : chunk.customerIds.length;
  if (pace && pace !== 'cancelled') results[`slots:${request.part}`] = pace.taken;
  // A cancelled broadcast's parts end here: what has not been decided is not sent.
  const cursor = pace === 'cancelled' ? undefined : chunk.cursor;
  const moved = await deps.jobs.advance(job.id, request.part, {
    ...(request.cursor ? { from: request.cursor } : {}),
    ...(cursor ? { to: cursor } : {}),
    evaluated,
    changed,
    at: deps.now().toISOString(),
    ...(countsResults(reason) ? { results } : {}),
  });
  if (moved === 'stale') return stale(request, (await deps.jobs.get(job.id))?.cursors[request.part]);
  const { jobId, part: index } = request;
  return cursor
    ? { jobId, part: index, cursor, done: false, evaluated, changed, outcome: 'advanced' }
    : { jobId, part: index, done: true, evaluated, changed, outcome: 'finished' };
}

/**
 * How long one call of the runner goes on from chunk to chunk before it answers (the Lambda's
 * timeout is 300 s; a chunk takes seconds, a broadcast's may wait up to two minutes for room):
 * each state transition is billed, so one call does many chunks rather than one.
 */
export const CALL_BUDGET_MS = Number(process.env.JOB_CALL_BUDGET_MS) || 60_000;

/**
 * Runs a part's chunks one after another, each moving the part's cursor as `runChunk` does, until
 * the part is done or the budget is spent; answers where the part is then. A chunk that finds its
 * part moved on goes on from where the part is. A crash anywhere leaves the cursor of the last
 * chunk that finished: the runner's retry starts there (its first chunk finds the part moved on).
 */
export async function runChunks(
  request: { jobId: string; part: number; cursor?: string },
  deps: JobDeps,
  budgetMs = CALL_BUDGET_MS,
): Promise<ChunkOutcome> {
  const started = performance.now();
  let total = { evaluated: 0, changed: 0 };
  let next = request;
  for (;;) {
    const outcome = await runChunk(next, deps);
    total = { evaluated: total.evaluated + outcome.evaluated, changed: total.changed + outcome.changed };
    if (outcome.done || performance.now() - started >= budgetMs) return { ...outcome, ...total };
    next = {
      jobId: request.jobId,
      part: request.part,
      ...(outcome.cursor ? { cursor: outcome.cursor } : {}),
    };
  }
}

/** A chunk whose part had moved on (or is gone): nothing done, and where the part is now. */
function stale(
  request: { jobId: string; part: number },
  part: JobState['cursors'][number] | undefined,
): ChunkOutcome {
  return {
    jobId: request.jobId,
    part: request.part,
    ...(part?.cursor ? { cursor: part.cursor } : {}),
    done: part ? part.done : true,
    evaluated: 0,
    changed: 0,
    outcome: 'stale',
  };
}

/** A fit's chunk: keeps each buyer's record (the same records again when run twice); answers how many. */
async function gather(
  jobId: string,
  request: { part: number; cursor?: string },
  customerIds: string[],
  asOf: string,
  deps: Pick<JobDeps, 'jobs' | 'profiles'>,
) {
  const records = (await deps.profiles(customerIds)).flatMap((profile) => buyerRecordOf(profile, asOf) ?? []);
  await deps.jobs.keepRecords(jobId, request.part, request.cursor, records);
  return records.length;
}

/**
 * The job's last step, once every part is done: a fit reduces what its chunks gathered (the model,
 * then the best customers valued by it) and starts the evaluation of everyone under the new
 * model; then the job is done. Safe to run again: the fit is stamped with the time the last part
 * finished, so a second run keeps the same fit and starts the same evaluation.
 */
export async function finishJob(
  jobId: string,
  deps: Pick<JobDeps, 'jobs' | 'models' | 'runner' | 'now' | 'baseSize'>,
): Promise<{ finished: boolean; fitted?: FittedModel }> {
  const job = await deps.jobs.get(jobId);
  if (!job || job.partsDone < job.parts) return { finished: false };
  const lastMove = job.cursors.reduce((latest, part) => (part.movedAt > latest ? part.movedAt : latest), '');
  let fitted: FittedModel | undefined;
  if (job.reason.kind === 'model-fit' && job.status === 'running') {
    const { asOf } = job.reason;
    const buyers: BuyerRecord[] = [];
    for await (const page of deps.jobs.records(job.id)) buyers.push(...(page as BuyerRecord[]));
    if (buyers.length > 0) {
      fitted = fitModel(
        buyers.map((buyer) => buyer.summary),
        asOf,
        lastMove,
      );
      await deps.models.save(fitted);
    }
    const best = new BestCustomersAccumulator(fitted, asOf);
    for (const buyer of buyers) best.addRecord(buyer);
    await deps.models.keepInsights({ asOf, computedAt: lastMove, ...best.result() });
    if (fitted) await startJob({ kind: 'model-fitted', asOf, fittedAt: fitted.fittedAt }, deps);
  }
  await deps.jobs.finish(job.id, lastMove || deps.now().toISOString());
  return { finished: true, ...(fitted ? { fitted } : {}) };
}

/**
 * A broadcast part's pace: its k-th customer's email goes no earlier than the start plus k times
 * the part's share of the interval between two emails, so the send queue never runs far ahead of
 * the rate and journeys' emails are not stuck behind a large broadcast. A slot is taken before the
 * customer is decided (customers are decided several at once), so one left out leaves its slot
 * unused: the pace is at most the rate. The count k is kept with the part's cursor (added in the
 * same conditional write), so a resumed part goes on where it was.
 */
async function broadcastPace(
  job: JobState,
  reason: Extract<JobReason, { kind: 'broadcast' }>,
  part: number,
  deps: JobDeps,
) {
  const broadcast = await deps.broadcasts.get(reason.broadcast);
  if (!broadcast || broadcast.status === 'cancelled') return 'cancelled' as const;
  await roomToSend(broadcast.id, deps);
  const rate = Math.max(0.1, await deps.broadcastRate());
  const spacingMs = (job.parts * 1000) / rate;
  const before = job.results?.[`slots:${part}`] ?? 0;
  const start = Date.parse(reason.startedAt);
  const pace = {
    send: { ...sendOf(broadcast), startedAt: reason.startedAt },
    taken: 0,
    slot: () => new Date(start + Math.floor((before + pace.taken++) * spacingMs)).toISOString(),
  };
  return pace;
}

/** At most this many of a broadcast's emails wait for send-message at once, whatever the rate allows. */
export const MAX_IN_FLIGHT = 1_000;
const ROOM_WAIT_MS = 120_000;

/**
 * Back-pressure: a chunk decides more emails only while fewer than MAX_IN_FLIGHT of the
 * broadcast's wait to be sent, so the send queue stays short when the senders are slower than
 * the account's rate (and journeys' emails are never stuck behind thousands of a broadcast's).
 * It waits up to two minutes, then goes on (the counters may lag; the pace slots still hold).
 */
async function roomToSend(broadcastId: string, deps: Pick<JobDeps, 'broadcastInFlight' | 'sleep'>) {
  const sleep = deps.sleep ?? ((ms: number) => new Promise((resolve) => setTimeout(resolve, ms)));
  for (let waited = 0; waited < ROOM_WAIT_MS; waited += 500) {
    if ((await deps.broadcastInFlight(broadcastId)) < MAX_IN_FLIGHT) return;
    await sleep(500);
  }
}

/**
 * Runs again every part that has not moved for STALL_MS (its run gave up), and the last step of a
 * job whose parts are all done but which never finished.
 */
export async function resumeStalled(deps: Pick<JobDeps, 'jobs' | 'runner' | 'now'>): Promise<number> {
  const now = deps.now();
  let resumed = 0;
  for (const job of await deps.jobs.running()) {
    const stalled = job.cursors.flatMap((part, index) =>
      now.getTime() - Date.parse(part.movedAt) > STALL_MS && !part.done
        ? [{ part: index, ...(part.cursor ? { cursor: part.cursor } : {}) }]
        : [],
    );
    const unfinished =
      job.partsDone >= job.parts &&
      job.cursors.every((part) => now.getTime() - Date.parse(part.movedAt) > STALL_MS);
    if (stalled.length === 0 && !unfinished) continue;
    await deps.runner.start({
      jobId: job.id,
      name: `${job.id}~resumed~${now.toISOString()}`,
      items: stalled,
    });
    resumed += Math.max(1, stalled.length);
  }
  return resumed;
}
