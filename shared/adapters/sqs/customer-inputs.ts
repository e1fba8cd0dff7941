/**
 * Sends customer inputs (events, timers due) to the customer-inputs FIFO queue: the customer is
 * the message group, so apply-event takes one customer's inputs in order and one at a time, and
 * the same input sent twice within five minutes (a client's retry, a sweep run again) is taken
 * once. Everything else still goes over the bus: `productPublisher` routes each entry.
 */
import { createHash } from 'node:crypto';
import { SendMessageBatchCommand, type SendMessageBatchRequestEntry, SQSClient } from '@aws-sdk/client-sqs';
import { customerInputKeys, isCustomerInput } from '../../domain/contracts/customer-inputs.ts';
import type { BusEntry, EventPublisher } from '../../ports.ts';
import { hooked } from '../client-hooks.ts';
import { EventBridgePublisher, PublishError, packRequests } from '../eventbridge/publisher.ts';

let client: SQSClient | undefined;

export function sqsClient(): SQSClient {
  client ??= hooked(new SQSClient({}), 'sqs');
  return client;
}

/** What a queued input looks like: the contract's detail-type and its detail, as on the bus. */
export interface QueuedInput {
  'detail-type': string;
  detail: unknown;
}

export class SqsCustomerInputs implements EventPublisher {
  constructor(
    private readonly queueUrl: string,
    private readonly sqs: SQSClient = sqsClient(),
    private readonly retry = { attempts: 6, baseDelayMs: 50 },
  ) {}

  async publish(entries: BusEntry[]): Promise<void> {
    const messages = entries.map((entry) => {
      const keys = customerInputKeys(entry);
      const body: QueuedInput = { 'detail-type': entry.detailType, detail: entry.detail };
      return {
        // The request's sizing is the bus's (10 entries, 256 KB), which SQS's batch limits match.
        source: '',
        detailType: entry.detailType,
        detail: JSON.stringify(body),
        // Group and deduplication ids take at most 128 characters: a digest names them.
        group: digest(keys.customer),
        dedupe: digest(keys.dedupe),
      };
    });
    for (const request of packRequests(messages)) await this.sendWithRetry(request);
  }

  /** SendMessageBatch can take some entries and refuse others: only those are sent again. */
  private async sendWithRetry(batch: { detail: string; group: string; dedupe: string }[]) {
    let pending: SendMessageBatchRequestEntry[] = batch.map((message, index) => ({
      Id: String(index),
      MessageBody: message.detail,
      MessageGroupId: message.group,
      MessageDeduplicationId: message.dedupe,
    }));
    let failures: { errorCode?: string; errorMessage?: string }[] = [];
    for (let attempt = 0; attempt < this.retry.attempts; attempt++) {
      if (attempt > 0) await delay(this.retry.baseDelayMs * 2 ** (attempt - 1) * (0.5 + Math.random()));
      const result = await this.sqs.send(
        new SendMessageBatchCommand({ QueueUrl: this.queueUrl, Entries: pending }),
      );
      const failed = result.Failed ?? [];
      if (failed.length === 0) return;
      // A sender's fault (a message too large, a bad id) is not made right by sending it again.
      const senders = failed.filter((failure) => failure.SenderFault);
      failures = failed.map((failure) => ({ errorCode: failure.Code, errorMessage: failure.Message }));
      if (senders.length > 0) break;
      const ids = new Set(failed.map((failure) => failure.Id));
      pending = pending.filter((entry) => ids.has(entry.Id));
    }
    throw new PublishError(
      `SQS refused ${failures.length} of the customer inputs: ${failures
        .map((failure) => `${failure.errorCode}: ${failure.errorMessage}`)
        .join(', ')}`,
      failures,
    );
  }
}

/** Customer inputs to their queue, everything else to the bus. */
export class RoutedPublisher implements EventPublisher {
  constructor(
    private readonly inputs: EventPublisher,
    private readonly bus: EventPublisher,
  ) {}

  async publish(entries: BusEntry[]): Promise<void> {
    const inputs = entries.filter(isCustomerInput);
    const others = entries.filter((entry) => !isCustomerInput(entry));
    await Promise.all([
      inputs.length > 0 ? this.inputs.publish(inputs) : undefined,
      others.length > 0 ? this.bus.publish(others) : undefined,
    ]);
  }
}

/**
 * The product's publisher for a function: the bus, and the customer-inputs queue when the
 * function may send to it. One that may not, and tries, fails loudly rather than losing inputs.
 */
export function productPublisher(config: {
  EVENT_BUS_NAME: string;
  CUSTOMER_INPUTS_QUEUE_URL?: string | undefined;
}): EventPublisher {
  const bus = new EventBridgePublisher(config.EVENT_BUS_NAME);
  const queueUrl = config.CUSTOMER_INPUTS_QUEUE_URL;
  const inputs: EventPublisher = queueUrl
    ? new SqsCustomerInputs(queueUrl)
    : {
        publish: async (entries) => {
          throw new Error(
            `${entries[0]?.detailType} goes to the customer-inputs queue, and CUSTOMER_INPUTS_QUEUE_URL is not set`,
          );
        },
      };
  return new RoutedPublisher(inputs, bus);
}

function digest(value: string): string {
  return createHash('sha256').update(value).digest('base64url');
}

function delay(ms: number) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
