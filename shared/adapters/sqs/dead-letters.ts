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
import type { DeadLetterQueues, FailureNotes, RedriveChoice, RedriveOutcome } from '../../ports.ts';
import { sqsClient } from './customer-inputs.ts';

/** Letters read from one queue at most: enough for anyone to look at; the count says the rest. */
const MOST_PER_QUEUE = 500;
/** How long a listing keeps the letters out of sight (it gives them back at once anyway). */
const LIST_HOLD_SECONDS = 5;
/** How long a redrive keeps them: its sends fit well within it. */
const REDRIVE_HOLD_SECONDS = 60;
/** A redrive stops sending after this long (the admin API answers within 29 s) and says there is more. */
const REDRIVE_BUDGET_MS = 20_000;

type Skipped = { id: string; why: string };

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
    const queues = await this.counts();
    const held = await this.hold(this.sources, LIST_HOLD_SECONDS);
    await this.release(held);
    const letters = held
      .map((entry) => entry.letter)
      .sort((a, b) => (a.firstSeen === b.firstSeen ? 0 : a.firstSeen < b.firstSeen ? -1 : 1));
    return {
      queues: queues.map((queue) => ({
        ...queue,
        listed: letters.filter((letter) => letter.queue === queue.queue).length,
      })),
      letters,
    };
  }

  async redrive(choice: RedriveChoice): Promise<RedriveOutcome> {
    const started = Date.now();
    const outcome = {
      redriven: [] as string[],
      skipped: [] as Skipped[],
      failed: [] as Skipped[],
      more: false,
    };
    /** What this call sent back or gave up on: a letter that dies again is not taken twice in one call. */
    const seen = new Set<string>();
    let sources = this.sources;
    for (let round = 0; sources.length > 0; round++) {
      const held = await this.hold(sources, REDRIVE_HOLD_SECONDS);
      if (round === 0 && 'ids' in choice) {
        const unknown = choice.ids.filter((id) => !held.some((entry) => entry.letter.id === id));
        if (unknown.length > 0) {
          await this.release(held);
          return { found: false, unknown };
        }
      }
      const chosen = held.filter(
        (entry) => !seen.has(entry.letter.id) && ('all' in choice || choice.ids.includes(entry.letter.id)),
      );
      await this.release(held.filter((entry) => !chosen.includes(entry)));
      for (const [index, entry] of chosen.entries()) {
        seen.add(entry.letter.id);
        if (Date.now() - started > REDRIVE_BUDGET_MS) {
          // The rest is given back at once, for the next call: better than a request cut off midway.
          await this.release(chosen.slice(index));
          outcome.more = true;
          return { found: true, ...outcome };
        }
        if (!entry.plan) {
          outcome.skipped.push({ id: entry.letter.id, why: entry.letter.why ?? 'it cannot be redriven' });
          await this.release([entry]);
          continue;
        }
        try {
          const sentAs = await this.sendBack(entry);
          if (sentAs) seen.add(sentAs);
          await this.sqs.send(
            new DeleteMessageCommand({ QueueUrl: entry.source.url, ReceiptHandle: entry.receipt }),
          );
          outcome.redriven.push(entry.letter.id);
        } catch (error) {
          outcome.failed.push({
            id: entry.letter.id,
            why: error instanceof Error ? error.message : String(error),
          });
          await this.release([entry]).catch(() => undefined);
        }
      }
      // A FIFO queue hands out ten of a customer's letters at a time: once those are back on their
      // queue, the next ten come. Other queues were read whole in the first round.
      if ('ids' in choice) break;
      const drained = new Set(chosen.filter((entry) => entry.plan).map((entry) => entry.source.url));
      sources = this.sources.filter(
        (source) => source.redrive && 'queueUrl' in source.redrive && drained.has(source.url),
      );
      if (held.length >= MOST_PER_QUEUE) outcome.more = true;
    }
    return { found: true, ...outcome };
  }

  /** Sends the letter back; answers the id of the message it became, when it went to a queue. */
  private async sendBack({ plan, letter }: Held): Promise<string | undefined> {
    if (!plan) return undefined;
    if (plan.to === 'queue') {
      const sent = await this.sqs.send(
        new SendMessageCommand({
          QueueUrl: plan.queueUrl,
          MessageBody: plan.body,
          MessageGroupId: plan.group,
          MessageDeduplicationId: redriveDeduplicationId(letter.id),
        }),
      );
      return sent.MessageId;
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
    return undefined;
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

  /**
   * Every queue's letters, received and held out of sight for `seconds` (the queues side by side).
   * When a queue cannot be read, what the others gave is handed back before the error goes on.
   */
  private async hold(sources: DeadLetterSource[], seconds: number): Promise<Held[]> {
    const settled = await Promise.allSettled(sources.map((source) => this.holdFrom(source, seconds)));
    const held = settled.flatMap((result) => (result.status === 'fulfilled' ? result.value : []));
    const failure = settled.find((result) => result.status === 'rejected');
    if (failure) {
      await this.release(held).catch(() => undefined);
      throw failure.reason;
    }
    return held;
  }

  private async holdFrom(source: DeadLetterSource, seconds: number): Promise<Held[]> {
    const held = new Map<string, Held>();
    try {
      while (held.size < MOST_PER_QUEUE) {
        const { Messages: messages = [] } = await this.sqs.send(
          new ReceiveMessageCommand({
            QueueUrl: source.url,
            MaxNumberOfMessages: 10,
            VisibilityTimeout: seconds,
            // Long polling asks every server of a standard queue; it answers as soon as one has any.
            WaitTimeSeconds: 1,
            MessageSystemAttributeNames: ['All'],
            MessageAttributeNames: ['All'],
          }),
        );
        if (messages.length === 0) break;
        // A standard queue may hand the same message out twice: it is held once.
        for (const message of messages)
          if (!held.has(message.MessageId ?? ''))
            held.set(message.MessageId ?? '', await this.read(source, message));
      }
    } catch (error) {
      await this.release([...held.values()]).catch(() => undefined);
      throw error;
    }
    return [...held.values()];
  }

  private async read(source: DeadLetterSource, message: Message): Promise<Held> {
    const id = message.MessageId ?? '';
    const messageAttributes = Object.fromEntries(
      Object.entries(message.MessageAttributes ?? {}).map(([name, value]) => [name, value.StringValue]),
    );
    // A reason that cannot be read now costs the reason, not the listing.
    const noted =
      source.redrive && 'queueUrl' in source.redrive
        ? await this.notes.reasonOf(id).catch(() => undefined)
        : undefined;
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
