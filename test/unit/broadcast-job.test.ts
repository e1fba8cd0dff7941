/**
 * A broadcast's send job, chunk by chunk (fakes for the stores): each email's pace slot, a part
 * resumed where it was, back-pressure while the senders are behind, and a cancelled broadcast's
 * parts ending without deciding anyone.
 */
import { describe, expect, it } from 'vitest';
import {
  type BroadcastChunkInput,
  type JobDeps,
  MAX_IN_FLIGHT,
  runChunk,
} from '../../functions/jobs/jobs.ts';
import type { Broadcast } from '../../shared/domain/broadcasts.ts';
import type { JobState } from '../../shared/ports.ts';
import { MemoryModels } from '../support/fakes.ts';

const START = '2026-12-01T12:00:00.000Z';

function setup(options: { cancelled?: boolean; slotsBefore?: number; inFlight?: number[] } = {}) {
  const broadcast: Broadcast = {
    id: 'broadcast-sale-1',
    definition: {
      name: 'Sale',
      segment: 'everyone',
      template: 'news',
      category: 'marketing',
      holdoutPercent: 0,
      dropInGuard: { quietDays: 180 },
      conversion: { event: 'Order Completed', withinDays: 7 },
    },
    status: options.cancelled ? 'cancelled' : 'sending',
    createdAt: START,
    startsAt: START,
    startedAt: START,
  };
  const job: JobState = {
    id: 'broadcast-sale-1-send',
    reason: { kind: 'broadcast', broadcast: broadcast.id, startedAt: START },
    parts: 4,
    status: 'running',
    startedAt: START,
    evaluated: 0,
    changed: 0,
    partsDone: 0,
    results: options.slotsBefore ? { 'slots:0': options.slotsBefore } : {},
    cursors: Array.from({ length: 4 }, () => ({ done: false, movedAt: START })),
  };
  const decided: { customerId: string; input: BroadcastChunkInput }[] = [];
  const advances: unknown[] = [];
  const slept: number[] = [];
  const inFlight = [...(options.inFlight ?? [0])];
  const deps: JobDeps = {
    jobs: {
      start: async () => 'started',
      get: async () => job,
      running: async () => [job],
      advance: async (_id, _part, move) => {
        advances.push(move);
        return 'advanced';
      },
      finish: async () => {},
      keepRecords: async () => {},
      records: async function* () {},
    },
    base: { chunk: async () => ({ customerIds: ['a', 'b', 'c', 'd'], itemsRead: 4 }) },
    runner: { start: async () => {} },
    profiles: async () => [],
    models: new MemoryModels(),
    reevaluate: async () => ({ written: false }),
    backtest: async () => ({}),
    // Customer c is left out (no email goes): its slot is not taken.
    broadcast: async (customerId, input) => {
      decided.push({ customerId, input });
      return { emails: customerId === 'c' ? 0 : 1 };
    },
    broadcasts: { get: async () => broadcast },
    broadcastRate: async () => 0.1,
    broadcastInFlight: async () => inFlight.shift() ?? 0,
    sleep: async (ms) => {
      slept.push(ms);
    },
    now: () => new Date(START),
  };
  return { deps, decided, advances, slept };
}

const slots = (decided: { input: BroadcastChunkInput }[]) =>
  decided.flatMap(({ input }) => (input.notBefore ? [input.notBefore] : [])).sort();

describe('a broadcast’s send job', () => {
  it('gives each customer of a part a slot: the start plus k times parts / rate', async () => {
    const { deps, decided, advances } = setup();
    const outcome = await runChunk({ jobId: 'broadcast-sale-1-send', part: 0 }, deps);
    expect(outcome).toMatchObject({ evaluated: 4, changed: 3, outcome: 'finished' });
    // One email every 10 seconds over 4 parts: each part's slots 40 seconds apart, even when its
    // customers are decided at once. A slot within the dispatcher's minute goes at once.
    const at = (seconds: number) => new Date(Date.parse(START) + seconds * 1000).toISOString();
    expect(slots(decided)).toEqual([at(80), at(120)]);
    expect(decided.filter(({ input }) => input.notBefore === undefined)).toHaveLength(2);
    // The part's count of slots is added with its cursor, so a resumed part goes on from it.
    expect(advances).toEqual([expect.objectContaining({ results: { 'slots:0': 4 } })]);
  });

  it('a resumed part goes on from its count of slots', async () => {
    const { deps, decided } = setup({ slotsBefore: 10 });
    await runChunk({ jobId: 'broadcast-sale-1-send', part: 0 }, deps);
    expect(slots(decided)[0]).toBe(new Date(Date.parse(START) + 10 * 40_000).toISOString());
  });

  it('waits while the senders are behind, then decides', async () => {
    const { deps, decided, slept } = setup({ inFlight: [MAX_IN_FLIGHT + 200, MAX_IN_FLIGHT, 10] });
    await runChunk({ jobId: 'broadcast-sale-1-send', part: 0 }, deps);
    expect(slept).toEqual([500, 500]);
    expect(decided).toHaveLength(4);
  });

  it('a cancelled broadcast’s part ends without deciding anyone', async () => {
    const { deps, decided, advances } = setup({ cancelled: true });
    const outcome = await runChunk({ jobId: 'broadcast-sale-1-send', part: 2 }, deps);
    expect(outcome).toMatchObject({ evaluated: 0, outcome: 'finished' });
    expect(decided).toEqual([]);
    expect(advances).toEqual([expect.not.objectContaining({ to: expect.anything() })]);
  });
});
