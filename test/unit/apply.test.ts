import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { applyBroadcast, applyCustomerEvents } from '../../functions/apply-event/apply.ts';
import { sweep } from '../../functions/sweep/sweep.ts';
import type { CustomerEvent } from '../../shared/domain/segment.ts';
import { defaultSettings } from '../../shared/domain/settings.ts';
import { event, identify, order, visit } from '../support/events.ts';
import { MemoryStore, RecordingPublisher } from '../support/fakes.ts';
import { BASE, day, Scenario } from '../support/scenario.ts';

const deps = (store: MemoryStore, publisher: RecordingPublisher) => ({
  store,
  history: store,
  publisher,
  settings: async () => defaultSettings(),
});

function setup() {
  const store = new MemoryStore();
  const publisher = new RecordingPublisher();
  const deps = { store, history: store, publisher, settings: async () => defaultSettings() };
  const apply = (customerKey: string, events: CustomerEvent[]) =>
    applyCustomerEvents({ version: 1, customerKey, events }, deps);
  return { store, publisher, apply };
}

describe('apply-event', () => {
  it('publishes stage and segment changes only when an enabled webhook listens to them; emails always', async () => {
    const at = new Date(Date.now() - 60_000).toISOString();
    const run = async (webhookEvents: string[]) => {
      const store = new MemoryStore();
      const publisher = new RecordingPublisher();
      const settings = { ...defaultSettings(), webhookEvents };
      await applyCustomerEvents(
        {
          version: 1,
          customerKey: 'buyer',
          events: [
            identify({ email: 'b@example.com' }, { userId: 'buyer', timestamp: at }),
            order('o1', at, { userId: 'buyer' }),
          ],
        },
        { store, history: store, publisher, settings: async () => settings },
      );
      return [...new Set(publisher.published.map((entry) => entry.detailType))].sort();
    };
    expect(await run([])).toEqual(['Message Requested']);
    expect(await run(['Stage Changed'])).toEqual(['Message Requested', 'Stage Changed']);
    expect(await run(['*'])).toEqual([
      'Message Requested',
      'Segment Entered',
      'Segment Exited',
      'Stage Changed',
    ]);
  });

  it('a broadcast writes only its recipients, once: nothing for a customer outside its segment', async () => {
    const { store, publisher, apply } = setup();
    const at = '2026-03-01T10:00:00.000Z';
    await apply('member', [
      identify({ email: 'm@example.com', run: 'b1' }, { userId: 'member', timestamp: at }),
    ]);
    await apply('other', [identify({ email: 'o@example.com' }, { userId: 'other', timestamp: at })]);
    // Members are whoever the segment held at the start: here, by hand.
    const member = store.profile('member');
    if (!member) throw new Error('no member');
    store.customers.set('member', {
      kind: 'profile',
      profile: { ...member, lastVisitAt: at, segments: { everyone: at } },
    });
    const commitsBefore = store.commits;
    const send = {
      id: 'broadcast-news-1',
      segment: 'everyone',
      template: 'win-back',
      category: 'marketing' as const,
      holdoutPercent: 0,
      quietDays: 180,
      startedAt: '2026-03-02T10:00:00.000Z',
      conversion: { event: 'Order Completed', withinDays: 7 },
    };
    const input = { send, now: '2026-03-02T10:05:00.000Z' };
    expect(await applyBroadcast('other', input, deps(store, publisher))).toMatchObject({
      written: false,
      emails: 0,
    });
    expect(store.commits).toBe(commitsBefore);
    expect(await applyBroadcast('member', input, deps(store, publisher))).toMatchObject({
      written: true,
      emails: 1,
    });
    // Delivered again (a retried chunk): decided already, nothing written.
    expect(await applyBroadcast('member', input, deps(store, publisher))).toMatchObject({
      written: false,
      emails: 0,
    });
    expect(store.commits).toBe(commitsBefore + 1);
    expect((await store.list('member')).filter((entry) => entry.campaignId === send.id)).toEqual([
      expect.objectContaining({ status: 'queued', occurrence: 1 }),
    ]);
  });

  it('applies events, records each messageId and queues the welcome kit in the ledger', async () => {
    const { store, publisher, apply } = setup();
    const outcome = await apply('u1', [
      identify({ email: 'ada@example.com' }),
      order('o1', '2026-03-01T10:00:00.000Z'),
    ]);
    expect(outcome).toMatchObject({ customerId: 'u1', applied: 2, duplicates: 0 });
    expect(store.profile('u1')?.applied).toHaveLength(2);
    expect(await store.list('u1')).toEqual([
      expect.objectContaining({ campaignId: 'welcome-kit', status: 'queued' }),
    ]);
    expect(publisher.ofType('Message Requested').map((entry) => entry.detail)).toEqual([
      { version: 1, customerId: 'u1', campaignId: 'welcome-kit', occurrence: 1 },
    ]);
  });

  it('applies a messageId once however often it is delivered', async () => {
    const { store, apply } = setup();
    const events = [order('o1', '2026-03-01T10:00:00.000Z'), visit('2026-03-01T11:00:00.000Z')];
    await apply('u1', events);
    const again = await apply('u1', events);
    expect(again).toMatchObject({ applied: 0, duplicates: 2 });
    expect(store.profile('u1')).toMatchObject({
      visitCount: 1,
      orders: [expect.objectContaining({ orderId: 'o1' })],
      version: 1,
    });
    expect(store.commits).toBe(1);
  });

  it('loses no email when a crash comes between the commit and the publish: the dispatcher sends it', async () => {
    const { store, publisher, apply } = setup();
    publisher.failNext = 1;
    const events = [identify({ email: 'ada@example.com' }), order('o1', '2026-03-01T10:00:00.000Z')];
    await expect(apply('u1', events)).rejects.toThrow('bus unavailable');
    expect(store.profile('u1')?.orders).toHaveLength(1);
    // The bus's retry finds the events applied: nothing is applied or counted twice.
    expect(await apply('u1', events)).toMatchObject({ applied: 0, duplicates: 2, published: 0 });
    expect(store.profile('u1')?.orders).toHaveLength(1);
    expect(store.messages.size).toBe(1);
    // The queued welcome kit was never requested; the dispatcher finds it once its grace is over.
    const [entry] = [...store.messages.values()];
    const decided = Date.parse(entry?.decidedAt ?? '');
    const early = await sweep(
      new Date(decided + 60_000),
      { dueIndex: store, publisher },
      { only: 'deferred' },
    );
    expect(early.dispatched).toBe(0);
    const late = await sweep(
      new Date(decided + 6 * 60_000),
      { dueIndex: store, publisher },
      { only: 'deferred' },
    );
    expect(late.dispatched).toBe(1);
    expect(publisher.ofType('Message Requested').map((request) => request.detail)).toEqual([
      { version: 1, customerId: 'u1', campaignId: 'welcome-kit', occurrence: 1 },
    ]);
  });

  it('retries when another writer changed the profile in between, and loses nothing', async () => {
    const { store, apply } = setup();
    await apply('u1', [visit('2026-03-01T09:00:00.000Z')]);
    let raced = false;
    store.beforeCommit = () => {
      if (raced) return;
      raced = true;
      // A concurrent writer bumps the version after our read.
      const stored = store.customers.get('u1');
      if (stored?.kind === 'profile')
        stored.profile = { ...stored.profile, version: stored.profile.version + 1, visitCount: 5 };
    };
    await apply('u1', [visit('2026-03-01T10:00:00.000Z')]);
    expect(store.profile('u1')?.visitCount).toBe(6);
  });

  it('links an anonymous visitor on identify and follows the link afterwards', async () => {
    const { store, apply } = setup();
    await apply('anon-1', [visit('2026-03-01T09:00:00.000Z', { userId: undefined, anonymousId: 'anon-1' })]);
    await apply('u1', [
      identify(
        { email: 'ada@example.com' },
        { anonymousId: 'anon-1', timestamp: '2026-03-01T09:05:00.000Z' },
      ),
    ]);
    await apply('anon-1', [visit('2026-03-01T09:10:00.000Z', { userId: undefined, anonymousId: 'anon-1' })]);
    expect(store.customers.get('anon-1')).toMatchObject({ kind: 'alias', mergedInto: 'u1' });
    expect(store.profile('u1')).toMatchObject({
      visitCount: 2,
      anonymousIds: ['anon-1'],
      email: 'ada@example.com',
    });
  });

  it('links the previous id of an alias call', async () => {
    const { store, apply } = setup();
    await apply('old-id', [order('o1', '2026-03-01T09:00:00.000Z', { userId: 'old-id' })]);
    await apply('new-id', [
      event({ type: 'alias', userId: 'new-id', previousId: 'old-id', timestamp: '2026-03-02T00:00:00.000Z' }),
    ]);
    expect(store.profile('new-id')?.orders).toHaveLength(1);
    expect(store.customers.get('old-id')).toMatchObject({ kind: 'alias', mergedInto: 'new-id' });
  });

  it('does not apply again an event first applied under the anonymous id, after the merge', async () => {
    const { store, apply } = setup();
    const anonymousVisit = visit('2026-03-01T09:00:00.000Z', { userId: undefined, anonymousId: 'anon-2' });
    await apply('anon-2', [anonymousVisit]);
    await apply('u2', [identify({}, { userId: 'u2', anonymousId: 'anon-2' })]);
    await apply('anon-2', [anonymousVisit]);
    expect(store.profile('u2')?.visitCount).toBe(1);
  });
});

describe('apply-event: delivery order and duplicates do not matter (property)', () => {
  const history = fc
    .array(
      fc.record({
        kind: fc.constantFrom('order', 'visit', 'identify', 'refund'),
        minute: fc.integer({ min: 0, max: 60 * 24 * 30 }),
        orderId: fc.constantFrom('o1', 'o2', 'o3', 'o4', 'o5', 'o6'),
        plan: fc.constantFrom('free', 'pro', 'team'),
      }),
      { minLength: 1, maxLength: 14 },
    )
    .map((items) =>
      items.map((item, index) => {
        const timestamp = new Date(BASE + item.minute * 60_000 + index).toISOString();
        const partial = { messageId: `m${index}`, receivedAt: timestamp };
        if (item.kind === 'order') return order(item.orderId, timestamp, partial);
        if (item.kind === 'visit') return visit(timestamp, partial);
        if (item.kind === 'refund') {
          return event({
            type: 'track',
            event: 'Order Refunded',
            timestamp,
            properties: { order_id: item.orderId },
            ...partial,
          });
        }
        return identify({ plan: item.plan }, { ...partial, timestamp });
      }),
    );

  // The contact policy judges with what is known at decision time (caps: which email came
  // first; cool-down and impression balance: whether the refund had arrived yet). This property is
  // about the facts, so the policy is switched off here (a bad impression weighs next to nothing
  // against an order); the policy has its own scenarios.
  const settings = defaultSettings();
  settings.policy = {
    ...settings.policy,
    caps: { perDay: 50, perWeek: 100 },
    quietHours: { ...settings.policy.quietHours, enabled: false },
    cooldownDays: 0,
    impressions: { goodWeight: 100, badWeight: 0.1 },
  };

  async function live(delivered: CustomerEvent[][]) {
    const store = new MemoryStore();
    const world = new Scenario(store, store, store, settings);
    // The customer is known by email first: whether an address arrives before a send is a race of
    // its own, outside this property.
    const known = new Date(BASE - 86_400_000).toISOString();
    await world.events('u1', [
      identify({ email: 'p@example.com' }, { messageId: 'known', timestamp: known, receivedAt: known }),
    ]);
    for (const delivery of delivered) await world.events('u1', delivery);
    // Then months pass: every timer of the lifecycle gets its chance.
    for (const at of [10, 45, 70, 100, 135, 250]) await world.sweep(day(at));
    const profile = store.profile('u1');
    const {
      version: _version,
      stageChangedAt: _changed,
      stageHistory: _history,
      // Which inputs it remembers, in what order, is bookkeeping of the delivery order; so are
      // the moments memberships changed (they follow the order the events arrived in).
      applied: _applied,
      segmentHistory: _segmentHistory,
      campaigns,
      segments,
      events,
      journeys,
      // When marketing went follows when each email was decided, which follows delivery; the
      // emails themselves are compared below.
      marketingLog: _marketingLog,
      ...facts
    } = profile ?? ({} as never);
    const emails = [...store.messages.values()].map((entry) => `${entry.campaignId}:${entry.status}`).sort();
    return {
      facts: {
        ...facts,
        campaigns: Object.keys(campaigns ?? {}).sort(),
        // Where each journey run went, not when it began: the moment follows whichever copy of a
        // repeated order arrived first, like the campaigns' histories.
        journeys: Object.fromEntries(
          Object.entries(journeys ?? {}).map(([id, state]) => [
            id,
            {
              entries: state.entries,
              passed: state.passed,
              path: state.path,
              leftBecause: state.leftBecause,
            },
          ]),
        ),
        segments: Object.keys(segments ?? {}).sort(),
        events: [...(events ?? [])].sort((a, b) => (a.key < b.key ? -1 : 1)),
      },
      emails,
    };
  }

  it('gives the same profile and the same emails for any delivery order and any duplicates', async () => {
    await fc.assert(
      fc.asyncProperty(
        history,
        fc.func(fc.integer()),
        fc.array(fc.nat(), { maxLength: 6 }),
        fc.integer({ min: 1, max: 4 }),
        async (events, shuffleKey, duplicateIndexes, chunk) => {
          const inOrder = [...events]
            .sort((a, b) => (a.timestamp < b.timestamp ? -1 : 1))
            .map((one) => [one]);
          const shuffled = [...events].sort((a, b) => shuffleKey(a.messageId) - shuffleKey(b.messageId));
          const duplicates = duplicateIndexes.flatMap((index) => [
            events[index % events.length] as CustomerEvent,
          ]);
          const delivered = [...shuffled, ...duplicates];
          const deliveries: CustomerEvent[][] = [];
          for (let start = 0; start < delivered.length; start += chunk)
            deliveries.push(delivered.slice(start, start + chunk));
          expect(await live(deliveries)).toEqual(await live(inOrder));
        },
      ),
      { numRuns: 300 },
    );
  }, 120_000);
});
