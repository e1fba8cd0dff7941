import { describe, expect, it } from 'vitest';
import {
  cooldownEndOf,
  earliestSendTime,
  endOfQuietHours,
  holdoutBucket,
  relationshipOf,
} from '../../shared/domain/contact-policy.ts';
import { newProfile, type Profile } from '../../shared/domain/profile.ts';
import { defaultPolicy } from '../../shared/domain/rules.ts';

const policy = defaultPolicy();
const profile = (partial: Partial<Profile> = {}): Profile => ({
  ...newProfile('u1', '2026-01-01T00:00:00.000Z'),
  ...partial,
});

describe('quiet hours', () => {
  it('moves a send at 22:30 local to 08:00 the next morning, in the customer’s zone', () => {
    // 22:30 in Oslo (UTC+1 in January) is 21:30 UTC.
    const at = endOfQuietHours(Date.parse('2026-01-15T21:30:00.000Z'), 'Europe/Oslo', policy.quietHours);
    expect(new Date(at).toISOString()).toBe('2026-01-16T07:00:00.000Z');
  });

  it('moves a send at 06:00 local to 08:00 the same morning', () => {
    const at = endOfQuietHours(Date.parse('2026-07-01T10:00:00.000Z'), 'America/New_York', policy.quietHours);
    expect(new Date(at).toISOString()).toBe('2026-07-01T12:00:00.000Z');
  });

  it('leaves a daytime send alone', () => {
    const time = Date.parse('2026-07-01T15:00:00.000Z');
    expect(endOfQuietHours(time, 'America/New_York', policy.quietHours)).toBe(time);
  });

  it('finds 08:00 across a daylight-saving change', () => {
    // Clocks go forward in Berlin on 2026-03-29 at 02:00; 08:00 CEST that morning is 06:00 UTC.
    const at = endOfQuietHours(Date.parse('2026-03-28T22:00:00.000Z'), 'Europe/Berlin', policy.quietHours);
    expect(new Date(at).toISOString()).toBe('2026-03-29T06:00:00.000Z');
  });
});

describe('frequency caps', () => {
  it('allows one marketing email a day: the next waits 24 hours', () => {
    const window = earliestSendTime(
      profile({ marketingLog: ['2026-05-01T12:00:00.000Z'] }),
      '2026-05-01T15:00:00.000Z',
      {
        ...policy,
        quietHours: { ...policy.quietHours, enabled: false },
      },
    );
    expect(window).toEqual({
      at: '2026-05-02T12:00:00.000Z',
      reasons: ['frequency cap (1 a day, 3 a week)'],
    });
  });

  it('allows three a week: the fourth waits until the oldest leaves the window', () => {
    const log = ['2026-05-01T12:00:00.000Z', '2026-05-03T12:00:00.000Z', '2026-05-05T12:00:00.000Z'];
    const window = earliestSendTime(profile({ marketingLog: log }), '2026-05-06T13:00:00.000Z', {
      ...policy,
      quietHours: { ...policy.quietHours, enabled: false },
    });
    expect(window.at).toBe('2026-05-08T12:00:00.000Z');
  });

  it('gives committed customers twice the caps', () => {
    const committed = profile({
      traits: { relationship: 'committed' },
      marketingLog: ['2026-05-01T12:00:00.000Z'],
    });
    const window = earliestSendTime(committed, '2026-05-01T15:00:00.000Z', policy);
    expect(window).toEqual({ at: '2026-05-01T15:00:00.000Z', reasons: [] });
  });

  it('counts emails already scheduled for later, not only those sent', () => {
    const window = earliestSendTime(
      profile({ marketingLog: ['2026-05-02T08:00:00.000Z'] }),
      '2026-05-01T15:00:00.000Z',
      {
        ...policy,
        quietHours: { ...policy.quietHours, enabled: false },
      },
    );
    expect(window.at).toBe('2026-05-03T08:00:00.000Z');
  });
});

describe('cool-down, relationship and holdout', () => {
  it('holds marketing back for 14 days after a refund', () => {
    const refunded = profile({ refunds: [{ at: '2026-05-01T10:00:00.000Z', orderId: 'o1' }] });
    expect(new Date(cooldownEndOf(refunded, policy) ?? 0).toISOString()).toBe('2026-05-15T10:00:00.000Z');
    const window = earliestSendTime(refunded, '2026-05-03T12:00:00.000Z', policy);
    expect(window.at).toBe('2026-05-15T10:00:00.000Z');
    expect(window.reasons[0]).toMatch(/^cool-down after a refund/);
  });

  it('reads the relationship trait, with friend as the default', () => {
    expect(relationshipOf(profile())).toBe('friend');
    expect(relationshipOf(profile({ traits: { relationship: 'fling' } }))).toBe('fling');
    expect(relationshipOf(profile({ traits: { relationship: 'soulmate' } }))).toBe('friend');
  });

  it('puts a stable, even share of customers in each holdout bucket', () => {
    const buckets = Array.from({ length: 4000 }, (_, index) =>
      holdoutBucket(`customer-${index}`, 'win-back'),
    );
    const underTen = buckets.filter((bucket) => bucket < 10).length / buckets.length;
    expect(underTen).toBeGreaterThan(0.08);
    expect(underTen).toBeLessThan(0.12);
    expect(holdoutBucket('customer-1', 'win-back')).toBe(holdoutBucket('customer-1', 'win-back'));
  });
});
