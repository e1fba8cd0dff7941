/**
 * Whole-base jobs (DESIGN.md, "Whole-base work"): evaluating every customer again after a segment
 * is saved or deleted, a model is fitted, the stage rules change or a journey is published,
 * turned on or off; and a journey's backtest, which reads every customer's history and writes
 * nothing but its counts. A job is a parallel scan in `parts` slices; each
 * slice is read in chunks, one bus request per chunk, so no invocation runs long at any size.
 *
 * A chunk is safe to run twice: evaluating a customer again changes nothing the second time, and
 * a part's cursor moves only from where the chunk found it. The next chunk is requested only by
 * the run that moved the cursor, so a repeated request never forks the chain; a chain broken by
 * a crash between the move and the request is resumed by `resumeStalled`, every minute.
 */
import { JobChunkRequested } from '../../shared/domain/contracts/job-chunk.ts';
import type {
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
  now: () => Date;
}

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
    ...(reason.kind === 'journey-backtest' ? { results: {} } : {}),
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
  const worker = async () => {
    for (let id = queue.shift(); id !== undefined; id = queue.shift()) {
      if (reason.kind === 'journey-backtest') {
        for (const [name, value] of Object.entries(await deps.backtest(id, reason)))
          results[name] = (results[name] ?? 0) + value;
      } else if ((await deps.reevaluate(id, now)).written) changed++;
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  const evaluated = chunk.customerIds.length;
  const moved = await deps.jobs.advance(job.id, request.part, {
    ...(request.cursor ? { from: request.cursor } : {}),
    ...(chunk.cursor ? { to: chunk.cursor } : {}),
    evaluated,
    changed,
    at: deps.now().toISOString(),
    ...(reason.kind === 'journey-backtest' ? { results } : {}),
  });
  if (moved === 'stale') return { evaluated, changed, outcome: 'stale' };
  if (!chunk.cursor) return { evaluated, changed, outcome: 'finished' };
  await deps.publisher.publish([chunkRequest(job.id, request.part, chunk.cursor)]);
  return { evaluated, changed, outcome: 'advanced' };
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
