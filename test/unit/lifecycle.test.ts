import { describe, expect, it } from 'vitest';
import { decide, type Effect, type MessageEffect, merge } from '../../shared/domain/lifecycle.ts';
import { newProfile, type Profile, summarize } from '../../shared/domain/profile.ts';
import type { CustomerEvent } from '../../shared/domain/segment.ts';
import { defaultSettings } from '../../shared/domain/settings.ts';
import { identify, order, visit } from '../support/events.ts';
import { withJourney } from '../support/journeys.ts';

const settings = defaultSettings();

function run(events: CustomerEvent[], start?: Profile) {
  let profile = start;
  const effects: Effect[] = [];
  for (const event of events) {
    const decision = decide(profile, 'u1', { kind: 'event', event }, settings);
    profile = decision.profile;
    effects.push(...decision.effects);
  }
  if (!profile) throw new Error('no events');
  return { profile, effects, messages: effects.filter((e): e is MessageEffect => e.type === 'message') };
}

describe('lifecycle engine: stages and counters', () => {
  it('meets a new visitor as an acquaintance', () => {
    const { profile, effects } = run([visit('2026-03-01T10:00:00Z')]);
    expect(profile.stage).toBe('acquaintance');
    expect(profile.visitCount).toBe(1);
    expect(effects).toEqual([
      expect.objectContaining({ type: 'stage-changed', from: null, to: 'acquaintance' }),
    ]);
  });

  it('moves to buildup on the first order and continuation on the second', () => {
    const { profile, effects } = run([
      identify({ email: 'ada@example.com', firstName: 'Ada' }, { timestamp: '2026-03-01T09:00:00.000Z' }),
      order('o1', '2026-03-01T10:00:00.000Z'),
      order('o2', '2026-03-05T10:00:00.000Z', {}, 30),
    ]);
    expect(profile.stage).toBe('continuation');
    expect(profile.stageChangedAt).toBe('2026-03-05T10:00:00.000Z');
    expect(summarize(profile)).toMatchObject({
      orderCount: 2,
      revenue: 55,
      firstOrderAt: '2026-03-01T10:00:00.000Z',
    });
    expect(
      effects.filter((e) => e.type === 'stage-changed').map((e) => (e.type === 'stage-changed' ? e.to : '')),
    ).toEqual(['acquaintance', 'buildup', 'continuation']);
  });

  it('does not count the same order id twice, even under a new messageId', () => {
    const { profile, messages } = run([
      order('o1', '2026-03-01T10:00:00.000Z'),
      order('o1', '2026-03-01T10:00:05.000Z'),
    ]);
    expect(summarize(profile).orderCount).toBe(1);
    expect(messages).toHaveLength(1);
  });

  it('puts a late, older order in its place: first and last order dates stay right', () => {
    const { profile } = run([
      order('new', '2026-03-10T10:00:00.000Z'),
      order('old', '2026-03-02T10:00:00.000Z'),
    ]);
    const summary = summarize(profile);
    expect(summary.firstOrderAt).toBe('2026-03-02T10:00:00.000Z');
    expect(summary.lastOrderAt).toBe('2026-03-10T10:00:00.000Z');
    expect(profile.stage).toBe('continuation');
    expect(profile.stageChangedAt).toBe('2026-03-10T10:00:00.000Z');
  });

  it('keeps the newest value of a trait when an older identify arrives late', () => {
    const { profile } = run([
      identify({ plan: 'pro' }, { timestamp: '2026-03-05T00:00:00.000Z' }),
      identify({ plan: 'free', city: 'Oslo' }, { timestamp: '2026-03-01T00:00:00.000Z' }),
    ]);
    expect(profile.traits).toEqual({ plan: 'pro', city: 'Oslo' });
  });

  it('takes traits and the email from context.traits on any call', () => {
    const { profile } = run([
      order('o1', '2026-03-01T10:00:00.000Z', { context: { traits: { email: ' ada@example.com ' } } }),
    ]);
    expect(profile.email).toBe('ada@example.com');
  });

  it('tracks first and last seen by event time', () => {
    const { profile } = run([visit('2026-03-05T00:00:00.000Z'), visit('2026-03-01T00:00:00.000Z')]);
    expect(profile.firstSeenAt).toBe('2026-03-01T00:00:00.000Z');
    expect(profile.lastSeenAt).toBe('2026-03-05T00:00:00.000Z');
  });

  it('counts Page Viewed tracks and mapped event names as the meanings they stand for', () => {
    const mapped = {
      ...settings,
      eventMeanings: { ...settings.eventMeanings, 'Checkout Done': 'order' as const },
    };
    const pageViewed = visit('2026-03-01T00:00:00.000Z', { type: 'track', event: 'Page Viewed' });
    let profile = decide(undefined, 'u1', { kind: 'event', event: pageViewed }, mapped).profile;
    const checkout = { ...order('o9', '2026-03-02T00:00:00.000Z'), event: 'Checkout Done' };
    profile = decide(profile, 'u1', { kind: 'event', event: checkout }, mapped).profile;
    expect(profile.visitCount).toBe(1);
    expect(summarize(profile).orderCount).toBe(1);
  });

  it('records refunds against the order', () => {
    const refund = {
      ...order('o1', '2026-03-03T00:00:00.000Z'),
      event: 'Order Refunded',
      properties: { order_id: 'o1' },
    };
    const { profile } = run([order('o1', '2026-03-01T00:00:00.000Z', {}, 40), refund]);
    expect(summarize(profile)).toMatchObject({ refundCount: 1, refundTotal: 40, orderCount: 1 });
  });
});

describe('lifecycle engine: the welcome kit', () => {
  it('queues one welcome kit on the first order', () => {
    const { messages } = run([
      order('o1', '2026-03-01T10:00:00.000Z'),
      order('o2', '2026-03-02T10:00:00.000Z'),
    ]);
    expect(messages).toEqual([
      expect.objectContaining({ campaignId: 'welcome-kit', occurrence: 1, status: 'queued' }),
    ]);
  });

  it('decides but does not send for an order older than 48 hours when received', () => {
    const stale = order('o1', '2026-03-01T10:00:00.000Z', { receivedAt: '2026-03-04T10:00:00.000Z' });
    const { profile, messages } = run([stale]);
    expect(summarize(profile).orderCount).toBe(1);
    expect(messages).toEqual([
      expect.objectContaining({ status: 'skipped', reason: 'stale: the event is 72 hours old (limit 48)' }),
    ]);
  });

  it('starts nobody on a journey that is switched off: no email, no entry', () => {
    const off = withJourney(defaultSettings(), 'welcome-kit', (journey) => ({ ...journey, enabled: false }));
    const { profile, effects } = decide(
      undefined,
      'u1',
      { kind: 'event', event: order('o1', '2026-03-01T10:00:00.000Z') },
      off,
    );
    expect(effects.filter((e) => e.type === 'message')).toEqual([]);
    expect(profile.journeys?.['welcome-kit']).toBeUndefined();
  });

  it('sends nothing to a customer who matches no rule', () => {
    const { messages } = run([identify({ email: 'x@example.com' }), visit('2026-03-01T00:00:00.000Z')]);
    expect(messages).toEqual([]);
  });
});

describe('merging an anonymous visitor into the customer', () => {
  it('unites facts and follows the merged order history', () => {
    const anonymous = run([
      visit('2026-02-01T00:00:00.000Z'),
      order('a-o1', '2026-02-02T00:00:00.000Z'),
    ]).profile;
    const anon: Profile = { ...anonymous, id: 'anon-1' };
    const known = run([order('o2', '2026-03-01T00:00:00.000Z')]).profile;
    const { profile, effects } = merge(known, anon, 'identify-1', settings);
    expect(summarize(profile).orderCount).toBe(2);
    expect(profile.visitCount).toBe(1);
    expect(profile.firstSeenAt).toBe('2026-02-01T00:00:00.000Z');
    expect(profile.anonymousIds).toEqual(['anon-1']);
    expect(profile.stage).toBe('continuation');
    expect(effects).toEqual([expect.objectContaining({ from: 'buildup', to: 'continuation' })]);
    // Both had a welcome kit decided: the merged history remembers it, so no second one follows.
    expect(profile.campaigns['welcome-kit']?.count).toBe(1);
  });

  it('is idempotent for facts', () => {
    const anon = { ...run([order('a', '2026-02-02T00:00:00.000Z')]).profile, id: 'anon' };
    const base = newProfile('u1', '2026-03-01T00:00:00.000Z');
    const once = merge(base, anon, 'x', settings).profile;
    const twice = merge(once, { ...anon, visitCount: 0 }, 'x', settings).profile;
    expect(summarize(twice).orderCount).toBe(1);
  });
});
