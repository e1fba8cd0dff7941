/**
 * Predictive triggers through the real engine, apply and sweep: with a trustworthy model (the
 * published CDNOW parameters), win-back follows each customer's own purchase rhythm and the
 * nudge the shop's; without one, the fixed rules stay in charge. Runs on both stores.
 */
import { describe, expect, it } from 'vitest';
import type { FittedModel } from '../../shared/domain/models/fitted.ts';
import type { Profile } from '../../shared/domain/profile.ts';
import type { EngineSettings } from '../../shared/domain/rules.ts';
import { defaultSettings } from '../../shared/domain/settings.ts';
import { timersOf } from '../../shared/domain/timers.ts';
import { withJourney } from './journeys.ts';
import { customer } from './lifecycle-scenarios.ts';
import { day, type Scenario } from './scenario.ts';

/** The BG/NBD and Gamma-Gamma parameters Fader, Hardie and Lee published for CDNOW. */
export const CDNOW_MODEL: FittedModel = {
  asOf: '1997-09-30',
  fittedAt: '2026-01-01T00:00:00.000Z',
  customers: 2357,
  repeatBuyers: 1000,
  bgnbd: { r: 0.243, alpha: 4.414, a: 0.793, b: 2.426, logLikelihood: -9582.4 },
  gammaGamma: { p: 6.25, q: 3.74, gamma: 15.44, logLikelihood: -4000 },
};

export function predictiveSettings(model: FittedModel | undefined = CDNOW_MODEL): EngineSettings {
  const settings = defaultSettings();
  // At risk by the customer's own rhythm; the nudge waits the shop's typical time between purchases.
  const predictive = withJourney(settings, 'second-purchase-nudge', (journey) => ({
    ...journey,
    steps: journey.steps.map((step) =>
      'wait' in step ? { wait: { ...step.wait, predicted: 'timeBetweenPurchases' } } : step,
    ),
  }));
  return {
    ...predictive,
    model,
    lifecycle: { ...settings.lifecycle, atRisk: { ...settings.lifecycle.atRisk, mode: 'predictive' } },
  };
}

/** Orders on the given days. */
async function buyer(world: Scenario, days: number[]) {
  const c = customer();
  await world.events(c.id, [
    c.identify(day(days[0] ?? 0)),
    ...days.map((at, index) => c.order(`o${index}`, day(at))),
  ]);
  return c.id;
}

const WEEKLY = [0, 7, 14, 21, 28, 35, 42, 49, 56, 63];
const YEARLY = [-667, -302, 63];

/** When the customer's win-back timer falls due (segments keep due times of their own). */
export function winBackDue(profile: Profile, settings: EngineSettings): string {
  return timersOf(profile, settings).find((timer) => timer.kind === 'at-risk')?.dueAt ?? '';
}

export function predictiveScenarios(newScenario: (settings: EngineSettings) => Promise<Scenario> | Scenario) {
  describe('predictive triggers', () => {
    it('win-back: a weekly buyer silent for 5 weeks is flagged, a yearly buyer silent as long is not', async () => {
      const world = await newScenario(predictiveSettings());
      const weekly = await buyer(world, WEEKLY);
      const yearly = await buyer(world, YEARLY);
      // Both last bought on day 63. P(alive) of the weekly buyer falls below 0.5 about 4.3 weeks
      // later; the yearly buyer's only after about 100 weeks.
      const weeklyDue = winBackDue(await world.profile(weekly), world.settings);
      const yearlyDue = winBackDue(await world.profile(yearly), world.settings);
      expect(weeklyDue > day(63 + 28) && weeklyDue < day(63 + 35)).toBe(true);
      expect(yearlyDue > day(63 + 600)).toBe(true);

      await world.sweep(day(63 + 35));
      expect(await world.emails(weekly)).toContain('win-back:sent');
      expect((await world.profile(weekly)).stage).toBe('deterioration');
      expect(await world.emails(yearly)).not.toContain('win-back:sent');
      expect((await world.profile(yearly)).stage).toBe('continuation');
    });

    it('the fixed rule treats both alike: neither is flagged after 5 weeks, both after 90 days', async () => {
      const world = await newScenario(defaultSettings());
      const weekly = await buyer(world, WEEKLY);
      const yearly = await buyer(world, YEARLY);
      await world.sweep(day(63 + 35));
      expect(await world.emails(weekly)).not.toContain('win-back:sent');
      expect(await world.emails(yearly)).not.toContain('win-back:sent');
      await world.sweep(day(63 + 91));
      expect(await world.emails(weekly)).toContain('win-back:sent');
      expect(await world.emails(yearly)).toContain('win-back:sent');
    });

    it('without a trustworthy model (too few customers), predictive mode keeps the fixed rules', async () => {
      const world = await newScenario(
        predictiveSettings({ ...CDNOW_MODEL, customers: 120, repeatBuyers: 40 }),
      );
      const weekly = await buyer(world, WEEKLY);
      await world.sweep(day(63 + 35));
      expect(await world.emails(weekly)).not.toContain('win-back:sent');
      expect(winBackDue(await world.profile(weekly), world.settings)).toBe(day(63 + 90));
    });

    it('a one-time buyer: nudged after the expected time between purchases (alpha / r weeks), won back after its window', async () => {
      const world = await newScenario(predictiveSettings());
      const once = await buyer(world, [0]);
      // 4.414 / 0.243 weeks = 127 days, not the fixed 60. BG/NBD keeps a one-time buyer's
      // P(alive) at 1, so win-back follows the fixed rule, after the nudge's 14-day window.
      await world.sweep(day(61));
      await world.sweep(day(91));
      expect(await world.emails(once)).toEqual(['welcome-kit:sent']);
      await world.sweep(day(128));
      expect(await world.emails(once)).toEqual(['welcome-kit:sent', 'second-purchase-nudge:sent']);
      await world.sweep(day(142));
      expect(await world.emails(once)).toEqual([
        'welcome-kit:sent',
        'second-purchase-nudge:sent',
        'win-back:sent',
      ]);
    });
  });
}
