/** The DynamoDB adapters against Amazon's DynamoDB Local, with real conditional transactions. */
import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { ensureTable } from '../../shared/adapters/dynamodb/create-table.ts';
import {
  DynamoCustomerStore,
  itemBytes,
  profileFromItem,
  profileItem,
  SEAL_AT_BYTES,
} from '../../shared/adapters/dynamodb/customer-store.ts';
import { DynamoLedger } from '../../shared/adapters/dynamodb/ledger.ts';
import {
  hasApplied,
  mergeProfiles,
  newProfile,
  type Profile,
  withApplied,
} from '../../shared/domain/profile.ts';
import type { CustomerCommit } from '../../shared/ports.ts';
import { queuedWelcomeKit } from '../support/events.ts';
import { freshTable, uniqueId } from '../support/stack.ts';

let store: DynamoCustomerStore;
let ledger: DynamoLedger;

beforeAll(async () => {
  const { client, db, tableName } = await freshTable('adapters');
  expect(await ensureTable(client, tableName)).toBe('exists');
  store = new DynamoCustomerStore(db, tableName);
  ledger = new DynamoLedger(db, tableName);
});

const commit = (profile: Profile, expectedVersion: number, parts: Partial<CustomerCommit> = {}) =>
  store.commit({
    profile,
    expectedVersion,
    aliases: [],
    messages: [],
    conversions: [],
    ...parts,
  });

describe('customer store on DynamoDB Local', () => {
  it('commits a new profile with the inputs it applied, and reads it back exactly', async () => {
    const id = uniqueId('c');
    const profile = withApplied(
      {
        ...newProfile(id, '2026-03-01T10:00:00.000Z'),
        email: 'a@example.com',
        traits: { plan: 'pro', name: 'Ada “Countess” Lovelace' },
        orders: [{ orderId: 'o1', at: '2026-03-01T10:00:00.000Z', revenue: 42.5, currency: 'EUR' }],
        nextDueAt: '2026-04-30T10:00:00.000Z',
      },
      ['m1', 'm2'],
    );
    expect(await commit(profile, 0)).toBe('committed');
    const loaded = await store.load(id);
    expect(loaded).toEqual({ kind: 'profile', profile: { ...profile, version: 1 } });
    expect(loaded?.kind === 'profile' && hasApplied(loaded.profile, 'm2')).toBe(true);
    expect(loaded?.kind === 'profile' && hasApplied(loaded.profile, 'm3')).toBe(false);
  });

  it('keeps a profile item small: compressed, with the applied inputs packed in 8 bytes each', async () => {
    const id = uniqueId('c');
    let profile: Profile = { ...newProfile(id, '2026-03-01T10:00:00.000Z'), email: `${id}@example.com` };
    for (let index = 0; index < 20; index++) {
      profile = withApplied(
        {
          ...profile,
          orders: [
            ...profile.orders,
            {
              orderId: `o${index}`,
              at: `2026-03-01T10:${String(index).padStart(2, '0')}:00.000Z`,
              revenue: 10,
            },
          ],
        },
        [`message-${index}`],
      );
    }
    const item = profileItem({ ...profile, version: 21 });
    expect((item.applied as Buffer).length).toBe(20 * 8);
    expect(Buffer.byteLength(JSON.stringify(profile))).toBeGreaterThan(1500);
    // Under a kilobyte: one write unit per write.
    expect((item.data as Buffer).length + (item.applied as Buffer).length).toBeLessThan(800);
    expect(profileFromItem(item)).toEqual({ ...profile, version: 21 });
  });

  it('refuses a commit on a stale version, writing nothing of it', async () => {
    const id = uniqueId('c');
    const profile = newProfile(id, '2026-03-01T10:00:00.000Z');
    await commit(withApplied(profile, ['m1']), 0);
    expect(await commit(profile, 0)).toBe('conflict');
    expect(await commit({ ...profile, visitCount: 9 }, 2, { messages: [queuedWelcomeKit(id)] })).toBe(
      'conflict',
    );
    expect(await store.load(id)).toMatchObject({ kind: 'profile', profile: { version: 1, visitCount: 0 } });
    expect(await ledger.list(id)).toEqual([]);
    expect(await commit(withApplied(profile, ['m1', 'm2']), 1)).toBe('committed');
  });

  it('answers a second commit from the same version as a conflict, and the same commit again as done', async () => {
    const id = uniqueId('c');
    const profile = withApplied(newProfile(id, '2026-03-01T10:00:00.000Z'), ['m1']);
    const first = { ...profile, visitCount: 1 };
    // A concurrent delivery of the same input: same version, same inputs applied, other content.
    const second = { ...profile, visitCount: 2 };
    expect(await commit(first, 0, { messages: [queuedWelcomeKit(id)] })).toBe('committed');
    expect(await commit(second, 0, { messages: [queuedWelcomeKit(id)] })).toBe('conflict');
    // The very same commit sent again (the SDK's retry after a lost answer) is recognised as done.
    expect(await commit(first, 0, { messages: [queuedWelcomeKit(id)] })).toBe('committed');
    expect(await store.load(id)).toMatchObject({ kind: 'profile', profile: { version: 1, visitCount: 1 } });
    expect(await ledger.list(id)).toHaveLength(1);
  });

  it('reads profiles stored field by field by an earlier version', async () => {
    const id = uniqueId('legacy');
    const legacy = { ...newProfile(id, '2026-03-01T10:00:00.000Z'), version: 3, stage: 'buildup' as const };
    expect(
      profileFromItem({ PK: `CUSTOMER#${id}`, SK: 'PROFILE', entity: 'profile', ...legacy, orderCount: 0 }),
    ).toEqual(legacy);
  });

  it('writes alias pointers that load as such', async () => {
    const id = uniqueId('c');
    const anonymous = uniqueId('anon');
    await commit(newProfile(id, '2026-03-01T10:00:00.000Z'), 0, {
      aliases: [{ id: anonymous, mergedInto: id, expectedVersion: 0 }],
    });
    expect(await store.load(anonymous)).toEqual({ kind: 'alias', id: anonymous, mergedInto: id, version: 1 });
  });
});

describe('message ledger on DynamoDB Local', () => {
  it('moves an entry only from the states a transition allows', async () => {
    const customerId = uniqueId('c');
    const entry = queuedWelcomeKit(customerId);
    await commit(newProfile(customerId, '2026-03-01T10:00:00.000Z'), 0, { messages: [entry] });
    const key = { customerId, campaignId: 'welcome-kit' as const, occurrence: 1 };
    const claim = (token: string, now: string) =>
      ledger.transition(key, {
        status: 'claimed',
        from: ['queued'],
        at: now,
        leaseExpiredBefore: now,
        set: { claimToken: token, claimedUntil: '2026-03-01T10:01:00.000Z' },
      });
    expect(await claim('a', '2026-03-01T10:00:00.000Z')).toBe(true);
    expect(await claim('b', '2026-03-01T10:00:30.000Z')).toBe(false); // lease still live
    expect(await claim('c', '2026-03-01T10:02:00.000Z')).toBe(true); // lease expired: take over
    const sending = (token: string) =>
      ledger.transition(key, {
        status: 'sending',
        from: ['claimed'],
        claimToken: token,
        at: '2026-03-01T10:02:01.000Z',
      });
    expect(await sending('a')).toBe(false); // the crashed owner has lost the claim
    expect(await sending('c')).toBe(true);
    const stored = await ledger.get(key);
    expect(stored).toMatchObject({ status: 'sending', claimToken: 'c' });
    expect(stored?.history.map((step) => step.status)).toEqual(['queued', 'claimed', 'claimed', 'sending']);
    expect(await ledger.list(customerId)).toHaveLength(1);
    expect(
      await ledger.transition({ ...key, occurrence: 9 }, { status: 'sent', from: ['sending'], at: 'x' }),
    ).toBe(false);
  });
});

describe('the event log on DynamoDB Local', () => {
  const event = (n: number, extra: Record<string, unknown> = {}) => ({
    name: 'Product Viewed',
    at: new Date(Date.parse('2026-03-01T10:00:00.000Z') + n * 60_000).toISOString(),
    key: `key-${String(n).padStart(4, '0')}`,
    // A product id that does not compress away, as real ones do not.
    properties: { category: n % 2 ? 'shoes' : 'hats', sku: randomUUID(), ...extra },
  });

  it('seals the tail into pages before the profile item passes 1 KB, and reads every event back once', async () => {
    const id = uniqueId('log');
    let profile: Profile = { ...newProfile(id, '2026-03-01T10:00:00.000Z'), events: [] };
    let version = 0;
    for (let n = 0; n < 120; n++) {
      profile = { ...profile, events: [...(profile.events ?? []), event(n)] };
      expect(await commit(profile, version)).toBe('committed');
      version++;
      const stored = await store.load(id);
      if (stored?.kind !== 'profile') throw new Error('no profile');
      profile = stored.profile;
      // Every write of the profile stays within one write unit.
      expect(itemBytes(profileItem(profile))).toBeLessThanOrEqual(SEAL_AT_BYTES + 200);
    }
    expect(profile.eventLog?.head).toBeDefined();
    expect((profile.events ?? []).length).toBeLessThan(120);
    const history = await store.history(profile);
    expect(history.map((logged) => logged.key)).toEqual(Array.from({ length: 120 }, (_, n) => event(n).key));
  });

  it('keeps the tail in a profile that is large without it until the tail would cost a write unit more', async () => {
    const id = uniqueId('log');
    // Orders that do not compress away: the profile alone passes 1 KB (two units a write).
    const orders = Array.from({ length: 32 }, (_, n) => ({
      orderId: randomUUID(),
      at: new Date(Date.parse('2026-02-01T10:00:00.000Z') + n * 3_600_000).toISOString(),
      revenue: 10 + n,
    }));
    let profile: Profile = { ...newProfile(id, '2026-02-01T10:00:00.000Z'), orders, events: [] };
    let version = 0;
    let pages = 0;
    for (let n = 0; n < 40; n++) {
      const before = profile.eventLog?.head;
      profile = { ...profile, events: [...(profile.events ?? []), event(n)] };
      expect(await commit(profile, version)).toBe('committed');
      version++;
      const stored = await store.load(id);
      if (stored?.kind !== 'profile') throw new Error('no profile');
      profile = stored.profile;
      if (profile.eventLog?.head !== before) pages++;
      expect(itemBytes(profileItem(profile))).toBeGreaterThan(SEAL_AT_BYTES);
      // Never a third unit: the tail is sealed before it would cost one.
      expect(itemBytes(profileItem(profile))).toBeLessThanOrEqual(2 * SEAL_AT_BYTES + 200);
    }
    // A page when the tail reaches about a unit's worth, not one per event.
    expect(pages).toBeGreaterThan(0);
    expect(pages).toBeLessThan(10);
    expect((await store.history(profile)).map((logged) => logged.key)).toEqual(
      Array.from({ length: 40 }, (_, n) => event(n).key),
    );
  });

  it('ignores a page whose profile write failed (an orphan), and follows merged ids to their pages', async () => {
    const id = uniqueId('log');
    const big = (n: number) => event(n, { blob: 'x'.repeat(900) });
    const first: Profile = { ...newProfile(id, '2026-03-01T10:00:00.000Z'), events: [big(1), big(2)] };
    expect(await commit(first, 0)).toBe('committed');
    // A commit from a stale version seals a page, then loses: its page is an orphan.
    const stale: Profile = { ...first, events: [big(1), big(2), big(3)] };
    expect(await commit(stale, 0)).toBe('conflict');
    const stored = await store.load(id);
    if (stored?.kind !== 'profile') throw new Error('no profile');
    expect((await store.history(stored.profile)).map((logged) => logged.key)).toEqual([
      big(1).key,
      big(2).key,
    ]);

    // The anonymous visitor's pages stay under its own id after the merge.
    const anonymous = uniqueId('anon');
    const visitor: Profile = {
      ...newProfile(anonymous, '2026-03-01T09:00:00.000Z'),
      events: [big(10), big(11), big(12)],
    };
    expect(await commit(visitor, 0)).toBe('committed');
    const sealedVisitor = await store.load(anonymous);
    if (sealedVisitor?.kind !== 'profile') throw new Error('no visitor');
    const merged = mergeProfiles(stored.profile, sealedVisitor.profile);
    expect(merged.eventLog?.linked?.[anonymous]).toBe(sealedVisitor.profile.eventLog?.head);
    const keys = (await store.history(merged)).map((logged) => logged.key).sort();
    expect(keys).toEqual([big(1).key, big(2).key, big(10).key, big(11).key, big(12).key].sort());
  });
});
