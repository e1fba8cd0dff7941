/**
 * The dead-letter queues, read and redriven with the SQS and Lambda clients (AWS's, or the local
 * stack's endpoints). Reading takes each queue's messages out of sight for a moment and gives them
 * straight back, so it changes nothing; a redrive sends a letter back (to its FIFO queue in its
 * message group, or to its function as an asynchronous invocation) before deleting it, so a crash
 * between the two repeats the send, which the queue's deduplication or the consumer's idempotency
 * (an event is applied once by its messageId) takes once.
 */
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  type Message,
  ReceiveMessageCommand,
  SendMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import {
  type DeadLetterSource,
  type ReadLetter,
  readLetter,
  redriveDeduplicationId,
} from '../../domain/dead-letters.ts';
import type { DeadLetterQueues, FailureNotes } from '../../ports.ts';
import { sqsClient } from './customer-inputs.ts';

/** Letters read from one queue at most: enough for anyone to look at; the count says the rest. */
const MOST_PER_QUEUE = 500;
/** How long a read keeps the letters out of sight: a redrive's sends fit well within it. */
const HOLD_SECONDS = 60;

let lambda: LambdaClient | undefined;
function lambdaClient(): LambdaClient {
  lambda ??= new LambdaClient({});
  return lambda;
}

interface Held extends ReadLetter {
  source: DeadLetterSource;
  receipt: string;
}

export class SqsDeadLetterQueues implements DeadLetterQueues {
  constructor(
    private readonly sources: DeadLetterSource[],
    private readonly notes: FailureNotes,
    private readonly sqs: SQSClient = sqsClient(),
    private readonly invoker: LambdaClient = lambdaClient(),
  ) {}

  async list() {
    const [queues, held] = await Promise.all([this.counts(), this.hold()]);
    await this.release(held);
    const letters = held
      .map((entry) => entry.letter)
      .sort((a, b) => (a.firstSeen === b.firstSeen ? 0 : a.firstSeen < b.firstSeen ? -1 : 1));
    return { queues, letters };
  }

  async redrive(ids?: string[]) {
    const held = await this.hold();
    const unknown = (ids ?? []).filter((id) => !held.some((entry) => entry.letter.id === id));
    if (unknown.length > 0) {
      await this.release(held);
      return { found: false as const, unknown };
    }
    const chosen = ids ? held.filter((entry) => ids.includes(entry.letter.id)) : held;
    await this.release(held.filter((entry) => !chosen.includes(entry)));
    const redriven: string[] = [];
    const skipped: { id: string; why: string }[] = [];
    for (const entry of chosen) {
      if (!entry.plan) {
        skipped.push({ id: entry.letter.id, why: entry.letter.why ?? 'it cannot be redriven' });
        await this.release([entry]);
        continue;
      }
      await this.sendBack(entry);
      await this.sqs.send(
        new DeleteMessageCommand({ QueueUrl: entry.source.url, ReceiptHandle: entry.receipt }),
      );
      redriven.push(entry.letter.id);
    }
    return { found: true as const, redriven, skipped };
  }

  private async sendBack({ plan, letter }: Held) {
    if (!plan) return;
    if (plan.to === 'queue') {
      await this.sqs.send(
        new SendMessageCommand({
          QueueUrl: plan.queueUrl,
          MessageBody: plan.body,
          MessageGroupId: plan.group,
          MessageDeduplicationId: redriveDeduplicationId(letter.id),
        }),
      );
      return;
    }
    // Asynchronously, as the bus or the schedule invoked it: Lambda's retries and the
    // dead-letter queue stand behind it again.
    await this.invoker.send(
      new InvokeCommand({
        FunctionName: plan.functionName,
        InvocationType: 'Event',
        Payload: new TextEncoder().encode(plan.payload),
      }),
    );
  }

  private async counts() {
    return Promise.all(
      this.sources.map(async (source) => {
        const { Attributes: attributes } = await this.sqs.send(
          new GetQueueAttributesCommand({
            QueueUrl: source.url,
            AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
          }),
        );
        const count =
          Number(attributes?.ApproximateNumberOfMessages ?? 0) +
          Number(attributes?.ApproximateNumberOfMessagesNotVisible ?? 0);
        return { queue: source.name, count };
      }),
    );
  }

  /** Every queue's letters, received and held out of sight (the queues side by side). */
  private async hold(): Promise<Held[]> {
    const perQueue = await Promise.all(this.sources.map((source) => this.holdFrom(source)));
    return perQueue.flat();
  }

  private async holdFrom(source: DeadLetterSource): Promise<Held[]> {
    const held: Held[] = [];
    while (held.length < MOST_PER_QUEUE) {
      const { Messages: messages = [] } = await this.sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: source.url,
          MaxNumberOfMessages: 10,
          VisibilityTimeout: HOLD_SECONDS,
          // Long polling asks every server of a standard queue; it answers as soon as one has any.
          WaitTimeSeconds: 1,
          MessageSystemAttributeNames: ['All'],
          MessageAttributeNames: ['All'],
        }),
      );
      if (messages.length === 0) break;
      for (const message of messages) held.push(await this.read(source, message));
    }
    return held;
  }

  private async read(source: DeadLetterSource, message: Message): Promise<Held> {
    const id = message.MessageId ?? '';
    const messageAttributes = Object.fromEntries(
      Object.entries(message.MessageAttributes ?? {}).map(([name, value]) => [name, value.StringValue]),
    );
    const noted = source.redrive && 'queueUrl' in source.redrive ? await this.notes.reasonOf(id) : undefined;
    return {
      source,
      receipt: message.ReceiptHandle ?? '',
      ...readLetter(
        source,
        { id, body: message.Body ?? '', attributes: { ...message.Attributes }, messageAttributes },
        noted,
      ),
    };
  }

  /** Gives letters back to their queues at once (visible again). */
  private async release(held: Held[]) {
    const byQueue = new Map<string, Held[]>();
    for (const entry of held)
      byQueue.set(entry.source.url, [...(byQueue.get(entry.source.url) ?? []), entry]);
    for (const [url, entries] of byQueue)
      for (let start = 0; start < entries.length; start += 10)
        await this.sqs.send(
          new ChangeMessageVisibilityBatchCommand({
            QueueUrl: url,
            Entries: entries.slice(start, start + 10).map((entry, index) => ({
              Id: String(index),
              ReceiptHandle: entry.receipt,
              VisibilityTimeout: 0,
            })),
          }),
        );
  }
}
