/**
 * Whole-base jobs (DESIGN.md, "Whole-base work"): evaluating every customer again after a segment
 * is saved or deleted, a model is fitted, the stage rules change or a journey is published,
 * turned on or off; a journey's backtest, which reads every customer's history and writes
 * nothing but its counts; and a broadcast's send, which decides every customer's email once. A job is a parallel scan in `parts` slices; each
 * slice is read in chunks, one bus request per chunk, so no invocation runs long at any size.
 *
 * A chunk is safe to run twice: evaluating a customer again changes nothing the second time, and
 * a part's cursor moves only from where the chunk found it. The next chunk is requested only by
 * the run that moved the cursor, so a repeated request never forks the chain; a chain broken by
 * a crash between the move and the request is resumed by `resumeStalled`, every minute.
 */
import { type BroadcastSend, sendOf } from '../../shared/domain/broadcasts.ts';
import { JobChunkRequested } from '../../shared/domain/contracts/job-chunk.ts';
import type {
  BroadcastStore,
  BusEntry,
  ChunkedBase,
  EventPublisher,
  JobReason,
  JobState,
  JobStore,
} from '../../shared/ports.ts';

export interface JobDeps {
  jobs: JobStore;
  base: ChunkedBase;
  publisher: EventPublisher;
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

/** Items of the table read per chunk, and customers evaluated at once within it. */
export const CHUNK_ITEMS = 200;
const CONCURRENCY = 8;
/** A part that has not moved for this long is requested again. */
export const STALL_MS = 2 * 60_000;

export function jobIdOf(reason: JobReason): string {
  switch (reason.kind) {
    case 'segment-saved':
      return `segment-${reason.segment}-v${reason.version}`;
    case 'segment-deleted':
      return `segment-${reason.segment}-deleted-v${reason.version}`;
    case 'model-fitted':
      return `model-${reason.asOf}`;
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

/** Starts a job (once: the same reason again is the same job) and requests the first chunk of each part. */
export async function startJob(
  reason: JobReason,
  deps: Pick<JobDeps, 'jobs' | 'publisher' | 'now'>,
  parts = 4,
) {
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
    ...(reason.kind === 'journey-backtest' || reason.kind === 'broadcast' ? { results: {} } : {}),
  };
  if ((await deps.jobs.start(job)) === 'exists') return (await deps.jobs.get(job.id)) ?? job;
  await deps.publisher.publish(Array.from({ length: parts }, (_, part) => chunkRequest(job.id, part)));
  return job;
}

/** Runs one chunk: evaluates its customers, moves the part's cursor, requests the next chunk. */
export async function runChunk(
  request: { jobId: string; part: number; cursor?: string },
  deps: JobDeps,
): Promise<{ evaluated: number; changed: number; outcome: 'advanced' | 'stale' | 'finished' }> {
  const job = await deps.jobs.get(request.jobId);
  const part = job?.cursors[request.part];
  if (!job || !part || part.done || part.cursor !== request.cursor) {
    return { evaluated: 0, changed: 0, outcome: 'stale' };
  }
  const chunk = await deps.base.chunk({
    part: request.part,
    parts: job.parts,
    limit: CHUNK_ITEMS,
    ...(request.cursor ? { cursor: request.cursor } : {}),
  });
  const now = deps.now().toISOString();
  let changed = 0;
  const results: Record<string, number> = {};
  const queue = [...chunk.customerIds];
  const { reason } = job;
  const pace = reason.kind === 'broadcast' ? await broadcastPace(job, reason, request.part, deps) : undefined;
  if (pace === 'cancelled') queue.length = 0;
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
    ...(reason.kind === 'journey-backtest' || reason.kind === 'broadcast' ? { results } : {}),
  });
  if (moved === 'stale') return { evaluated, changed, outcome: 'stale' };
  if (!cursor) return { evaluated, changed, outcome: 'finished' };
  await deps.publisher.publish([chunkRequest(job.id, request.part, chunk.cursor)]);
  return { evaluated, changed, outcome: 'advanced' };
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

/** Requests again the chunk of every part that has not moved for STALL_MS (a crash broke its chain). */
export async function resumeStalled(deps: Pick<JobDeps, 'jobs' | 'publisher' | 'now'>): Promise<number> {
  const now = deps.now().getTime();
  const requests: BusEntry[] = [];
  for (const job of await deps.jobs.running()) {
    job.cursors.forEach((part, index) => {
      if (!part.done && now - Date.parse(part.movedAt) > STALL_MS)
        requests.push(chunkRequest(job.id, index, part.cursor));
    });
  }
  if (requests.length > 0) await deps.publisher.publish(requests);
  return requests.length;
}

function chunkRequest(jobId: string, part: number, cursor?: string): BusEntry {
  return {
    source: JobChunkRequested.source,
    detailType: JobChunkRequested.detailType,
    detail: { version: 1, jobId, part, ...(cursor ? { cursor } : {}) },
  };
}
