/**
 * In-memory stand-ins for the ports, for unit tests only. They keep DynamoDB's semantics that
 * the use cases rely on: conditional, all-or-nothing commits and conditional ledger updates.
 */
import { DUE_INDEX, dueIndexKeys, dueUpTo } from '../../shared/adapters/dynamodb/table.ts';
import {
  GAUGES,
  messageContributions,
  profileContributions,
  stageChangesAdded,
  sumCounts,
} from '../../shared/domain/counters.ts';
import type { KeptInsights } from '../../shared/domain/insights.ts';
import { dispatchAt, type LedgerEntry } from '../../shared/domain/ledger.ts';
import type { FittedModel } from '../../shared/domain/models/fitted.ts';
import type { Profile } from '../../shared/domain/profile.ts';
import type { LoggedEvent } from '../../shared/domain/signals.ts';
import type {
  BusEntry,
  ChunkedBase,
  CounterStore,
  CustomerBase,
  CustomerCommit,
  CustomerDirectory,
  CustomerStore,
  DueCustomer,
  DueIndex,
  EventHistory,
  EventPublisher,
  Feedback,
  JobState,
  JobStore,
  Ledger,
  LedgerKey,
  LedgerUpdate,
  Mailer,
  ModelStore,
  OutgoingEmail,
  PartMove,
  StoredCustomer,
  Suppression,
  SuppressionStore,
} from '../../shared/ports.ts';
import { MailerError } from '../../shared/ports.ts';

const clone = <T>(value: T): T => structuredClone(value);
const ledgerId = (key: LedgerKey) => `${key.customerId}|${key.campaignId}|${key.occurrence}`;

export class MemoryStore
  implements CustomerStore, Ledger, DueIndex, CustomerBase, CustomerDirectory, EventHistory
{
  readonly customers = new Map<string, StoredCustomer>();
  readonly messages = new Map<string, LedgerEntry>();
  commits = 0;
  /** Called before each commit; a test can write concurrently here to force a conflict. */
  beforeCommit: (() => void) | undefined;

  async load(id: string) {
    const stored = this.customers.get(id);
    return stored ? clone(stored) : undefined;
  }

  async commit(commit: CustomerCommit): Promise<'committed' | 'conflict'> {
    this.beforeCommit?.();
    const versionOf = (id: string) => {
      const stored = this.customers.get(id);
      return stored ? (stored.kind === 'profile' ? stored.profile.version : stored.version) : 0;
    };
    if (versionOf(commit.profile.id) !== commit.expectedVersion) return 'conflict';
    if (commit.aliases.some((alias) => versionOf(alias.id) !== alias.expectedVersion)) return 'conflict';
    if (commit.messages.some((entry) => this.messages.has(ledgerId(entry)))) return 'conflict';
    if (commit.conversions.some((conversion) => !this.messages.has(ledgerId(conversion.key))))
      return 'conflict';
    this.commits++;
    const profile: Profile = { ...clone(commit.profile), version: commit.expectedVersion + 1 };
    this.customers.set(profile.id, { kind: 'profile', profile });
    for (const alias of commit.aliases) {
      this.customers.set(alias.id, {
        kind: 'alias',
        id: alias.id,
        mergedInto: alias.mergedInto,
        version: alias.expectedVersion + 1,
      });
    }
    for (const entry of commit.messages) this.messages.set(ledgerId(entry), clone(entry));
    for (const conversion of commit.conversions) {
      Object.assign(this.messages.get(ledgerId(conversion.key)) ?? {}, {
        convertedAt: conversion.at,
        convertedBy: conversion.by,
      });
    }
    return 'committed';
  }

  /** The in-memory store never seals the log: a profile's own tail holds its whole history. */
  async history(profile: Profile): Promise<LoggedEvent[]> {
    return [...(profile.events ?? [])].sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0));
  }

  async idsByEmail(email: string) {
    const wanted = email.trim().toLowerCase();
    return [...this.customers.values()].flatMap((stored) =>
      stored.kind === 'profile' && stored.profile.email?.trim().toLowerCase() === wanted
        ? [stored.profile.id]
        : [],
    );
  }

  /** The whole base in pages of `pageSize`, like a scan. */
  pageSize = 50;

  async *scan(options: { messages?: boolean } = {}) {
    const profiles = [...this.customers.values()].flatMap((stored) =>
      stored.kind === 'profile' ? [clone(stored.profile)] : [],
    );
    const messages = options.messages ? [...this.messages.values()].map(clone) : [];
    for (let start = 0; start < Math.max(profiles.length, messages.length); start += this.pageSize) {
      yield {
        profiles: profiles.slice(start, start + this.pageSize),
        messages: messages.slice(start, start + this.pageSize),
      };
    }
  }

  /** The due index, with the adapter's own rule: an entry is due once the minute of its bucket has come. */
  async *due(now: string) {
    const customers: DueCustomer[] = [];
    for (const stored of this.customers.values()) {
      if (stored.kind !== 'profile') continue;
      const keys = dueIndexKeys(stored.profile.id, stored.profile);
      const dueKey = keys?.[DUE_INDEX.sort];
      if (dueKey && dueKey < dueUpTo(now)) customers.push({ customerId: stored.profile.id, dueKey });
    }
    yield { customers, itemsRead: customers.length };
  }

  async recordFeedback(key: LedgerKey, feedback: Feedback): Promise<'recorded' | 'duplicate' | 'missing'> {
    const entry = this.messages.get(ledgerId(key)) as
      | (LedgerEntry & { feedbackEvents?: string[] })
      | undefined;
    if (!entry) return 'missing';
    if (entry.feedbackEvents?.includes(feedback.eventId)) return 'duplicate';
    entry.feedbackEvents = [...(entry.feedbackEvents ?? []), feedback.eventId];
    entry.feedback = [
      ...(entry.feedback ?? []),
      { kind: feedback.kind, at: feedback.at, ...(feedback.detail ? { detail: feedback.detail } : {}) },
    ];
    const first = {
      delivery: 'deliveredAt',
      open: 'openedAt',
      click: 'clickedAt',
      bounce: 'bouncedAt',
      complaint: 'complainedAt',
    } as const;
    const field = first[feedback.kind as keyof typeof first];
    if (field && !entry[field]) entry[field] = feedback.at;
    if (feedback.kind === 'open') entry.opens = (entry.opens ?? 0) + 1;
    if (feedback.kind === 'click') entry.clicks = (entry.clicks ?? 0) + 1;
    return 'recorded';
  }

  async *deferred(now: string) {
    const messages = [...this.messages.values()]
      .filter((entry) => {
        const at = dispatchAt(entry);
        return at !== undefined && at <= now;
      })
      .map((entry) => ({
        customerId: entry.customerId,
        campaignId: entry.campaignId,
        occurrence: entry.occurrence,
      }));
    yield { messages, itemsRead: messages.length };
  }

  profile(id: string): Profile | undefined {
    const stored = this.customers.get(id);
    return stored?.kind === 'profile' ? clone(stored.profile) : undefined;
  }

  async get(key: LedgerKey) {
    const entry = this.messages.get(ledgerId(key));
    return entry ? clone(entry) : undefined;
  }

  async list(customerId: string) {
    return [...this.messages.values()].filter((entry) => entry.customerId === customerId).map(clone);
  }

  async transition(key: LedgerKey, update: LedgerUpdate) {
    const entry = this.messages.get(ledgerId(key));
    if (!entry) return false;
    const allowed =
      update.from.includes(entry.status) && (!update.claimToken || entry.claimToken === update.claimToken);
    const takeover =
      !!update.leaseExpiredBefore &&
      entry.status === 'claimed' &&
      !!entry.claimedUntil &&
      entry.claimedUntil < update.leaseExpiredBefore;
    if (!allowed && !takeover) return false;
    Object.assign(
      entry,
      update.set ?? {},
      { status: update.status },
      update.reason ? { reason: update.reason } : {},
    );
    entry.history.push({
      status: update.status,
      at: update.at,
      ...(update.reason ? { reason: update.reason } : {}),
    });
    return true;
  }
}

export class MemorySuppressions implements SuppressionStore {
  readonly entries = new Map<string, Suppression>();

  async get(address: string) {
    return this.entries.get(address.trim().toLowerCase());
  }

  async put(address: string, suppression: Suppression) {
    if (!this.entries.has(address.trim().toLowerCase()))
      this.entries.set(address.trim().toLowerCase(), suppression);
  }

  async remove(address: string) {
    return this.entries.delete(address.trim().toLowerCase());
  }
}

export class RecordingPublisher implements EventPublisher {
  readonly published: BusEntry[] = [];
  /** How many of the next publish calls fail (a bus outage, or a crash before publishing). */
  failNext = 0;

  async publish(entries: BusEntry[]) {
    if (this.failNext > 0) {
      this.failNext--;
      throw new Error('bus unavailable');
    }
    this.published.push(...clone(entries));
  }

  ofType(detailType: string) {
    return this.published.filter((entry) => entry.detailType === detailType);
  }
}

export class RecordingMailer implements Mailer {
  readonly sent: OutgoingEmail[] = [];
  /** Outcomes to throw on the next sends, in order. */
  failures: MailerError['outcome'][] = [];

  async send(email: OutgoingEmail) {
    const failure = this.failures.shift();
    if (failure) throw new MailerError(`simulated ${failure}`, failure);
    this.sent.push(clone(email));
    return { messageId: `ses-${this.sent.length}` };
  }
}

/** Counters as the projections keep them, computed from what is stored now (their defining sum). */
export class StateCounters implements CounterStore {
  constructor(private readonly state: () => { profiles: Profile[]; messages: LedgerEntry[] }) {}

  static of(store: MemoryStore) {
    return new StateCounters(() => ({
      profiles: [...store.customers.values()].flatMap((stored) =>
        stored.kind === 'profile' ? [stored.profile] : [],
      ),
      messages: [...store.messages.values()],
    }));
  }

  async apply(): Promise<void> {
    throw new Error('StateCounters are computed from the state, not moved');
  }

  private counts() {
    const { profiles, messages } = this.state();
    const counts = new Map<string, number>();
    for (const profile of profiles) {
      sumCounts(counts, profileContributions(profile));
      sumCounts(counts, stageChangesAdded(undefined, profile));
    }
    for (const entry of messages) sumCounts(counts, messageContributions(entry));
    return counts;
  }

  async gauges() {
    return Object.fromEntries(
      [...this.counts()]
        .filter(([key]) => key.startsWith(`${GAUGES}/`))
        .map(([key, value]) => [key.slice(GAUGES.length + 1), value]),
    );
  }

  async days(from: string, to: string) {
    const days = new Map<string, Record<string, number>>();
    for (const [key, value] of this.counts()) {
      if (!key.startsWith('DAY#')) continue;
      const date = key.slice(4, 14);
      if (date < from || date > to) continue;
      days.set(date, { ...days.get(date), [key.slice(15)]: value });
    }
    return [...days].sort(([a], [b]) => (a < b ? -1 : 1)).map(([date, counts]) => ({ date, counts }));
  }
}

/** Jobs in memory, with the store's conditional moves: a part moves on only from where the chunk found it. */
export class MemoryJobStore implements JobStore {
  readonly jobs = new Map<string, JobState>();
  readonly kept = new Map<string, unknown[]>();

  async start(job: JobState) {
    if (this.jobs.has(job.id)) return 'exists' as const;
    this.jobs.set(job.id, clone(job));
    return 'started' as const;
  }

  async get(id: string) {
    const job = this.jobs.get(id);
    return job ? clone(job) : undefined;
  }

  async advance(id: string, part: number, move: PartMove) {
    const job = this.jobs.get(id);
    const cursor = job?.cursors[part];
    if (!job || !cursor || cursor.done || cursor.cursor !== move.from) return 'stale' as const;
    job.cursors[part] = {
      done: move.to === undefined,
      movedAt: move.at,
      ...(move.to ? { cursor: move.to } : {}),
    };
    job.evaluated += move.evaluated;
    job.changed += move.changed;
    if (move.to === undefined) job.partsDone++;
    for (const [name, value] of Object.entries(move.results ?? {}))
      job.results = { ...job.results, [name]: (job.results?.[name] ?? 0) + value };
    return 'advanced' as const;
  }

  async finish(id: string, at: string) {
    const job = this.jobs.get(id);
    if (job?.status === 'running') Object.assign(job, { status: 'done', finishedAt: at });
  }

  async running() {
    return [...this.jobs.values()].filter((job) => job.status === 'running').map(clone);
  }

  async keepRecords(id: string, part: number, from: string | undefined, records: unknown[]) {
    this.kept.set(`${id}|${part}|${from ?? 'start'}`, clone(records));
  }

  async *records(id: string) {
    for (const [key, records] of this.kept) if (key.startsWith(`${id}|`)) yield clone(records);
  }
}

/** The customer base in chunks: ids in order, part by position, the cursor the last id read. */
export class MemoryChunkedBase implements ChunkedBase {
  constructor(private readonly ids: () => string[]) {}

  async chunk(request: { part: number; parts: number; cursor?: string; limit: number }) {
    const mine = [...this.ids()].sort().filter((_, index) => index % request.parts === request.part);
    const from = request.cursor === undefined ? 0 : mine.indexOf(request.cursor) + 1;
    const customerIds = mine.slice(from, from + request.limit);
    const last = customerIds.at(-1);
    return {
      customerIds,
      itemsRead: customerIds.length,
      ...(from + request.limit < mine.length && last ? { cursor: last } : {}),
    };
  }
}

/** Fitted models and insights in memory. */
export class MemoryModels implements ModelStore {
  readonly saved: FittedModel[] = [];
  kept: KeptInsights | undefined;
  async save(model: FittedModel) {
    this.saved.push(model);
  }
  async current() {
    return this.saved.at(-1);
  }
  async history(limit: number) {
    return [...this.saved].reverse().slice(0, limit);
  }
  async keepInsights(insights: KeptInsights) {
    this.kept = clone(insights);
  }
  async insights() {
    return this.kept;
  }
}
