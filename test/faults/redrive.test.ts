/**
 * Dead letters, end to end: an input the pipeline gave up on while DynamoDB was down, and a
 * welcome kit send-message gave up on while SES was down, are listed with their queue, reason and
 * first sighting; an unknown id is refused and changes nothing; once the cause is fixed, a redrive
 * applies each exactly once (the part of the input applied before is not applied again, the
 * email goes once).
 */
import { GetQueueUrlCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, describe, expect, it } from 'vitest';
import { CUSTOMER_INPUTS_QUEUE } from '../../infra/topology.ts';
import type { DeadLetter } from '../../shared/domain/dead-letters.ts';
import {
  admin,
  daytimeZone,
  emailsTo,
  eventually,
  idle,
  local,
  post,
  stack,
  uniqueId,
} from '../support/stack.ts';

interface Listing {
  queues: { queue: string; count: number }[];
  letters: DeadLetter[];
}

async function deadLetters(): Promise<Listing> {
  const answer = await admin('/admin/dead-letters');
  expect(answer.status).toBe(200);
  return answer.body as unknown as Listing;
}

const lettersOf = (listing: Listing, customer: string) =>
  listing.letters.filter((letter) => letter.summary.customer === customer);

function localSqs() {
  return new SQSClient({
    endpoint: stack().sqs,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
}

/** A customer's events as the ingest function queues them: one message, the customer its group. */
function inputMessage(customer: string, events: Record<string, unknown>[]) {
  return JSON.stringify({
    'detail-type': 'Customer Events Received',
    detail: { version: 1, customerKey: customer, events },
  });
}

function order(customer: string, id: string, revenue: number) {
  const now = new Date().toISOString();
  return {
    type: 'track',
    event: 'Order Completed',
    messageId: `${customer}-${id}`,
    userId: customer,
    timestamp: now,
    receivedAt: now,
    properties: { order_id: `${customer}-${id}`, revenue },
  };
}

afterAll(async () => {
  await local('/_local/faults', { method: 'PUT', body: '{}' });
});

describe('redriving dead letters', () => {
  it('applies an input that died while DynamoDB was down exactly once, the part applied before not again', async () => {
    const customer = uniqueId('redrive');
    const sqs = localSqs();
    const { QueueUrl } = await sqs.send(new GetQueueUrlCommand({ QueueName: CUSTOMER_INPUTS_QUEUE.name }));
    const now = new Date().toISOString();
    const identify = {
      type: 'identify',
      messageId: `${customer}-i`,
      userId: customer,
      timestamp: now,
      receivedAt: now,
      traits: { email: `${customer}@faults.example` },
    };
    await sqs.send(
      new SendMessageCommand({
        QueueUrl,
        MessageGroupId: customer,
        MessageDeduplicationId: `${customer}-1`,
        MessageBody: inputMessage(customer, [identify, order(customer, 'o1', 30)]),
      }),
    );
    await idle();

    // DynamoDB refuses everything: the next message (the first order again, and a second one) dies.
    await local('/_local/faults', { method: 'PUT', body: JSON.stringify({ dynamodb: { rate: 1 } }) });
    await sqs.send(
      new SendMessageCommand({
        QueueUrl,
        MessageGroupId: customer,
        MessageDeduplicationId: `${customer}-2`,
        MessageBody: inputMessage(customer, [order(customer, 'o1', 30), order(customer, 'o2', 45)]),
      }),
    );
    await idle();
    await local('/_local/faults', { method: 'PUT', body: '{}' });
    sqs.destroy();

    const listing = await eventually(deadLetters, (found) => lettersOf(found, customer).length === 1, 10_000);
    const [letter] = lettersOf(listing, customer);
    expect(letter).toMatchObject({
      queue: 'customer-inputs',
      summary: { type: 'Customer Events Received', customer },
      redrivable: true,
    });
    // Its reason could not be noted while the table was down: the listing says so, not a guess.
    expect(letter?.reason).toMatch(
      /no reason was noted|ProvisionedThroughputExceeded|Throttl|InternalServerError/,
    );
    expect(Date.parse(letter?.firstSeen ?? '')).toBeGreaterThan(Date.now() - 120_000);
    expect(listing.queues.find((queue) => queue.queue === 'customer-inputs')?.count).toBeGreaterThanOrEqual(
      1,
    );
    const before = await admin(`/admin/customers/${customer}`);
    expect(before.body.orders).toHaveLength(1);

    // An id that is in no queue: 404, naming it, and nothing is redriven.
    const unknown = await admin('/admin/dead-letters/redrive', {
      method: 'POST',
      body: JSON.stringify({ ids: [letter?.id, 'no-such-letter'] }),
    });
    expect(unknown.status).toBe(404);
    expect(unknown.body.error).toMatch(/no-such-letter/);
    expect(lettersOf(await deadLetters(), customer)).toHaveLength(1);

    const redrive = await admin('/admin/dead-letters/redrive', {
      method: 'POST',
      body: JSON.stringify({ ids: [letter?.id] }),
    });
    expect(redrive.status).toBe(200);
    expect(redrive.body).toEqual({ redriven: [letter?.id], skipped: [], failed: [], more: false });
    await idle();
    const after = await admin(`/admin/customers/${customer}`);
    const orders = after.body.orders as { orderId: string; revenue: number }[];
    expect(orders.map((entry) => entry.orderId).sort()).toEqual([`${customer}-o1`, `${customer}-o2`]);
    expect(lettersOf(await deadLetters(), customer)).toEqual([]);

    // Redriving it again: it is gone, so the id is unknown.
    const again = await admin('/admin/dead-letters/redrive', {
      method: 'POST',
      body: JSON.stringify({ ids: [letter?.id] }),
    });
    expect(again.status).toBe(404);
  });

  it('sends a welcome kit that died while SES was down once, after the redrive', async () => {
    const customer = uniqueId('redrive-ses');
    const address = `${customer}@faults.example`;
    await local('/_local/faults', {
      method: 'PUT',
      body: JSON.stringify({ ses: { rate: 1, kinds: ['max-send-rate'] } }),
    });
    const sent = await post('/v1/track', {
      userId: customer,
      event: 'Order Completed',
      messageId: `${customer}-o1`,
      properties: { order_id: `${customer}-o1`, revenue: 42 },
      // Where it is afternoon now: the contact policy's quiet hours would otherwise defer the kit.
      context: { timezone: daytimeZone(), traits: { email: address, firstName: 'Redrive' } },
    });
    expect(sent.status).toBe(200);
    const listing = await eventually(deadLetters, (found) => lettersOf(found, customer).length > 0, 60_000);
    const [letter] = lettersOf(listing, customer);
    expect(letter).toMatchObject({
      queue: 'send-message',
      summary: { type: 'Message Requested', customer },
      redrivable: true,
    });
    expect(letter?.reason).not.toMatch(/no reason was noted/);
    expect(letter?.attempts).toBe(3);
    expect(await emailsTo(address)).toEqual([]);

    await local('/_local/faults', { method: 'PUT', body: '{}' });
    // An empty body sends nothing back: every letter goes only when asked in so many words.
    const empty = await admin('/admin/dead-letters/redrive', { method: 'POST', body: '{}' });
    expect(empty.status).toBe(400);
    expect(empty.body.error).toMatch(/"all": true/);
    expect(lettersOf(await deadLetters(), customer)).toHaveLength(1);
    const redrive = await admin('/admin/dead-letters/redrive', { method: 'POST', body: '{"all":true}' });
    expect(redrive.status).toBe(200);
    expect(redrive.body.redriven).toContain(letter?.id);
    await idle();
    const emails = await eventually(
      () => emailsTo(address),
      (found) => found.length > 0,
      10_000,
    );
    expect(emails).toHaveLength(1);
    expect(lettersOf(await deadLetters(), customer)).toEqual([]);
    // A second redrive finds nothing of this customer's, and the email is not sent again.
    await admin('/admin/dead-letters/redrive', { method: 'POST', body: '{"all":true}' });
    await idle();
    expect(await emailsTo(address)).toHaveLength(1);
  });
});
