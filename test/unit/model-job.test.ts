/** The model job's use cases on the in-memory store: fit on stored orders, then the reschedule pass. */
import { describe, expect, it } from 'vitest';
import { reevaluate } from '../../functions/apply-event/apply.ts';
import { fitOnHistory, lastWholeDay, reevaluateBase } from '../../functions/model/model.ts';
import type { EngineSettings } from '../../shared/domain/rules.ts';
import { defaultSettings } from '../../shared/domain/settings.ts';
import { identify, order } from '../support/events.ts';
import { MemoryStore, RecordingPublisher } from '../support/fakes.ts';
import { CDNOW_MODEL, predictiveSettings, winBackDue } from '../support/predictive-scenarios.ts';
import { day, Scenario } from '../support/scenario.ts';

/** A weekly buyer: ten orders a week apart from day 0. */
async function weeklyBuyer(world: Scenario, id: string) {
  const fresh = (at: string) => ({ userId: id, receivedAt: at, timestamp: at });
  await world.events(id, [identify({ email: `${id}@example.com` }, fresh(day(0)))]);
  for (let week = 0; week < 10; week++)
    await world.events(id, [order(`${id}-${week}`, day(week * 7), fresh(day(week * 7)))]);
}

function profileOf(store: MemoryStore, id: string) {
  const profile = store.profile(id);
  if (!profile) throw new Error(`no profile ${id}`);
  return profile;
}

/** The engine's re-evaluation of one customer on the in-memory store, under these settings. */
function reevaluation(store: MemoryStore, settings: () => EngineSettings, now = day(64)) {
  return (customerId: string) =>
    reevaluate(customerId, now, {
      store,
      history: store,
      publisher: new RecordingPublisher(),
      settings: async () => settings(),
    });
}

describe('the re-evaluation pass', () => {
  it('moves the timers a new model (or a new threshold) changes, and writes only those customers', async () => {
    const store = new MemoryStore();
    const world = new Scenario(store, store, store, defaultSettings());
    await weeklyBuyer(world, 'weekly');
    const visitorOnly = 'visitor';
    await world.events(visitorOnly, [
      identify({ email: 'v@example.com' }, { userId: visitorOnly, receivedAt: day(1) }),
    ]);
    // Fixed mode: win-back 90 days after the last order (day 63).
    expect(winBackDue(profileOf(store, 'weekly'), defaultSettings())).toBe(day(63 + 90));
    const versions = () => [profileOf(store, 'weekly').version, profileOf(store, visitorOnly).version];
    const before = versions();

    // Predictive mode with a model: P(alive) of a weekly buyer halves about 4.3 weeks after day 63.
    const settings = predictiveSettings(CDNOW_MODEL);
    const pass = await reevaluateBase({ base: store, reevaluate: reevaluation(store, () => settings) });
    expect(pass.profiles).toBe(2);
    const due = winBackDue(profileOf(store, 'weekly'), settings);
    expect(due > day(63 + 28) && due < day(63 + 35)).toBe(true);
    expect((profileOf(store, 'weekly').nextDueAt ?? '') <= due).toBe(true);
    // The visitor's timers did not move: not written.
    expect(versions()).toEqual([(before[0] ?? 0) + 1, before[1]]);
    expect(pass.changed).toBe(1);

    // Nothing moved: nothing written.
    expect(await reevaluateBase({ base: store, reevaluate: reevaluation(store, () => settings) })).toEqual({
      profiles: 2,
      changed: 0,
    });
  });

  it('evaluates the newest profile, not the one the scan read (a write meanwhile is kept)', async () => {
    const store = new MemoryStore();
    const world = new Scenario(store, store, store, defaultSettings());
    await weeklyBuyer(world, 'weekly');
    const stale = profileOf(store, 'weekly');
    await world.events('weekly', [order('weekly-late', day(70), { userId: 'weekly', receivedAt: day(70) })]);
    // The pass read the profile before that order arrived.
    const staleScan = {
      async *scan() {
        yield { profiles: [stale], messages: [] };
      },
    };
    await reevaluateBase({
      base: staleScan,
      reevaluate: reevaluation(store, () => defaultSettings(), day(71)),
    });
    expect(profileOf(store, 'weekly').orders).toHaveLength(11);
    expect(winBackDue(profileOf(store, 'weekly'), defaultSettings())).toBe(day(70 + 90));
  });
});

describe('fitting in one pass (npm run model)', () => {
  it('with no orders yet, there is nothing to fit', async () => {
    const store = new MemoryStore();
    await expect(fitOnHistory('2026-01-01', { base: store, now: () => new Date() })).rejects.toThrow(
      /nothing to fit/,
    );
    expect(lastWholeDay(new Date('2026-03-01T02:00:00Z'))).toBe('2026-02-28');
  });
});
