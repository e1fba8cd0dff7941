/**
 * Starting broadcasts: one sent now starts at once (the admin API calls `startBroadcast`); one
 * scheduled starts at the minutely pass after its time. Starting is safe to repeat: the status
 * moves from scheduled to sending once, and the send job is keyed by the broadcast, so a pass
 * that finds a broadcast sending whose job never started (a crash in between) starts it.
 */
import type { Broadcast } from '../../shared/domain/broadcasts.ts';
import type { BroadcastStore, JobRunner, JobStore } from '../../shared/ports.ts';
import { jobIdOf, startJob } from './jobs.ts';

export interface StartDeps {
  broadcasts: BroadcastStore;
  jobs: JobStore;
  runner: JobRunner;
  baseSize?: () => Promise<number>;
  now: () => Date;
}

export async function startBroadcast(broadcast: Broadcast, deps: StartDeps): Promise<Broadcast> {
  const startedAt = broadcast.startedAt ?? deps.now().toISOString();
  const reason = { kind: 'broadcast' as const, broadcast: broadcast.id, startedAt };
  const sending =
    broadcast.status === 'scheduled'
      ? await deps.broadcasts.transition(broadcast.id, {
          from: ['scheduled'],
          to: 'sending',
          set: { startedAt, jobId: jobIdOf(reason) },
        })
      : broadcast;
  // Cancelled meanwhile, or started by another pass (which starts the job too).
  if (sending?.status !== 'sending' || !sending.startedAt) return sending ?? broadcast;
  await startJob({ ...reason, startedAt: sending.startedAt }, deps);
  return sending;
}

/** Starts the scheduled broadcasts whose time has come, and any sending one whose job is missing. */
export async function startDueBroadcasts(deps: StartDeps): Promise<string[]> {
  const now = deps.now().toISOString();
  const started: string[] = [];
  for (const broadcast of await deps.broadcasts.list()) {
    const due = broadcast.status === 'scheduled' && broadcast.startsAt <= now;
    const orphan =
      broadcast.status === 'sending' && !(broadcast.jobId && (await deps.jobs.get(broadcast.jobId)));
    if (!due && !orphan) continue;
    await startBroadcast(broadcast, deps);
    started.push(broadcast.id);
  }
  return started;
}
