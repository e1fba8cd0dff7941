/**
 * The local stand-in for Lambda's SQS event source: what it deletes, what it gives back, and when
 * the queue's redrive policy takes a message away, as Lambda and SQS do.
 */
import { describe, expect, it } from 'vitest';
import { LocalQueuePoller } from '../../infra/local/queue-poller.ts';
import { FifoQueue } from '../../infra/local/sqs.ts';

type Records = { Records: { messageId: string; body: string; attributes: { MessageGroupId: string } }[] };

function setup(handle: (event: Records) => Promise<unknown>, maxReceiveCount = 3) {
  const dead = new FifoQueue({ name: 'dead.fifo' });
  const queue = new FifoQueue({ name: 'inputs.fifo', maxReceiveCount, deadLetterQueue: dead });
  const batches: string[][] = [];
  const poller = new LocalQueuePoller({
    queue,
    target: {
      spec: { name: 'apply-event', timeoutSeconds: 30 },
      invoke: async (event) => {
        batches.push((event as Records).Records.map((record) => record.body));
        return handle(event as Records);
      },
    },
    batchSize: 10,
    concurrency: 1,
    region: 'us-east-1',
    retryDelaysMs: [5],
  });
  const send = (body: string, group: string) => queue.send({ body, group, dedupe: body });
  return { queue, dead, poller, batches, send };
}

describe('the local queue event source', () => {
  it('deletes what succeeded and gives back only the records named in batchItemFailures', async () => {
    let failOnce = true;
    const { queue, poller, batches, send } = setup(async (event) => {
      const bad = event.Records.find((record) => record.body === 'b1');
      if (bad && failOnce) {
        failOnce = false;
        return {
          batchItemFailures: [{ itemIdentifier: bad.messageId }],
          reasons: { [bad.messageId]: 'Error: no' },
        };
      }
      return { batchItemFailures: [] };
    });
    send('a1', 'a');
    send('b1', 'b');
    send('c1', 'c');
    poller.start();
    await poller.idle();
    await poller.stop();
    expect(batches).toEqual([['a1', 'b1', 'c1'], ['b1']]);
    expect(queue.size()).toBe(0);
    expect(poller.metrics()).toMatchObject({
      batches: 2,
      records: 4,
      failedRecords: 1,
      failedInvocations: 0,
    });
  });

  it('gives the whole batch back when the invocation fails, and dead-letters after the last receive with the reason', async () => {
    const { queue, dead, poller, batches, send } = setup(async () => {
      throw new Error('crashed');
    }, 2);
    send('x1', 'x');
    poller.start();
    await poller.idle();
    await poller.stop();
    expect(batches).toEqual([['x1'], ['x1']]);
    expect(queue.size()).toBe(0);
    expect(dead.messages().map((message) => [message.body, message.lastFailure])).toEqual([
      ['x1', 'Error: crashed'],
    ]);
  });

  it('fails the whole batch when batchItemFailures names a message that is not in it, as Lambda does', async () => {
    let calls = 0;
    const { poller, batches, send } = setup(async () => {
      calls++;
      return calls === 1 ? { batchItemFailures: [{ itemIdentifier: 'not-in-the-batch' }] } : {};
    });
    send('y1', 'y');
    send('z1', 'z');
    poller.start();
    await poller.idle();
    await poller.stop();
    expect(batches).toEqual([
      ['y1', 'z1'],
      ['y1', 'z1'],
    ]);
  });

  it('never hands out a customer’s next message while one of theirs is in flight', async () => {
    const queue = new FifoQueue({ name: 'order.fifo' });
    queue.send({ body: 'a1', group: 'a', dedupe: 'a1' });
    queue.send({ body: 'a2', group: 'a', dedupe: 'a2' });
    queue.send({ body: 'b1', group: 'b', dedupe: 'b1' });
    const first = queue.receive(1, 60_000);
    expect(first.map((message) => message.body)).toEqual(['a1']);
    // a2 waits behind a1 (in flight); b's message is free.
    expect(queue.receive(10, 60_000).map((message) => message.body)).toEqual(['b1']);
    queue.delete(first[0]?.receipt ?? '');
    expect(queue.receive(10, 60_000).map((message) => message.body)).toEqual(['a2']);
  });
});
