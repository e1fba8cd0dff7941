/**
 * A local SQS: FIFO queues (and standard ones, for dead letters) behind an endpoint that the real `@aws-sdk/client-sqs` talks to (the
 * JSON protocol, errors named as SQS names them, MD5 digests the client checks). What the
 * pipeline relies on behaves as in AWS: a message group is delivered in order and never to two
 * consumers at once, a deduplication id repeated within five minutes is taken once, a received
 * message is invisible until deleted or its visibility ends, and a message received
 * `maxReceiveCount` times goes to the dead-letter queue instead of out again.
 */
import { createHash, randomUUID } from 'node:crypto';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { closed, endpointServer, listening, readBody } from './http-server.ts';

export const ACCOUNT = '000000000000';
/** SQS's limits: a message (and a batch request) of at most 1 MiB, 10 entries a batch. */
const MAX_MESSAGE_BYTES = 1024 * 1024;
const MAX_BATCH_ENTRIES = 10;
const DEDUPLICATION_MS = 5 * 60_000;

export interface QueuedMessage {
  id: string;
  body: string;
  md5: string;
  group: string;
  dedupe: string;
  sequence: string;
  sentAt: number;
  receiveCount: number;
  firstReceivedAt?: number;
  /** The receipt handle of the current receive; an older one no longer deletes it. */
  receipt?: string;
  /** Received and not deleted: invisible until then. */
  invisibleUntil: number;
  /** Why its last processing failed (the local event source notes it; AWS keeps it in the logs). */
  lastFailure?: string;
}

export interface DeadLetter {
  at: string;
  queue: string;
  message: QueuedMessage;
}

class SqsError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly queryCode = code,
    readonly status = 400,
  ) {
    super(message);
  }
}

export interface FifoQueueOptions {
  name: string;
  /**
   * A standard queue (a dead-letter queue of a function): no message group or deduplication id
   * needed, no order kept (each message is a group of its own).
   */
  standard?: boolean;
  /** Receives before a message goes to the dead-letter queue instead. */
  maxReceiveCount?: number;
  deadLetterQueue?: FifoQueue;
  /** Called as a message is dead-lettered. */
  onDeadLetter?: (letter: DeadLetter) => void;
  now?: () => number;
}

export class FifoQueue {
  /** Groups in the order their messages came (a group emptied and filled again goes to the back). */
  private readonly groups = new Map<string, QueuedMessage[]>();
  private readonly deduplicated = new Map<string, { id: string; sequence: string; at: number }>();
  private sequence = 0n;
  private readonly listeners = new Set<() => void>();
  readonly counters = { sent: 0, deduplicated: 0, received: 0, deleted: 0, deadLettered: 0 };

  constructor(readonly options: FifoQueueOptions) {}

  get name() {
    return this.options.name;
  }

  private now() {
    return this.options.now?.() ?? Date.now();
  }

  send(input: { body: string; group?: string; dedupe?: string }): {
    id: string;
    md5: string;
    sequence: string;
  } {
    if (this.options.standard && !input.group?.startsWith('standard:')) {
      const id = randomUUID();
      return this.send({ body: input.body, group: `standard:${id}`, dedupe: id });
    }
    if (!input.group)
      throw new SqsError('MissingParameter', 'The request must contain the parameter MessageGroupId.');
    if (!input.dedupe)
      throw new SqsError(
        'InvalidParameterValue',
        'The queue should either have ContentBasedDeduplication enabled or MessageDeduplicationId provided explicitly',
      );
    if (Buffer.byteLength(input.body) > MAX_MESSAGE_BYTES)
      throw new SqsError(
        'InvalidParameterValue',
        `One or more parameters are invalid. Reason: Message must be shorter than ${MAX_MESSAGE_BYTES} bytes.`,
      );
    const now = this.now();
    // Kept in the order sent: the expired ones are at the front.
    for (const [key, seen] of this.deduplicated) {
      if (now - seen.at <= DEDUPLICATION_MS) break;
      this.deduplicated.delete(key);
    }
    const md5 = md5Of(input.body);
    // Deduplication is per message group (the queue's high-throughput mode), as in AWS.
    const dedupeKey = `${input.group}\u0000${input.dedupe}`;
    const seen = this.deduplicated.get(dedupeKey);
    if (seen) {
      this.counters.deduplicated++;
      return { id: seen.id, md5, sequence: seen.sequence };
    }
    this.sequence++;
    const message: QueuedMessage = {
      id: randomUUID(),
      body: input.body,
      md5,
      group: input.group,
      dedupe: input.dedupe,
      sequence: this.sequence.toString().padStart(20, '0'),
      sentAt: now,
      receiveCount: 0,
      invisibleUntil: 0,
    };
    this.deduplicated.set(dedupeKey, { id: message.id, sequence: message.sequence, at: now });
    this.enqueue(message);
    this.counters.sent++;
    return { id: message.id, md5, sequence: message.sequence };
  }

  /** A message moved here as it was (a dead letter, or one redriven back). */
  enqueue(message: QueuedMessage) {
    const group = this.groups.get(message.group) ?? [];
    group.push(message);
    this.groups.set(message.group, group);
    this.wake();
  }

  /**
   * Up to `max` messages: as many of one group as are waiting, then the next group's (as SQS
   * does), never from a group that has a message in flight. Groups are served oldest first, so a
   * batch given back whole (its invocation crashed) comes back with the same messages first.
   */
  receive(max: number, visibilityMs: number): QueuedMessage[] {
    const now = this.now();
    const taken: QueuedMessage[] = [];
    for (const [groupId, messages] of this.groups) {
      if (taken.length >= max) break;
      while (
        messages[0] &&
        messages[0].receiveCount >= (this.options.maxReceiveCount ?? Infinity) &&
        messages[0].invisibleUntil <= now
      ) {
        this.deadLetter(messages.shift() as QueuedMessage);
      }
      if (messages.length === 0) {
        this.groups.delete(groupId);
        continue;
      }
      if (messages.some((message) => message.invisibleUntil > now)) continue;
      for (const message of messages) {
        if (taken.length >= max) break;
        // A message that has had its receives waits for the next pass to be dead-lettered, behind nothing.
        if (message.receiveCount >= (this.options.maxReceiveCount ?? Infinity)) break;
        message.receiveCount++;
        message.firstReceivedAt ??= now;
        message.receipt = randomUUID();
        message.invisibleUntil = now + visibilityMs;
        taken.push(message);
      }
    }
    this.counters.received += taken.length;
    return taken;
  }

  delete(receipt: string): boolean {
    for (const [groupId, messages] of this.groups) {
      const index = messages.findIndex((message) => message.receipt === receipt);
      if (index === -1) continue;
      const [message] = messages.splice(index, 1);
      if (messages.length === 0) this.groups.delete(groupId);
      this.counters.deleted++;
      this.wake();
      return message !== undefined;
    }
    return false;
  }

  changeVisibility(receipt: string, visibilityMs: number): boolean {
    const message = this.find((candidate) => candidate.receipt === receipt);
    if (!message || message.invisibleUntil <= this.now()) return false;
    message.invisibleUntil = this.now() + visibilityMs;
    if (visibilityMs === 0) this.wake();
    return true;
  }

  /** Takes a message out by id (a dead letter being redriven). */
  remove(id: string): QueuedMessage | undefined {
    for (const [groupId, messages] of this.groups) {
      const index = messages.findIndex((message) => message.id === id);
      if (index === -1) continue;
      const [message] = messages.splice(index, 1);
      if (messages.length === 0) this.groups.delete(groupId);
      return message;
    }
    return undefined;
  }

  find(match: (message: QueuedMessage) => boolean): QueuedMessage | undefined {
    for (const messages of this.groups.values()) {
      const found = messages.find(match);
      if (found) return found;
    }
    return undefined;
  }

  messages(): QueuedMessage[] {
    return [...this.groups.values()].flat();
  }

  /** Messages waiting or in flight. */
  size(): number {
    let count = 0;
    for (const messages of this.groups.values()) count += messages.length;
    return count;
  }

  /** When the next invisible message becomes visible again (undefined: none is invisible). */
  nextVisibleAt(): number | undefined {
    let next: number | undefined;
    for (const messages of this.groups.values())
      for (const message of messages)
        if (message.invisibleUntil > this.now() && (next === undefined || message.invisibleUntil < next))
          next = message.invisibleUntil;
    return next;
  }

  /** Called whenever something may have become receivable. */
  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private wake() {
    for (const listener of [...this.listeners]) listener();
  }

  private deadLetter(message: QueuedMessage) {
    this.counters.deadLettered++;
    const letter: DeadLetter = { at: new Date(this.now()).toISOString(), queue: this.name, message };
    const target = this.options.deadLetterQueue;
    // The receive count starts again in the dead-letter queue, as it does in SQS.
    target?.enqueue({ ...message, receiveCount: 0, invisibleUntil: 0 });
    this.options.onDeadLetter?.(letter);
    this.wake();
  }
}

/** The SQS endpoint: queues by name, addressed by URL (`<endpoint>/<account>/<name>`). */
export class LocalSqs {
  private server: Server | undefined;
  private readonly queues = new Map<string, FifoQueue>();
  endpoint = '';
  /** Requests by action, as SQS bills them (a batch is one request). */
  readonly requests: Record<string, number> = {};

  add(queue: FifoQueue) {
    this.queues.set(queue.name, queue);
    return queue;
  }

  queue(name: string): FifoQueue | undefined {
    return this.queues.get(name);
  }

  urlOf(name: string) {
    return `${this.endpoint}/${ACCOUNT}/${name}`;
  }

  async listen(port: number, host = '127.0.0.1'): Promise<void> {
    this.server = endpointServer((request, response) => {
      this.handle(request, response).catch((error) =>
        reply(
          response,
          500,
          { __type: 'com.amazonaws.sqs#InternalError', message: String(error) },
          'InternalError;Receiver',
        ),
      );
    });
    this.endpoint = await listening(this.server, port, host);
  }

  async close(): Promise<void> {
    await closed(this.server);
  }

  private async handle(request: IncomingMessage, response: ServerResponse) {
    const body = await readBody(request, MAX_MESSAGE_BYTES * 2);
    const action = String(request.headers['x-amz-target'] ?? '').replace(/^AmazonSQS\./, '');
    this.requests[action] = (this.requests[action] ?? 0) + 1;
    let input: Record<string, unknown>;
    try {
      input = JSON.parse(body.toString('utf8') || '{}') as Record<string, unknown>;
    } catch {
      return reply(response, 400, {
        __type: 'com.amazon.coral.service#SerializationException',
        message: 'the body is not JSON',
      });
    }
    try {
      reply(response, 200, this.act(action, input));
    } catch (error) {
      if (!(error instanceof SqsError)) throw error;
      reply(
        response,
        error.status,
        { __type: `com.amazonaws.sqs#${error.code}`, message: error.message },
        `${error.queryCode};Sender`,
      );
    }
  }

  private queueOf(input: Record<string, unknown>): FifoQueue {
    const name =
      String(input.QueueUrl ?? '')
        .split('/')
        .at(-1) ?? '';
    const queue = this.queues.get(name);
    if (!queue)
      throw new SqsError(
        'QueueDoesNotExist',
        'The specified queue does not exist.',
        'AWS.SimpleQueueService.NonExistentQueue',
      );
    return queue;
  }

  private act(action: string, input: Record<string, unknown>): unknown {
    switch (action) {
      case 'GetQueueUrl': {
        const name = String(input.QueueName ?? '');
        if (!this.queues.has(name))
          throw new SqsError(
            'QueueDoesNotExist',
            'The specified queue does not exist.',
            'AWS.SimpleQueueService.NonExistentQueue',
          );
        return { QueueUrl: this.urlOf(name) };
      }
      case 'ListQueues':
        return { QueueUrls: [...this.queues.keys()].map((name) => this.urlOf(name)) };
      case 'SendMessage': {
        const sent = this.queueOf(input).send(messageInput(input));
        return { MessageId: sent.id, MD5OfMessageBody: sent.md5, SequenceNumber: sent.sequence };
      }
      case 'SendMessageBatch': {
        const queue = this.queueOf(input);
        const entries = checkedBatch(input.Entries);
        const total = entries.reduce(
          (sum, entry) => sum + Buffer.byteLength(String(entry.MessageBody ?? '')),
          0,
        );
        if (total > MAX_MESSAGE_BYTES)
          throw new SqsError(
            'BatchRequestTooLong',
            `Batch requests cannot be longer than ${MAX_MESSAGE_BYTES} bytes.`,
            'AWS.SimpleQueueService.BatchRequestTooLong',
          );
        const Successful: unknown[] = [];
        const Failed: unknown[] = [];
        for (const entry of entries) {
          try {
            const sent = queue.send(messageInput(entry));
            Successful.push({
              Id: entry.Id,
              MessageId: sent.id,
              MD5OfMessageBody: sent.md5,
              SequenceNumber: sent.sequence,
            });
          } catch (error) {
            if (!(error instanceof SqsError)) throw error;
            Failed.push({ Id: entry.Id, SenderFault: true, Code: error.code, Message: error.message });
          }
        }
        return { Successful, Failed };
      }
      case 'ReceiveMessage': {
        const queue = this.queueOf(input);
        const max = Number(input.MaxNumberOfMessages ?? 1);
        if (!Number.isInteger(max) || max < 1 || max > 10)
          throw new SqsError(
            'InvalidParameterValue',
            'Value for parameter MaxNumberOfMessages is invalid. Reason: Must be between 1 and 10, if provided.',
          );
        const visibility = Number(input.VisibilityTimeout ?? 30);
        return { Messages: queue.receive(max, visibility * 1000).map(asReceived) };
      }
      case 'DeleteMessage': {
        if (!this.queueOf(input).delete(String(input.ReceiptHandle ?? '')))
          throw new SqsError('ReceiptHandleIsInvalid', 'The receipt handle has expired.');
        return {};
      }
      case 'DeleteMessageBatch': {
        const queue = this.queueOf(input);
        const entries = checkedBatch(input.Entries);
        const Successful: unknown[] = [];
        const Failed: unknown[] = [];
        for (const entry of entries) {
          if (queue.delete(String(entry.ReceiptHandle ?? ''))) Successful.push({ Id: entry.Id });
          else
            Failed.push({
              Id: entry.Id,
              SenderFault: true,
              Code: 'ReceiptHandleIsInvalid',
              Message: 'The receipt handle has expired.',
            });
        }
        return { Successful, Failed };
      }
      case 'ChangeMessageVisibility': {
        const seconds = Number(input.VisibilityTimeout);
        if (!this.queueOf(input).changeVisibility(String(input.ReceiptHandle ?? ''), seconds * 1000))
          throw new SqsError(
            'MessageNotInflight',
            'Message is not in flight.',
            'AWS.SimpleQueueService.MessageNotInflight',
          );
        return {};
      }
      case 'ChangeMessageVisibilityBatch': {
        const queue = this.queueOf(input);
        const Successful: unknown[] = [];
        const Failed: unknown[] = [];
        for (const entry of checkedBatch(input.Entries)) {
          const seconds = Number(entry.VisibilityTimeout);
          if (queue.changeVisibility(String(entry.ReceiptHandle ?? ''), seconds * 1000))
            Successful.push({ Id: entry.Id });
          else
            Failed.push({
              Id: entry.Id,
              SenderFault: true,
              Code: 'MessageNotInflight',
              Message: 'Message is not in flight.',
            });
        }
        return { Successful, Failed };
      }
      case 'GetQueueAttributes': {
        const queue = this.queueOf(input);
        const now = Date.now();
        const messages = queue.messages();
        return {
          Attributes: {
            FifoQueue: String(!queue.options.standard),
            ApproximateNumberOfMessages: String(
              messages.filter((message) => message.invisibleUntil <= now).length,
            ),
            ApproximateNumberOfMessagesNotVisible: String(
              messages.filter((message) => message.invisibleUntil > now).length,
            ),
            QueueArn: `arn:aws:sqs:local:${ACCOUNT}:${queue.name}`,
          },
        };
      }
      case 'PurgeQueue': {
        const queue = this.queueOf(input);
        for (const message of queue.messages()) queue.remove(message.id);
        return {};
      }
      default:
        throw new SqsError(
          'UnsupportedOperation',
          `the local SQS does not implement ${action || 'this action'}`,
          'AWS.SimpleQueueService.UnsupportedOperation',
        );
    }
  }
}

function messageInput(entry: Record<string, unknown>) {
  const body = entry.MessageBody;
  if (typeof body !== 'string' || body.length === 0)
    throw new SqsError('MissingParameter', 'The request must contain the parameter MessageBody.');
  return {
    body,
    ...(typeof entry.MessageGroupId === 'string' ? { group: entry.MessageGroupId } : {}),
    ...(typeof entry.MessageDeduplicationId === 'string' ? { dedupe: entry.MessageDeduplicationId } : {}),
  };
}

function checkedBatch(value: unknown): Record<string, unknown>[] {
  const entries = Array.isArray(value) ? (value as Record<string, unknown>[]) : [];
  if (entries.length === 0)
    throw new SqsError(
      'EmptyBatchRequest',
      'There should be at least one entry in the request.',
      'AWS.SimpleQueueService.EmptyBatchRequest',
    );
  if (entries.length > MAX_BATCH_ENTRIES)
    throw new SqsError(
      'TooManyEntriesInBatchRequest',
      `Maximum number of entries per request are ${MAX_BATCH_ENTRIES}.`,
      'AWS.SimpleQueueService.TooManyEntriesInBatchRequest',
    );
  if (new Set(entries.map((entry) => entry.Id)).size !== entries.length)
    throw new SqsError(
      'BatchEntryIdsNotDistinct',
      'Two or more batch entries in the request have the same Id.',
      'AWS.SimpleQueueService.BatchEntryIdsNotDistinct',
    );
  return entries;
}

/** A message as ReceiveMessage (and Lambda's SQS event) shows it. */
export function messageAttributes(message: QueuedMessage) {
  return {
    ApproximateReceiveCount: String(message.receiveCount),
    SentTimestamp: String(message.sentAt),
    SenderId: ACCOUNT,
    ApproximateFirstReceiveTimestamp: String(message.firstReceivedAt ?? message.sentAt),
    // A standard queue's messages have no sequence, group or deduplication id.
    ...(message.group.startsWith('standard:')
      ? {}
      : {
          SequenceNumber: message.sequence,
          MessageGroupId: message.group,
          MessageDeduplicationId: message.dedupe,
        }),
  };
}

function asReceived(message: QueuedMessage) {
  return {
    MessageId: message.id,
    ReceiptHandle: message.receipt,
    MD5OfBody: message.md5,
    Body: message.body,
    Attributes: messageAttributes(message),
  };
}

function md5Of(body: string) {
  return createHash('md5').update(body, 'utf8').digest('hex');
}

function reply(response: ServerResponse, status: number, payload: unknown, queryError?: string) {
  response.writeHead(status, {
    'content-type': 'application/x-amz-json-1.0',
    ...(queryError ? { 'x-amzn-query-error': queryError } : {}),
  });
  response.end(JSON.stringify(payload));
}
