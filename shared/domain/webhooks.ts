/**
 * Webhooks: our customer events sent to the shop's own systems. This module holds the format of a
 * webhook (its parser naming each problem's field), how a delivery is signed and checked (as
 * Stripe signs: a timestamp and an HMAC-SHA256 of "<timestamp>.<body>", several signatures while a
 * secret is rotated), the signing secret and its sealing at rest, the retry schedule, and the body
 * a delivery carries.
 */
import {
  createCipheriv,
  createDecipheriv,
  createHmac,
  hkdfSync,
  randomBytes,
  timingSafeEqual,
} from 'node:crypto';
import * as z from 'zod';
import { DEFINITION_ID, type Problem } from './conditions.ts';
import { issuesAt } from './journeys.ts';
import { EVERY_EVENT, TEST_EVENT, WEBHOOK_EVENT_TYPES, type WebhookEventType } from './webhook-events.ts';

export { TEST_EVENT, WEBHOOK_EVENT_TYPES, type WebhookEventType };

/** A webhook's id has the same shape as every definition's: it appears in paths and logs. */
export const WEBHOOK_ID = DEFINITION_ID;

const MAX_URL_LENGTH = 2048;
const MAX_DESCRIPTION_LENGTH = 200;

/** What is wrong with a webhook's URL, if anything (its length is the schema's to check). */
function urlProblem(text: string, allowInsecure: boolean): string | undefined {
  if (text.length > MAX_URL_LENGTH) return undefined;
  // The URL parser quietly drops tabs and newlines anywhere and spaces at the ends: what we
  // would call must be what the shop wrote.
  if (/[\s\p{Cc}]/u.test(text)) return 'must not contain spaces or control characters';
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return 'must be an absolute URL, e.g. https://shop.example/hooks/lifecycle';
  }
  if (url.protocol === 'http:' && !allowInsecure)
    return 'must use https: deliveries carry customer data (http is allowed only in local development)';
  if (url.protocol !== 'https:' && url.protocol !== 'http:')
    return allowInsecure ? 'must be an http or https URL' : 'must be an https URL';
  // Credentials in a URL end up in logs and in the console; the signature is how a receiver
  // knows a delivery is ours.
  if (url.username || url.password)
    return 'must not carry a user name or password (user:pass@): receivers check the signature instead';
  return undefined;
}

function webhookSchemaFor(allowInsecure: boolean) {
  return z.strictObject({
    url: z
      .string('must be a URL, e.g. https://shop.example/hooks/lifecycle')
      .max(MAX_URL_LENGTH, `must be at most ${MAX_URL_LENGTH} characters`)
      .superRefine((text, context) => {
        const problem = urlProblem(text, allowInsecure);
        if (problem) context.addIssue({ code: 'custom', message: problem });
      }),
    events: z
      .array(
        z.enum(
          [...WEBHOOK_EVENT_TYPES, EVERY_EVENT],
          `must be one of ${WEBHOOK_EVENT_TYPES.join(', ')}, or '${EVERY_EVENT}' alone for every event`,
        ),
        'must be a list of event types',
      )
      .min(1, `must list at least one event type, or ['${EVERY_EVENT}'] for every event`)
      .max(WEBHOOK_EVENT_TYPES.length, `must list at most the ${WEBHOOK_EVENT_TYPES.length} event types`)
      .superRefine((types, context) => {
        for (const [index, type] of types.entries()) {
          if (types.indexOf(type) !== index)
            context.addIssue({ code: 'custom', path: [index], message: `repeats ${type}` });
          else if (type === EVERY_EVENT && types.length > 1)
            context.addIssue({
              code: 'custom',
              path: [index],
              message: `'${EVERY_EVENT}' means every event: it stands alone`,
            });
        }
      }),
    description: z
      .string('must be text')
      .trim()
      .max(MAX_DESCRIPTION_LENGTH, `must be at most ${MAX_DESCRIPTION_LENGTH} characters`)
      .optional(),
    enabled: z.boolean('must be true or false').default(true),
  });
}

/**
 * The body of `PUT /admin/webhooks/{id}`, https only. `parseWebhook` with `allowInsecure` (local
 * development, where receivers listen on plain http) accepts http too.
 */
export const webhookSchema = webhookSchemaFor(false);
const insecureWebhookSchema = webhookSchemaFor(true);
export type WebhookInput = z.input<typeof webhookSchema>;
export type WebhookBody = z.output<typeof webhookSchema>;

export function parseWebhook(
  input: unknown,
  options: { allowInsecure: boolean },
): { ok: true; value: WebhookBody } | { ok: false; problems: Problem[] } {
  if (!input || typeof input !== 'object' || Array.isArray(input))
    return { ok: false, problems: [{ field: 'body', message: 'must be a JSON object' }] };
  const schema = options.allowInsecure ? insecureWebhookSchema : webhookSchema;
  const parsed = schema.safeParse(input);
  if (!parsed.success) return { ok: false, problems: issuesAt('', parsed.error.issues) };
  return { ok: true, value: parsed.data };
}

/**
 * The event types some enabled webhook listens to (`*` when one takes every event): the engine
 * publishes the webhook-only events (stage and segment changes, answers) only when listened to,
 * so a shop without webhooks pays for none of them.
 */
export function listenedTypes(webhooks: Pick<WebhookBody, 'enabled' | 'events'>[]): string[] {
  const types = new Set(webhooks.filter((webhook) => webhook.enabled).flatMap((webhook) => webhook.events));
  return types.has(EVERY_EVENT) ? [EVERY_EVENT] : [...types].sort();
}

/** Whether an event of this type is listened to, by what `listenedTypes` answered. */
export function isListened(listened: readonly string[], type: string): boolean {
  return listened.includes(EVERY_EVENT) || listened.includes(type);
}

/** Whether a webhook is to be sent this event: enabled, and subscribed to its type or to all. */
export function wantsEvent(
  webhook: Pick<WebhookBody, 'enabled' | 'events'>,
  type: WebhookEventType,
): boolean {
  return webhook.enabled && (webhook.events.includes(EVERY_EVENT) || webhook.events.includes(type));
}

// Signing, as Stripe signs webhooks.

export const SIGNATURE_HEADER = 'Lifecycle-Signature';
/** How far a delivery's timestamp may be from the receiver's clock: older ones may be replays. */
export const SIGNATURE_TOLERANCE_SECONDS = 300;
/** Longer than any header we write (a timestamp and a few signatures): no work on a huge one. */
const MAX_SIGNATURE_HEADER_LENGTH = 1024;

function signatureOf(secret: string, timestamp: string, body: string): Buffer {
  if (!secret) throw new Error('a webhook signing secret must not be empty');
  return createHmac('sha256', secret).update(`${timestamp}.${body}`, 'utf8').digest();
}

/**
 * The signature header of a delivery: `t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">`.
 * Given several secrets (while one is being rotated) it carries one v1 for each, so receivers
 * holding either secret accept the delivery.
 */
export function signatureHeader(secret: string | readonly string[], timestamp: number, body: string): string {
  if (!Number.isSafeInteger(timestamp) || timestamp < 0)
    throw new RangeError(`a signature's timestamp is whole unix seconds, not ${timestamp}`);
  const secrets = typeof secret === 'string' ? [secret] : secret;
  if (secrets.length === 0) throw new Error('signing needs a secret');
  const t = String(timestamp);
  return [`t=${t}`, ...secrets.map((each) => `v1=${signatureOf(each, t, body).toString('hex')}`)].join(',');
}

/** A signature header's timestamp (as written: it is what was signed) and v1 signatures. */
function readSignatureHeader(header: string): { timestamp: string; signatures: Buffer[] } | undefined {
  if (header.length > MAX_SIGNATURE_HEADER_LENGTH) return undefined;
  const timestamps: string[] = [];
  const signatures: Buffer[] = [];
  for (const part of header.split(',')) {
    const equals = part.indexOf('=');
    if (equals < 0) continue;
    const scheme = part.slice(0, equals).trim();
    const value = part.slice(equals + 1).trim();
    if (scheme === 't') timestamps.push(value);
    // Other schemes (a future v2) are passed over, as Stripe's receivers do.
    else if (scheme === 'v1' && /^[0-9a-fA-F]{64}$/.test(value)) signatures.push(Buffer.from(value, 'hex'));
  }
  // Two timestamps would leave it open which one was signed.
  const [timestamp] = timestamps;
  if (timestamps.length !== 1 || !timestamp || !/^\d{1,12}$/.test(timestamp)) return undefined;
  return signatures.length > 0 ? { timestamp, signatures } : undefined;
}

/**
 * Whether a delivery is ours and fresh: one of the header's v1 signatures is the body's under the
 * secret (or one of the secrets), compared in constant time, and its timestamp is within the
 * tolerance of `nowSeconds` either way (a clock ahead is as suspect as a replay).
 */
export function verifySignature(
  secret: string | readonly string[],
  header: string,
  body: string,
  nowSeconds: number,
  toleranceSeconds = SIGNATURE_TOLERANCE_SECONDS,
): boolean {
  const read = readSignatureHeader(header);
  if (!read) return false;
  if (!(Math.abs(nowSeconds - Number(read.timestamp)) <= toleranceSeconds)) return false;
  const secrets = typeof secret === 'string' ? [secret] : secret;
  const expected = secrets.map((each) => signatureOf(each, read.timestamp, body));
  let matched = false;
  // Every pair is compared, not stopping at a match: the time taken says nothing about which.
  for (const candidate of read.signatures)
    for (const signature of expected) if (timingSafeEqual(candidate, signature)) matched = true;
  return matched;
}

// The signing secret, and its sealing at rest.

/** A new signing secret, shown to the shop once: `whsec_` and 32 random bytes. */
export function newSigningSecret(): string {
  return `whsec_${randomBytes(32).toString('base64url')}`;
}

const SEALED_PREFIX = 'sealed1.';
const GCM_IV_BYTES = 12;
const GCM_TAG_BYTES = 16;

/** The key that seals signing secrets: the master key's, for this purpose only. */
function sealingKey(masterKey: string): Buffer {
  if (!masterKey) throw new Error('sealing webhook secrets needs a master key');
  return Buffer.from(hkdfSync('sha256', masterKey, Buffer.alloc(0), 'webhook-secret', 32));
}

/**
 * A signing secret sealed for storage (AES-256-GCM). Signing needs the secret itself, so it
 * cannot be kept as a hash; sealed, a copy of the table alone does not let anyone sign.
 */
export function sealSecret(masterKey: string, secret: string): string {
  const iv = randomBytes(GCM_IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', sealingKey(masterKey), iv);
  const sealed = Buffer.concat([cipher.update(secret, 'utf8'), cipher.final()]);
  return `${SEALED_PREFIX}${Buffer.concat([iv, sealed, cipher.getAuthTag()]).toString('base64url')}`;
}

/** The secret a sealed one holds, or undefined when it was not sealed under this key, intact. */
export function openSecret(masterKey: string, sealed: string): string | undefined {
  if (!sealed.startsWith(SEALED_PREFIX)) return undefined;
  const text = sealed.slice(SEALED_PREFIX.length);
  if (!/^[A-Za-z0-9_-]{1,1400}$/.test(text)) return undefined;
  const raw = Buffer.from(text, 'base64url');
  if (raw.length <= GCM_IV_BYTES + GCM_TAG_BYTES) return undefined;
  const decipher = createDecipheriv('aes-256-gcm', sealingKey(masterKey), raw.subarray(0, GCM_IV_BYTES));
  decipher.setAuthTag(raw.subarray(raw.length - GCM_TAG_BYTES));
  try {
    return Buffer.concat([
      decipher.update(raw.subarray(GCM_IV_BYTES, raw.length - GCM_TAG_BYTES)),
      decipher.final(),
    ]).toString('utf8');
  } catch {
    // The tag did not match: another key, or an altered value.
    return undefined;
  }
}

// Retries.

const SECOND_MS = 1000;
const MINUTE_MS = 60 * SECOND_MS;
const HOUR_MS = 60 * MINUTE_MS;
/** How long a delivery is retried, from its first attempt; then it is dead-lettered. */
export const RETRY_WINDOW_MS = 24 * HOUR_MS;
/** The waits after the first failures; from the fifth on, an hour doubling each time. */
const FIRST_WAITS_MS = [30 * SECOND_MS, 2 * MINUTE_MS, 10 * MINUTE_MS, 30 * MINUTE_MS];

function waitAfter(attempt: number): number {
  return FIRST_WAITS_MS[attempt - 1] ?? HOUR_MS * 2 ** (attempt - FIRST_WAITS_MS.length - 1);
}

/**
 * When each attempt is made, from the first: 0, 30 s, 2.5 min, 12.5 min, 42.5 min, 1 h 42.5 min,
 * 3 h 42.5 min, 7 h 42.5 min, 15 h 42.5 min, and a last one at 24 h (the next wait would pass it).
 * Counted from the first attempt rather than the last, so slow timeouts do not push the schedule
 * on; no jitter, so a delivery's attempts can be told in advance and tested.
 */
export const ATTEMPT_OFFSETS_MS: readonly number[] = (() => {
  const offsets = [0];
  for (let attempt = 1; (offsets.at(-1) ?? 0) < RETRY_WINDOW_MS; attempt += 1)
    offsets.push(Math.min((offsets.at(-1) ?? 0) + waitAfter(attempt), RETRY_WINDOW_MS));
  return offsets;
})();
export const MAX_ATTEMPTS = ATTEMPT_OFFSETS_MS.length;

/**
 * When to try again after attempt number `attempt` (1 for the first) failed, or undefined when
 * that was the last: the delivery goes to the dead letters.
 */
export function nextAttemptAt(firstAttemptAt: string, attempt: number): string | undefined {
  if (!Number.isSafeInteger(attempt) || attempt < 1)
    throw new RangeError(`attempts are counted from 1, not ${attempt}`);
  const first = Date.parse(firstAttemptAt);
  if (Number.isNaN(first)) throw new RangeError(`not a time: ${firstAttemptAt}`);
  const offset = ATTEMPT_OFFSETS_MS[attempt];
  return offset === undefined ? undefined : new Date(first + offset).toISOString();
}

/** What an attempt came to: the receiver's HTTP status, or no answer at all. */
export type AttemptOutcome = number | 'network' | 'timeout';

/**
 * Whether a failed attempt is tried again: any answer but a 2xx is, as Stripe does. Redirects are
 * not followed (they could lead past the outbound-URL check), so a 3xx is a failure; a 4xx often
 * means a receiver's deploy or secret rotation half done, fixed within the window. A 410 Gone is
 * retried like any other: a webhook is disabled by its owner, not by its receiver.
 */
export function retryable(outcome: AttemptOutcome): boolean {
  if (outcome === 'network' || outcome === 'timeout') return true;
  return !(outcome >= 200 && outcome <= 299);
}

// The delivery.

export interface WebhookEvent {
  /** The delivery event's id: the same on every attempt, so receivers can drop repeats. */
  id: string;
  type: WebhookEventType | typeof TEST_EVENT;
  /** When the event happened (ISO 8601). */
  at: string;
  customerId: string;
  data: Record<string, unknown>;
}

export interface DeliveryPayload {
  id: string;
  type: WebhookEventType | typeof TEST_EVENT;
  created: string;
  customer: { id: string };
  data: Record<string, unknown>;
}

/** The JSON body of a delivery; the same text on every attempt (it is what is signed). */
export function deliveryBody(event: WebhookEvent): string {
  const payload: DeliveryPayload = {
    id: event.id,
    type: event.type,
    created: new Date(event.at).toISOString(),
    customer: { id: event.customerId },
    data: event.data,
  };
  return JSON.stringify(payload);
}
