/** Segments: validation against the others, exact membership in the engine, history for late definitions. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { applyCustomerEvents, applyTimers, reevaluate } from '../../functions/apply-event/apply.ts';
import type { EngineSettings } from '../../shared/domain/rules.ts';
import type { CustomerEvent } from '../../shared/domain/segment.ts';
import { compileSegments, parseSegment, type SegmentDefinition } from '../../shared/domain/segments.ts';
import { defaultSettings, segmentsOf } from '../../shared/domain/settings.ts';
import { event, identify, order } from '../support/events.ts';
import { MemoryStore, RecordingPublisher } from '../support/fakes.ts';

const T0 = Date.parse('2026-05-01T10:00:00.000Z');
const at = (hours: number) => new Date(T0 + hours * 3_600_000).toISOString();

function segment(id: string, condition: unknown, others: string[] = ['vip']): SegmentDefinition {
  const known = new Map(
    others.map((other) => [
      other,
      { condition: { stage: ['buildup'] } } as Pick<SegmentDefinition, 'condition'>,
    ]),
  );
  const parsed = parseSegment(id, { name: id, condition }, known);
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems));
  return { id, ...parsed.value, version: 1, updatedAt: at(0) };
}

function settingsWith(...segments: SegmentDefinition[]): EngineSettings {
  return { ...defaultSettings(), segments: compileSegments(segments) };
}

function view(hours: number, category: string, partial: Partial<CustomerEvent> = {}) {
  return event({
    type: 'track',
    event: 'Product Viewed',
    timestamp: at(hours),
    receivedAt: at(hours),
    properties: { category },
    ...partial,
  });
}

const SHOES = segment('shoe-lovers', {
  performed: 'Product Viewed',
  where: [{ property: 'category', op: 'equals', value: 'shoes' }],
  times: { atLeast: 3 },
  withinDays: 7,
});

function world(settings: EngineSettings) {
  const store = new MemoryStore();
  const publisher = new RecordingPublisher();
  const deps = { store, history: store, publisher, settings: async () => settings };
  return {
    store,
    publisher,
    deps,
    events: (id: string, events: CustomerEvent[]) =>
      applyCustomerEvents({ version: 1, customerKey: id, events }, deps),
    timers: (id: string, now: string) =>
      applyTimers({ version: 1, customerId: id, now, messageId: `t-${now}` }, deps),
    published: (type: string) =>
      publisher.published
        .filter((entry) => entry.detailType === type)
        .map((entry) => entry.detail as { segment: string; customerId: string }),
  };
}

describe('segment definitions', () => {
  const others = new Map<string, Pick<SegmentDefinition, 'condition'>>([
    ['a', { condition: { segment: 'b' } }],
    ['b', { condition: { stage: ['buildup'] } }],
  ]);

  it('refuses a reference to a missing segment, itself, or a cycle, naming the field', () => {
    expect(parseSegment('c', { name: 'C', condition: { segment: 'nope' } }, others)).toEqual({
      ok: false,
      problems: [{ field: 'condition', message: 'refers to segment nope, which does not exist' }],
    });
    expect(parseSegment('c', { name: 'C', condition: { not: { segment: 'c' } } }, others)).toEqual({
      ok: false,
      problems: [{ field: 'condition', message: 'refers to itself (segment c)' }],
    });
    expect(parseSegment('b', { name: 'B', condition: { segment: 'a' } }, others)).toEqual({
      ok: false,
      problems: [{ field: 'condition', message: 'makes a cycle: b -> a -> b' }],
    });
  });

  it('refuses a bad name, an unknown field and a bad id, with the condition problems too', () => {
    const result = parseSegment('Bad Id', { name: '', colour: 'red', condition: { stage: [] } }, others);
    expect(result.ok).toBe(false);
    if (!result.ok)
      expect(result.problems.map((problem) => problem.field).sort()).toEqual([
        'body',
        'condition.stage',
        'id',
        'name',
      ]);
  });

  it('evaluates dependencies first', () => {
    const compiled = compileSegments([
      segment('z-uses-vip', { segment: 'vip' }),
      segment('vip', { stage: ['buildup'] }),
    ]);
    expect(compiled.ordered.map((s) => s.id)).toEqual(['vip', 'z-uses-vip']);
  });

  it('ships default segments that parse, and a stored one replaces or deletes a built-in one', () => {
    const ids = segmentsOf({}).map((s) => s.id);
    expect(ids).toEqual(
      expect.arrayContaining([
        'one-time-buyers',
        'best-customers',
        'at-risk',
        'subscribers-never-bought',
        'lapsed-vips',
      ]),
    );
    const changed = segmentsOf({
      segments: {
        'at-risk': { ...segment('at-risk', { stage: ['termination'] }), version: 2 },
        'lapsed-vips': { id: 'lapsed-vips', deleted: true, version: 1, updatedAt: at(0) },
      },
    });
    expect(changed.find((s) => s.id === 'at-risk')?.condition).toEqual({ stage: ['termination'] });
    expect(changed.some((s) => s.id === 'lapsed-vips')).toBe(false);
  });
});

describe('membership in the engine', () => {
  it('enters when the third shoe view in a week comes, and leaves when the window closes, at the due time', async () => {
    // A webhook listens to segment changes: they are published.
    const w = world({ ...settingsWith(SHOES), webhookEvents: ['Segment Entered', 'Segment Exited'] });
    await w.events('u1', [view(0, 'shoes'), view(1, 'hats'), view(24, 'shoes')]);
    expect(w.store.profile('u1')?.segments).toEqual({});
    await w.events('u1', [view(48, 'shoes')]);
    expect(Object.keys(w.store.profile('u1')?.segments ?? {})).toEqual(['shoe-lovers']);
    expect(w.published('Segment Entered')).toEqual([
      expect.objectContaining({ customerId: 'u1', segment: 'shoe-lovers' }),
    ]);
    // The first view leaves the 7-day window at hour 168: that is the customer's next due time.
    expect(w.store.profile('u1')?.nextDueAt).toBe(at(168));
    await w.timers('u1', at(168));
    expect(w.store.profile('u1')?.segments).toEqual({});
    expect(w.published('Segment Exited')).toEqual([expect.objectContaining({ segment: 'shoe-lovers' })]);
    expect(w.store.profile('u1')?.segmentHistory?.map((change) => change.change)).toEqual([
      'entered',
      'exited',
    ]);
  });

  it('a segment saved after the events came is right at once: the history fills what the profile did not keep', async () => {
    const before = world(settingsWith());
    await before.events('u1', [view(0, 'shoes'), view(2, 'shoes'), view(3, 'shoes'), view(4, 'hats')]);
    expect(before.store.profile('u1')?.signals).toEqual({});
    // The marketer saves the segment; the build (a re-evaluation) reaches this customer.
    const after = { ...before.deps, settings: async () => settingsWith(SHOES) };
    const outcome = await reevaluate('u1', at(5), after);
    expect(outcome.written).toBe(true);
    expect(Object.keys(before.store.profile('u1')?.segments ?? {})).toEqual(['shoe-lovers']);
    // Evaluated again with nothing new: nothing written.
    expect((await reevaluate('u1', at(6), after)).written).toBe(false);
  });

  it('an event arriving before the build reaches the customer fills the history itself', async () => {
    const w = world(settingsWith());
    await w.events('u1', [view(0, 'shoes'), view(2, 'shoes')]);
    const later = { ...w.deps, settings: async () => settingsWith(SHOES) };
    await applyCustomerEvents({ version: 1, customerKey: 'u1', events: [view(3, 'shoes')] }, later);
    expect(Object.keys(w.store.profile('u1')?.segments ?? {})).toEqual(['shoe-lovers']);
  });

  it('segments of segments, traits and orders: one pass settles them all', async () => {
    const buyers = segment('buyers', { measure: 'orderCount', op: 'gte', value: 1 });
    const germanBuyers = segment(
      'german-buyers',
      { all: [{ segment: 'buyers' }, { trait: 'address.country', op: 'equals', value: 'DE' }] },
      ['buyers'],
    );
    const w = world(settingsWith(buyers, germanBuyers));
    await w.events('u1', [
      identify({ email: 'a@b.co', address: { country: 'DE' } }, { timestamp: at(0), receivedAt: at(0) }),
    ]);
    expect(w.store.profile('u1')?.segments).toEqual({});
    await w.events('u1', [order('o1', at(1), { receivedAt: at(1) })]);
    expect(Object.keys(w.store.profile('u1')?.segments ?? {}).sort()).toEqual(['buyers', 'german-buyers']);
  });
});

describe('delivery order and duplicates do not change memberships (property)', () => {
  const settings = settingsWith(
    SHOES,
    segment('quiet-buyers', {
      all: [
        { measure: 'orderCount', op: 'gte', value: 1 },
        { lastPerformed: 'Order Completed', olderThanDays: 3 },
      ],
    }),
    segment('browsed-no-order', {
      all: [
        { performed: 'Product Viewed', withinDays: 2 },
        { performed: 'Order Completed', times: { atMost: 0 }, withinDays: 2 },
      ],
    }),
  );
  settings.policy = { ...settings.policy, quietHours: { ...settings.policy.quietHours, enabled: false } };
  const history = fc
    .array(
      fc.record({
        kind: fc.constantFrom('shoes', 'hats', 'order'),
        hour: fc.integer({ min: 0, max: 24 * 10 }),
      }),
      { minLength: 1, maxLength: 12 },
    )
    .map((items) =>
      items.map((item, index) =>
        item.kind === 'order'
          ? order(`o${index}`, at(item.hour), { messageId: `m${index}`, receivedAt: at(item.hour) })
          : view(item.hour, item.kind, { messageId: `m${index}` }),
      ),
    );

  async function live(deliveries: CustomerEvent[][]) {
    const w = world(settings);
    for (const delivery of deliveries) await w.events('u1', delivery);
    const memberships: string[][] = [];
    for (const hours of [24 * 11, 24 * 12, 24 * 15, 24 * 30]) {
      await w.timers('u1', at(hours));
      memberships.push(Object.keys(w.store.profile('u1')?.segments ?? {}).sort());
    }
    return { memberships, signals: w.store.profile('u1')?.signals };
  }

  it('gives the same memberships and signals for any order and any duplicates', async () => {
    await fc.assert(
      fc.asyncProperty(
        history,
        fc.func(fc.integer()),
        fc.array(fc.nat(), { maxLength: 4 }),
        async (events, key, dups) => {
          const inOrder = [...events]
            .sort((a, b) => (a.timestamp < b.timestamp ? -1 : 1))
            .map((one) => [one]);
          const shuffled = [...events].sort((a, b) => key(a.messageId) - key(b.messageId));
          const duplicated = [
            ...shuffled,
            ...dups.map((index) => events[index % events.length] as CustomerEvent),
          ];
          expect(await live(duplicated.map((one) => [one]))).toEqual(await live(inOrder));
        },
      ),
      { numRuns: 150 },
    );
  });
});
