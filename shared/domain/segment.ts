/**
 * The Segment HTTP Tracking API, as a contract: what a website may post, and the normalized
 * event the rest of the pipeline sees. Pure: no I/O, no clock (the receive time is an input).
 */
import { createHash } from 'node:crypto';
import * as z from 'zod';

/** Segment's published limits: 32 KB an event (or a single call), 500 KB a batch request. */
export const MAX_EVENT_BYTES = 32 * 1024;
export const MAX_BATCH_BYTES = 500 * 1024;
/**
 * How deep a field of an event may nest (an object or array is a level: `{"a": {"b": 1}}` is two).
 * Real clients stay under ten (`context.traits.address.city` is three); DynamoDB's own limit for a
 * document is 32; a body within the size limits could otherwise nest thousands of levels deep,
 * which recursive code (JSON.stringify among it) cannot walk.
 */
export const MAX_NESTING_DEPTH = 32;

export const EVENT_TYPES = ['identify', 'track', 'page', 'screen', 'group', 'alias'] as const;
export type EventType = (typeof EVENT_TYPES)[number];

/** analytics.js posts to one-letter paths (`/v1/t`, `/v1/b`); server libraries use the long names. */
const PATH_ALIASES: Record<string, EventType | 'batch'> = {
  identify: 'identify',
  i: 'identify',
  track: 'track',
  t: 'track',
  page: 'page',
  p: 'page',
  screen: 'screen',
  s: 'screen',
  group: 'group',
  g: 'group',
  alias: 'alias',
  a: 'alias',
  batch: 'batch',
  b: 'batch',
  import: 'batch',
};

/** Every path the tracking API answers under `/v1/` (the API's description lists them). */
export const TRACKING_PATHS = Object.keys(PATH_ALIASES) as [string, ...string[]];

export function endpointKind(pathSegment: string): EventType | 'batch' | undefined {
  return PATH_ALIASES[pathSegment];
}

const isoTime = z.string().refine((value) => !Number.isNaN(Date.parse(value)), {
  message: 'must be an ISO-8601 date-time',
});

/**
 * Names that become keys (ids, event names) must be well-formed Unicode: a lone surrogate, which
 * JSON can carry as an escape, has no UTF-8 form and would fail in storage far from the client.
 */
const LONE_SURROGATE = /\p{Cs}/u;
const wellFormed = { message: 'must be valid Unicode text (it holds a lone surrogate)' };

/** Segment ids are strings; some libraries send numbers, which Segment accepts and stringifies. */
const identifier = z
  .union([z.string().max(1024), z.number().finite()])
  .transform((value) => String(value))
  .refine((value) => value.trim().length > 0, { message: 'must not be empty' })
  .refine((value) => !LONE_SURROGATE.test(value), wellFormed);

const record = z.record(z.string(), z.unknown());

const common = {
  messageId: z.string().min(1).max(512).optional(),
  timestamp: isoTime.optional(),
  originalTimestamp: isoTime.optional(),
  sentAt: isoTime.optional(),
  userId: identifier.nullish(),
  anonymousId: identifier.nullish(),
  context: record.optional(),
  integrations: record.optional(),
};

const identify = z.looseObject({ ...common, type: z.literal('identify'), traits: record.optional() });
const track = z.looseObject({
  ...common,
  type: z.literal('track'),
  event: z
    .string()
    .min(1, 'must name the event')
    .max(512)
    .refine((value) => !LONE_SURROGATE.test(value), wellFormed),
  properties: record.optional(),
});
const page = z.looseObject({
  ...common,
  type: z.literal('page'),
  name: z.string().max(512).nullish(),
  category: z.string().max(512).nullish(),
  properties: record.optional(),
});
const screen = z.looseObject({
  ...common,
  type: z.literal('screen'),
  name: z.string().max(512).nullish(),
  properties: record.optional(),
});
const group = z.looseObject({
  ...common,
  type: z.literal('group'),
  groupId: identifier,
  traits: record.optional(),
});
const alias = z.looseObject({
  ...common,
  type: z.literal('alias'),
  previousId: identifier,
  userId: identifier,
});

export const incomingEvent = z.discriminatedUnion('type', [identify, track, page, screen, group, alias], {
  error: (issue) => (issue.code === 'invalid_union' ? `must be one of ${EVENT_TYPES.join(', ')}` : undefined),
});
type IncomingEvent = z.infer<typeof incomingEvent>;

/** What every later stage sees: one shape, ids as strings, time corrected, receive time stamped. */
export interface CustomerEvent {
  type: EventType;
  messageId: string;
  userId?: string;
  anonymousId?: string;
  /** When it happened, corrected for client clock skew as Segment does. */
  timestamp: string;
  /** When our ingest received it: the engine's notion of "now" for this event. */
  receivedAt: string;
  originalTimestamp?: string;
  sentAt?: string;
  event?: string;
  name?: string;
  category?: string;
  properties?: Record<string, unknown>;
  traits?: Record<string, unknown>;
  context?: Record<string, unknown>;
  groupId?: string;
  previousId?: string;
}

export interface Rejection {
  /** Position in the batch, or 0 for a single call. */
  index: number;
  messageId?: string;
  /** One line that names the field, e.g. `batch[2].userId: ...`. */
  error: string;
}

export type Parsed = { ok: true; event: CustomerEvent } | { ok: false; rejection: Rejection };

export interface BatchEnvelope {
  sentAt?: string;
  context?: Record<string, unknown>;
  integrations?: Record<string, unknown>;
}

/**
 * Validates one event and turns it into a CustomerEvent. `where` prefixes field names in the
 * error (`batch[3]` inside a batch, empty for a single call).
 */
export function parseEvent(
  raw: unknown,
  options: { index: number; where: string; receivedAt: Date; envelope?: BatchEnvelope },
): Parsed {
  const { index, where, receivedAt, envelope } = options;
  const messageId = messageIdOf(raw);
  if (!isRecord(raw)) {
    return { ok: false, rejection: { index, messageId, error: `${where || 'body'}: must be a JSON object` } };
  }
  const deep = tooDeepField(raw);
  if (deep) return { ok: false, rejection: { index, messageId, error: `${prefix(where)}${deep}` } };
  const sized = JSON.stringify(raw ?? null);
  if (Buffer.byteLength(sized) > MAX_EVENT_BYTES) {
    return {
      ok: false,
      rejection: { index, messageId, error: `${where || 'event'}: larger than ${MAX_EVENT_BYTES} bytes` },
    };
  }
  const result = incomingEvent.safeParse(raw);
  if (!result.success) {
    return { ok: false, rejection: { index, messageId, error: describeIssues(result.error, where) } };
  }
  const incoming = result.data;
  if (incoming.type !== 'alias' && !incoming.userId && !incoming.anonymousId) {
    return {
      ok: false,
      rejection: { index, messageId, error: `${prefix(where)}userId: userId or anonymousId is required` },
    };
  }
  return { ok: true, event: normalize(incoming, sized, receivedAt, envelope) };
}

function normalize(
  incoming: IncomingEvent,
  rawJson: string,
  receivedAt: Date,
  envelope: BatchEnvelope | undefined,
): CustomerEvent {
  const sentAt = incoming.sentAt ?? envelope?.sentAt;
  const originalTimestamp = incoming.timestamp ?? incoming.originalTimestamp;
  const context =
    envelope?.context || incoming.context ? { ...envelope?.context, ...incoming.context } : undefined;
  const event: CustomerEvent = {
    type: incoming.type,
    // A client that sends no messageId gets one derived from the content, so that a retry of the
    // very same payload is still recognised as a duplicate.
    messageId:
      incoming.messageId ?? `derived-${createHash('sha256').update(rawJson).digest('hex').slice(0, 32)}`,
    timestamp: correctedTimestamp(originalTimestamp, sentAt, receivedAt),
    receivedAt: receivedAt.toISOString(),
  };
  if (incoming.userId) event.userId = incoming.userId;
  if (incoming.anonymousId) event.anonymousId = incoming.anonymousId;
  if (originalTimestamp) event.originalTimestamp = new Date(originalTimestamp).toISOString();
  if (sentAt) event.sentAt = new Date(sentAt).toISOString();
  if (context) event.context = context;
  switch (incoming.type) {
    case 'identify':
      if (incoming.traits) event.traits = incoming.traits;
      break;
    case 'track':
      event.event = incoming.event;
      if (incoming.properties) event.properties = incoming.properties;
      break;
    case 'page':
      if (incoming.name) event.name = incoming.name;
      if (incoming.category) event.category = incoming.category;
      if (incoming.properties) event.properties = incoming.properties;
      break;
    case 'screen':
      if (incoming.name) event.name = incoming.name;
      if (incoming.properties) event.properties = incoming.properties;
      break;
    case 'group':
      event.groupId = incoming.groupId;
      if (incoming.traits) event.traits = incoming.traits;
      break;
    case 'alias':
      event.previousId = incoming.previousId;
      break;
  }
  return event;
}

/**
 * Segment's clock-skew correction: timestamp = receivedAt - (sentAt - originalTimestamp).
 * Without sentAt the client's timestamp stands; without any, the receive time. A time in the
 * future (a client bug) is clamped to the receive time so it cannot schedule anything ahead.
 */
export function correctedTimestamp(
  original: string | undefined,
  sentAt: string | undefined,
  receivedAt: Date,
) {
  const received = receivedAt.getTime();
  if (!original) return receivedAt.toISOString();
  const originalMs = Date.parse(original);
  const corrected = sentAt ? received - (Date.parse(sentAt) - originalMs) : originalMs;
  return new Date(Math.min(corrected, received)).toISOString();
}

/** The customer an event belongs to, before alias resolution: the user id wins. */
export function customerKeyOf(event: CustomerEvent): string {
  const key = event.userId ?? event.anonymousId;
  if (!key) throw new Error(`event ${event.messageId} has neither userId nor anonymousId`);
  return key;
}

/**
 * `<field>: nested deeper than N levels` for the first field of `record` that nests deeper than
 * MAX_NESTING_DEPTH, else undefined. Walked with a stack of its own, not recursion, so that any
 * shape a client sends is measured without exhausting the call stack.
 */
export function tooDeepField(record: Record<string, unknown>, limit = MAX_NESTING_DEPTH): string | undefined {
  for (const [field, value] of Object.entries(record)) {
    const pending: [unknown, number][] = [[value, 1]];
    while (pending.length > 0) {
      const [current, depth] = pending.pop() as [unknown, number];
      if (!current || typeof current !== 'object') continue;
      if (depth > limit) return `${field}: nested deeper than ${limit} levels`;
      for (const child of Object.values(current)) pending.push([child, depth + 1]);
    }
  }
  return undefined;
}

/**
 * Properties kept within `maxBytes` of JSON and `maxDepth` levels (what a store may hold): whole
 * when they fit, else only their short top-level values, marked `truncated`.
 */
export function boundedProperties(
  properties: Record<string, unknown>,
  maxBytes: number,
  maxDepth = 16,
): Record<string, unknown> {
  if (JSON.stringify(properties).length <= maxBytes && !tooDeepField(properties, maxDepth)) return properties;
  const kept: Record<string, unknown> = { truncated: true };
  let size = 20;
  for (const [key, value] of Object.entries(properties)) {
    if (value !== null && typeof value === 'object') continue;
    const short = typeof value === 'string' ? value.slice(0, 200) : value;
    size += key.length + JSON.stringify(short ?? null).length + 4;
    if (size > maxBytes) break;
    kept[key] = short;
  }
  return kept;
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return !!value && typeof value === 'object' && !Array.isArray(value);
}

function messageIdOf(raw: unknown): string | undefined {
  if (raw && typeof raw === 'object' && 'messageId' in raw && typeof raw.messageId === 'string') {
    return raw.messageId;
  }
  return undefined;
}

function prefix(where: string) {
  return where ? `${where}.` : '';
}

export function describeIssues(error: z.ZodError, where = ''): string {
  return error.issues
    .slice(0, 3)
    .map((issue) => {
      const path = issue.path.map(String).join('.');
      const field = path ? `${prefix(where)}${path}` : where || 'body';
      return `${field}: ${issue.message}`;
    })
    .join('; ');
}
