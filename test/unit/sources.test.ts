/** Sources: whose key is it, and does it still work (rotated with a grace, revoked at once). */
import { describe, expect, it } from 'vitest';
import { sourceTally } from '../../shared/adapters/dynamodb/source-tally.ts';
import {
  activeCredentials,
  DEFAULT_SOURCE_ID,
  parseNewSource,
  rotated,
  type Source,
  sourceIdFor,
  sourceOfKey,
} from '../../shared/domain/sources.ts';
import { sha256 } from '../../shared/security.ts';

const digest = (key: string) => sha256(key).toString('hex');
const site: Source = {
  id: 'shop-site-1a2b3c',
  kind: 'segment',
  name: 'Shop site',
  createdAt: '2026-11-01T00:00:00.000Z',
  credentials: [{ digest: digest('wk_one'), createdAt: '2026-11-01T00:00:00.000Z' }],
};
const installed = [sha256('dev-write-key')];
const now = '2026-11-30T12:00:00.000Z';

describe('sources', () => {
  it('a key names its source; the installed write key is the default source until it is changed', () => {
    expect(sourceOfKey('wk_one', [site], installed, now)).toEqual({
      id: site.id,
      kind: 'segment',
      name: 'Shop site',
    });
    expect(sourceOfKey('dev-write-key', [site], installed, now)?.id).toBe(DEFAULT_SOURCE_ID);
    expect(sourceOfKey('wk_other', [site], installed, now)).toBeUndefined();
    expect(sourceOfKey(undefined, [site], installed, now)).toBeUndefined();
    // Once the default source is stored (rotated, revoked), its stored keys are the ones that count.
    const changed: Source = {
      ...site,
      id: DEFAULT_SOURCE_ID,
      credentials: [{ digest: digest('wk_new'), createdAt: now }],
    };
    expect(sourceOfKey('dev-write-key', [changed], installed, now)).toBeUndefined();
    expect(sourceOfKey('wk_new', [changed], installed, now)?.id).toBe(DEFAULT_SOURCE_ID);
  });

  it('a rotated key works through its grace, then stops; a revoked source stops at once', () => {
    const next = rotated(site, { digest: digest('wk_two'), createdAt: now }, now, 24);
    const later = (hours: number) => new Date(Date.parse(now) + hours * 3_600_000).toISOString();
    expect(sourceOfKey('wk_one', [next], [], later(23))?.id).toBe(site.id);
    expect(sourceOfKey('wk_one', [next], [], later(24))).toBeUndefined();
    expect(sourceOfKey('wk_two', [next], [], later(100))?.id).toBe(site.id);
    expect(
      activeCredentials(rotated(next, { digest: digest('wk_3'), createdAt: now }, now, 0), now),
    ).toHaveLength(1);
    const revoked = { ...next, revokedAt: now };
    expect(sourceOfKey('wk_two', [revoked], [], now)).toBeUndefined();
  });

  it('refuses a bad kind, no name, or platform settings on a Segment source, naming the field', () => {
    const fields = (input: unknown) => {
      const parsed = parseNewSource(input);
      return parsed.ok ? [] : parsed.problems.map((problem) => problem.field);
    };
    expect(fields({ kind: 'magento', name: 'x' })).toEqual(['kind']);
    expect(fields({ kind: 'shopify', name: ' ' })).toEqual(['name']);
    expect(fields({ kind: 'segment', name: 'Site', orderOn: 'paid' })).toEqual(['orderOn']);
    expect(fields({ kind: 'shopify', name: 'Shop', orderOn: 'paid', extra: 1 })).toEqual(['body']);
    expect(fields({ kind: 'stripe', name: 'Billing', signingSecret: 'whsec_123456789' })).toEqual([]);
    expect(sourceIdFor('Main Street Shop!', '3fa9c1')).toBe('main-street-shop-3fa9c1');
  });
});

describe('a source’s numbers', () => {
  it('are written at most once a second, at once when events were refused, the rest by a timer', async () => {
    const written: { id: string; accepted: number; rejected: number; reasons: string[] }[] = [];
    let now = 0;
    const tally = sourceTally(
      { record: async (id, _at, counts) => void written.push({ id, ...counts }) },
      () => {},
      () => now,
    );
    const at = '2026-11-30T10:00:00.000Z';
    await tally('site', at, { accepted: 20, rejected: 0, ignored: 0, reasons: [] });
    await tally('site', at, { accepted: 20, rejected: 0, ignored: 0, reasons: [] });
    await tally('site', at, {
      accepted: 19,
      rejected: 1,
      ignored: 0,
      reasons: ['batch[3].userId: required'],
    });
    now = 500;
    await tally('site', at, { accepted: 5, rejected: 0, ignored: 0, reasons: [] });
    expect(written).toEqual([
      { id: 'site', accepted: 20, rejected: 0, ignored: 0, reasons: [], lastAt: at },
      {
        id: 'site',
        accepted: 39,
        rejected: 1,
        ignored: 0,
        reasons: ['batch[3].userId: required'],
        lastAt: at,
      },
    ]);
    await new Promise((resolve) => setTimeout(resolve, 1100));
    expect(written.at(-1)).toMatchObject({ accepted: 5 });
    // Every event counted once.
    expect(written.reduce((sum, counts) => sum + counts.accepted + counts.rejected, 0)).toBe(65);
  });
});
