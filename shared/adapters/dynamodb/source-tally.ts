/**
 * A source's numbers, added up by a function instance and written at most once a second per
 * source (at once when events were refused, so the reasons show): a busy site costs one write a
 * second instead of one per request. What waits is written by a timer a second later; in Lambda a
 * frozen instance writes it with its next request, and an instance that stops takes it with it:
 * the day's numbers can then be a little low, never high.
 */
import type { SourceStore } from '../../ports.ts';

const FLUSH_AFTER_MS = 1_000;

interface Tally {
  accepted: number;
  rejected: number;
  ignored: number;
  reasons: string[];
  lastAt: string;
}

const empty = (): Tally => ({ accepted: 0, rejected: 0, ignored: 0, reasons: [], lastAt: '' });
const hasCounts = (tally: Tally) => tally.accepted + tally.rejected + tally.ignored > 0;

export function sourceTally(
  store: Pick<SourceStore, 'record'>,
  onError: (error: unknown) => void,
  clock: () => number = Date.now,
) {
  const pending = new Map<string, Tally>();
  const writtenAt = new Map<string, number>();
  const timers = new Map<string, ReturnType<typeof setTimeout>>();

  const flush = async (id: string) => {
    const tally = pending.get(id);
    clearTimeout(timers.get(id));
    timers.delete(id);
    if (!tally || !hasCounts(tally)) return;
    pending.delete(id);
    writtenAt.set(id, clock());
    await store.record(id, tally.lastAt, tally).catch(onError);
  };

  return async (
    id: string,
    at: string,
    counts: { accepted: number; rejected: number; ignored: number; reasons: string[] },
  ) => {
    let tally = pending.get(id);
    // A new day starts a new item: what belongs to the day before is written first.
    if (tally && tally.lastAt.slice(0, 10) !== at.slice(0, 10)) {
      await flush(id);
      tally = undefined;
    }
    tally ??= empty();
    tally.accepted += counts.accepted;
    tally.rejected += counts.rejected;
    tally.ignored += counts.ignored;
    tally.reasons = [...counts.reasons, ...tally.reasons].slice(0, 5);
    tally.lastAt = at;
    pending.set(id, tally);
    if (counts.rejected > 0 || clock() - (writtenAt.get(id) ?? Number.NEGATIVE_INFINITY) >= FLUSH_AFTER_MS) {
      await flush(id);
      return;
    }
    if (!timers.has(id)) {
      const timer = setTimeout(() => void flush(id), FLUSH_AFTER_MS);
      timer.unref?.();
      timers.set(id, timer);
    }
  };
}
