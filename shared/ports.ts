/**
 * The interfaces the use cases need. Adapters in shared/adapters implement them against AWS (or
 * the local stand-ins); unit tests implement them in memory.
 */

import type { ApiToken } from './domain/api-tokens.ts';
import type { AuditEntry, AuditQuery } from './domain/audit.ts';
import type { Broadcast, BroadcastStatus } from './domain/broadcasts.ts';
import type { DeadLetter } from './domain/dead-letters.ts';
import type { KeptInsights } from './domain/insights.ts';
import type { StoredJourney } from './domain/journey-set.ts';
import type { JourneyBody, JourneyDefinition } from './domain/journeys.ts';
import type { LedgerEntry, LedgerStatus } from './domain/ledger.ts';
import type { FittedModel } from './domain/models/fitted.ts';
import type { Profile } from './domain/profile.ts';
import type { ContactPolicy, LifecycleRules } from './domain/rules.ts';
import type { StoredSegment, StoredSettings } from './domain/settings.ts';
import type { LoggedEvent } from './domain/signals.ts';
import type { Source } from './domain/sources.ts';
import type { StoredTemplate, TemplateDefinition } from './domain/templates.ts';
import type { WebhookBody } from './domain/webhooks.ts';

export interface BusEntry {
  source: string;
  detailType: string;
  detail: unknown;
}

export interface EventPublisher {
  /** Publishes every entry or throws; entries the bus refused are retried, never dropped silently. */
  publish(entries: BusEntry[]): Promise<void>;
}

/** What is stored under a customer id: their profile, or a pointer left when it was merged. */
export type StoredCustomer =
  | { kind: 'profile'; profile: Profile }
  | { kind: 'alias'; id: string; mergedInto: string; version: number };

/** An input of a customer (a Segment messageId, a timer's id, ...). */
export interface AppliedKey {
  customerId: string;
  messageId: string;
}

export interface AliasWrite {
  id: string;
  mergedInto: string;
  /** The version of what was stored under `id` (0 when nothing was). */
  expectedVersion: number;
}

export interface ConversionWrite {
  key: LedgerKey;
  at: string;
  by: string;
}

export interface CustomerCommit {
  /** The new profile, remembering the inputs it applied (`applied`): one write records both. */
  profile: Profile;
  /** The version the profile was read at (0 for a new customer); the write is conditional on it. */
  expectedVersion: number;
  aliases: AliasWrite[];
  messages: LedgerEntry[];
  /** Ledger entries an order or visit converted. */
  conversions: ConversionWrite[];
}

export interface CustomerStore {
  load(id: string): Promise<StoredCustomer | undefined>;
  /** Many at once (a batch of inputs reads its customers in one round); absent ones are undefined. */
  loadMany?(ids: string[]): Promise<Map<string, StoredCustomer | undefined>>;
  /**
   * All or nothing; `conflict` when someone else wrote first. A commit that only changes the
   * profile is one conditional write; with aliases, ledger entries or conversions, a transaction.
   */
  commit(commit: CustomerCommit): Promise<'committed' | 'conflict'>;
}

/**
 * The event log: every event a customer's profile applied (track, page and screen calls), kept
 * EVENT_RETENTION_DAYS. Read when a definition needs what the profile has not kept (a segment
 * saved after the events came), never on an event's usual path.
 */
export interface EventHistory {
  /** The events of this profile and of the ids merged into it, oldest first, each once. */
  history(profile: Profile): Promise<LoggedEvent[]>;
}

/** Customers by address: the ids of the profiles that carry it (usually one). */
export interface CustomerDirectory {
  idsByEmail(email: string): Promise<string[]>;
}

/** One page of a read of the whole customer base. */
export interface CustomerBasePage {
  profiles: Profile[];
  messages: LedgerEntry[];
}

/**
 * The whole customer base, read page by page (a parallel scan in DynamoDB): for the nightly
 * model fit and the metrics, never on the path of an event.
 */
export interface CustomerBase {
  /** Every profile, and with `messages` every ledger entry too. */
  scan(options?: { messages?: boolean }): AsyncIterable<CustomerBasePage>;
}

/** One chunk of a part of a parallel scan of the customer base: the profiles' ids, and where to go on. */
export interface BaseChunk {
  customerIds: string[];
  /** Items the scan read (profiles and everything else in the table): the chunk's cost. */
  itemsRead: number;
  /** Absent when the part is finished. */
  cursor?: string;
}

/** The customer base in resumable chunks: `part` of `parts` slices, each read from a cursor on. */
export interface ChunkedBase {
  chunk(request: { part: number; parts: number; cursor?: string; limit: number }): Promise<BaseChunk>;
}

/** What a whole-base job is for: evaluating every customer again after a change of definitions or model. */
export type JobReason =
  | { kind: 'segment-saved'; segment: string; version: number }
  | { kind: 'segment-deleted'; segment: string; version: number }
  /**
   * The nightly (or a requested) fit: every buyer's purchase summary and insight record gathered
   * chunk by chunk, then reduced to the model and the best-customer insights.
   */
  | { kind: 'model-fit'; asOf: string; requestedAt: string }
  | { kind: 'model-fitted'; asOf: string; fittedAt: string }
  | { kind: 'rules-changed'; at: string }
  | { kind: 'journey-changed'; journey: string; at: string }
  /** A broadcast's send: every customer once, their email decided by the engine, paced to the send rate. */
  | { kind: 'broadcast'; broadcast: string; startedAt: string }
  /** What a journey's version would have done over a window of the stored history (nothing is written). */
  | {
      kind: 'journey-backtest';
      journey: string;
      version: number;
      from: string;
      to: string;
      requestedAt: string;
    };

export interface JobState {
  id: string;
  reason: JobReason;
  parts: number;
  status: 'running' | 'done';
  startedAt: string;
  finishedAt?: string;
  /** Customers evaluated so far, and of them, those whose memberships or timers moved. */
  evaluated: number;
  changed: number;
  partsDone: number;
  /** What a job that computes rather than writes found, added up over the chunks (a backtest's counts). */
  results?: Record<string, number>;
  /** Each part's cursor, whether it is done, and when it last moved (a stalled part is resumed). */
  cursors: { cursor?: string; done: boolean; movedAt: string }[];
}

/** Broadcasts: created once, their status moved on conditionally. */
export interface BroadcastStore {
  create(broadcast: Broadcast): Promise<'created' | 'exists'>;
  get(id: string): Promise<Broadcast | undefined>;
  /** Every broadcast, the newest first. */
  list(): Promise<Broadcast[]>;
  /** Moves the status on from one of `from`; undefined when it was elsewhere. */
  transition(
    id: string,
    move: { from: BroadcastStatus[]; to: BroadcastStatus; set?: Partial<Broadcast> },
  ): Promise<Broadcast | undefined>;
}

/** A chunk's move of its part: from the cursor it began at to the next (none: the part is done), with its counts. */
export interface PartMove {
  from?: string;
  to?: string;
  evaluated: number;
  changed: number;
  at: string;
  results?: Record<string, number>;
}

export interface JobStore {
  /** Creates the job unless it exists (the same change started twice is one job). */
  start(job: JobState): Promise<'started' | 'exists'>;
  get(id: string): Promise<JobState | undefined>;
  /** Moves a part on from `from` (its cursor when the chunk began): 'stale' if it had already moved. */
  advance(id: string, part: number, move: PartMove): Promise<'advanced' | 'stale'>;
  /** Marks the job done once every part is (the runner's last step; a second call changes nothing). */
  finish(id: string, at: string): Promise<void>;
  /** Jobs still running, for resuming stalled parts. */
  running(): Promise<JobState[]>;
  /**
   * Keeps what a gathering chunk found (kept a week), under its part and the cursor it began at:
   * a chunk run twice writes the same records again.
   */
  keepRecords(id: string, part: number, from: string | undefined, records: unknown[]): Promise<void>;
  /** Every record a job's chunks kept, page by page. */
  records(id: string): AsyncIterable<unknown[]>;
}

/**
 * Runs a whole-base job: each part's chunks one after another until the part is done, the parts
 * side by side, then the job's last step. Step Functions (a Distributed Map) in AWS; the local
 * stack's stand-in drives the same chunk function. Starting the same run twice starts it once.
 */
export interface JobRunner {
  start(run: JobRun): Promise<void>;
}

export interface JobRun {
  jobId: string;
  /** A name for this run, unique per job (the first run's is the job's id; a resumption's is dated). */
  name: string;
  /** The parts to run, each from its cursor (absent: from the start). */
  items: { part: number; cursor?: string }[];
}

/** A stored item as the projections see it in the table's change stream. */
export type StoredItem =
  | { kind: 'profile'; profile: Profile }
  | { kind: 'message'; entry: LedgerEntry }
  | { kind: 'other' };

/** Counter moves by `<item>/<attribute>` (domain/counters.ts). */
export type CounterMoves = Map<string, number>;

/**
 * The counters. A batch of moves is applied with an idempotency token made from the changes it
 * counts: the same changes delivered again (a stream's retry) are recognised and not counted twice.
 */
export interface CounterStore {
  apply(token: string, moves: CounterMoves): Promise<void>;
  /** The whole-base counters (customers, stages, segments, buyers, revenue), or another item's (a broadcast's). */
  gauges(item?: string): Promise<Record<string, number>>;
  /** The dated counters of each day from `from` to `to` (YYYY-MM-DD, both included). */
  days(from: string, to: string): Promise<{ date: string; counts: Record<string, number> }[]>;
}

/** A customer as lists and searches show them. */
export interface DirectoryEntry {
  id: string;
  email?: string;
  name?: string;
}

/**
 * Customers by the start of their email or name, and every customer page by page: kept by the
 * projections from the profiles' changes.
 */
export interface CustomerDirectoryIndex {
  /** Writes what changed between two states of a profile (either may be absent). */
  update(before: Profile | undefined, after: Profile | undefined): Promise<void>;
  /** Customers whose email or name starts with `prefix` (case does not matter). */
  search(prefix: string, limit: number): Promise<DirectoryEntry[]>;
  /** Every customer, a page at a time (by email, then id), from `cursor` on. */
  page(limit: number, cursor?: string): Promise<{ entries: DirectoryEntry[]; cursor?: string }>;
}

/** Fitted models: the latest is what the engine uses; each fit is kept with its date. */
export interface ModelStore {
  save(model: FittedModel): Promise<void>;
  current(): Promise<FittedModel | undefined>;
  /** The most recent fits first. */
  history(limit: number): Promise<FittedModel[]>;
  /** The best-customer insights the last fit computed, kept to be read rather than scanned per request. */
  keepInsights(insights: KeptInsights): Promise<void>;
  insights(): Promise<KeptInsights | undefined>;
}

export interface DueCustomer {
  customerId: string;
  /** The index entry that listed the customer; it changes whenever their timers do. */
  dueKey: string;
}

/** The sweep's view of the due index: customers with a timer due by `now`, page by page. */
export interface DueIndex {
  due(now: string): AsyncIterable<{ customers: DueCustomer[]; itemsRead: number }>;
  /** Deferred messages whose send time has come by `now`. */
  deferred(now: string): AsyncIterable<{ messages: LedgerKey[]; itemsRead: number }>;
}

export interface LedgerKey {
  customerId: string;
  /** The journey (or broadcast) the email belongs to. */
  campaignId: string;
  occurrence: number;
}

export interface LedgerUpdate {
  status: LedgerStatus;
  at: string;
  reason?: string;
  /** Only succeeds while the entry is in one of these states (and, if given, holds this claim). */
  from: LedgerStatus[];
  claimToken?: string;
  set?: Partial<
    Pick<
      LedgerEntry,
      'claimToken' | 'claimedUntil' | 'recipient' | 'template' | 'variant' | 'sesMessageId' | 'sentAt'
    >
  >;
  /** Allow taking over a claim whose lease ended before this time. */
  leaseExpiredBefore?: string;
}

export interface Ledger {
  get(key: LedgerKey): Promise<LedgerEntry | undefined>;
  list(customerId: string): Promise<LedgerEntry[]>;
  /** Conditional transition; false when the entry was not in an allowed state. */
  transition(key: LedgerKey, update: LedgerUpdate): Promise<boolean>;
  /** Records what SES said happened to a sent message (delivery, open, click, bounce, ...). */
  recordFeedback(key: LedgerKey, feedback: Feedback): Promise<'recorded' | 'duplicate' | 'missing'>;
}

/** Where a customer's replies go: their reply id, mapped to the customer (one item per customer). */
export interface ReplyAddresses {
  put(id: string, customerId: string, now: Date): Promise<void>;
  get(id: string): Promise<{ customerId: string; expiresAt: string } | undefined>;
}

export interface OutgoingEmail {
  from: string;
  to: string;
  replyTo?: string;
  subject: string;
  html: string;
  text: string;
  headers: Record<string, string>;
  tags: Record<string, string>;
}

export interface Mailer {
  send(email: OutgoingEmail): Promise<{ messageId: string }>;
}

/** Why a send failed, as far as the sender can tell. */
export class MailerError extends Error {
  constructor(
    message: string,
    /**
     * `retry`: SES certainly did not take it (throttled); `reject`: SES refused it for good;
     * `unknown`: no answer, or a 5xx that may come after SES took it (never sent again).
     */
    readonly outcome: 'retry' | 'reject' | 'unknown',
  ) {
    super(message);
    this.name = 'MailerError';
  }
}

/** Marketers' settings: only what differs from the defaults is stored. */
export interface SettingsStore {
  load(): Promise<StoredSettings>;
  saveLifecycle(rules: LifecycleRules, at: string): Promise<void>;
  savePolicy(policy: ContactPolicy, at: string): Promise<void>;
  /** The event types enabled webhooks listen to, in the settings every decision reads. */
  saveWebhookEvents(types: string[], at: string): Promise<void>;
  /**
   * A journey's published versions (or its deletion), if its published version is still
   * `previousPublished` (undefined: none was ever published).
   */
  saveJourney(
    record: StoredJourney,
    previousPublished: number | undefined,
    at: string,
  ): Promise<'saved' | 'conflict'>;
  /** A segment's new version (or deletion), if the current one is still `previousVersion` (0: none). */
  saveSegment(segment: StoredSegment, previousVersion: number): Promise<'saved' | 'conflict'>;
}

/** Every saved version of every journey (drafts included): what the marketers wrote, kept. */
export interface JourneyStore {
  /** Saves a new version (the next number); `expected`: refused if the latest is not this one. */
  save(id: string, body: JourneyBody, at: string, expected?: number): Promise<JourneyDefinition | 'conflict'>;
  get(id: string, version: number): Promise<JourneyDefinition | undefined>;
  /** The versions saved, newest last. */
  versions(id: string): Promise<{ version: number; updatedAt: string }[]>;
  /** Every journey saved, with its latest version. */
  list(): Promise<{ id: string; latest: number; updatedAt: string }[]>;
}

export interface TemplateSummary {
  name: string;
  latest: number;
  published?: number;
  updatedAt: string;
  description?: string;
}

/** Versioned templates: a save never overwrites, a publish points campaigns at a version. */
export interface TemplateStore {
  list(): Promise<TemplateSummary[]>;
  summary(name: string): Promise<TemplateSummary | undefined>;
  get(name: string, version: number): Promise<StoredTemplate | undefined>;
  versions(name: string): Promise<{ version: number; createdAt: string }[]>;
  save(name: string, definition: TemplateDefinition, at: string): Promise<StoredTemplate>;
  /** False when the version does not exist. */
  publish(name: string, version: number, at: string): Promise<boolean>;
  /** False when there was nothing stored under the name. */
  delete(name: string): Promise<boolean>;
}

export type SuppressionReason = 'bounce' | 'complaint' | 'erased' | 'manual' | 'suppression-list';

export interface Suppression {
  reason: SuppressionReason;
  at: string;
  detail?: string;
}

/** Addresses never to send to, kept by the SHA-256 of the address (nothing readable is stored). */
export interface SuppressionStore {
  get(address: string): Promise<Suppression | undefined>;
  put(address: string, suppression: Suppression): Promise<void>;
  /** False when the address was not suppressed. */
  remove(address: string): Promise<boolean>;
}

export type FeedbackKind = 'delivery' | 'open' | 'click' | 'bounce' | 'complaint' | 'delay' | 'reject';

export interface Feedback {
  kind: FeedbackKind;
  at: string;
  /** The SES event's id: the same event delivered twice is recorded once. */
  eventId: string;
  detail?: string;
}

/** What is held about one customer, for export and erasure. */
export interface CustomerData {
  /** Every item held under the customer's id and the ids merged into it, as stored. */
  collect(
    customerId: string,
  ): Promise<{ customerId: string; items: Record<string, unknown>[]; addresses: string[] } | undefined>;
  /** Deletes every one of those items; answers how many, and the addresses the customer had. */
  erase(
    customerId: string,
  ): Promise<{ customerId: string; deleted: number; addresses: string[] } | undefined>;
}

/** A webhook as stored: its definition, and its signing secret sealed (never in plain text). */
export interface StoredWebhook extends WebhookBody {
  id: string;
  sealedSecret: string;
  createdAt: string;
  updatedAt: string;
}

/** One event sent to one webhook: every attempt, and what became of it. */
export interface Delivery {
  id: string;
  webhookId: string;
  type: string;
  createdAt: string;
  /** The signed JSON body, the same on every attempt. */
  body: string;
  state: 'pending' | 'delivered' | 'dead';
  attempts: { at: string; outcome: string; ms: number }[];
  nextAttemptAt?: string;
  /** Why it was given up (the last attempt's outcome, after 24 hours). */
  reason?: string;
}

/** The audit log, kept a year: an entry written before its change runs, then its outcome. */
export interface AuditLog {
  record(entry: AuditEntry): Promise<void>;
  settle(entry: AuditEntry, outcome: Pick<AuditEntry, 'outcome' | 'after' | 'statesOmitted'>): Promise<void>;
  /** Entries from `from` to `to` (days, inclusive), the newest first, at most `limit`. */
  entries(query: AuditQuery, limit: number): Promise<AuditEntry[]>;
}

/** API tokens, by id: created once, used (its last use noted), revoked. */
/** Why a queued message last failed (SQS dead-letters a message without it). */
export interface FailureNotes {
  note(failures: { messageId: string; reason: string; at: string }[]): Promise<void>;
  reasonOf(messageId: string): Promise<string | undefined>;
}

/** Which letters a redrive sends back: those named, or every one. */
export type RedriveChoice = { ids: string[] } | { all: true };

export type RedriveOutcome =
  | {
      found: true;
      redriven: string[];
      /** Letters that cannot go back (a stream batch's pointer, a record without its input). */
      skipped: { id: string; why: string }[];
      /** Letters whose send failed: still in their queue. */
      failed: { id: string; why: string }[];
      /** Letters are left that this call did not reach (its time, or the most a queue is read). */
      more: boolean;
    }
  | { found: false; unknown: string[] };

/** The dead-letter queues: read without taking anything, and letters sent back for another try. */
export interface DeadLetterQueues {
  list(): Promise<{ queues: { queue: string; count: number; listed: number }[]; letters: DeadLetter[] }>;
  /** Sends back the letters chosen and deletes them; when an id is in no queue, changes nothing. */
  redrive(choice: RedriveChoice): Promise<RedriveOutcome>;
}

export interface TokenStore {
  create(token: ApiToken): Promise<void>;
  get(id: string): Promise<ApiToken | undefined>;
  list(): Promise<ApiToken[]>;
  /** Notes a use (at most once a minute per token: a write per call would cost more than it tells). */
  used(id: string, at: string): Promise<void>;
  /** Revokes it: undefined when there is no such token. */
  revoke(id: string, at: string): Promise<ApiToken | undefined>;
}

export interface WebhookStore {
  list(): Promise<StoredWebhook[]>;
  get(id: string): Promise<StoredWebhook | undefined>;
  put(webhook: StoredWebhook): Promise<void>;
  delete(id: string): Promise<boolean>;
  createDelivery(delivery: Delivery): Promise<'created' | 'exists'>;
  saveAttempt(delivery: Delivery, previousRetryAt: string | undefined): Promise<void>;
  deliveries(webhookId: string, limit: number): Promise<Delivery[]>;
  dueRetries(now: string, limit: number): Promise<Delivery[]>;
}

/** A source's numbers for one day. */
export interface SourceStats {
  accepted: number;
  rejected: number;
  ignored: number;
  lastEventAt: string;
  latestRejections: string[];
}

export interface SourceStore {
  list(): Promise<Source[]>;
  get(id: string): Promise<Source | undefined>;
  put(source: Source): Promise<void>;
  /** Counts a request's events for the source's day (and the latest reasons some were refused). */
  record(
    id: string,
    at: string,
    counts: { accepted: number; rejected: number; ignored: number; reasons: string[] },
  ): Promise<void>;
  stats(id: string, day: string): Promise<SourceStats | undefined>;
  seen(id: string, delivery: string): Promise<boolean>;
  remember(id: string, delivery: string, at: string): Promise<void>;
}
