/**
 * A poison input (one the consumer can never process) ends as a dead letter with its reason, from
 * the customer-inputs queue and from the bus; its neighbours are applied.
 */
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { GetQueueUrlCommand, SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import { describe, expect, it } from 'vitest';
import { CUSTOMER_INPUTS_QUEUE } from '../../infra/topology.ts';
import { admin, eventually, stack, uniqueId } from '../support/stack.ts';

interface Letter {
  target: string;
  attempts: number;
  reason: string;
  queue?: string;
  event: { detail: { customerKey?: string; customerId?: string } };
}

async function deadLetters(): Promise<Letter[]> {
  const response = await fetch(`${stack().api}/_local/dead-letters`, {
    headers: { authorization: `Bearer ${stack().adminToken}` },
  });
  return (await response.json()) as Letter[];
}

/** The real SQS client, pointed at the local stack's endpoint. */
function localSqs() {
  return new SQSClient({
    endpoint: stack().sqs,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
}

describe('the customer-inputs queue', () => {
  it('dead-letters a poison message after its last receive with the input behind it, and applies another customer’s', async () => {
    const sqs = localSqs();
    const { QueueUrl } = await sqs.send(new GetQueueUrlCommand({ QueueName: CUSTOMER_INPUTS_QUEUE.name }));
    const poison = uniqueId('poison');
    const good = uniqueId('good');
    const now = new Date().toISOString();
    const result = await sqs.send(
      new SendMessageBatchCommand({
        QueueUrl,
        Entries: [
          {
            Id: 'poison',
            MessageGroupId: poison,
            MessageDeduplicationId: poison,
            MessageBody: JSON.stringify({
              'detail-type': 'Customer Events Received',
              detail: { version: 1, customerKey: poison, events: [{ type: 'track' }] },
            }),
          },
          {
            // Behind the poison in its customer's order: never applied out of order, so it ends beside it.
            Id: 'behind',
            MessageGroupId: poison,
            MessageDeduplicationId: `${poison}-behind`,
            MessageBody: JSON.stringify({
              'detail-type': 'Customer Events Received',
              detail: {
                version: 1,
                customerKey: poison,
                events: [
                  {
                    type: 'identify',
                    messageId: `${poison}-2`,
                    userId: poison,
                    timestamp: now,
                    receivedAt: now,
                  },
                ],
              },
            }),
          },
          {
            Id: 'good',
            MessageGroupId: good,
            MessageDeduplicationId: good,
            MessageBody: JSON.stringify({
              'detail-type': 'Customer Events Received',
              detail: {
                version: 1,
                customerKey: good,
                events: [
                  {
                    type: 'identify',
                    messageId: `${good}-1`,
                    userId: good,
                    timestamp: now,
                    receivedAt: now,
                    traits: { email: `${good}@example.com` },
                  },
                ],
              },
            }),
          },
        ],
      }),
    );
    expect(result.Failed ?? []).toEqual([]);
    expect(result.Successful).toHaveLength(3);

    const letters = await eventually(
      deadLetters,
      (found) => found.filter((letter) => letter.event.detail.customerKey === poison).length === 2,
      10_000,
    );
    const [letter, behind] = letters.filter((candidate) => candidate.event.detail.customerKey === poison);
    expect(letter).toMatchObject({
      target: 'apply-event',
      attempts: CUSTOMER_INPUTS_QUEUE.maxReceiveCount,
      queue: CUSTOMER_INPUTS_QUEUE.name,
    });
    expect(letter?.reason).toMatch(/ZodError/);
    expect(behind?.reason).toMatch(/an earlier input of this customer in the batch failed/);
    // The admin API lists both from the dead-letter queue, each with the reason apply-event noted.
    const listed = await admin('/admin/dead-letters');
    expect(listed.status).toBe(200);
    const theirs = (
      listed.body.letters as { queue: string; reason: string; summary: { customer?: string } }[]
    )
      .filter((candidate) => candidate.summary.customer === poison)
      .map((candidate) => ({ queue: candidate.queue, reason: candidate.reason }));
    expect(theirs).toEqual([
      { queue: 'customer-inputs', reason: expect.stringMatching(/ZodError/) },
      { queue: 'customer-inputs', reason: expect.stringMatching(/an earlier input of this customer/) },
    ]);
    expect((await admin(`/admin/customers/${poison}`)).status).toBe(404);
    const customer = await admin(`/admin/customers/${good}`);
    expect(customer.status).toBe(200);
    expect(customer.body).toMatchObject({ email: `${good}@example.com` });
    sqs.destroy();
  });

  it('refuses a message without a message group, naming it, as SQS does', async () => {
    const sqs = localSqs();
    const { QueueUrl } = await sqs.send(new GetQueueUrlCommand({ QueueName: CUSTOMER_INPUTS_QUEUE.name }));
    const result = await sqs.send(
      new SendMessageBatchCommand({
        QueueUrl,
        Entries: [{ Id: 'a', MessageBody: '{}', MessageDeduplicationId: 'a' }],
      }),
    );
    expect(result.Failed?.[0]).toMatchObject({ Id: 'a', SenderFault: true, Code: 'MissingParameter' });
    await expect(sqs.send(new GetQueueUrlCommand({ QueueName: 'no-such-queue.fifo' }))).rejects.toThrow(
      /does not exist/,
    );
    sqs.destroy();
  });
});

describe('local event bus', () => {
  it('retries a failing delivery and then parks it as a dead letter with the reason', async () => {
    const client = new EventBridgeClient({
      endpoint: stack().eventBridge,
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
    const marker = uniqueId('poison');
    const result = await client.send(
      new PutEventsCommand({
        Entries: [
          {
            EventBusName: 'lifecycle',
            Source: 'lifecycle.engine',
            DetailType: 'Message Requested',
            Detail: JSON.stringify({ version: 1, customerId: marker }),
          },
        ],
      }),
    );
    expect(result.FailedEntryCount).toBe(0);
    const letters = await eventually(
      deadLetters,
      (found) => found.some((letter) => letter.event.detail.customerId === marker),
      5000,
    );
    const letter = letters.find((candidate) => candidate.event.detail.customerId === marker);
    expect(letter).toMatchObject({ target: 'send-message', attempts: 3 });
    expect(letter?.reason).toMatch(/ZodError/);
  });

  it('reports entries it cannot accept as failed entries, as EventBridge does', async () => {
    const client = new EventBridgeClient({
      endpoint: stack().eventBridge,
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
    const result = await client.send(
      new PutEventsCommand({
        Entries: [
          { EventBusName: 'lifecycle', Source: 'test', DetailType: 'ok', Detail: '{}' },
          { EventBusName: 'lifecycle', Source: 'test', DetailType: 'bad', Detail: 'not json' },
        ],
      }),
    );
    expect(result.FailedEntryCount).toBe(1);
    expect(result.Entries?.[1]?.ErrorCode).toBe('MalformedDetail');
  });
});
