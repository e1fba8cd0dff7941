/** The DynamoDB adapters against Amazon's DynamoDB Local, with real conditional transactions. */
import { beforeAll, describe, expect, it } from 'vitest';
import { ensureTable } from '../../shared/adapters/dynamodb/create-table.ts';
import {
  DynamoCustomerStore,
  profileFromItem,
  profileItem,
} from '../../shared/adapters/dynamodb/customer-store.ts';
import { DynamoLedger } from '../../shared/adapters/dynamodb/ledger.ts';
import { hasApplied, newProfile, type Profile, withApplied } from '../../shared/domain/profile.ts';
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
