/** Projections from the change stream: counters that always equal the sum over what is stored. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { applyCustomerEvents } from '../../functions/apply-event/apply.ts';
import { type Change, project } from '../../functions/projections/projections.ts';
import type { Profile } from '../../shared/domain/profile.ts';
import { defaultSettings } from '../../shared/domain/settings.ts';
import type {
  CounterMoves,
  CounterStore,
  CustomerDirectoryIndex,
  DirectoryEntry,
  StoredItem,
} from '../../shared/ports.ts';
import { identify, order, visit } from '../support/events.ts';
import { MemoryStore, RecordingPublisher, StateCounters } from '../support/fakes.ts';

/** Counters moved as DynamoDB moves them: a token seen before is not applied again. */
class MemoryCounters implements CounterStore {
  readonly values = new Map<string, number>();
  readonly tokens = new Set<string>();
  async apply(token: string, moves: CounterMoves) {
    if (this.tokens.has(token)) return;
    this.tokens.add(token);
    for (const [key, value] of moves)
      this.values.set(key, Math.round(((this.values.get(key) ?? 0) + value) * 100) / 100);
  }
  async gauges() {
    return Object.fromEntries(
      [...this.values]
        .filter(([key, value]) => key.startsWith('GAUGES/') && value !== 0)
        .map(([key, value]) => [key.slice(7), value]),
    );
  }
  async days(from: string, to: string) {
    const days = new Map<string, Record<string, number>>();
    for (const [key, value] of this.values) {
      const date = key.slice(4, 14);
      if (!key.startsWith('DAY#') || value === 0 || date < from || date > to) continue;
      days.set(date, { ...days.get(date), [key.slice(15)]: value });
    }
    return [...days].sort(([a], [b]) => (a < b ? -1 : 1)).map(([date, counts]) => ({ date, counts }));
  }
}

class MemoryDirectory implements CustomerDirectoryIndex {
  readonly entries = new Map<string, DirectoryEntry>();
  async update(_before: Profile | undefined, after: Profile | undefined) {
    if (!after && _before) this.entries.delete(_before.id);
    if (after) this.entries.set(after.id, { id: after.id, ...(after.email ? { email: after.email } : {}) });
  }
  async search() {
    return [];
  }
  async page() {
    return { entries: [...this.entries.values()] };
  }
}

/** Records every state the store writes, as a stream would carry it. */
function recordingStore() {
  const store = new MemoryStore();
  const changes: Change[] = [];
  const stored = (id: string): StoredItem | undefined => {
    const item = store.customers.get(id);
    return item?.kind === 'profile'
      ? { kind: 'profile', profile: structuredClone(item.profile) }
      : item
        ? { kind: 'other' }
        : undefined;
  };
  const commit = store.commit.bind(store);
  store.commit = async (write) => {
    const ids = [write.profile.id, ...write.aliases.map((alias) => alias.id)];
    const before = new Map(ids.map((id) => [id, stored(id)]));
    const messagesBefore = new Map([...store.messages].map(([key, entry]) => [key, structuredClone(entry)]));
    const outcome = await commit(write);
    if (outcome !== 'committed') return outcome;
    for (const id of ids)
      changes.push({ id: `c${changes.length}`, before: before.get(id), after: stored(id) });
    for (const [key, entry] of store.messages) {
      const previous = messagesBefore.get(key);
      if (JSON.stringify(previous) !== JSON.stringify(entry))
        changes.push({
          id: `c${changes.length}`,
          before: previous ? { kind: 'message', entry: previous } : undefined,
          after: { kind: 'message', entry: structuredClone(entry) },
        });
    }
    return outcome;
  };
  return { store, changes };
}

const T0 = Date.parse('2026-04-01T10:00:00.000Z');
const at = (hours: number) => new Date(T0 + hours * 3_600_000).toISOString();

describe('projections', () => {
  const histories = fc.array(
    fc.record({
      customer: fc.constantFrom('a', 'b', 'c', 'anon'),
      kind: fc.constantFrom('order', 'visit', 'identify', 'link'),
      hour: fc.integer({ min: 0, max: 24 * 60 }),
    }),
    { minLength: 1, maxLength: 25 },
  );

  it('counters moved change by change equal the sum over what is stored, and a repeated batch counts once', async () => {
    await fc.assert(
      fc.asyncProperty(histories, fc.integer({ min: 1, max: 7 }), async (steps, batch) => {
        const { store, changes } = recordingStore();
        const deps = {
          store,
          history: store,
          publisher: new RecordingPublisher(),
          settings: async () => defaultSettings(),
        };
        for (const [index, step] of steps.entries()) {
          const base = { receivedAt: at(step.hour), timestamp: at(step.hour), messageId: `m${index}` };
          const event =
            step.kind === 'order'
              ? order(`${step.customer}-${index % 3}`, at(step.hour), { ...base, userId: step.customer })
              : step.kind === 'visit'
                ? visit(at(step.hour), { ...base, userId: step.customer })
                : step.kind === 'identify'
                  ? identify({ email: `${step.customer}@x.co` }, { ...base, userId: step.customer })
                  : identify({}, { ...base, userId: step.customer, anonymousId: 'anon' });
          await applyCustomerEvents({ version: 1, customerKey: step.customer, events: [event] }, deps);
        }
        const counters = new MemoryCounters();
        const once = new MemoryCounters();
        const directory = new MemoryDirectory();
        for (let start = 0; start < changes.length; start += batch) {
          const slice = changes.slice(start, start + batch);
          await project(slice, { counters, directory });
          // The stream delivers a batch again (a retry): nothing counts twice.
          await project(slice, { counters, directory });
          await project(slice, { counters: once, directory: new MemoryDirectory() });
        }
        expect(await counters.gauges()).toEqual(await once.gauges());
        const truth = StateCounters.of(store);
        // What customers did in journeys is counted when it happens (like stage changes); the
        // rest equals the sum over what is stored.
        const happened = /^journey:.*:(entered|passed:.*|left:.*)$/;
        const [gauges, summedGauges] = [await counters.gauges(), await truth.gauges()];
        const state = (all: Record<string, number>) =>
          Object.fromEntries(Object.entries(all).filter(([key]) => !happened.test(key)));
        expect(state(gauges)).toEqual(summedGauges);
        // Every customer stored in a journey entered it at least once.
        for (const [key, inside] of Object.entries(summedGauges).filter(([key]) => key.endsWith(':inside')))
          expect(gauges[key.replace(/:inside$/, ':entered')] ?? 0).toBeGreaterThanOrEqual(inside);
        // Dated counters equal the sum too, but for stage changes: counted when they happen, they
        // stay counted when a merged or erased profile takes its history away.
        const [counted, summed] = await Promise.all([
          counters.days('2000-01-01', '2100-01-01'),
          truth.days('2000-01-01', '2100-01-01'),
        ]);
        const split = (days: typeof counted, stages: boolean) =>
          days
            .map(({ date, counts }) => ({
              date,
              counts: Object.fromEntries(
                Object.entries(counts).filter(([key]) => key.startsWith('stage:') === stages),
              ),
            }))
            .filter((day) => Object.keys(day.counts).length > 0);
        expect(split(counted, false)).toEqual(split(summed, false));
        for (const { date, counts } of split(summed, true)) {
          const kept = split(counted, true).find((day) => day.date === date)?.counts ?? {};
          for (const [key, value] of Object.entries(counts))
            expect(kept[key] ?? 0).toBeGreaterThanOrEqual(value);
        }
        const profiles = [...store.customers.values()].filter((item) => item.kind === 'profile');
        expect(directory.entries.size).toBe(profiles.length);
      }),
      { numRuns: 120 },
    );
  });
});
