/** The models against the published CDNOW results (Fader, Hardie and Lee 2005), from ../shared/data/cdnow. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { cdnowOrders } from '../../scripts/cdnow.ts';
import {
  type CustomerSummary,
  expectedPurchases,
  fitBgNbd,
  probabilityAlive,
  weekAliveFallsTo,
} from '../../shared/domain/models/bgnbd.ts';
import { fitModel, NothingToFit, trustworthy } from '../../shared/domain/models/fitted.ts';
import { expectedAverageValue, fitGammaGamma } from '../../shared/domain/models/gamma-gamma.ts';
import { hyp2f1, logGamma } from '../../shared/domain/models/math.ts';
import { purchaseSummary } from '../../shared/domain/models/summary.ts';

const DATA = '../shared/data/cdnow';
const rows = (file: string) =>
  readFileSync(`${DATA}/${file}`, 'utf8')
    .trim()
    .split('\n')
    .slice(1)
    .map((line) => line.split(',').map(Number));
const summaries: CustomerSummary[] = rows('cdnow_customers_summary.csv').map(([, x = 0, tx = 0, T = 0]) => ({
  x,
  tx,
  T,
}));
const spends = rows('cdnow_customers_summary_with_transactions.csv').map(([, x = 0, , , zbar = 0]) => ({
  x,
  mean: zbar,
}));
const PUBLISHED = { r: 0.243, alpha: 4.414, a: 0.793, b: 2.426, logLikelihood: -9582.4 };
const within = (value: number, target: number, share: number) =>
  Math.abs(value - target) <= Math.abs(target) * share;

describe('numerics', () => {
  it('log-gamma matches known values', () => {
    expect(logGamma(1)).toBeCloseTo(0, 12);
    expect(logGamma(0.5)).toBeCloseTo(Math.log(Math.sqrt(Math.PI)), 12);
    expect(logGamma(10)).toBeCloseTo(Math.log(362880), 10);
    expect(logGamma(171.5)).toBeCloseTo(709.1431630309282, 9);
    expect(logGamma(0.1)).toBeCloseTo(2.2527126517342055, 12);
    expect(logGamma(1000.3)).toBeCloseTo(5907.29264478588, 8);
  });

  it('the hypergeometric function matches closed forms', () => {
    // 2F1(1, 1; 2; z) = -ln(1 - z) / z ; 2F1(a, b; b; z) = (1 - z)^-a
    expect(hyp2f1(1, 1, 2, 0.5)).toBeCloseTo(-Math.log(0.5) / 0.5, 12);
    expect(hyp2f1(2.5, 3, 3, 0.9)).toBeCloseTo(0.1 ** -2.5, 8);
  });
});

describe('BG/NBD on CDNOW', () => {
  const fit = fitBgNbd(summaries);

  it('reproduces the published parameters within 1% and the log-likelihood within 0.1', () => {
    expect(summaries).toHaveLength(2357);
    for (const name of ['r', 'alpha', 'a', 'b'] as const) {
      expect({ name, ok: within(fit[name], PUBLISHED[name], 0.01), value: fit[name] }).toMatchObject({
        name,
        ok: true,
      });
    }
    expect(Math.abs(fit.logLikelihood - PUBLISHED.logLikelihood)).toBeLessThanOrEqual(0.1);
  });

  it('reproduces the published conditional expectation: 1.226 purchases in 39 weeks for x=2, t_x=30.43, T=38.86', () => {
    expect(
      Math.abs(expectedPurchases(PUBLISHED, { x: 2, tx: 30.43, T: 38.86 }, 39) - 1.226),
    ).toBeLessThanOrEqual(0.001);
  });

  it('gives P(alive) = 1 without repeat purchases, and lower the longer a buyer is silent', () => {
    expect(probabilityAlive(PUBLISHED, { x: 0, tx: 0, T: 38 })).toBe(1);
    const recent = probabilityAlive(PUBLISHED, { x: 4, tx: 30, T: 32 });
    const silent = probabilityAlive(PUBLISHED, { x: 4, tx: 10, T: 32 });
    expect(recent).toBeGreaterThan(silent);
  });

  it('solves the week P(alive) falls to a threshold', () => {
    const week = weekAliveFallsTo(PUBLISHED, 4, 10, 0.5);
    expect(week).toBeDefined();
    expect(probabilityAlive(PUBLISHED, { x: 4, tx: 10, T: week ?? 0 })).toBeCloseTo(0.5, 10);
    expect(weekAliveFallsTo(PUBLISHED, 0, 0, 0.5)).toBeUndefined();
  });
});

describe('Gamma-Gamma on CDNOW', () => {
  it('reproduces the published parameters within 1% (946 repeat buyers)', () => {
    const fit = fitGammaGamma(spends);
    expect(fit.customers).toBe(946);
    expect({
      p: within(fit.p, 6.25, 0.01),
      q: within(fit.q, 3.74, 0.01),
      gamma: within(fit.gamma, 15.44, 0.01),
    }).toEqual({
      p: true,
      q: true,
      gamma: true,
    });
  });

  it('shrinks a customer’s mean toward the population’s, less so the more they bought', () => {
    const parameters = { p: 6.25, q: 3.74, gamma: 15.44 };
    const population = (6.25 * 15.44) / 2.74;
    const one = expectedAverageValue(parameters, { x: 1, mean: 100 });
    const many = expectedAverageValue(parameters, { x: 20, mean: 100 });
    expect(one).toBeGreaterThan(population);
    expect(one).toBeLessThan(many);
    expect(many).toBeLessThan(100);
  });
});

describe('summaries from stored orders', () => {
  const orders = cdnowOrders();

  it('the raw transactions give exactly the published summary (x, t_x, T and the repeat mean)', () => {
    const published = rows('cdnow_customers_summary_with_transactions.csv');
    expect(orders.size).toBe(2357);
    let compared = 0;
    for (const [id, x, tx, T, zbar] of published) {
      const summary = purchaseSummary(orders.get(id ?? 0) ?? [], '1997-09-30');
      expect(summary).toBeDefined();
      expect({ id, x: summary?.x, tx: summary?.tx.toFixed(2), T: summary?.T.toFixed(2) }).toEqual({
        id,
        x,
        tx: tx?.toFixed(2),
        T: T?.toFixed(2),
      });
      expect(Math.abs((summary?.spend.mean ?? 0) - (zbar ?? 0))).toBeLessThan(0.0051);
      compared++;
    }
    expect(compared).toBe(2357);
  });

  it('orders after the as-of day do not count; same-day orders count once', () => {
    const summary = purchaseSummary(
      [
        { orderId: 'a', at: '2026-01-01T09:00:00.000Z', revenue: 10 },
        { orderId: 'b', at: '2026-01-01T18:00:00.000Z', revenue: 20 },
        { orderId: 'c', at: '2026-01-15T12:00:00.000Z', revenue: 40 },
        { orderId: 'd', at: '2026-02-01T12:00:00.000Z', revenue: 99 },
      ],
      '2026-01-29',
    );
    expect(summary).toMatchObject({ x: 1, tx: 2, T: 4, spend: { x: 1, mean: 40 }, meanValue: 35 });
    expect(
      purchaseSummary([{ orderId: 'a', at: '2026-02-01T12:00:00.000Z', revenue: 1 }], '2026-01-29'),
    ).toBeUndefined();
  });

  it('fitModel on them reproduces the published parameters and is trustworthy', () => {
    const summaries = [...orders.values()].flatMap((list) => purchaseSummary(list, '1997-09-30') ?? []);
    const model = fitModel(summaries, '1997-09-30', '2026-01-01T00:00:00.000Z');
    expect(model.customers).toBe(2357);
    expect(model.repeatBuyers).toBe(946);
    for (const name of ['r', 'alpha', 'a', 'b'] as const)
      expect(within(model.bgnbd[name], PUBLISHED[name], 0.01)).toBe(true);
    expect(within(model.gammaGamma?.p ?? 0, 6.25, 0.01)).toBe(true);
    expect(trustworthy(model)).toBe(true);
    expect(trustworthy({ ...model, customers: 499 })).toBe(false);
    expect(trustworthy({ ...model, repeatBuyers: 99 })).toBe(false);
    expect(() => fitModel([], '1997-09-30', '2026-01-01T00:00:00.000Z')).toThrow(NothingToFit);
  });
});
