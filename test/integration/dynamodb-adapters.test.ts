/** The DynamoDB adapters against Amazon's DynamoDB Local, with real conditional transactions. */
import { beforeAll, describe, expect, it } from 'vitest';
import { ensureTable } from '../../shared/adapters/dynamodb/create-table.ts';
import { DynamoCustomerStore } from '../../shared/adapters/dynamodb/customer-store.ts';
import { DynamoLedger } from '../../shared/adapters/dynamodb/ledger.ts';
import { newProfile, type Profile } from '../../shared/domain/profile.ts';
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
    applied: [],
    messages: [],
    conversions: [],
    ...parts,
  });

const applied = (customerId: string, messageId: string) => ({
  customerId,
  messageId,
  type: 'track',
  event: 'Order Completed',
  timestamp: '2026-03-01T10:00:00.000Z',
  receivedAt: '2026-03-01T10:00:00.000Z',
  effects: [],
});

describe('customer store on DynamoDB Local', () => {
  it('commits a new profile with its event records and reads them back', async () => {
    const id = uniqueId('c');
    const profile = {
      ...newProfile(id, '2026-03-01T10:00:00.000Z'),
      email: 'a@example.com',
      traits: { plan: 'pro' },
    };
    expect(await commit(profile, 0, { applied: [applied(id, 'm1')] })).toBe('committed');
    expect(await store.load(id)).toEqual({ kind: 'profile', profile: { ...profile, version: 1 } });
    expect(
      (
        await store.findApplied([
          { customerId: id, messageId: 'm1' },
          { customerId: id, messageId: 'm2' },
        ])
      ).map((record) => record.messageId),
    ).toEqual(['m1']);
    expect(await store.events(id)).toEqual([applied(id, 'm1')]);
  });

  it('refuses a commit on a stale version, and one that repeats an applied messageId', async () => {
    const id = uniqueId('c');
    const profile = newProfile(id, '2026-03-01T10:00:00.000Z');
    await commit(profile, 0, { applied: [applied(id, 'm1')] });
    expect(await commit(profile, 0)).toBe('conflict');
    expect(await commit(profile, 1, { applied: [applied(id, 'm1')] })).toBe('conflict');
    // Nothing of a refused commit is written.
    expect(await store.load(id)).toMatchObject({ kind: 'profile', profile: { version: 1 } });
    expect(await commit(profile, 1, { applied: [applied(id, 'm2')] })).toBe('committed');
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
