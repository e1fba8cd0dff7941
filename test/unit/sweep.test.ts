import { describe, expect, it } from 'vitest';
import { sweep } from '../../functions/sweep/sweep.ts';
import { identify, order } from '../support/events.ts';
import { MemoryStore, RecordingPublisher } from '../support/fakes.ts';
import { day, Scenario } from '../support/scenario.ts';

describe('sweep', () => {
  it('publishes one Timer Due per due customer, named after the sweep time and the index entry', async () => {
    const store = new MemoryStore();
    const world = new Scenario(store, store, store);
    await world.events('a', [order('o', day(0), { userId: 'a', receivedAt: day(0) })]);
    await world.events('b', [order('o', day(30), { userId: 'b', receivedAt: day(30) })]);
    const publisher = new RecordingPublisher();
    const result = await sweep(new Date(day(61)), { dueIndex: store, publisher });
    expect(result).toEqual({ now: day(61), due: 1, dispatched: 0, itemsRead: 1, published: 1 });
    expect(publisher.published.map((entry) => entry.detail)).toEqual([
      // Due 60 days after the order (2026-03-06T10:00): filed far ahead, under the day before.
      { version: 1, customerId: 'a', now: day(61), messageId: `timer#${day(61)}#2026-03-05T00:00` },
    ]);
  });

  it('waits for the timers to be applied and sums up what they did', async () => {
    const store = new MemoryStore();
    const world = new Scenario(store, store, store);
    await world.events('a', [
      identify({ email: 'a@example.com' }, { userId: 'a' }),
      order('o', day(0), { userId: 'a', receivedAt: day(0) }),
    ]);
    const bus = new RecordingPublisher();
    const applyingBus = {
      publish: async (entries: Parameters<RecordingPublisher['publish']>[0]) => {
        await bus.publish(entries);
        await world.sweep(day(61)); // stands in for apply-event consuming the Timer Due
      },
    };
    const result = await sweep(
      new Date(day(61)),
      { dueIndex: store, publisher: applyingBus, outcomes: { customers: store, ledger: store } },
      { wait: { timeoutMs: 1000 } },
    );
    expect(result).toMatchObject({
      due: 1,
      applied: 1,
      pending: 0,
      fired: 1,
      messages: { 'second-purchase-nudge': { queued: 1 } },
      stages: { buildup: 1 },
    });
  });
});
