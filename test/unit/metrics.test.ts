/** Metrics and best-customer insights against numbers worked out by hand. */
import { beforeAll, describe, expect, it } from 'vitest';
import { getMetrics } from '../../functions/admin/insights.ts';
import { holdoutBucket } from '../../shared/domain/contact-policy.ts';
import { BestCustomersAccumulator, segmentTraits } from '../../shared/domain/insights.ts';
import type { LedgerEntry, LedgerStatus } from '../../shared/domain/ledger.ts';
import {
  type CampaignMetrics,
  type Metrics,
  metricsFromCounts,
  metricsWindow,
  upliftOf,
  wilsonInterval,
} from '../../shared/domain/metrics.ts';
import type { FittedModel } from '../../shared/domain/models/fitted.ts';
import { predict } from '../../shared/domain/models/fitted.ts';
import { purchaseSummary } from '../../shared/domain/models/summary.ts';
import { newProfile, type Profile, type Stage } from '../../shared/domain/profile.ts';
import { defaultSettings } from '../../shared/domain/settings.ts';
import { identify, order } from '../support/events.ts';
import { MemoryStore, StateCounters } from '../support/fakes.ts';
import { withJourney } from '../support/journeys.ts';
import { CDNOW_MODEL } from '../support/predictive-scenarios.ts';
import { day, Scenario } from '../support/scenario.ts';

const at = (date: string) => `${date}T12:00:00.000Z`;

function buyer(id: string, stage: Stage, orders: [string, number][], extra: Partial<Profile> = {}): Profile {
  return {
    ...newProfile(id, at('2025-11-01')),
    stage,
    orders: orders.map(([date, revenue], index) => ({ orderId: `${id}-${index}`, at: at(date), revenue })),
    ...extra,
  };
}

function messages(
  campaignId: string,
  count: number,
  status: LedgerStatus,
  fields: Partial<LedgerEntry> = {},
  decidedAt = at('2026-03-15'),
): LedgerEntry[] {
  return Array.from({ length: count }, (_, index) => ({
    customerId: `m-${campaignId}-${status}-${index}-${Object.keys(fields).join('')}`,
    campaignId,
    occurrence: 1,
    status,
    triggeredBy: 'x',
    triggeredAt: decidedAt,
    decidedAt,
    history: [],
    ...fields,
  }));
}

describe('metrics on a fixed set of customers and messages (worked by hand)', () => {
  const profiles = [
    buyer(
      'A',
      'continuation',
      [
        ['2026-01-10', 100],
        ['2026-03-05', 50],
      ],
      {
        stageHistory: [
          { stage: 'buildup', at: at('2026-01-10') },
          { stage: 'continuation', at: at('2026-03-05') },
        ],
      },
    ),
    buyer('B', 'buildup', [['2026-02-01', 40]], {
      refunds: [{ orderId: 'B-0', at: at('2026-02-03'), amount: 10 }],
      stageHistory: [{ stage: 'buildup', at: at('2026-02-01') }],
    }),
    buyer(
      'C',
      'buildup',
      [
        ['2026-03-10', 30],
        ['2026-03-10', 20],
      ],
      { stageHistory: [{ stage: 'buildup', at: at('2026-03-10') }] },
    ),
    { ...newProfile('D', at('2026-03-02')) },
    buyer(
      'E',
      'deterioration',
      [
        ['2025-12-01', 60],
        ['2025-12-20', 60],
      ],
      { stageHistory: [{ stage: 'deterioration', at: at('2026-03-20') }] },
    ),
  ];
  const entries = [
    ...messages('welcome-kit', 4, 'sent', {
      deliveredAt: 'x',
      openedAt: 'x',
      clickedAt: 'x',
      convertedAt: 'x',
    }),
    ...messages('welcome-kit', 2, 'sent', { deliveredAt: 'x', openedAt: 'x' }),
    ...messages('welcome-kit', 2, 'sent', { deliveredAt: 'x' }),
    ...messages('welcome-kit', 2, 'sent'),
    ...messages('welcome-kit', 1, 'held-out', { convertedAt: 'x' }),
    ...messages('welcome-kit', 4, 'held-out'),
    ...messages('welcome-kit', 1, 'skipped'),
    // Decided before the window: not counted.
    ...messages('welcome-kit', 1, 'sent', { convertedAt: 'x' }, at('2026-02-15')),
    ...messages('win-back', 60, 'sent', { convertedAt: 'x' }),
    ...messages('win-back', 140, 'sent'),
    ...messages('win-back', 15, 'held-out', { convertedAt: 'x' }),
    ...messages('win-back', 85, 'held-out'),
  ];
  /** The metrics of March, from the counters these customers and messages add up to. */
  async function march(model?: FittedModel): Promise<Metrics> {
    const counters = new StateCounters(() => ({ profiles, messages: entries }));
    const window = { from: '2026-03-01', to: '2026-03-31' };
    return metricsFromCounts(
      window,
      { gauges: await counters.gauges(), days: await counters.days('2026-03-01', '2026-04-30') },
      model,
      // Journeys that are on show even when they sent nothing in the window.
      ['welcome-kit', 'win-back', 'farewell'],
    );
  }
  let result: Metrics;
  beforeAll(async () => {
    result = await march();
  });

  it('counts customers per stage and stage changes per day in the window', () => {
    expect(result.customers).toEqual({
      total: 5,
      buyers: 4,
      byStage: { acquaintance: 1, buildup: 2, continuation: 1, deterioration: 1, termination: 0 },
    });
    const zero = { acquaintance: 0, buildup: 0, continuation: 0, deterioration: 0, termination: 0 };
    expect(result.stageChanges).toEqual([
      { date: '2026-03-05', ...zero, continuation: 1 },
      { date: '2026-03-10', ...zero, buildup: 1 },
      { date: '2026-03-20', ...zero, deterioration: 1 },
    ]);
  });

  it('retention: 1 of the 3 customers who had ordered before the window ordered in it', () => {
    expect(result.retention.customersAtStart).toBe(3);
    expect(result.retention.orderedAgain).toBe(1);
    expect(result.retention.rate).toBeCloseTo(1 / 3, 12);
  });

  it('repeat purchase: 2 of 4 buyers ordered on two different days (two orders on one day are one)', () => {
    expect(result.repeatPurchase).toEqual({ buyers: 4, repeatBuyers: 2, rate: 0.5 });
  });

  it('historic value is revenue less refunds; no model, no prediction', () => {
    expect(result.value.historic).toEqual({ total: 350, perBuyer: 87.5, inWindow: 100 });
    expect(result.value.predicted).toBeNull();
  });

  it('per campaign: the funnel, the two conversion rates and the uplift with its 95% interval', () => {
    const welcome = result.campaigns['welcome-kit'] as CampaignMetrics;
    expect(welcome).toMatchObject({
      decided: 16,
      sent: 10,
      delivered: 8,
      opened: 6,
      clicked: 4,
      converted: 4,
      heldOut: 5,
      heldOutConverted: 1,
      skipped: 1,
      conversionRate: 0.4,
      heldOutConversionRate: 0.2,
    });
    // Wilson: 4/10 -> [0.16818, 0.68732], 1/5 -> [0.03622, 0.62447]; Newcombe:
    // 0.2 - sqrt(0.23182^2 + 0.42447^2) = -0.28364, 0.2 + sqrt(0.28732^2 + 0.16378^2) = 0.53072
    expect(welcome.uplift?.uplift).toBeCloseTo(0.2, 12);
    expect(welcome.uplift?.low).toBeCloseTo(-0.28364, 4);
    expect(welcome.uplift?.high).toBeCloseTo(0.53072, 4);
    expect(welcome.uplift?.significant).toBe(false);

    // 60/200 against 15/100: 0.15, Newcombe interval [0.04815, 0.23777]
    const winBack = result.campaigns['win-back'] as CampaignMetrics;
    expect(winBack.uplift?.uplift).toBeCloseTo(0.15, 12);
    expect(winBack.uplift?.low).toBeCloseTo(0.04815, 4);
    expect(winBack.uplift?.high).toBeCloseTo(0.23777, 4);
    expect(winBack.uplift?.significant).toBe(true);

    expect(result.campaigns.farewell?.uplift).toBeNull();
    expect(result.campaigns.farewell?.conversionRate).toBeNull();
  });

  it('predicted value with a model: the sum of each buyer’s 52-week prediction when it was fitted', async () => {
    const summaries = profiles.flatMap((profile) => purchaseSummary(profile.orders, '2026-03-31') ?? []);
    const total = summaries.reduce(
      (sum, summary) => sum + predict(CDNOW_MODEL, summary, 52).predictedValue,
      0,
    );
    const predicted = (await march({ ...CDNOW_MODEL, predicted: { total, buyers: summaries.length } })).value
      .predicted;
    expect(predicted?.total).toBeCloseTo(total, 2);
    expect(predicted?.total).toBeGreaterThan(0);
    expect(predicted?.perBuyer).toBeCloseTo(total / 4, 2);
    expect(predicted).toMatchObject({ horizonWeeks: 52, modelAsOf: '1997-09-30', trustworthy: true });
  });

  it('uplift is undefined while a group is empty, and honest with tiny groups', () => {
    expect(upliftOf(3, 10, 0, 0)).toBeNull();
    expect(upliftOf(0, 0, 1, 5)).toBeNull();
    // One customer each way: a Wald interval would collapse to [-1, -1] and call it certain.
    const tiny = upliftOf(0, 1, 1, 1);
    expect(tiny?.uplift).toBe(-1);
    expect(tiny?.high).toBeCloseTo(0.12211, 4);
    expect(tiny?.significant).toBe(false);
    // Wilson's interval of 0 of 10 starts at 0 and is not empty.
    expect(wilsonInterval(0, 10).low).toBe(0);
    expect(wilsonInterval(0, 10).high).toBeCloseTo(0.27753, 4);
  });

  it('the window: defaults to the last 30 days; a bad one is refused with the field named', () => {
    expect(metricsWindow(undefined, undefined, '2026-03-31')).toEqual({
      ok: true,
      window: { from: '2026-03-02', to: '2026-03-31' },
    });
    expect(metricsWindow('2026-04-01', '2026-03-01', '2026-03-31')).toMatchObject({
      ok: false,
      problem: { field: 'from' },
    });
    expect(metricsWindow('yesterday', undefined, '2026-03-31')).toMatchObject({
      ok: false,
      problem: { field: 'from', message: 'must be a day, YYYY-MM-DD' },
    });
  });
});

describe('metrics through the real engine: a welcome kit with a 50% holdout', () => {
  it('matches the hand count: 4 sent (2 converted) against 4 held out (1 converted)', async () => {
    const store = new MemoryStore();
    const settings = defaultSettings();
    const world = new Scenario(
      store,
      store,
      store,
      withJourney(settings, 'welcome-kit', (journey) => ({ ...journey, holdoutPercent: 50 })),
    );
    // Customers picked by the holdout's own hash: four on each side of the line.
    const ids = Array.from({ length: 100 }, (_, index) => `m-${index}`);
    const sentIds = ids.filter((id) => holdoutBucket(id, 'welcome-kit') >= 50).slice(0, 4);
    const heldIds = ids.filter((id) => holdoutBucket(id, 'welcome-kit') < 50).slice(0, 4);
    for (const id of [...sentIds, ...heldIds]) {
      const fresh = { userId: id, receivedAt: day(0), timestamp: day(0) };
      await world.events(id, [
        identify({ email: `${id}@example.com` }, fresh),
        order(`${id}-1`, day(0), fresh),
      ]);
    }
    // SES feedback for the four sent: all delivered, three opened, one clicked.
    for (const [index, id] of sentIds.entries()) {
      const key = { customerId: id, campaignId: 'welcome-kit' as const, occurrence: 1 };
      await store.recordFeedback(key, { kind: 'delivery', at: day(0, 1), eventId: `d-${id}` });
      if (index < 3) await store.recordFeedback(key, { kind: 'open', at: day(0, 2), eventId: `o-${id}` });
      if (index < 1) await store.recordFeedback(key, { kind: 'click', at: day(0, 3), eventId: `c-${id}` });
    }
    // Second orders inside the kit's 60-day window: two who got it, one who was held out.
    for (const id of sentIds.slice(0, 2))
      await world.events(id, [order(`${id}-2`, day(10), { userId: id, receivedAt: day(10) })]);
    for (const id of heldIds.slice(0, 1))
      await world.events(id, [order(`${id}-2`, day(20), { userId: id, receivedAt: day(20) })]);

    const answer = await getMetrics(
      { from: day(0).slice(0, 10), to: day(30).slice(0, 10) },
      { counters: StateCounters.of(store), settings: async () => settings, now: () => new Date(day(31)) },
    );
    expect(answer.status).toBe(200);
    const metrics = answer.body as Metrics;
    expect(metrics.campaigns['welcome-kit']).toMatchObject({
      sent: 4,
      delivered: 4,
      opened: 3,
      clicked: 1,
      converted: 2,
      heldOut: 4,
      heldOutConverted: 1,
      conversionRate: 0.5,
      heldOutConversionRate: 0.25,
    });
    // 2/4 against 1/4: 0.25, Newcombe interval [-0.31956, 0.65529]
    const uplift = metrics.campaigns['welcome-kit']?.uplift;
    expect(uplift?.uplift).toBeCloseTo(0.25, 12);
    expect(uplift?.low).toBeCloseTo(-0.31956, 4);
    expect(uplift?.high).toBeCloseTo(0.65529, 4);
    expect(metrics.customers.byStage).toMatchObject({ buildup: 5, continuation: 3 });
    expect(metrics.repeatPurchase).toEqual({ buyers: 8, repeatBuyers: 3, rate: 0.375 });
    expect(metrics.retention.rate).toBeNull();
    expect(metrics.value.historic).toEqual({ total: 275, perBuyer: 34.38, inWindow: 275 });
    const stageChanges = Object.fromEntries(
      metrics.stageChanges.map(({ date, buildup, continuation }) => [date, { buildup, continuation }]),
    );
    expect(stageChanges).toEqual({
      [day(0).slice(0, 10)]: { buildup: 8, continuation: 0 },
      [day(10).slice(0, 10)]: { buildup: 0, continuation: 2 },
      [day(20).slice(0, 10)]: { buildup: 0, continuation: 1 },
    });
  });
});

describe('best customers', () => {
  it('compares the top tenth by value with the rest: traits they share, cadence, order value', () => {
    const best = new BestCustomersAccumulator(undefined, '2026-03-31');
    // 20 customers: 2 best (many large orders, committed, from a podcast), 18 others.
    for (let index = 0; index < 20; index++) {
      const top = index < 2;
      const orders: [string, number][] = top
        ? [
            ['2026-01-01', 200],
            ['2026-01-15', 200],
            ['2026-02-01', 200],
          ]
        : [['2026-01-05', 20 + index]];
      best.addProfile(
        buyer(`b-${index}`, top ? 'continuation' : 'buildup', orders, {
          traits: {
            email: `b-${index}@example.com`,
            firstName: 'Kim',
            relationship: top ? 'committed' : 'friend',
            source: top ? 'podcast' : index % 2 === 0 ? 'search' : 'podcast',
            address: { country: 'NL', street: '1 Main St' },
          },
        }),
      );
    }
    const result = best.result();
    expect(result.basis).toBe('historic-value');
    expect(result.best).toMatchObject({
      customers: 2,
      meanValue: 600,
      ordersPerCustomer: 3,
      meanOrderValue: 200,
    });
    expect(result.best?.medianDaysBetweenOrders).toBeCloseTo(15.5, 5);
    expect(result.rest).toMatchObject({ customers: 18, medianDaysBetweenOrders: null, repeatShare: 0 });
    expect(result.threshold).toBe(600);
    // committed: all of the best, none of the rest (lift undefined: they alone have it), first.
    expect(result.traits[0]).toEqual({
      trait: 'relationship',
      value: 'committed',
      topShare: 1,
      restShare: 0,
      lift: null,
    });
    // podcast: 2/2 of the best vs 9/18 of the rest: lift 2.
    expect(result.traits).toContainEqual({
      trait: 'source',
      value: 'podcast',
      topShare: 1,
      restShare: 0.5,
      lift: 2,
    });
    // Identifying traits are never reported; the country is.
    const names = result.traits.map((trait) => trait.trait);
    expect(names).not.toContain('email');
    expect(names).not.toContain('firstName');
    expect(names).not.toContain('address.street');
    expect(names).toContain('address.country');
  });

  it('segment traits leave out what identifies a person', () => {
    const profile = {
      ...newProfile('x', at('2026-01-01')),
      traits: {
        email: 'a@b.c',
        last_name: 'Lovelace',
        phone: '1',
        plan: 'pro',
        vip: true,
        address: { city: 'Delft' },
      },
      timezone: 'Europe/Amsterdam',
    };
    expect(segmentTraits(profile)).toEqual([
      ['plan', 'pro'],
      ['vip', 'true'],
      ['address.city', 'Delft'],
      ['timezone', 'Europe/Amsterdam'],
    ]);
  });
});
