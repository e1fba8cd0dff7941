/**
 * Projections: what dashboards and lists read, kept from the table's own change stream. For each
 * batch of one stream shard (in order): the counters move by the difference each change made
 * (domain/counters.ts), in transactions whose idempotency token names the changes they count (a
 * batch delivered again is not counted twice), and the customer directory follows profiles that
 * appeared, changed address or name, or went.
 */
import { createHash } from 'node:crypto';
import {
  type Counts,
  delta,
  feedbackAdded,
  journeyMovesAdded,
  messageContributions,
  profileContributions,
  stageChangesAdded,
  sumCounts,
} from '../../shared/domain/counters.ts';
import type { CounterStore, CustomerDirectoryIndex, StoredItem } from '../../shared/ports.ts';

export interface Change {
  /** The stream record's id (unique, the same when the record is delivered again). */
  id: string;
  before: StoredItem | undefined;
  after: StoredItem | undefined;
}

export interface ProjectionDeps {
  counters: CounterStore;
  directory: CustomerDirectoryIndex;
}

/** A transaction moves at most this many counter items (DynamoDB's limit is 100). */
const ITEMS_PER_TRANSACTION = 100;

export async function project(changes: Change[], deps: ProjectionDeps) {
  // Groups are cut at the same places whenever the same batch comes again, so their tokens match.
  let moves: Counts = new Map();
  let group: string[] = [];
  const flush = async () => {
    if (group.length === 0) return;
    const token = createHash('sha256').update(group.join('|')).digest('hex');
    await deps.counters.apply(token, moves);
    moves = new Map();
    group = [];
  };
  for (const change of changes) {
    // One change can touch many items (an imported history of orders on many days): in parts.
    for (const [part, more] of inParts(movesOf(change)).entries()) {
      const items = new Set([...moves.keys(), ...more.keys()].map(itemOf));
      if (items.size > ITEMS_PER_TRANSACTION) await flush();
      sumCounts(moves, more);
      group.push(part === 0 ? change.id : `${change.id}#${part}`);
    }
  }
  await flush();
  // The directory is written by key and follows each customer's changes in order: a batch seen
  // again writes the same items again.
  for (const change of changes) {
    const before = change.before?.kind === 'profile' ? change.before.profile : undefined;
    const after = change.after?.kind === 'profile' ? change.after.profile : undefined;
    if (before || after) await deps.directory.update(before, after);
  }
  return { changes: changes.length };
}

const itemOf = (key: string) => key.slice(0, key.indexOf('/'));

/** Moves split so that no part touches more items than a transaction holds. */
function inParts(moves: Counts): Counts[] {
  const parts: Counts[] = [];
  const byItem = new Map<string, [string, number][]>();
  for (const entry of moves) byItem.set(itemOf(entry[0]), [...(byItem.get(itemOf(entry[0])) ?? []), entry]);
  let part: Counts = new Map();
  let items = 0;
  for (const entries of byItem.values()) {
    if (items === ITEMS_PER_TRANSACTION) {
      parts.push(part);
      part = new Map();
      items = 0;
    }
    for (const [key, value] of entries) part.set(key, value);
    items++;
  }
  if (part.size > 0 || parts.length === 0) parts.push(part);
  return parts;
}

function movesOf({ before, after }: Change): Counts {
  const profileBefore = before?.kind === 'profile' ? before.profile : undefined;
  const profileAfter = after?.kind === 'profile' ? after.profile : undefined;
  const moves = delta(profileBefore, profileAfter, profileContributions);
  if (profileAfter) {
    sumCounts(moves, stageChangesAdded(profileBefore, profileAfter));
    sumCounts(moves, journeyMovesAdded(profileBefore, profileAfter));
    sumCounts(moves, feedbackAdded(profileBefore, profileAfter));
  }
  const entryBefore = before?.kind === 'message' ? before.entry : undefined;
  const entryAfter = after?.kind === 'message' ? after.entry : undefined;
  return sumCounts(moves, delta(entryBefore, entryAfter, messageContributions));
}
