/** Whole-base reads, timer rescheduling and the model store on DynamoDB Local. */
import { describe, expect, it } from 'vitest';
import { DynamoCustomerBase } from '../../shared/adapters/dynamodb/customer-base.ts';
import { DynamoCustomerStore } from '../../shared/adapters/dynamodb/customer-store.ts';
import { DynamoDueIndex } from '../../shared/adapters/dynamodb/due-index.ts';
import { DynamoModelStore } from '../../shared/adapters/dynamodb/model-store.ts';
import { DynamoSettingsStore } from '../../shared/adapters/dynamodb/settings-store.ts';
import { newProfile, type Profile } from '../../shared/domain/profile.ts';
import { engineSettings } from '../../shared/domain/settings.ts';
import { queuedWelcomeKit } from '../support/events.ts';
import { CDNOW_MODEL } from '../support/predictive-scenarios.ts';
import { freshTable } from '../support/stack.ts';

async function setUp() {
  const { db, tableName } = await freshTable('base');
  const store = new DynamoCustomerStore(db, tableName);
  const add = (profile: Profile, withMessage = false) =>
    store.commit({
      profile,
      expectedVersion: 0,
      aliases: [],
      messages: withMessage ? [queuedWelcomeKit(profile.id)] : [],
      conversions: [],
    });
  return { db, tableName, store, add, base: new DynamoCustomerBase(db, tableName, 4) };
}

describe('DynamoCustomerBase', () => {
  it('reads every profile once, and ledger entries when asked, across parallel segments', async () => {
    const { add, base } = await setUp();
    for (let index = 0; index < 60; index++)
      await add(newProfile(`c-${index}`, '2026-03-01T10:00:00.000Z'), index % 4 === 0);
    const profiles: string[] = [];
    let messages = 0;
    for await (const page of base.scan({ messages: true })) {
      profiles.push(...page.profiles.map((profile) => profile.id));
      messages += page.messages.length;
    }
    expect(profiles.sort()).toEqual(Array.from({ length: 60 }, (_, index) => `c-${index}`).sort());
    expect(messages).toBe(15);
    let withoutMessages = 0;
    for await (const page of base.scan()) withoutMessages += page.messages.length;
    expect(withoutMessages).toBe(0);
  });
});

describe('moving a due time (the reschedule pass)', () => {
  it('moves the index entry with the profile, only at the version read', async () => {
    const { db, tableName, store, add } = await setUp();
    const profile = {
      ...newProfile('r1', '2026-03-01T10:00:00.000Z'),
      nextDueAt: '2026-06-01T10:00:00.000Z',
    };
    await add(profile);
    const index = new DynamoDueIndex(db, tableName);
    const dueBy = async (now: string) => {
      const ids: string[] = [];
      for await (const page of index.due(now))
        ids.push(...page.customers.map((customer) => customer.customerId));
      return ids;
    };
    const move = (nextDueAt: string | undefined, expectedVersion: number) => {
      const { nextDueAt: _before, ...rest } = profile;
      return store.commit({
        profile: nextDueAt ? { ...rest, nextDueAt } : rest,
        expectedVersion,
        aliases: [],
        messages: [],
        conversions: [],
      });
    };
    expect(await dueBy('2026-04-02T00:00:00.000Z')).toEqual([]);
    expect(await move('2026-04-01T10:00:00.000Z', 1)).toBe('committed');
    expect(await dueBy('2026-04-02T00:00:00.000Z')).toEqual(['r1']);
    const stored = await store.load('r1');
    expect(stored?.kind === 'profile' && stored.profile).toMatchObject({
      version: 2,
      nextDueAt: '2026-04-01T10:00:00.000Z',
    });
    // A stale version changes nothing.
    expect(await move(undefined, 1)).toBe('conflict');
    // No timer at all: out of the index.
    expect(await move(undefined, 2)).toBe('committed');
    expect(await dueBy('2027-01-01T00:00:00.000Z')).toEqual([]);
    const cleared = await store.load('r1');
    expect(cleared?.kind === 'profile' && cleared.profile.nextDueAt).toBeUndefined();
  });
});

describe('DynamoModelStore', () => {
  it('keeps every fit, newest first, and puts the latest in the settings the engine reads', async () => {
    const { db, tableName } = await setUp();
    const models = new DynamoModelStore(db, tableName);
    expect(await models.current()).toBeUndefined();
    const settingsStore = new DynamoSettingsStore(db, tableName);
    await settingsStore.savePolicy(engineSettings({}, 'x').policy, '2026-03-01T00:00:00.000Z');
    await models.save({ ...CDNOW_MODEL, asOf: '2026-03-01', fittedAt: '2026-03-02T02:00:00.000Z' });
    await models.save({ ...CDNOW_MODEL, asOf: '2026-03-02', fittedAt: '2026-03-03T02:00:00.000Z' });
    expect((await models.current())?.asOf).toBe('2026-03-02');
    expect((await models.history(10)).map((model) => model.asOf)).toEqual(['2026-03-02', '2026-03-01']);
    const stored = await settingsStore.load();
    expect(stored.model?.asOf).toBe('2026-03-02');
    expect(stored.policy).toBeDefined();
    expect(engineSettings(stored, 'x').model?.bgnbd.r).toBe(CDNOW_MODEL.bgnbd.r);
  });
});
