/**
 * The customer-inputs queue: the SQS adapter and the real `@aws-sdk/client-sqs` against the local
 * SQS endpoint (a FIFO queue of its own, started here), and the queue's FIFO semantics that
 * apply-event relies on: order per customer, one batch per customer at a time, deduplication,
 * and dead letters after the last receive.
 */
import {
  ChangeMessageVisibilityCommand,
  DeleteMessageBatchCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FifoQueue, LocalSqs } from '../../infra/local/sqs.ts';
import {
  productPublisher,
  type QueuedInput,
  SqsCustomerInputs,
} from '../../shared/adapters/sqs/customer-inputs.ts';
import { CustomerEventsReceived } from '../../shared/domain/contracts/customer-events-received.ts';
import { MessageRequested } from '../../shared/domain/contracts/message-requested.ts';
import { TimerDue } from '../../shared/domain/contracts/timer-due.ts';
import type { BusEntry } from '../../shared/ports.ts';

const sqsService = new LocalSqs();
const letters: string[] = [];
const dead = sqsService.add(new FifoQueue({ name: 'test-dead.fifo' }));
const queue = sqsService.add(
  new FifoQueue({
    name: 'test-inputs.fifo',
    maxReceiveCount: 2,
    deadLetterQueue: dead,
    onDeadLetter: (letter) => letters.push(letter.message.id),
  }),
);
let client: SQSClient;
let url: string;

beforeAll(async () => {
  await sqsService.listen(0);
  client = new SQSClient({
    endpoint: sqsService.endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  url = sqsService.urlOf(queue.name);
  // The adapter's own client (productPublisher) reads region and keys as in Lambda; the queue URL is its endpoint.
  process.env.AWS_REGION ??= 'us-east-1';
  process.env.AWS_ACCESS_KEY_ID ??= 'local';
  process.env.AWS_SECRET_ACCESS_KEY ??= 'local';
});

afterAll(async () => {
  client.destroy();
  await sqsService.close();
});

const events = (customerKey: string, ...ids: string[]): BusEntry => ({
  source: CustomerEventsReceived.source,
  detailType: CustomerEventsReceived.detailType,
  detail: {
    version: 1,
    customerKey,
    events: ids.map((messageId) => ({
      type: 'track',
      event: 'Product Viewed',
      messageId,
      userId: customerKey,
      timestamp: '2026-11-30T10:00:00.000Z',
      receivedAt: '2026-11-30T10:00:00.000Z',
    })),
  },
});

function drain() {
  for (const message of queue.messages()) queue.remove(message.id);
}

describe('the customer-inputs queue through the real SQS client', () => {
  it('takes one customer’s inputs in order, one batch at a time, and several customers in one batch', async () => {
    drain();
    const inputs = new SqsCustomerInputs(url, client);
    await inputs.publish([events('ann', 'a1'), events('bob', 'b1'), events('ann', 'a2'), events('cy', 'c1')]);
    const first = await client.send(
      new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10, VisibilityTimeout: 30 }),
    );
    const bodies = (first.Messages ?? []).map((message) => JSON.parse(message.Body ?? '{}') as QueuedInput);
    const keys = bodies.map((body) => (body.detail as { customerKey: string }).customerKey);
    // Ann's two come together and in order, then the other customers'.
    expect(keys).toEqual(['ann', 'ann', 'bob', 'cy']);
    expect(bodies[0]?.['detail-type']).toBe('Customer Events Received');
    expect(bodies[1]?.detail).toMatchObject({ events: [{ messageId: 'a2' }] });
    // Nothing more while they are in flight: their groups are locked.
    await inputs.publish([events('ann', 'a3')]);
    const locked = await client.send(new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10 }));
    expect(locked.Messages ?? []).toEqual([]);
    await client.send(
      new DeleteMessageBatchCommand({
        QueueUrl: url,
        Entries: (first.Messages ?? []).map((message, index) => ({
          Id: String(index),
          ReceiptHandle: message.ReceiptHandle,
        })),
      }),
    );
    const next = await client.send(new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10 }));
    expect(
      next.Messages?.map((message) => (JSON.parse(message.Body ?? '{}') as QueuedInput).detail),
    ).toMatchObject([{ customerKey: 'ann', events: [{ messageId: 'a3' }] }]);
  });

  it('takes the same input once when it is sent again (a client’s retry, a sweep run twice)', async () => {
    drain();
    const inputs = new SqsCustomerInputs(url, client);
    const timer: BusEntry = {
      source: TimerDue.source,
      detailType: TimerDue.detailType,
      detail: { version: 1, customerId: 'dee', now: '2026-11-30T10:00:00.000Z', messageId: 'timer#1' },
    };
    await inputs.publish([events('dee', 'd1', 'd2'), timer]);
    await inputs.publish([events('dee', 'd1', 'd2'), timer]);
    expect(queue.size()).toBe(2);
    // Different events of the same customer are a different input.
    await inputs.publish([events('dee', 'd1', 'd3')]);
    expect(queue.size()).toBe(3);
    // A sweep's timers share their messageId (its time and bucket): each customer's is their own.
    await inputs.publish([{ ...timer, detail: { ...(timer.detail as object), customerId: 'ed' } }]);
    expect(queue.size()).toBe(4);
  });

  it('dead-letters a message after its last receive, keeping it for a redrive', async () => {
    drain();
    const sent = await client.send(
      new SendMessageCommand({
        QueueUrl: url,
        MessageBody: '{"bad":true}',
        MessageGroupId: 'eve',
        MessageDeduplicationId: 'eve-1',
      }),
    );
    for (let receive = 0; receive < 2; receive++) {
      const got = await client.send(new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 1 }));
      expect(got.Messages?.[0]?.Attributes?.ApproximateReceiveCount).toBe(String(receive + 1));
      // Failed: visible again at once.
      await client.send(
        new ChangeMessageVisibilityCommand({
          QueueUrl: url,
          ReceiptHandle: got.Messages?.[0]?.ReceiptHandle,
          VisibilityTimeout: 0,
        }),
      );
    }
    const after = await client.send(new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 1 }));
    expect(after.Messages ?? []).toEqual([]);
    expect(letters).toContain(sent.MessageId);
    expect(dead.messages().map((message) => message.id)).toContain(sent.MessageId);
  });

  it('routes customer inputs to the queue and refuses them where no queue is configured', async () => {
    drain();
    await productPublisher({ EVENT_BUS_NAME: 'lifecycle', CUSTOMER_INPUTS_QUEUE_URL: url }).publish([
      events('fay', 'f1'),
    ]);
    expect(queue.size()).toBe(1);
    await expect(
      productPublisher({ EVENT_BUS_NAME: 'lifecycle' }).publish([events('fay', 'f2')]),
    ).rejects.toThrow(/CUSTOMER_INPUTS_QUEUE_URL is not set/);
    // Anything else is not a customer input: the queue adapter will not take it.
    const request: BusEntry = {
      source: MessageRequested.source,
      detailType: MessageRequested.detailType,
      detail: { version: 1, customerId: 'fay', campaignId: 'welcome-kit', occurrence: 1 },
    };
    await expect(new SqsCustomerInputs(url, client).publish([request])).rejects.toThrow(
      /not a customer input/,
    );
  });
});
