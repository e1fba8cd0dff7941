import { describe, expect, it } from 'vitest';
import { applyParsed, batchDeps, customerOf, parseQueuedInput } from '../../functions/apply-event/batch.ts';
import { defaultSettings } from '../../shared/domain/settings.ts';
import type { StoredCustomer } from '../../shared/ports.ts';
import { identify, visit } from '../support/events.ts';
import { MemoryStore, RecordingPublisher } from '../support/fakes.ts';

/** A store that counts its reads, and reads many at once as DynamoDB's BatchGetItem does. */
class CountingStore extends MemoryStore {
  loads: string[] = [];
  batches: string[][] = [];
  override async load(id: string) {
    this.loads.push(id);
    return super.load(id);
  }
  async loadMany(ids: string[]) {
    this.batches.push(ids);
    const found = new Map<string, StoredCustomer | undefined>();
    for (const id of ids) found.set(id, await super.load(id));
    return found;
  }
}

const body = (customerKey: string, ...events: unknown[]) =>
  JSON.stringify({ 'detail-type': 'Customer Events Received', detail: { version: 1, customerKey, events } });

describe('a batch of queued customer inputs', () => {
  it('reads the settings once and every customer in one read, then each customer’s later reads from the table', async () => {
    const store = new CountingStore();
    let settingsReads = 0;
    const deps = {
      store,
      history: store,
      publisher: new RecordingPublisher(),
      settings: async () => {
        settingsReads++;
        return defaultSettings();
      },
    };
    const at = '2026-11-30T10:00:00.000Z';
    const inputs = [
      parseQueuedInput(body('ann', identify({ email: 'ann@example.com' }, { userId: 'ann', timestamp: at }))),
      parseQueuedInput(body('bob', identify({ email: 'bob@example.com' }, { userId: 'bob', timestamp: at }))),
      parseQueuedInput(body('ann', visit('2026-11-30T10:05:00.000Z', { userId: 'ann' }))),
    ];
    const batch = await batchDeps([...new Set(inputs.map(customerOf))], deps);
    for (const input of inputs) await applyParsed(input, batch);

    expect(settingsReads).toBe(1);
    expect(store.batches).toEqual([['ann', 'bob']]);
    // Ann's second input reads her profile as the first one left it, from the table.
    expect(store.loads).toEqual(['ann']);
    expect(store.profile('ann')).toMatchObject({ email: 'ann@example.com', visitCount: 1 });
    expect(store.profile('bob')).toMatchObject({ email: 'bob@example.com' });
  });

  it('applies one customer’s several inputs of a batch in one decision: one read, one write', async () => {
    const store = new CountingStore();
    const deps = {
      store,
      history: store,
      publisher: new RecordingPublisher(),
      settings: async () => defaultSettings(),
    };
    const at = '2026-11-30T10:00:00.000Z';
    const inputs = [
      parseQueuedInput(body('cy', identify({ email: 'cy@example.com' }, { userId: 'cy', timestamp: at }))),
      parseQueuedInput(body('cy', visit('2026-11-30T10:05:00.000Z', { userId: 'cy' }))),
      parseQueuedInput(body('cy', visit('2026-11-30T11:05:00.000Z', { userId: 'cy' }))),
    ];
    const batch = await batchDeps(['cy'], deps);
    const outcome = await applyParsed(inputs, batch);
    expect(outcome.applied).toBe(3);
    expect(store.commits).toBe(1);
    expect(store.loads).toEqual([]);
    expect(store.profile('cy')).toMatchObject({ email: 'cy@example.com', visitCount: 2 });
    // Delivered again (the batch came back): nothing is applied twice, nothing written.
    const again = await applyParsed(inputs, await batchDeps(['cy'], deps));
    expect(again).toMatchObject({ applied: 0, duplicates: 3 });
    expect(store.commits).toBe(1);
  });

  it('names what is wrong with a message that is not a customer input', () => {
    expect(() => parseQueuedInput('not json')).toThrow('the message body is not JSON');
    expect(() => parseQueuedInput('{"detail-type":"Message Requested","detail":{}}')).toThrow(
      'the message is not a customer input (detail-type Message Requested)',
    );
    expect(() => parseQueuedInput(body('ann', { type: 'track' }))).toThrow(/messageId/);
  });
});
