/**
 * The one list of functions: what triggers each (HTTP route, bus event pattern, schedule) and
 * what each may touch. The CDK app turns every entry into a Lambda with least-privilege grants;
 * the local stack turns the same entries into HTTP routes and in-process rule matching, so the
 * deployed and the local wiring cannot drift apart.
 */
import type { z } from 'zod';
import { ADMIN_ROUTE_KEYS } from '../functions/admin/routes.ts';
import { TEMPLATE_ROUTE_KEYS } from '../functions/templates/routes.ts';
import { type Contract, patternOf } from '../shared/domain/contracts/contract.ts';
import { EmailReplied, FeedbackGiven } from '../shared/domain/contracts/customer-answered.ts';
import { MessageRequested } from '../shared/domain/contracts/message-requested.ts';
import { SegmentEntered, SegmentExited } from '../shared/domain/contracts/segment-changed.ts';
import { StageChanged } from '../shared/domain/contracts/stage-changed.ts';

export type EventPattern = Record<string, unknown>;

export interface EventTrigger {
  /** Rule name (unique): becomes the EventBridge rule's id. */
  rule: string;
  /** The product's own bus, or the account's default bus (where AWS services such as SES publish). */
  bus: 'product' | 'default';
  pattern: EventPattern;
  /** How often the bus retries a failed delivery before it goes to the dead-letter queue. */
  retryAttempts: number;
}

export type ScheduleTrigger = {
  /** Schedule name (unique). */
  name: string;
  /** What the function receives. */
  input?: Record<string, unknown>;
} & (
  | {
      /** UTC time of day it runs, `HH:MM`; CDK context or the local stack can override it. */
      dailyAtUtc: string;
    }
  | { everyMinutes: number }
);

/**
 * The queue of customer inputs (their events, timers due): FIFO, the customer its message group,
 * so one customer's inputs are applied in order by one worker at a time while one invocation
 * applies many customers. Producers send to it directly (EventBridge cannot set a message group
 * per event); everything else still travels over the bus.
 */
export const CUSTOMER_INPUTS_QUEUE = {
  name: 'lifecycle-customer-inputs.fifo',
  deadLetterName: 'lifecycle-customer-inputs-dead.fifo',
  /**
   * Receives before a message is a dead letter. A batch is given back whole when its invocation
   * dies (a crash, a timeout), and each such try still applies at least one record before it
   * dies: with batches of 10, ten receives let the last record of the batch through even if
   * every try dies right after one write. (AWS advises at least 5 for Lambda's queues.)
   */
  maxReceiveCount: 10,
  /** Dead letters are kept the longest SQS allows, for someone to look at and redrive. */
  deadLetterRetentionDays: 14,
} as const;

/**
 * The runner of whole-base jobs: Step Functions in AWS (a Distributed Map over the job's parts,
 * each part a loop of chunks), the local stack's stand-in with the same shape. Both call
 * `chunkFunction` with `{ jobId, part, cursor }` until it answers `done`, the parts side by side,
 * then once with `{ jobId, finish: true }`; a chunk that fails is tried again as below.
 */
export const WHOLE_BASE_JOB = {
  stateMachineName: 'lifecycle-whole-base-jobs',
  chunkFunction: 'jobs',
  /** Parts run side by side: every part of the largest job (functions/jobs/jobs.ts, MAX_PARTS). */
  maxConcurrency: 100,
  /** A failed chunk (a crash, a timeout, a throttle) is tried again after 2, 4, 8, 16, 32, 64 s. */
  retry: { intervalSeconds: 2, backoffRate: 2, maxAttempts: 6 },
} as const;

export interface QueueTrigger {
  /** Messages per invocation: 10 is the most a FIFO queue hands Lambda at once. */
  batchSize: number;
}

export interface FunctionSpec {
  name: string;
  /** Handler module, relative to the repository root; it exports `handler`. */
  entry: string;
  description: string;
  memoryMb: number;
  timeoutSeconds: number;
  /** API Gateway HTTP API route keys (`METHOD /path/{param}`). */
  routes: string[];
  events: EventTrigger[];
  schedules?: ScheduleTrigger[];
  /** Mail SES receives for the inbound domain (a receipt rule: stored in S3, then this function). */
  inboundMail?: boolean;
  /** Takes batches from the customer-inputs queue (reporting each record that failed). */
  customerInputs?: QueueTrigger;
  /** The table's change stream: batches of one shard at a time, in order. */
  stream?: { batchSize: number; maxBatchingWindowSeconds: number };
  access: {
    table?: 'read' | 'readWrite';
    /** Read the sparse due index (the sweep). */
    dueIndex?: boolean;
    /** Read the whole table (Scan): whole-base jobs' chunks only, never an event's path or a request's. */
    scan?: boolean;
    publishToBus?: boolean;
    /** Sends customer inputs (events, timers due) to their queue. */
    sendCustomerInputs?: boolean;
    sendEmail?: boolean;
    /** Reads the raw messages SES receiving stored in the inbound bucket. */
    readInboundMail?: boolean;
    /** Starts runs of whole-base jobs (executions of the jobs state machine). */
    startJobs?: boolean;
    /** Reads the account's SES sending quota (GetAccount), to pace broadcasts. */
    sendQuota?: boolean;
    secrets?: ('writeKey' | 'adminToken' | 'offerSecret' | 'unsubscribeSecret')[];
    /** Knows the sender: address, brand and postal address (for emails and pages). */
    sender?: boolean;
    /**
     * The sources' partition only (`SOURCES`): their keys, and their events counted (`keys`); the
     * platforms' webhooks also remember the deliveries they took (`deliveries`: `SEEN#…`).
     */
    sources?: 'keys' | 'deliveries';
    /** Calls the shop's webhook URLs (outbound HTTP; private addresses only where allowed locally). */
    webhooks?: boolean;
    /** Its own concurrency ceiling (reserved concurrency in AWS, a cap on in-flight calls locally). */
    concurrency?: number;
    /** Reads every dead-letter queue and sends letters back (to their queue, or invoking their function). */
    deadLetters?: boolean;
  };
}

/**
 * Whether the function's failures are set aside in a dead-letter queue of its own (a standard SQS
 * queue): what its bus rules could not deliver, its asynchronous invocations that failed after
 * Lambda's retries, its schedules' failed runs, its stream batches that kept failing.
 */
export function hasDeadLetterQueue(spec: FunctionSpec): boolean {
  return spec.events.length > 0 || (spec.schedules?.length ?? 0) > 0 || Boolean(spec.stream);
}

/** Where a function's dead letters go back to: the function itself, except a stream's (a pointer to records). */
export function redrivesToFunction(spec: FunctionSpec): boolean {
  return !spec.stream;
}

const on = (rule: string, ...contracts: Contract<z.ZodType>[]): EventTrigger => ({
  rule,
  bus: 'product',
  pattern: patternOf(...contracts),
  retryAttempts: 2,
});

/** What SES publishes about our email through the configuration set (to the default bus). */
export const SES_FEEDBACK_TYPES = [
  'Email Delivered',
  'Email Opened',
  'Email Clicked',
  'Email Bounced',
  'Email Complaint Received',
  'Email Delivery Delayed',
  'Email Rejected',
  'Email Rendering Failed',
] as const;

export const SEGMENT_ROUTES = ['POST /v1/{type}'];

export const FUNCTIONS: FunctionSpec[] = [
  {
    name: 'ingest',
    entry: 'functions/ingest/handler.ts',
    description:
      'Segment-compatible tracking API: validates events and queues them, by customer, for apply-event',
    memoryMb: 512,
    timeoutSeconds: 10,
    routes: SEGMENT_ROUTES,
    events: [],
    access: { sendCustomerInputs: true, secrets: ['writeKey'], sources: 'keys' },
  },
  {
    name: 'sources',
    entry: 'functions/sources/handler.ts',
    description:
      'Shop platforms’ webhooks (Shopify, WooCommerce, Stripe): verified, deduplicated, mapped onto Segment events, queued',
    memoryMb: 512,
    timeoutSeconds: 10,
    routes: [
      'POST /webhooks/shopify/{sourceId}',
      'POST /webhooks/woocommerce/{sourceId}',
      'POST /webhooks/stripe/{sourceId}',
    ],
    events: [],
    // Platform signing secrets are sealed with the key of the email links (never rotated away).
    access: { sendCustomerInputs: true, sources: 'deliveries', secrets: ['unsubscribeSecret'] },
  },
  {
    name: 'apply-event',
    entry: 'functions/apply-event/handler.ts',
    description:
      'Runs the lifecycle engine over batches of customer inputs (events, timers due) and commits profile, records and ledger',
    memoryMb: 512,
    timeoutSeconds: 30,
    routes: [],
    events: [],
    customerInputs: { batchSize: 10 },
    access: { table: 'readWrite', publishToBus: true, secrets: ['offerSecret'] },
  },
  {
    name: 'send-message',
    entry: 'functions/send-message/handler.ts',
    description: 'Claims a queued message in the ledger and sends it through SES, at most once',
    memoryMb: 512,
    timeoutSeconds: 30,
    routes: [],
    events: [on('MessageRequests', MessageRequested)],
    // A few instances at most, each pacing to its share of the account's SES send rate.
    access: {
      table: 'readWrite',
      sendEmail: true,
      sender: true,
      secrets: ['offerSecret', 'unsubscribeSecret'],
      concurrency: 5,
    },
  },
  {
    name: 'unsubscribe',
    entry: 'functions/unsubscribe/handler.ts',
    description:
      'The pages our email links open: one-click unsubscribe (RFC 8058), the preference page, ratings and reasons',
    memoryMb: 512,
    timeoutSeconds: 10,
    routes: ['GET /u/{token}', 'POST /u/{token}', 'GET /f/{token}', 'POST /f/{token}'],
    events: [],
    access: {
      table: 'readWrite',
      publishToBus: true,
      sender: true,
      secrets: ['unsubscribeSecret', 'offerSecret'],
    },
  },
  {
    name: 'api-description',
    entry: 'functions/api-description/handler.ts',
    description:
      'The OpenAPI 3.1 description of every route, made from the zod schemas the handlers validate with',
    memoryMb: 256,
    timeoutSeconds: 5,
    routes: ['GET /openapi.json'],
    events: [],
    access: {},
  },
  {
    name: 'inbound',
    entry: 'functions/inbound/handler.ts',
    description:
      'Replies to our email (SES receiving): Email Replied on the customer, "stop" unsubscribes, automatic mail noted',
    memoryMb: 512,
    timeoutSeconds: 30,
    routes: [],
    events: [],
    inboundMail: true,
    access: {
      table: 'readWrite',
      publishToBus: true,
      readInboundMail: true,
      sendEmail: true,
      sender: true,
      secrets: ['offerSecret'],
    },
  },
  {
    name: 'ses-feedback',
    entry: 'functions/ses-feedback/handler.ts',
    description: 'SES feedback: bounces and complaints suppress, deliveries, opens and clicks are recorded',
    memoryMb: 512,
    timeoutSeconds: 30,
    routes: [],
    events: [
      {
        rule: 'SesFeedbackEvents',
        bus: 'default',
        pattern: { source: ['aws.ses'], 'detail-type': [...SES_FEEDBACK_TYPES] },
        retryAttempts: 2,
      },
    ],
    access: { table: 'readWrite', publishToBus: true, secrets: ['offerSecret'] },
  },
  {
    name: 'sweep',
    entry: 'functions/sweep/handler.ts',
    description:
      'Every minute (and nightly): reads the customers with a timer due and queues Timer Due for each, and dispatches deferred messages',
    memoryMb: 512,
    timeoutSeconds: 900,
    routes: [],
    events: [],
    schedules: [
      { name: 'NightlySweep', dailyAtUtc: '03:00' },
      // The dispatcher: due timers (filed to the minute when near) and deferred messages.
      { name: 'Dispatch', everyMinutes: 1 },
    ],
    access: { dueIndex: true, publishToBus: true, sendCustomerInputs: true },
  },
  {
    name: 'webhooks',
    entry: 'functions/webhooks/handler.ts',
    description:
      'Sends the shop’s webhooks their events, signed; retries with backoff for 24 hours, then gives up with the reason',
    memoryMb: 256,
    timeoutSeconds: 120,
    routes: [],
    events: [on('WebhookEvents', FeedbackGiven, EmailReplied, StageChanged, SegmentEntered, SegmentExited)],
    schedules: [{ name: 'RetryWebhooks', everyMinutes: 1, input: { retry: true } }],
    // Its signing secrets are sealed with the key of the email links (never rotated away).
    access: { table: 'readWrite', secrets: ['unsubscribeSecret'], webhooks: true },
  },
  {
    name: 'projections',
    entry: 'functions/projections/handler.ts',
    description:
      'Follows the table’s change stream: counters (stages, segments, orders, emails by day) and the customer directory',
    memoryMb: 512,
    timeoutSeconds: 60,
    routes: [],
    events: [],
    stream: { batchSize: 500, maxBatchingWindowSeconds: 1 },
    access: { table: 'readWrite' },
  },
  {
    name: 'jobs',
    entry: 'functions/jobs/handler.ts',
    description:
      'Whole-base jobs in resumable chunks, run by Step Functions: evaluations after a definition changes, backtests, broadcasts (started when due), the nightly model fit and insights',
    // A fit's last step holds a small record per buyer: about 200 bytes each.
    memoryMb: 1024,
    timeoutSeconds: 300,
    routes: [],
    events: [],
    schedules: [
      // Nightly, before the sweep: fit the models on yesterday's history, then evaluate everyone again.
      { name: 'NightlyModelFit', dailyAtUtc: '02:00', input: { nightly: true } },
      { name: 'ResumeStalledJobs', everyMinutes: 1, input: { resume: true } },
    ],
    access: {
      table: 'readWrite',
      scan: true,
      publishToBus: true,
      startJobs: true,
      sendQuota: true,
      secrets: ['offerSecret'],
    },
  },
  {
    name: 'admin',
    entry: 'functions/admin/handler.ts',
    description:
      'Admin API for marketers: customers, segments, journeys, lifecycle rules, contact policy, metrics, model, sweep',
    memoryMb: 512,
    timeoutSeconds: 29,
    routes: ADMIN_ROUTE_KEYS,
    events: [],
    access: {
      table: 'readWrite',
      dueIndex: true,
      publishToBus: true,
      // A sweep started by hand queues its timers as the schedule's does.
      sendCustomerInputs: true,
      startJobs: true,
      secrets: ['adminToken', 'offerSecret', 'unsubscribeSecret', 'writeKey'],
      webhooks: true,
      deadLetters: true,
    },
  },
  {
    name: 'templates',
    entry: 'functions/templates/handler.ts',
    description: 'Admin API for templates: versions, publish, preview with a customer, test sends',
    memoryMb: 512,
    timeoutSeconds: 29,
    routes: TEMPLATE_ROUTE_KEYS,
    events: [],
    access: {
      table: 'readWrite',
      sendEmail: true,
      sender: true,
      secrets: ['adminToken', 'offerSecret'],
    },
  },
];

/** The functions that answer the admin API (`/admin/...`), and so accept the console's Cognito tokens. */
export const ADMIN_API_FUNCTIONS = FUNCTIONS.filter((spec) =>
  spec.routes.some((routeKey) => routeKey.split(' ')[1]?.startsWith('/admin/')),
).map((spec) => spec.name);

/** Names shared by both stacks. */
export const RESOURCE_NAMES = {
  table: 'lifecycle',
  bus: 'lifecycle',
} as const;

/** `HH:MM` (UTC) as numbers; a clear error for anything else. */
export function parseTimeOfDay(value: string): { hour: number; minute: number } {
  const match = /^([01]\d|2[0-3]):([0-5]\d)$/.exec(value);
  if (!match) throw new Error(`a schedule time must be HH:MM (UTC), not ${value}`);
  return { hour: Number(match[1]), minute: Number(match[2]) };
}
