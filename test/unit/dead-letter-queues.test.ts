/**
 * The SQS dead-letter adapter against an in-memory SQS (the real one is exercised end to end in
 * test/faults/redrive.test.ts): what it does when a send fails, when an id is unknown, and with a
 * FIFO queue that hands out ten of a customer's letters at a time.
 */
import type { LambdaClient } from '@aws-sdk/client-lambda';
import type { SQSClient } from '@aws-sdk/client-sqs';
import { describe, expect, it } from 'vitest';
import { SqsDeadLetterQueues } from '../../shared/adapters/sqs/dead-letters.ts';
import type { DeadLetterSource } from '../../shared/domain/dead-letters.ts';
import type { FailureNotes } from '../../shared/ports.ts';

interface Message {
  id: string;
  body: string;
  group?: string;
  visibleAt: number;
  receipt?: string;
}

/** Just enough SQS: receive (FIFO groups locked while in flight), visibility, delete, send, counts. */
class MemorySqs {
  readonly queues = new Map<string, Message[]>();
  readonly sent: { queue: string; body: string; dedupe?: string }[] = [];
  failSendsTo?: string;
  private next = 0;

  add(queue: string, messages: Omit<Message, 'visibleAt'>[]) {
    this.queues.set(
      queue,
      messages.map((message) => ({ ...message, visibleAt: 0 })),
    );
  }

  async send(command: { constructor: { name: string }; input: Record<string, unknown> }) {
    const input = command.input;
    const queue = this.queues.get(String(input.QueueUrl)) ?? [];
    const now = Date.now();
    switch (command.constructor.name) {
      case 'GetQueueAttributesCommand':
        return { Attributes: { ApproximateNumberOfMessages: String(queue.length) } };
      case 'ReceiveMessageCommand': {
        const busy = new Set(queue.filter((m) => m.visibleAt > now && m.group).map((m) => m.group));
        const taken = queue.filter((m) => m.visibleAt <= now && !(m.group && busy.has(m.group))).slice(0, 10);
        for (const message of taken) {
          message.visibleAt = now + Number(input.VisibilityTimeout) * 1000;
          message.receipt = `r${this.next++}`;
        }
        return {
          Messages: taken.map((m) => ({
            MessageId: m.id,
            ReceiptHandle: m.receipt,
            Body: m.body,
            Attributes: { SentTimestamp: '0', ...(m.group ? { MessageGroupId: m.group } : {}) },
          })),
        };
      }
      case 'ChangeMessageVisibilityBatchCommand':
        for (const entry of input.Entries as { ReceiptHandle: string }[]) {
          const message = queue.find((m) => m.receipt === entry.ReceiptHandle);
          if (message) message.visibleAt = 0;
        }
        return { Successful: [], Failed: [] };
      case 'DeleteMessageCommand':
        this.queues.set(
          String(input.QueueUrl),
          queue.filter((m) => m.receipt !== input.ReceiptHandle),
        );
        return {};
      case 'SendMessageCommand':
        if (this.failSendsTo === input.QueueUrl) throw new Error('ThrottlingException: slow down');
        this.sent.push({
          queue: String(input.QueueUrl),
          body: String(input.MessageBody),
          dedupe: input.MessageDeduplicationId as string,
        });
        return { MessageId: `sent-${this.next++}` };
      default:
        throw new Error(`not in this fake: ${command.constructor.name}`);
    }
  }
}

const notes: FailureNotes = { note: async () => undefined, reasonOf: async () => 'noted' };
const invoker = { send: async () => ({}) } as unknown as LambdaClient;
const inputs: DeadLetterSource = {
  name: 'customer-inputs',
  url: 'dead.fifo',
  redrive: { queueUrl: 'inputs.fifo' },
};

function letters(count: number, group: string) {
  return Array.from({ length: count }, (_, index) => ({
    id: `${group}-${index}`,
    body: JSON.stringify({ 'detail-type': 'Customer Events Received', detail: { customerKey: group } }),
    group,
  }));
}

describe('the dead-letter queues over SQS', () => {
  it('redrives every letter of a FIFO queue, ten of a customer at a time, each once', async () => {
    const sqs = new MemorySqs();
    sqs.add('dead.fifo', [...letters(15, 'ada'), ...letters(1, 'bo')]);
    const queues = new SqsDeadLetterQueues([inputs], notes, sqs as unknown as SQSClient, invoker);
    const listed = await queues.list();
    // SQS hands out no more of a customer's while ten are in flight: the listing says so.
    expect(listed.queues).toEqual([{ queue: 'customer-inputs', count: 16, listed: 11 }]);
    const outcome = await queues.redrive({ all: true });
    expect(outcome).toMatchObject({ found: true, skipped: [], failed: [], more: false });
    expect(outcome.found && outcome.redriven).toHaveLength(16);
    expect(sqs.sent).toHaveLength(16);
    expect(new Set(sqs.sent.map((sent) => sent.dedupe)).size).toBe(16);
    expect(sqs.queues.get('dead.fifo')).toEqual([]);
  });

  it('names an unknown id and sends nothing, giving every letter back at once', async () => {
    const sqs = new MemorySqs();
    sqs.add('dead.fifo', letters(2, 'ada'));
    const queues = new SqsDeadLetterQueues([inputs], notes, sqs as unknown as SQSClient, invoker);
    expect(await queues.redrive({ ids: ['ada-0', 'nope'] })).toEqual({ found: false, unknown: ['nope'] });
    expect(sqs.sent).toEqual([]);
    expect(sqs.queues.get('dead.fifo')?.every((message) => message.visibleAt === 0)).toBe(true);
  });

  it('reports a letter whose send failed and leaves it in its queue, visible, while the others go', async () => {
    const sqs = new MemorySqs();
    sqs.add('dead.fifo', letters(2, 'ada'));
    sqs.add('dead', [
      { id: 'e-1', body: JSON.stringify({ 'detail-type': 'Message Requested', detail: {} }) },
    ]);
    sqs.failSendsTo = 'inputs.fifo';
    const calls: unknown[] = [];
    const lambda = { send: async (command: unknown) => calls.push(command) } as unknown as LambdaClient;
    const queues = new SqsDeadLetterQueues(
      [inputs, { name: 'send-message', url: 'dead', redrive: { functionName: 'send' } }],
      notes,
      sqs as unknown as SQSClient,
      lambda,
    );
    const outcome = await queues.redrive({ all: true });
    expect(outcome).toMatchObject({ found: true, redriven: ['e-1'] });
    expect(outcome.found && outcome.failed.map((failure) => failure.id).sort()).toEqual(['ada-0', 'ada-1']);
    expect(outcome.found && outcome.failed[0]?.why).toMatch(/ThrottlingException/);
    expect(calls).toHaveLength(1);
    expect(sqs.queues.get('dead.fifo')?.map((message) => [message.id, message.visibleAt])).toEqual([
      ['ada-0', 0],
      ['ada-1', 0],
    ]);
  });
});
