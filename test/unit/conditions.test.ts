/** The condition language: validation with field paths, and evaluation with its due times. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type Condition,
  type EvaluationContext,
  evaluate,
  OPERATORS,
  parseCondition,
  percentBucket,
} from '../../shared/domain/conditions.ts';
import { newProfile, type Profile } from '../../shared/domain/profile.ts';
import { signalKeyOf, signalNeeds, trimmed, withEvent, withHistory } from '../../shared/domain/signals.ts';
import { CDNOW_MODEL } from '../support/predictive-scenarios.ts';

const NOW = '2026-05-10T12:00:00.000Z';
const daysAgo = (days: number) => new Date(Date.parse(NOW) - days * 86_400_000).toISOString();

function profileWith(partial: Partial<Profile> = {}): Profile {
  return { ...newProfile('c1', daysAgo(400)), ...partial };
}

function context(profile: Profile, extra: Partial<EvaluationContext> = {}): EvaluationContext {
  return { profile, now: NOW, definitionId: 'seg', segment: () => ({ value: false }), ...extra };
}

function parsed(input: unknown): Condition {
  const result = parseCondition(input);
  if (!result.ok) throw new Error(JSON.stringify(result.problems));
  return result.value;
}

describe('condition validation', () => {
  it('accepts every kind of DESIGN.md', () => {
    const all = {
      all: [
        { trait: 'address.country', op: 'equals', value: 'DE' },
        { stage: ['buildup', 'continuation'] },
        {
          performed: 'Product Viewed',
          where: [{ property: 'category', op: 'equals', value: 'shoes' }],
          times: { atLeast: 3 },
          withinDays: 7,
        },
        { lastPerformed: 'Order Completed', olderThanDays: 30 },
        { measure: 'orderCount', op: 'gte', value: 2, withinDays: 365 },
        { predicted: 'pAlive', op: 'lt', value: 0.3 },
        { relationship: ['committed'] },
        { subscribed: true },
        { segment: 'vip' },
        { message: { journey: 'win-back', status: 'opened', withinDays: 60 } },
        { randomPercent: 20 },
        {
          not: {
            any: [
              { trait: 'plan', op: 'in', value: ['pro', 'team'] },
              { trait: 'vip', op: 'exists' },
            ],
          },
        },
      ],
    };
    expect(parseCondition(all)).toEqual({ ok: true, value: all });
  });

  it.each([
    [{ trait: 'plan', op: 'like', value: 'x' }, 'condition.op', /must be one of equals/],
    [
      { all: [{ stage: ['buildup'] }, { performed: 'X', withinDays: 400 }] },
      'condition.all[1].withinDays',
      /1 to 365/,
    ],
    [{ any: [{ measure: 'orderCount', op: 'gte', value: 'two' }] }, 'condition.any[0].value', /number/],
    [{ trait: 'plan', op: 'in', value: 'pro' }, 'condition.value', /needs a list/],
    [{ trait: 'plan', op: 'exists', value: 1 }, 'condition.value', /takes no value/],
    [{ trait: 'signup', op: 'withinDays', value: 0 }, 'condition.value', /whole number of days/],
    [{ stage: ['buildup'], trait: 'x', op: 'exists' }, 'condition', /only one of/],
    [{ color: 'red' }, 'condition', /must have one of all, any, not/],
    [{ not: { stage: ['nowhere'] } }, 'condition.not.stage[0]', /Invalid option/],
    [{ performed: 'X', times: {} }, 'condition.times', /atLeast, atMost or both/],
    [{ lastPerformed: 'X' }, 'condition', /exactly one of withinDays or olderThanDays/],
    [
      { satisfaction: { question: 'ces', op: 'lte', value: 2 } },
      'condition.satisfaction.question',
      /Invalid option/,
    ],
    [{ stage: ['buildup'], extra: 1 }, 'condition', /does not apply to stage: extra/],
    [{ randomPercent: 100 }, 'condition.randomPercent', /1 to 99/],
    [[], 'condition', /must be a condition/],
  ])('refuses %j naming %s', (input, field, message) => {
    const result = parseCondition(input);
    expect(result.ok).toBe(false);
    if (!result.ok)
      expect(result.problems).toEqual(
        expect.arrayContaining([{ field, message: expect.stringMatching(message) }]),
      );
  });

  it('refuses nesting deeper than the limit', () => {
    let deep: unknown = { stage: ['buildup'] };
    for (let level = 0; level < 12; level++) deep = { not: deep };
    const result = parseCondition(deep);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.problems[0]?.message).toMatch(/nested deeper than 8/);
  });
});

describe('trait conditions', () => {
  const profile = profileWith({
    traits: {
      plan: 'pro',
      age: '41',
      tags: ['a', 'b'],
      signup: daysAgo(10),
      address: { country: 'DE' },
      blank: '',
    },
  });
  const check = (condition: unknown) => evaluate(parsed(condition), context(profile));

  it('compares values, lists, nested paths and numbers in strings', () => {
    expect(check({ trait: 'address.country', op: 'equals', value: 'DE' }).value).toBe(true);
    expect(check({ trait: 'plan', op: 'notEquals', value: 'pro' }).value).toBe(false);
    expect(check({ trait: 'plan', op: 'in', value: ['team', 'pro'] }).value).toBe(true);
    expect(check({ trait: 'plan', op: 'notIn', value: ['team'] }).value).toBe(true);
    expect(check({ trait: 'tags', op: 'contains', value: 'b' }).value).toBe(true);
    expect(check({ trait: 'plan', op: 'contains', value: 'R' }).value).toBe(true);
    expect(check({ trait: 'age', op: 'gte', value: 40 }).value).toBe(true);
    expect(check({ trait: 'age', op: 'lt', value: 40 }).value).toBe(false);
    expect(check({ trait: 'blank', op: 'missing' }).value).toBe(true);
    expect(check({ trait: 'nothing', op: 'exists' }).value).toBe(false);
    expect(check({ trait: '__proto__', op: 'exists' }).value).toBe(false);
    expect(check({ trait: 'signup', op: 'gt', value: '2026-01-01' }).value).toBe(true);
  });

  it('ages a date trait, and says when the answer changes', () => {
    expect(check({ trait: 'signup', op: 'withinDays', value: 14 })).toEqual({
      value: true,
      changesAt: daysAgo(-4),
    });
    expect(check({ trait: 'signup', op: 'withinDays', value: 7 })).toEqual({ value: false });
    const older = check({ trait: 'signup', op: 'olderThanDays', value: 14 });
    expect(older.value).toBe(false);
    expect(older.changesAt && older.changesAt > NOW).toBe(true);
    expect(check({ trait: 'signup', op: 'olderThanDays', value: 7 })).toEqual({ value: true });
  });
});

describe('performed and lastPerformed, from signals', () => {
  const condition = parsed({
    performed: 'Product Viewed',
    where: [{ property: 'category', op: 'equals', value: 'shoes' }],
    times: { atLeast: 3 },
    withinDays: 7,
  });
  const needs = signalNeeds([condition]);
  const viewed = (days: number, category: string, key: string) => ({
    name: 'Product Viewed',
    at: daysAgo(days),
    key,
    properties: { category },
  });

  it('counts matching events in the window and says when the oldest leaves it', () => {
    let signals = withHistory(undefined, needs, []);
    for (const [index, [days, category]] of (
      [
        [1, 'shoes'],
        [2, 'hats'],
        [5, 'shoes'],
        [6, 'shoes'],
        [20, 'shoes'],
      ] as const
    ).entries())
      signals = withEvent(signals, needs, viewed(days, category, `k${index}`));
    const outcome = evaluate(condition, context(profileWith({ signals })));
    expect(outcome.value).toBe(true);
    // The view 6 days ago leaves the 7-day window in 1 day.
    expect(outcome.changesAt).toBe(daysAgo(6 - 7));
    // Only what the condition needs is kept: the latest 3 matching, none long before the window.
    expect(
      signals[signalKeyOf('Product Viewed', 'where' in condition ? condition.where : undefined)]?.length,
    ).toBe(3);
  });

  it('counts a repeated delivery of the same event once, in any order', () => {
    const events = [viewed(1, 'shoes', 'a'), viewed(2, 'shoes', 'b'), viewed(1, 'shoes', 'a')];
    const forward = events.reduce((s, e) => withEvent(s, needs, e), withHistory(undefined, needs, []));
    const backward = [...events]
      .reverse()
      .reduce((s, e) => withEvent(s, needs, e), withHistory(undefined, needs, []));
    expect(forward).toEqual(backward);
    expect(evaluate(condition, context(profileWith({ signals: forward }))).value).toBe(false);
  });

  it('did not do it: times.atMost 0', () => {
    const none = parsed({ performed: 'Order Completed', times: { atMost: 0 }, withinDays: 30 });
    const n = signalNeeds([none]);
    const empty = withHistory(undefined, n, []);
    expect(evaluate(none, context(profileWith({ signals: empty }))).value).toBe(true);
    const once = withEvent(empty, n, { name: 'Order Completed', at: daysAgo(3), key: 'o' });
    expect(evaluate(none, context(profileWith({ signals: once })))).toEqual({
      value: false,
      changesAt: daysAgo(3 - 30),
    });
  });

  it('lastPerformed: older than, within', () => {
    const older = parsed({ lastPerformed: 'Order Completed', olderThanDays: 30 });
    const within = parsed({ lastPerformed: 'Order Completed', withinDays: 30 });
    const n = signalNeeds([older, within]);
    const signals = withEvent(withHistory(undefined, n, []), n, {
      name: 'Order Completed',
      at: daysAgo(10),
      key: 'o',
    });
    const profile = profileWith({ signals });
    expect(evaluate(older, context(profile)).value).toBe(false);
    expect(evaluate(older, context(profile)).changesAt).toBe(
      new Date(Date.parse(daysAgo(-20)) + 1).toISOString(),
    );
    expect(evaluate(within, context(profile))).toEqual({ value: true, changesAt: daysAgo(-20) });
    // Never performed: neither.
    expect(evaluate(older, context(profileWith({ signals: withHistory(undefined, n, []) }))).value).toBe(
      false,
    );
  });

  it('keeps per key only the latest entries it needs', () => {
    expect(
      trimmed(
        [
          [5, 'a'],
          [1, 'b'],
          [3, 'c'],
        ],
        { count: 2 },
      ),
    ).toEqual([
      [3, 'c'],
      [5, 'a'],
    ]);
    expect(
      trimmed(
        [
          [1, 'a'],
          [86_400 * 10, 'b'],
        ],
        { count: 5, days: 2 },
      ),
    ).toEqual([[86_400 * 10, 'b']]);
  });
});

describe('measures, stage, relationship, consent, random, message, predicted', () => {
  const orders = [
    { orderId: 'a', at: daysAgo(200), revenue: 100 },
    { orderId: 'b', at: daysAgo(20), revenue: 50 },
    { orderId: 'c', at: daysAgo(5), revenue: 30 },
  ];
  const profile = profileWith({
    orders,
    stage: 'continuation',
    visitDays: [Math.floor(Date.parse(daysAgo(2)) / 86_400_000)],
  });

  it('measures orders, revenue, average value and visit days, with and without a window', () => {
    const check = (condition: unknown) => evaluate(parsed(condition), context(profile));
    expect(check({ measure: 'orderCount', op: 'equals', value: 3 }).value).toBe(true);
    expect(check({ measure: 'orderCount', op: 'gte', value: 2, withinDays: 30 })).toEqual({
      value: true,
      changesAt: daysAgo(20 - 30),
    });
    expect(check({ measure: 'revenue', op: 'gte', value: 180 }).value).toBe(true);
    expect(check({ measure: 'averageOrderValue', op: 'equals', value: 40, withinDays: 30 }).value).toBe(true);
    expect(check({ measure: 'visitDays', op: 'gte', value: 1, withinDays: 7 }).value).toBe(true);
    // No orders: an average does not exist.
    expect(
      evaluate(parsed({ measure: 'averageOrderValue', op: 'lt', value: 10 }), context(profileWith())).value,
    ).toBe(false);
  });

  it('stage, relationship, subscribed', () => {
    expect(evaluate(parsed({ stage: ['continuation'] }), context(profile)).value).toBe(true);
    expect(evaluate(parsed({ relationship: ['friend'] }), context(profile)).value).toBe(true);
    expect(evaluate(parsed({ subscribed: true }), context(profile)).value).toBe(true);
    const unsubscribed = profileWith({
      consent: { marketing: false, optedOut: [], service: true, changedAt: NOW, source: 'one-click' },
    });
    expect(evaluate(parsed({ subscribed: false }), context(unsubscribed)).value).toBe(true);
  });

  it('randomPercent is stable per customer and definition, and about the share asked for', () => {
    const condition = parsed({ randomPercent: 20 });
    const inside = Array.from(
      { length: 2000 },
      (_, index) =>
        evaluate(condition, context(profileWith({ id: `c${index}` }), { definitionId: 'd' })).value,
    ).filter(Boolean).length;
    expect(inside).toBeGreaterThan(320);
    expect(inside).toBeLessThan(480);
    expect(percentBucket('c1', 'd')).toBe(percentBucket('c1', 'd'));
  });

  it('message: sent, opened, clicked, converted within a window', () => {
    const withMessages = profileWith({
      campaigns: {
        'win-back': { count: 1, lastAt: daysAgo(10), lastStatus: 'queued', lastOpenedAt: daysAgo(9) },
      },
    });
    const check = (status: string, withinDays?: number) =>
      evaluate(
        parsed({ message: { journey: 'win-back', status, ...(withinDays ? { withinDays } : {}) } }),
        context(withMessages),
      );
    expect(check('sent').value).toBe(true);
    expect(check('opened', 30)).toEqual({ value: true, changesAt: daysAgo(9 - 30) });
    expect(check('clicked').value).toBe(false);
    expect(check('converted').value).toBe(false);
  });

  it('predicted: P(alive) falls as silence grows, and the day it crosses the threshold is the due time', () => {
    const weekly = profileWith({
      orders: Array.from({ length: 10 }, (_, week) => ({
        orderId: `w${week}`,
        at: daysAgo(63 + 30 - week * 7),
        revenue: 20,
      })),
    });
    const alive = parsed({ predicted: 'pAlive', op: 'gte', value: 0.5 });
    const outcome = evaluate(alive, context(weekly, { model: CDNOW_MODEL }));
    expect(outcome.value).toBe(true);
    expect(outcome.changesAt && outcome.changesAt > NOW).toBe(true);
    const then = evaluate(alive, context(weekly, { model: CDNOW_MODEL, now: outcome.changesAt as string }));
    expect(then.value).toBe(false);
    // Without a model, no prediction holds.
    expect(evaluate(alive, context(weekly)).value).toBe(false);
  });
});

describe('any valid condition (property)', () => {
  const leaf = fc.oneof(
    fc.record({
      trait: fc.constantFrom('plan', 'address.country', 'signup'),
      op: fc.constantFrom(...OPERATORS),
      value: fc.oneof(
        fc.string(),
        fc.integer({ min: 1, max: 30 }),
        fc.array(fc.string(), { minLength: 1, maxLength: 3 }),
      ),
    }),
    fc.record({ stage: fc.subarray(['acquaintance', 'buildup', 'continuation'], { minLength: 1 }) }),
    fc.record({
      performed: fc.constantFrom('A', 'B'),
      withinDays: fc.integer({ min: 1, max: 365 }),
      times: fc.record({ atLeast: fc.integer({ min: 1, max: 5 }) }),
    }),
    fc.record({
      measure: fc.constantFrom('orderCount', 'revenue', 'visitDays', 'averageOrderValue'),
      op: fc.constantFrom('gte', 'lt', 'equals'),
      value: fc.integer({ min: 0, max: 500 }),
    }),
    fc.record({ randomPercent: fc.integer({ min: 1, max: 99 }) }),
    fc.record({
      predicted: fc.constantFrom('pAlive', 'expectedPurchases', 'value'),
      op: fc.constantFrom('gt', 'lte'),
      value: fc.double({ min: 0, max: 2, noNaN: true }),
    }),
  );
  const condition = fc.letrec((tie) => ({
    node: fc.oneof(
      { depthSize: 'small', maxDepth: 4 },
      leaf,
      fc.record({ all: fc.array(tie('node'), { minLength: 1, maxLength: 3 }) }),
      fc.record({ any: fc.array(tie('node'), { minLength: 1, maxLength: 3 }) }),
      fc.record({ not: tie('node') }),
    ),
  })).node;

  it('is validated or refused with paths, round-trips, and evaluates without throwing', () => {
    fc.assert(
      fc.property(condition, fc.integer({ min: 0, max: 5 }), (input, orders) => {
        const result = parseCondition(input);
        if (!result.ok) {
          for (const problem of result.problems) expect(problem.field).toMatch(/^condition/);
          return;
        }
        expect(parseCondition(JSON.parse(JSON.stringify(result.value)))).toEqual(result);
        const profile = profileWith({
          traits: { plan: 'pro', signup: daysAgo(3) },
          orders: Array.from({ length: orders }, (_, index) => ({
            orderId: `o${index}`,
            at: daysAgo(index * 40),
            revenue: 10,
          })),
          signals: withHistory(undefined, signalNeeds([result.value]), [
            { name: 'A', at: daysAgo(1), key: 'x' },
          ]),
        });
        const outcome = evaluate(result.value, context(profile, { model: CDNOW_MODEL }));
        expect(typeof outcome.value).toBe('boolean');
        if (outcome.changesAt) expect(outcome.changesAt > NOW).toBe(true);
      }),
      { numRuns: 300 },
    );
  });
});
