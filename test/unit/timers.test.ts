import { describe, expect, it } from 'vitest';
import { millisecondsUntil } from '../../infra/local/scheduler.ts';
import { DUE_INDEX, dueIndexKeys, dueUpTo, shardOf } from '../../shared/adapters/dynamodb/table.ts';
import { evaluate, medianGap } from '../../shared/domain/conditions.ts';
import { newProfile, type Profile } from '../../shared/domain/profile.ts';
import { defaultSettings } from '../../shared/domain/settings.ts';
import { dueBucket, timersOf } from '../../shared/domain/timers.ts';

const settings = defaultSettings();
const profile = (partial: Partial<Profile>): Profile => ({
  ...newProfile('u1', '2026-01-01T00:00:00.000Z'),
  ...partial,
});

describe('timers', () => {
  it('computes the median gap between visit days', () => {
    expect(medianGap([])).toBe(0);
    expect(medianGap([10])).toBe(0);
    expect(medianGap([10, 12, 20])).toBe(5);
    expect(medianGap([1, 2, 3, 10])).toBe(1);
  });

  it('a lapsed condition holds once the visitor is quiet max(7 days, 3 x their median gap), and says when', () => {
    const lapsed = { lapsed: { visitDays: 3, quietDays: 7, gapMultiplier: 3 } } as const;
    const at = (visitor: Profile, now: string) =>
      evaluate(lapsed, { profile: visitor, now, definitionId: 't', segment: () => ({ value: false }) });
    const weekly = profile({ visitDays: [0, 7, 14], lastVisitAt: '1970-01-15T12:00:00.000Z' });
    expect(at(weekly, '1970-01-20T00:00:00.000Z')).toEqual({
      value: false,
      changesAt: '1970-02-05T12:00:00.000Z',
    });
    expect(at(weekly, '1970-02-05T12:00:00.000Z').value).toBe(true);
    const daily = profile({ visitDays: [0, 1, 2], lastVisitAt: '1970-01-03T12:00:00.000Z' });
    expect(at(daily, '1970-01-04T00:00:00.000Z')).toEqual({
      value: false,
      changesAt: '1970-01-10T12:00:00.000Z',
    });
  });

  it('has no timer for a customer with nothing to wait for', () => {
    expect(timersOf(profile({}), settings)).toEqual([]);
  });

  it('puts a single buyer at risk after 90 quiet days (and not before the typical second order plus a grace)', () => {
    const buyer = profile({
      stage: 'buildup',
      orders: [{ orderId: 'o', at: '2026-01-01T00:00:00.000Z', revenue: 1 }],
    });
    expect(timersOf(buyer, settings).map((timer) => [timer.kind, timer.dueAt])).toEqual([
      ['at-risk', '2026-04-01T00:00:00.000Z'],
    ]);
    const patient = {
      ...settings,
      lifecycle: { ...settings.lifecycle, atRisk: { ...settings.lifecycle.atRisk, afterDays: 30 } },
    };
    // 60 days typical + 14 grace after the first order.
    expect(timersOf(buyer, patient).map((timer) => timer.dueAt)).toEqual(['2026-03-16T00:00:00.000Z']);
  });

  it('ends the relationship only from deterioration, 30 days after it began', () => {
    const quiet = profile({
      stage: 'deterioration',
      stageChangedAt: '2026-04-01T00:00:00.000Z',
      orders: [{ orderId: 'o', at: '2026-01-01T00:00:00.000Z', revenue: 1 }],
    });
    expect(timersOf(quiet, settings)).toEqual([{ kind: 'ended', dueAt: '2026-05-01T00:00:00.000Z' }]);
  });
});

describe('due index keys', () => {
  it('files a near timer to the minute and a far one under the day before its day', () => {
    const now = '2026-05-01T10:00:00.000Z';
    expect(dueBucket('2026-05-01T10:30:10.000Z', now)).toBe('2026-05-01T10:31');
    expect(dueBucket('2026-05-03T09:59:00.000Z', now)).toBe('2026-05-03T09:59');
    // Far: the start of the day before; a timer that moves within its day keeps its bucket.
    expect(dueBucket('2026-07-30T08:00:00.000Z', now)).toBe('2026-07-29T00:00');
    expect(dueBucket('2026-07-30T21:15:00.000Z', now)).toBe('2026-07-29T00:00');
    // A far bucket is always later than now, and when the dispatcher reaches it, the timer is near.
    for (const hours of [49, 50, 71, 72, 73, 200]) {
      const due = new Date(Date.parse(now) + hours * 3_600_000).toISOString();
      const bucket = dueBucket(due, now);
      expect(bucket > now.slice(0, 16)).toBe(true);
      expect(dueBucket(due, `${bucket}:00.000Z`)).toBe(dueBucket(due, due));
    }
    expect(dueUpTo('2026-05-02T03:00:59.000Z')).toBe('2026-05-02T03:00~');
    const keys = dueIndexKeys('u1', { nextDueAt: '2026-05-01T10:30:00.000Z', dueBucket: '2026-05-01T10:30' });
    expect(keys?.[DUE_INDEX.sort]).toBe('2026-05-01T10:30#u1');
    expect(keys?.[DUE_INDEX.partition]).toMatch(/^DUE#\d{2}$/);
    expect(`2026-05-01T10:30#u1` < dueUpTo('2026-05-01T10:30:00.000Z')).toBe(true);
    expect(`2026-05-01T10:31#u1` < dueUpTo('2026-05-01T10:30:59.000Z')).toBe(false);
    expect(dueIndexKeys('u1', {})).toBeUndefined();
  });

  it('spreads customers over every shard', () => {
    const shards = new Set(Array.from({ length: 500 }, (_, index) => shardOf(`customer-${index}`)));
    expect(shards.size).toBe(DUE_INDEX.shards);
    expect(shardOf('same')).toBe(shardOf('same'));
  });
});

describe('local scheduler', () => {
  it('waits until the next occurrence of the time of day, UTC', () => {
    expect(millisecondsUntil('03:00', new Date('2026-05-01T02:00:00.000Z'))).toBe(3_600_000);
    expect(millisecondsUntil('03:00', new Date('2026-05-01T03:00:00.000Z'))).toBe(86_400_000);
    expect(() => millisecondsUntil('3am', new Date())).toThrow(/HH:MM/);
  });
});
