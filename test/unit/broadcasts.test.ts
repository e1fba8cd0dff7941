/**
 * Broadcasts in the pure domain: the format's refusals (each with its field), when a send starts,
 * membership when it started, the drop-in guard, each customer's own time zone, the contact
 * policy applied as for journeys, conversions by the broadcast's rule, and the numbers' groups.
 */
import { describe, expect, it } from 'vitest';
import {
  type BroadcastBody,
  type BroadcastSend,
  broadcastIdFor,
  decideBroadcast,
  memberAt,
  parseBroadcast,
  skipKindOf,
  startOf,
} from '../../shared/domain/broadcasts.ts';
import { holdoutBucket } from '../../shared/domain/contact-policy.ts';
import { messageContributions } from '../../shared/domain/counters.ts';
import { ledgerEntryFor } from '../../shared/domain/ledger.ts';
import { decide } from '../../shared/domain/lifecycle.ts';
import type { MessageEffect } from '../../shared/domain/messages.ts';
import { newProfile, type Profile } from '../../shared/domain/profile.ts';
import { defaultSettings } from '../../shared/domain/settings.ts';
import { order } from '../support/events.ts';

const settings = defaultSettings();
const NOW = '2026-12-01T12:00:00.000Z';
const DAY = 86_400_000;
const daysBefore = (days: number, from = NOW) => new Date(Date.parse(from) - days * DAY).toISOString();

const base = { name: 'Winter collection', segment: 'everyone', template: 'news' };

function parsed(input: Record<string, unknown>): BroadcastBody {
  const result = parseBroadcast(input, NOW, 180);
  if (!result.ok) throw new Error(JSON.stringify(result.problems));
  return result.value;
}

function problems(input: unknown) {
  const result = parseBroadcast(input, NOW, 180);
  return result.ok ? [] : result.problems.map((problem) => `${problem.field}: ${problem.message}`);
}

/** A customer in the segment since long before, who visited `visitedDaysAgo` days ago. */
function customer(id: string, visitedDaysAgo: number, extra: Partial<Profile> = {}): Profile {
  return {
    ...newProfile(id, daysBefore(400)),
    email: `${id}@example.com`,
    lastVisitAt: daysBefore(visitedDaysAgo),
    segments: { everyone: daysBefore(300) },
    ...extra,
  };
}

const send = (overrides: Partial<BroadcastSend> = {}): BroadcastSend => ({
  id: 'broadcast-winter-1a2b',
  segment: 'everyone',
  template: 'news',
  category: 'marketing',
  holdoutPercent: 0,
  quietDays: 180,
  startedAt: NOW,
  conversion: { event: 'Order Completed', withinDays: 7 },
  ...overrides,
});

function decided(profile: Profile, overrides: Partial<BroadcastSend> = {}, notBefore?: string) {
  const effects: MessageEffect[] = [];
  const after = decideBroadcast(profile, send(overrides), NOW, notBefore, settings, effects);
  return { effect: effects[0], profile: after };
}

describe('the broadcast format', () => {
  it('fills the defaults: marketing, no holdout, the guard at the setting, an order within 7 days', () => {
    expect(parsed(base)).toEqual({
      ...base,
      category: 'marketing',
      holdoutPercent: 0,
      dropInGuard: { quietDays: 180 },
      conversion: { event: 'Order Completed', withinDays: 7 },
    });
  });

  it('refuses each mistake with its field', () => {
    expect(problems([])).toEqual(['body: must be a JSON object']);
    expect(problems({ ...base, name: ' ' })).toEqual(['name: must not be empty']);
    expect(problems({ ...base, segment: 'Not An Id' })).toEqual(['segment: must be a segment id']);
    expect(problems({ ...base, sendAt: '2026-11-30T12:00:00Z' })).toEqual([
      `sendAt: is in the past (it is ${NOW} now)`,
    ]);
    expect(problems({ ...base, sendAt: 'tomorrow' })).toEqual([
      'sendAt: must be an ISO 8601 time, e.g. 2026-12-01T09:00:00Z',
    ]);
    expect(problems({ ...base, sendAt: { date: '2026-12-05', localTime: '9:00' } })).toEqual([
      'sendAt.localTime: must be a local time of day, HH:MM',
    ]);
    expect(problems({ ...base, sendAt: { date: '2026-12-01', localTime: '10:00' } })[0]).toMatch(
      /^sendAt.date: 2026-12-01 10:00 has already come in some time zones/,
    );
    expect(problems({ ...base, holdoutPercent: 51 })).toEqual(['holdoutPercent: must be between 0 and 50']);
    expect(problems({ ...base, dropInGuard: false })).toEqual([
      'dropInGuardOffReason: turning the drop-in guard off needs a written reason (why these people expect this email)',
    ]);
    expect(
      problems({ ...base, dropInGuard: false, dropInGuardOffReason: 'legal notice to every customer' }),
    ).toEqual([]);
    expect(problems({ ...base, dropInGuard: { quietDays: 3 } })).toEqual([
      'dropInGuard.quietDays: must be at least 7 days',
    ]);
    expect(problems({ ...base, conversion: { event: 'Order Completed', withinDays: 60 } })).toEqual([
      'conversion.withinDays: must be at most 30 days',
    ]);
  });

  it('starts now, at its time, or when its local time first comes anywhere (UTC+14)', () => {
    expect(startOf(parsed(base), NOW)).toBe(NOW);
    expect(startOf(parsed({ ...base, sendAt: '2026-12-02T09:00:00Z' }), NOW)).toBe(
      '2026-12-02T09:00:00.000Z',
    );
    expect(startOf(parsed({ ...base, sendAt: { date: '2026-12-03', localTime: '10:00' } }), NOW)).toBe(
      '2026-12-02T20:00:00.000Z',
    );
  });

  it('makes readable ids that no journey can take', () => {
    expect(broadcastIdFor('Winter Collection: 20% off!', 'a1b2')).toBe(
      'broadcast-winter-collection-20-off-a1b2',
    );
    expect(broadcastIdFor('¡¡¡', 'a1b2')).toBe('broadcast-a1b2');
  });
});

describe('who receives a broadcast', () => {
  it('a member when the send started; not one who joined after, nor one who left before', () => {
    const joinedAfter = customer('late', 1, {
      segments: { everyone: '2026-12-01T12:30:00.000Z' },
      segmentHistory: [{ segment: 'everyone', change: 'entered', at: '2026-12-01T12:30:00.000Z' }],
    });
    const leftAfter = customer('left', 1, {
      segments: {},
      segmentHistory: [
        { segment: 'everyone', change: 'entered', at: daysBefore(30) },
        { segment: 'everyone', change: 'exited', at: '2026-12-01T12:30:00.000Z' },
      ],
    });
    const leftBefore = customer('gone', 1, {
      segments: {},
      segmentHistory: [{ segment: 'everyone', change: 'exited', at: daysBefore(2) }],
    });
    expect(memberAt(joinedAfter, 'everyone', NOW)).toBe(false);
    expect(memberAt(leftAfter, 'everyone', NOW)).toBe(true);
    expect(memberAt(leftBefore, 'everyone', NOW)).toBe(false);
    expect(memberAt(customer('always', 1), 'everyone', NOW)).toBe(true);
    expect(decided(joinedAfter).effect).toBeUndefined();
    expect(decided(leftAfter).effect?.status).toBe('queued');
  });

  it('the drop-in guard: nobody we have not heard from in its days, nobody in termination', () => {
    expect(decided(customer('recent', 179)).effect?.status).toBe('queued');
    expect(decided(customer('quiet', 181)).effect).toMatchObject({
      status: 'skipped',
      reason: `drop-in guard: no order, visit, click or consent in the last 180 days (last: ${daysBefore(181)})`,
    });
    // An order, a click in our email, or consent given count as hearing from them.
    const ordered = {
      ...customer('ordered', 400),
      orders: [{ orderId: 'o1', at: daysBefore(10), revenue: 20 }],
    };
    expect(decided(ordered as Profile).effect?.status).toBe('queued');
    expect(decided(customer('clicked', 400, { lastClickAt: daysBefore(5) })).effect?.status).toBe('queued');
    expect(
      decided(
        customer('consented', 400, {
          consent: {
            marketing: true,
            optedOut: [],
            service: true,
            changedAt: daysBefore(3),
            source: 'preferences',
          },
        }),
      ).effect?.status,
    ).toBe('queued');
    expect(decided(customer('ended', 1, { stage: 'termination' })).effect?.reason).toBe(
      'drop-in guard: the relationship has ended (termination)',
    );
    // Turned off (with a reason kept elsewhere): the quiet customer is a recipient.
    expect(decided(customer('quiet', 400), { quietDays: null }).effect?.status).toBe('queued');
  });

  it('the customer’s own word first, then the guard, then whether we can reach them', () => {
    const unsubscribed = customer('unsub', 400, {
      stage: 'termination',
      consent: {
        marketing: false,
        optedOut: [],
        service: true,
        changedAt: daysBefore(2),
        source: 'one-click',
      },
    });
    expect(skipKindOf(decided(unsubscribed).effect?.reason)).toBe('unsubscribed');
    const { email: _email, ...withoutEmail } = customer('anon', 1);
    expect(decided(withoutEmail as Profile).effect?.reason).toBe('no email address');
    expect(decided(customer('fling', 1, { traits: { relationship: 'fling' } })).effect?.reason).toMatch(
      /^relationship "fling"/,
    );
  });

  it('decides once: a second delivery of the same broadcast adds nothing', () => {
    const first = decided(customer('once', 1));
    expect(first.effect?.status).toBe('queued');
    expect(decided(first.profile).effect).toBeUndefined();
  });

  it('a stable holdout share, recorded as held out', () => {
    const ids = Array.from({ length: 200 }, (_, index) => `c${index}`);
    const held = ids.filter(
      (id) => decided(customer(id, 1), { holdoutPercent: 20 }).effect?.status === 'held-out',
    );
    expect(held).toEqual(ids.filter((id) => holdoutBucket(id, send().id) < 20));
    expect(held.length).toBeGreaterThan(20);
    expect(held.length).toBeLessThan(60);
  });
});

describe('when a broadcast’s email goes', () => {
  it('at the local time of day in each customer’s zone; quiet hours and caps as for journeys', () => {
    const localSend = { date: '2026-12-02', localTime: '10:00' };
    const tokyo = decided(customer('tokyo', 1, { timezone: 'Asia/Tokyo' }), { localSend });
    expect(tokyo.effect).toMatchObject({ status: 'deferred', sendAt: '2026-12-02T01:00:00.000Z' });
    const newYork = decided(customer('ny', 1, { timezone: 'America/New_York' }), { localSend });
    expect(newYork.effect?.sendAt).toBe('2026-12-02T15:00:00.000Z');
    // Without a time zone, UTC.
    expect(decided(customer('utc', 1), { localSend }).effect?.sendAt).toBe('2026-12-02T10:00:00.000Z');
    // Sent now, at 12:00 UTC: 04:00 in Los Angeles is within quiet hours, so it waits until 08:00 there.
    const la = decided(customer('la', 1, { timezone: 'America/Los_Angeles' }));
    expect(la.effect).toMatchObject({ status: 'deferred', sendAt: '2026-12-01T16:00:00.000Z' });
    expect(skipKindOf(la.effect?.reason)).toBe('quietHours');
    // A marketing email went an hour ago: the daily cap holds the broadcast a day, and it counts.
    const capped = decided(customer('capped', 1, { marketingLog: ['2026-12-01T11:00:00.000Z'] }));
    expect(capped.effect).toMatchObject({ status: 'deferred', sendAt: '2026-12-02T11:00:00.000Z' });
    expect(capped.profile.marketingLog).toEqual(['2026-12-01T11:00:00.000Z', '2026-12-02T11:00:00.000Z']);
  });

  it('waits for its pace slot; a service broadcast skips quiet hours but not its slot', () => {
    const slot = '2026-12-01T12:05:00.000Z';
    expect(decided(customer('paced', 1), {}, slot).effect).toMatchObject({
      status: 'deferred',
      sendAt: slot,
    });
    const service = decided(customer('la', 1, { timezone: 'America/Los_Angeles' }), { category: 'service' });
    expect(service.effect?.status).toBe('queued');
    expect(decided(customer('la2', 1), { category: 'service' }, slot).effect).toMatchObject({
      status: 'deferred',
      sendAt: slot,
    });
  });

  it('a cool-down that would hold it more than a day drops it as stale', () => {
    // Eleven orders outweigh the refund: the cool-down, the minimum, still holds it.
    const refunded = customer('refund', 1, {
      orders: Array.from({ length: 11 }, (_, index) => ({
        orderId: `o${index}`,
        at: daysBefore(5),
        revenue: 10,
      })),
      refunds: [{ orderId: 'o1', at: daysBefore(2), amount: 10 }] as never,
    });
    expect(skipKindOf(decided(refunded).effect?.reason)).toBe('coolDown');
    expect(decided(refunded).effect?.status).toBe('skipped');
  });

  it('a negative impression balance skips it with the balance as the reason', () => {
    const refunded = customer('unhappy', 1, {
      refunds: [{ orderId: 'o1', at: daysBefore(2), amount: 10 }] as never,
    });
    expect(decided(refunded).effect).toMatchObject({
      status: 'skipped',
      reason: expect.stringMatching(/^impression balance -10 \(1 bad, 0 good/),
    });
    expect(skipKindOf(decided(refunded).effect?.reason)).toBe('impressions');
  });
});

describe('did it work', () => {
  it('an order within the window after the email converts it; one before it goes does not', () => {
    const localSend = { date: '2026-12-02', localTime: '10:00' };
    const { profile } = decided(customer('buyer', 1), { localSend });
    const broadcast = { kind: 'event' as const };
    const before = decide(
      profile,
      profile.id,
      { ...broadcast, event: order('o-early', '2026-12-01T18:00:00.000Z') },
      settings,
    );
    const broadcastConversions = (effects: typeof before.effects) =>
      effects.filter((effect) => effect.type === 'conversion' && effect.campaignId === send().id);
    expect(broadcastConversions(before.effects)).toEqual([]);
    const after = decide(
      before.profile,
      profile.id,
      { ...broadcast, event: order('o-after', '2026-12-03T18:00:00.000Z') },
      settings,
    );
    expect(broadcastConversions(after.effects)).toMatchObject([{ campaignId: send().id, occurrence: 1 }]);
  });

  it('counts each recipient once, by what became of their email and why not', () => {
    const effects: MessageEffect[] = [];
    decideBroadcast(customer('quiet', 400), send(), NOW, undefined, settings, effects);
    decideBroadcast(customer('ok', 1), send(), NOW, undefined, settings, effects);
    const counts = new Map<string, number>();
    for (const effect of effects) messageContributions(ledgerEntryFor('c', effect), counts);
    expect(Object.fromEntries([...counts].filter(([key]) => key.startsWith('BROADCAST#')))).toEqual({
      [`BROADCAST#${send().id}/recipients`]: 2,
      [`BROADCAST#${send().id}/skipped:dropInGuard`]: 1,
      [`BROADCAST#${send().id}/waiting`]: 1,
      [`BROADCAST#${send().id}/inFlight`]: 1,
    });
  });

  it('groups the reasons the engine and send-message write', () => {
    expect(skipKindOf('suppressed address: bounce (2026-12-01)')).toBe('suppressed');
    expect(skipKindOf('opted out of broadcast-x (preferences, 2026-12-01)')).toBe('unsubscribed');
    expect(skipKindOf('frequency cap (1 a day, 3 a week): it would be stale')).toBe('caps');
    expect(skipKindOf('cancelled: the broadcast was cancelled at 2026-12-01')).toBe('cancelled');
    expect(skipKindOf('something new')).toBe('other');
  });
});
