/**
 * Dead letters: what the pipeline gave up on after its retries, read from the dead-letter queues
 * in whichever shape AWS wrote them, and how each goes back for another try.
 *
 * - The customer-inputs queue's redrive policy moves the message itself (its body, its group);
 *   why it failed is what apply-event noted as it failed (SQS keeps no reason).
 * - A function's failure after Lambda's async retries is an invocation record
 *   (`requestPayload`, `responsePayload.errorMessage`).
 * - EventBridge (a rule's target it could not invoke) and EventBridge Scheduler put the event or
 *   the schedule's input as the body, the reason in message attributes (`ERROR_CODE`,
 *   `ERROR_MESSAGE`).
 * - A stream batch that kept failing is a pointer to shard sequence numbers, not the records:
 *   listed, but it cannot be redriven (the stream keeps its records 24 hours at most).
 */

/** A dead-letter queue and where its letters go back to. */
export interface DeadLetterSource {
  /** `customer-inputs`, or the name of the function whose failures it holds. */
  name: string;
  url: string;
  /** The queue a letter is sent back to, or the function invoked again with it. */
  redrive?: { queueUrl: string } | { functionName: string };
}

/** A message as the dead-letter queue holds it. */
export interface QueuedLetter {
  id: string;
  body: string;
  /** SQS's system attributes (`SentTimestamp`, `MessageGroupId`). */
  attributes: Record<string, string | undefined>;
  /** Message attributes' string values (EventBridge's and Scheduler's `ERROR_*`). */
  messageAttributes: Record<string, string | undefined>;
}

/** How a letter goes back: to its queue in its message group, or as its function's input again. */
export type RedrivePlan =
  | { to: 'queue'; queueUrl: string; group: string; body: string }
  | { to: 'function'; functionName: string; payload: string };

export interface DeadLetter {
  id: string;
  queue: string;
  reason: string;
  firstSeen: string;
  /** Tries before it was set aside, when the queue or the record says. */
  attempts?: number;
  /**
   * What it is: its type and the customer's key (which may itself be personal data, an email
   * address as the user id: the routes are the admin's alone). Never the traits or the address.
   */
  summary: { type: string; customer?: string };
  redrivable: boolean;
  /** Why it cannot be redriven, when it cannot. */
  why?: string;
}

export interface ReadLetter {
  letter: DeadLetter;
  plan?: RedrivePlan;
}

const NO_REASON = 'no reason was noted (the invocation timed out or crashed before it could note one)';

/** A letter of `source` as the API shows it, and how to redrive it. */
export function readLetter(
  source: DeadLetterSource,
  message: QueuedLetter,
  notedReason?: string,
): ReadLetter {
  const parsed = parseJson(message.body);
  const sentAt = Number(message.attributes.SentTimestamp);
  const firstSeen = new Date(Number.isFinite(sentAt) ? sentAt : 0).toISOString();
  const base = { id: message.id, queue: source.name, firstSeen };
  const errorAttribute = [message.messageAttributes.ERROR_CODE, message.messageAttributes.ERROR_MESSAGE]
    .filter(Boolean)
    .join(': ');

  if (isRecord(parsed) && isRecord(parsed.DDBStreamBatchInfo)) {
    const batch = parsed.DDBStreamBatchInfo;
    return {
      letter: {
        ...base,
        reason: reasonOfRecord(parsed) ?? `the stream batch failed (condition ${conditionOf(parsed)})`,
        attempts: attemptsOf(parsed),
        summary: { type: `stream batch of ${String(batch.batchSize ?? '?')} records` },
        redrivable: false,
        why: 'a stream batch is a pointer to records the stream keeps 24 hours; the nightly sweep repairs what it missed',
      },
    };
  }

  // An invocation record (Lambda's on-failure destination): the function's input, and its error.
  // Lambda leaves the payload out when the record would be too large: then there is nothing to resend.
  const record =
    isRecord(parsed) &&
    isRecord(parsed.requestContext) &&
    ('functionArn' in parsed.requestContext || 'condition' in parsed.requestContext);
  const hasInput = !record || 'requestPayload' in (parsed as Record<string, unknown>);
  const input = record ? (parsed as Record<string, unknown>).requestPayload : parsed;
  const reason = bounded(
    (record ? reasonOfRecord(parsed as Record<string, unknown>) : undefined) ??
      (errorAttribute || notedReason || NO_REASON),
  );
  // A queue's own count starts again in the dead-letter queue: only a record says how often it was tried.
  const attempts = record ? attemptsOf(parsed as Record<string, unknown>) : undefined;
  const letter: DeadLetter = {
    ...base,
    reason,
    ...(attempts ? { attempts } : {}),
    summary: hasInput ? summaryOf(input) : { type: 'invocation without its input' },
    redrivable: Boolean(source.redrive),
  };
  const notRedrivable = (why: string): ReadLetter => ({ letter: { ...letter, redrivable: false, why } });
  if (!source.redrive) return notRedrivable('this queue has nowhere to go back to');
  if ('queueUrl' in source.redrive) {
    const group = message.attributes.MessageGroupId;
    if (!group) return notRedrivable('the message has no message group');
    return { letter, plan: { to: 'queue', queueUrl: source.redrive.queueUrl, group, body: message.body } };
  }
  if (!hasInput) return notRedrivable('Lambda left the input out of its record (too large to keep)');
  // A function's input is JSON: a body that is not (nothing AWS writes) cannot be its input.
  if (typeof input === 'string') return notRedrivable('the letter is not JSON, so it is no function’s input');
  return {
    letter,
    plan: { to: 'function', functionName: source.redrive.functionName, payload: JSON.stringify(input ?? {}) },
  };
}

/** Reasons are kept whole up to a size a listing of hundreds of letters can carry. */
const MOST_REASON_CHARS = 2000;
function bounded(reason: string) {
  return shortened(reason, MOST_REASON_CHARS);
}

/** A reason on one line of at most `most` characters (a table cell, a terminal's line). */
export function reasonLine(reason: string, most: number): string {
  return shortened(reason.replace(/\s+/g, ' ').trim(), most);
}

function shortened(text: string, most: number) {
  return text.length > most ? `${text.slice(0, most - 1)}…` : text;
}

/** The letter's type and customer, from an event (`detail-type`, `detail`) or a queued input. */
function summaryOf(input: unknown): DeadLetter['summary'] {
  if (!isRecord(input)) return { type: typeof input === 'string' ? 'text' : 'unknown' };
  const type = input['detail-type'] ?? input.type ?? (Object.keys(input).length ? 'scheduled run' : 'empty');
  const detail = isRecord(input.detail) ? input.detail : {};
  const customer = detail.customerKey ?? detail.customerId;
  return { type: String(type), ...(typeof customer === 'string' ? { customer } : {}) };
}

function reasonOfRecord(record: Record<string, unknown>): string | undefined {
  const response = record.responsePayload;
  if (isRecord(response) && (response.errorMessage || response.errorType))
    return [response.errorType, response.errorMessage].filter(Boolean).join(': ');
  const context = record.responseContext;
  if (isRecord(context) && context.functionError)
    return `the function failed (${String(context.functionError)}; condition ${conditionOf(record)})`;
  // EventAgeExceeded: never run, too old to try again.
  if (isRecord(record.requestContext) && record.requestContext.condition)
    return `Lambda gave up on it (condition ${conditionOf(record)})`;
  return undefined;
}

function conditionOf(record: Record<string, unknown>) {
  return isRecord(record.requestContext) ? String(record.requestContext.condition ?? 'unknown') : 'unknown';
}

function attemptsOf(record: Record<string, unknown>): number | undefined {
  const count = isRecord(record.requestContext) ? Number(record.requestContext.approximateInvokeCount) : NaN;
  return Number.isFinite(count) && count > 0 ? count : undefined;
}

function parseJson(body: string): unknown {
  try {
    return JSON.parse(body);
  } catch {
    return body;
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * The deduplication id of a letter sent back to its FIFO queue: made from the letter's id, so a
 * redrive repeated after a crash (sent, not yet deleted) is taken once. A letter that dies again
 * comes back to the dead-letter queue with the new message's id, so its next redrive is new too.
 */
export function redriveDeduplicationId(letterId: string): string {
  return `redrive-${letterId}`;
}
