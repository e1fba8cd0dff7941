import { describe, expect, it } from 'vitest';
import { matchesPattern } from '../../infra/local/event-pattern.ts';

const event = {
  source: 'lifecycle.ingest',
  'detail-type': 'Customer Events Received',
  detail: { customerKey: 'u1', count: 3, tags: ['vip', 'new'], nested: { plan: 'Pro' } },
};

describe('EventBridge pattern matching (local bus)', () => {
  it('matches exact values in arrays', () => {
    expect(
      matchesPattern({ source: ['lifecycle.ingest'], 'detail-type': ['Customer Events Received'] }, event),
    ).toBe(true);
    expect(matchesPattern({ source: ['lifecycle.engine'] }, event)).toBe(false);
  });

  it('descends into nested objects and matches any element of an array field', () => {
    expect(matchesPattern({ detail: { tags: ['vip'] } }, event)).toBe(true);
    expect(matchesPattern({ detail: { nested: { plan: [{ 'equals-ignore-case': 'pro' }] } } }, event)).toBe(
      true,
    );
  });

  it('supports prefix, suffix, wildcard, numeric, exists and anything-but', () => {
    expect(matchesPattern({ source: [{ prefix: 'lifecycle.' }] }, event)).toBe(true);
    expect(matchesPattern({ source: [{ suffix: '.ingest' }] }, event)).toBe(true);
    expect(matchesPattern({ 'detail-type': [{ wildcard: 'Customer*Received' }] }, event)).toBe(true);
    expect(matchesPattern({ detail: { count: [{ numeric: ['>', 2, '<=', 3] }] } }, event)).toBe(true);
    expect(matchesPattern({ detail: { count: [{ numeric: ['>', 3] }] } }, event)).toBe(false);
    expect(matchesPattern({ detail: { missing: [{ exists: false }] } }, event)).toBe(true);
    expect(matchesPattern({ detail: { customerKey: [{ exists: true }] } }, event)).toBe(true);
    expect(matchesPattern({ source: [{ 'anything-but': ['lifecycle.engine'] }] }, event)).toBe(true);
    expect(matchesPattern({ source: [{ 'anything-but': { prefix: 'lifecycle' } }] }, event)).toBe(false);
  });

  it('supports $or', () => {
    expect(matchesPattern({ $or: [{ source: ['x'] }, { detail: { customerKey: ['u1'] } }] }, event)).toBe(
      true,
    );
  });

  it('refuses a malformed pattern instead of matching everything', () => {
    expect(() => matchesPattern({ source: 'lifecycle.ingest' }, event)).toThrow(/must be arrays or objects/);
  });
});
