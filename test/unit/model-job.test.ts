/** The model job's use cases on the in-memory store: fit on stored orders, then the reschedule pass. */
import { describe, expect, it } from 'vitest';
import { fitOnHistory, lastWholeDay, nightlyModel, rescheduleTimers } from '../../functions/model/model.ts';
import type { FittedModel } from '../../shared/domain/models/fitted.ts';
import { defaultSettings, timerSettings } from '../../shared/domain/settings.ts';
import type { ModelStore } from '../../shared/ports.ts';
import { identify, order } from '../support/events.ts';
import { MemoryStore } from '../support/fakes.ts';
import { CDNOW_MODEL, predictiveSettings } from '../support/predictive-scenarios.ts';
import { day, Scenario } from '../support/scenario.ts';

class MemoryModels implements ModelStore {
  readonly saved: FittedModel[] = [];
  async save(model: FittedModel) {
    this.saved.push(model);
  }
  async current() {
    return this.saved.at(-1);
  }
  async history(limit: number) {
    return [...this.saved].reverse().slice(0, limit);
  }
}

/** A weekly buyer: ten orders a week apart from day 0. */
async function weeklyBuyer(world: Scenario, id: string) {
  const fresh = (at: string) => ({ userId: id, receivedAt: at, timestamp: at });
  await world.events(id, [identify({ email: `${id}@example.com` }, fresh(day(0)))]);
  for (let week = 0; week < 10; week++)
    await world.events(id, [order(`${id}-${week}`, day(week * 7), fresh(day(week * 7)))]);
}

describe('the reschedule pass', () => {
  it('moves the timers a new model (or a new threshold) changes, and only those', async () => {
    const store = new MemoryStore();
    const world = new Scenario(store, store, store, defaultSettings());
    await weeklyBuyer(world, 'weekly');
    const visitorOnly = 'visitor';
    await world.events(visitorOnly, [
      identify({ email: 'v@example.com' }, { userId: visitorOnly, receivedAt: day(1) }),
    ]);
    // Fixed mode: win-back 90 days after the last order (day 63).
    expect(store.profile('weekly')?.nextDueAt).toBe(day(63 + 90));

    // Predictive mode with a model: P(alive) of a weekly buyer halves about 4.3 weeks after day 63.
    const settings = predictiveSettings(CDNOW_MODEL);
    const pass = await rescheduleTimers({ base: store, store, settings: async () => settings });
    expect(pass).toEqual({ profiles: 2, rescheduled: 1, changedMeanwhile: 0 });
    const due = store.profile('weekly')?.nextDueAt ?? '';
    expect(due > day(63 + 28) && due < day(63 + 35)).toBe(true);

    // Nothing moved: nothing written.
    expect(await rescheduleTimers({ base: store, store, settings: async () => settings })).toEqual({
      profiles: 2,
      rescheduled: 0,
      changedMeanwhile: 0,
    });
  });

  it('leaves a profile written meanwhile alone (its own write computed the timers afresh)', async () => {
    const store = new MemoryStore();
    const world = new Scenario(store, store, store, defaultSettings());
    await weeklyBuyer(world, 'weekly');
    const stale = store.profile('weekly');
    if (!stale) throw new Error('no profile');
    await world.events('weekly', [order('weekly-late', day(70), { userId: 'weekly', receivedAt: day(70) })]);
    // The pass read the profile before that order arrived.
    const staleScan = {
      async *scan() {
        yield { profiles: [stale], messages: [] };
      },
    };
    const pass = await rescheduleTimers({
      base: staleScan,
      store,
      settings: async () => predictiveSettings(CDNOW_MODEL),
    });
    expect(pass).toEqual({ profiles: 1, rescheduled: 0, changedMeanwhile: 1 });
    expect(store.profile('weekly')?.nextDueAt).toBe(day(70 + 90));
  });
});

describe('the nightly model job', () => {
  it('fits on the orders up to yesterday, keeps the fit, and runs the pass with it', async () => {
    const store = new MemoryStore();
    const world = new Scenario(store, store, store, defaultSettings());
    for (let index = 0; index < 30; index++) {
      const id = `c-${index}`;
      const days = index % 3 === 0 ? [0, 20, 40] : [index];
      for (const [n, at] of days.entries())
        await world.events(id, [order(`${id}-${n}`, day(at), { userId: id, receivedAt: day(at) })]);
    }
    // An order today is not part of the fit (today is not over).
    await world.events('late', [order('late-1', day(60, 1), { userId: 'late', receivedAt: day(60, 1) })]);
    const models = new MemoryModels();
    const result = await nightlyModel({
      base: store,
      store,
      models,
      settings: async () => timerSettings({ model: await models.current() }),
      now: () => new Date(day(60, 2)),
    });
    expect(result.asOf).toBe(day(59).slice(0, 10));
    expect(result.fitted).toMatchObject({ customers: 30, repeatBuyers: 10, trustworthy: false });
    expect(models.saved).toHaveLength(1);
    expect(result.profiles).toBe(31);
    expect(lastWholeDay(new Date('2026-03-01T02:00:00Z'))).toBe('2026-02-28');
  });

  it('with no orders yet, fits nothing and still runs the pass', async () => {
    const store = new MemoryStore();
    const models = new MemoryModels();
    const result = await nightlyModel({
      base: store,
      store,
      models,
      settings: async () => timerSettings({}),
      now: () => new Date(day(1)),
    });
    expect(result).toMatchObject({ fitted: null, profiles: 0, rescheduled: 0 });
    expect(models.saved).toHaveLength(0);
    await expect(fitOnHistory('2026-01-01', { base: store, now: () => new Date() })).rejects.toThrow(
      /nothing to fit/,
    );
  });
});
