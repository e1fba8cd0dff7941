/**
 * Whole-base jobs run the way the state machine runs them (each part a loop of chunks, the chunk's
 * answer its next request, every failed call tried again, then the finish step), on the in-memory
 * stores, in tiny chunks and with crashes after every kind of write: the results are exact.
 */
import { describe, expect, it } from 'vitest';
import { reevaluate } from '../../functions/apply-event/apply.ts';
import {
  finishJob,
  type JobDeps,
  MAX_PARTS,
  partsFor,
  resumeStalled,
  runChunk,
  runChunks,
  STALL_MS,
  startJob,
} from '../../functions/jobs/jobs.ts';
import { fitOnHistory } from '../../functions/model/model.ts';
import { WHOLE_BASE_JOB } from '../../infra/topology.ts';
import { BestCustomersAccumulator } from '../../shared/domain/insights.ts';
import { defaultSettings } from '../../shared/domain/settings.ts';
import type { JobRun, JobRunner } from '../../shared/ports.ts';
import { identify, order } from '../support/events.ts';
import {
  MemoryChunkedBase,
  MemoryJobStore,
  MemoryModels,
  MemoryStore,
  RecordingPublisher,
} from '../support/fakes.ts';
import { day, Scenario } from '../support/scenario.ts';

const MAX_ATTEMPTS = 7;

class Crash extends Error {}

/** The state machine in memory: runs are queued by `start` and run by `drain`, retrying failed calls. */
class InlineRunner implements JobRunner {
  readonly runs: JobRun[] = [];
  private readonly queued: JobRun[] = [];
  /** Runs whose calls failed every try (their execution failed). */
  failedRuns = 0;

  async start(run: JobRun) {
    if (this.runs.some((existing) => existing.name === run.name)) return;
    this.runs.push(run);
    this.queued.push(run);
  }

  async drain(deps: JobDeps) {
    for (let run = this.queued.shift(); run; run = this.queued.shift()) {
      const { jobId } = run;
      try {
        await Promise.all(
          run.items.map(async (item) => {
            let request = { jobId, ...item };
            for (;;) {
              const outcome = await this.tried(() => runChunk(request, deps));
              if (outcome.done) break;
              request = { jobId, part: outcome.part, ...(outcome.cursor ? { cursor: outcome.cursor } : {}) };
            }
          }),
        );
        await this.tried(() => finishJob(jobId, deps));
      } catch (error) {
        if (!(error instanceof Crash)) throw error;
        this.failedRuns++;
      }
    }
  }

  private async tried<T>(call: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await call();
      } catch (error) {
        if (!(error instanceof Crash) || attempt >= MAX_ATTEMPTS) throw error;
      }
    }
  }
}

/** A seeded coin: the same crashes on every run of the test. */
function coin(seed: number, rate: number) {
  let state = seed;
  return () => {
    state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
    return state / 2 ** 31 < rate;
  };
}

async function shop() {
  const store = new MemoryStore();
  const world = new Scenario(store, store, store, defaultSettings());
  for (let index = 0; index < 30; index++) {
    const id = `c-${String(index).padStart(2, '0')}`;
    await world.events(id, [
      identify(
        { email: `${id}@example.com`, plan: index % 2 ? 'gold' : 'basic' },
        { userId: id, receivedAt: day(0) },
      ),
    ]);
    const days = index % 3 === 0 ? [0, 20, 40] : [index];
    for (const [n, at] of days.entries())
      await world.events(id, [order(`${id}-${n}`, day(at), { userId: id, receivedAt: day(at) }, 10 + index)]);
  }
  // An order today is not part of a fit as of yesterday.
  await world.events('late', [order('late-1', day(60, 1), { userId: 'late', receivedAt: day(60, 1) })]);
  return store;
}

function setup(store: MemoryStore, options: { crash?: () => boolean; chunkItems?: number } = {}) {
  const jobs = new MemoryJobStore();
  const models = new MemoryModels();
  const runner = new InlineRunner();
  const crash = options.crash ?? (() => false);
  const evaluations = new Map<string, number>();
  let clock = Date.parse(day(60, 2));
  // Crashes after each kind of write: the part's move, a fit's records, a customer's evaluation.
  const crashing: MemoryJobStore = Object.assign(Object.create(jobs) as MemoryJobStore, {
    advance: async (...args: Parameters<MemoryJobStore['advance']>) => {
      const moved = await jobs.advance(...args);
      if (crash()) throw new Crash('after the move');
      return moved;
    },
    keepRecords: async (...args: Parameters<MemoryJobStore['keepRecords']>) => {
      await jobs.keepRecords(...args);
      if (crash()) throw new Crash('after the records');
    },
  });
  const deps: JobDeps = {
    jobs: crashing,
    base: new MemoryChunkedBase(() => [...store.customers.keys()]),
    runner,
    models,
    profiles: async (ids) => ids.flatMap((id) => store.profile(id) ?? []),
    reevaluate: async (customerId, now) => {
      const outcome = await reevaluate(customerId, now, {
        store,
        history: store,
        publisher: new RecordingPublisher(),
        settings: async () => ({
          ...defaultSettings(),
          ...(models.saved.at(-1) ? { model: models.saved.at(-1) } : {}),
        }),
      });
      evaluations.set(customerId, (evaluations.get(customerId) ?? 0) + 1);
      if (crash()) throw new Crash('after an evaluation');
      return outcome;
    },
    backtest: async () => ({}),
    broadcast: async () => ({ emails: 0 }),
    broadcasts: { get: async () => undefined },
    broadcastRate: async () => 1,
    broadcastInFlight: async () => 0,
    chunkItems: options.chunkItems ?? 2,
    now: () => {
      clock += 1000;
      return new Date(clock);
    },
  };
  const advanceClock = (ms: number) => {
    clock += ms;
  };
  return { jobs, models, runner, deps, evaluations, advanceClock };
}

const asOf = day(59).slice(0, 10);
const fitReason = { kind: 'model-fit' as const, asOf, requestedAt: day(60, 2) };

describe('whole-base jobs in chunks', () => {
  it('a fit in chunks of two, crashed after every kind of write, finds what one pass over the base finds', async () => {
    const store = await shop();
    const expected = await fitOnHistory(asOf, { base: store, now: () => new Date() });
    const { jobs, models, runner, deps } = setup(store, { crash: coin(7, 0.2) });

    const job = await startJob(fitReason, deps);
    await runner.drain(deps);

    expect(runner.failedRuns).toBe(0);
    const fit = await jobs.get(job.id);
    expect(fit).toMatchObject({ status: 'done', evaluated: 31, partsDone: 4, results: { buyers: 30 } });
    // The same fit, to the last bit: its summaries are put in one order whatever order the chunks ran in.
    expect(models.saved).toHaveLength(1);
    const [saved] = models.saved;
    expect(saved?.bgnbd.logLikelihood).toBeCloseTo(expected.bgnbd.logLikelihood, 9);
    expect(saved).toMatchObject({ asOf, customers: 30, repeatBuyers: 10 });
    for (const name of ['r', 'alpha', 'a', 'b'] as const)
      expect(saved?.bgnbd[name]).toBeCloseTo(expected.bgnbd[name], 6);

    // The insights, kept, are what a pass over every profile under the same model finds.
    const best = new BestCustomersAccumulator(saved, asOf);
    for (const id of store.customers.keys()) {
      const profile = store.profile(id);
      if (profile) best.addProfile(profile);
    }
    const { computedAt, asOf: keptAsOf, ...kept } = models.kept ?? { computedAt: '', asOf: '' };
    expect(keptAsOf).toBe(asOf);
    expect(computedAt).toBe(saved?.fittedAt);
    expect(kept).toEqual(best.result());

    // Then everyone is evaluated again under the new model: one job, started once, done.
    const evaluation = [...jobs.jobs.values()].filter((entry) => entry.reason.kind === 'model-fitted');
    expect(evaluation).toHaveLength(1);
    expect(evaluation[0]).toMatchObject({ status: 'done', evaluated: 31, partsDone: 4 });
  });

  it('a crash does not count a chunk twice: each customer is in the counts once, however often evaluated', async () => {
    const store = await shop();
    const { jobs, runner, deps, evaluations } = setup(store, { crash: coin(3, 0.25) });
    const job = await startJob({ kind: 'rules-changed', at: day(60) }, deps);
    await runner.drain(deps);
    expect(await jobs.get(job.id)).toMatchObject({ status: 'done', evaluated: 31, partsDone: 4 });
    // Every customer evaluated, some more than once (the retries after a crash).
    expect(evaluations.size).toBe(31);
    expect([...evaluations.values()].reduce((sum, n) => sum + n, 0)).toBeGreaterThan(31);
  });

  it('a chunk whose part has moved on does nothing and answers where the part is now', async () => {
    const store = await shop();
    const { runner, deps, evaluations } = setup(store);
    const job = await startJob({ kind: 'rules-changed', at: day(60) }, deps);
    const first = await runChunk({ jobId: job.id, part: 1 }, deps);
    expect(first).toMatchObject({ part: 1, done: false, evaluated: 2, outcome: 'advanced' });
    const evaluated = evaluations.size;
    // The same request again (its first answer was lost): nothing evaluated, the part's cursor answered.
    expect(await runChunk({ jobId: job.id, part: 1 }, deps)).toEqual({
      ...first,
      evaluated: 0,
      changed: 0,
      outcome: 'stale',
    });
    expect(evaluations.size).toBe(evaluated);
    expect(await runChunk({ jobId: 'no-such-job', part: 0 }, deps)).toMatchObject({
      done: true,
      outcome: 'stale',
    });
    // The same job started again is the same run.
    await startJob({ kind: 'rules-changed', at: day(60) }, deps);
    expect(runner.runs).toHaveLength(1);
  });

  it('a run that gave up is resumed where its parts stopped, and finishes once', async () => {
    const store = await shop();
    // Every call fails for a while: the run fails after its retries, as an execution does.
    let down = true;
    const { jobs, models, runner, deps, advanceClock } = setup(store, { crash: () => down });
    const job = await startJob(fitReason, deps);
    await runner.drain(deps);
    expect(runner.failedRuns).toBe(1);
    expect((await jobs.get(job.id))?.status).toBe('running');

    // Not yet stalled: nothing resumed.
    expect(await resumeStalled(deps)).toBe(0);
    down = false;
    advanceClock(STALL_MS + 60_000);
    expect(await resumeStalled(deps)).toBe(4);
    await runner.drain(deps);
    expect(await jobs.get(job.id)).toMatchObject({ status: 'done', evaluated: 31, results: { buyers: 30 } });
    expect(models.saved).toHaveLength(1);

    // A finish step run again (its answer lost) keeps the same fit and starts no second evaluation.
    await finishJob(job.id, deps);
    expect(models.saved).toHaveLength(1);
    expect([...jobs.jobs.values()].filter((entry) => entry.reason.kind === 'model-fitted')).toHaveLength(1);
  });

  it('a job whose parts all finished but whose last step never ran is finished by the minutely pass', async () => {
    const store = await shop();
    const { jobs, runner, deps, advanceClock } = setup(store, { chunkItems: 100 });
    const job = await startJob({ kind: 'rules-changed', at: day(60) }, deps);
    for (let part = 0; part < 4; part++) await runChunk({ jobId: job.id, part }, deps);
    expect(await jobs.get(job.id)).toMatchObject({ status: 'running', partsDone: 4 });
    advanceClock(STALL_MS + 60_000);
    expect(await resumeStalled(deps)).toBe(1);
    expect(runner.runs.at(-1)?.items).toEqual([]);
    await runner.drain(deps);
    expect((await jobs.get(job.id))?.status).toBe('done');
  });
});

describe('the parts of a job', () => {
  it('four for a small shop, one per 100,000 customers above that, at most the state machine’s concurrency', () => {
    expect([0, 399_999, 400_001, 2_500_000, 10_000_000, 50_000_000].map(partsFor)).toEqual([
      4, 4, 5, 25, 100, 100,
    ]);
    expect(MAX_PARTS).toBe(WHOLE_BASE_JOB.maxConcurrency);
  });
});

describe('a call of the runner', () => {
  it('goes from chunk to chunk until its part is done, or until its budget is spent', async () => {
    const store = await shop();
    const { jobs, deps } = setup(store);
    const job = await startJob({ kind: 'rules-changed', at: day(60) }, deps);
    // No budget: one chunk, and where the part is.
    const first = await runChunks({ jobId: job.id, part: 0 }, deps, 0);
    expect(first).toMatchObject({ done: false, evaluated: 2, outcome: 'advanced' });
    // A budget: every chunk of the part in one call, counted together.
    const rest = await runChunks(
      { jobId: job.id, part: 0, ...(first.cursor ? { cursor: first.cursor } : {}) },
      deps,
    );
    expect(rest).toMatchObject({ done: true, outcome: 'finished' });
    // A call repeated from an old cursor (its answer was lost) goes on from where the part is: done.
    expect(await runChunks({ jobId: job.id, part: 0 }, deps)).toMatchObject({ done: true, evaluated: 0 });
    const part = (await jobs.get(job.id))?.cursors[0];
    expect(part?.done).toBe(true);
    expect((await jobs.get(job.id))?.evaluated).toBe(first.evaluated + rest.evaluated);
  });
});
