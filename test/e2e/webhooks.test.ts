/**
 * Webhooks on the local stack: a receiver on loopback gets signed deliveries that verify with the
 * secret shown once, a 500 is tried again, and the delivery log tells every attempt.
 */
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SIGNATURE_HEADER, verifySignature } from '../../shared/domain/webhooks.ts';
import { admin, eventually, idle, sendWithSegment, uniqueId } from '../support/stack.ts';

interface Received {
  headers: IncomingHttpHeaders;
  body: string;
}

const received: Received[] = [];
/** Status codes the receiver answers, in turn (200 once they run out). */
const answers: number[] = [];
const receiver = createServer((request, response) => {
  let body = '';
  request.on('data', (chunk) => {
    body += String(chunk);
  });
  request.on('end', () => {
    received.push({ headers: request.headers, body });
    response.statusCode = answers.shift() ?? 200;
    response.end('ok');
  });
});
let url = '';

beforeAll(async () => {
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks/lifecycle`;
});
afterAll(() => new Promise<void>((resolve) => receiver.close(() => resolve())));

const put = (id: string, body: unknown) =>
  admin(`/admin/webhooks/${id}`, { method: 'PUT', body: JSON.stringify(body) });
const adminPost = (path: string, body: unknown = {}) =>
  admin(path, { method: 'POST', body: JSON.stringify(body) });

describe('webhooks', () => {
  it('deliver signed events that verify, retry after a 500, and log every attempt', async () => {
    const id = uniqueId('crm');
    const created = await put(id, { url, events: ['Stage Changed'], description: 'CRM sync' });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const secret = String(created.body.secret);
    expect(secret).toMatch(/^whsec_/);
    // Shown once: reading it back never shows the secret.
    expect(JSON.stringify((await admin(`/admin/webhooks/${id}`)).body)).not.toContain(secret);

    const userId = uniqueId('hooked');
    answers.push(500);
    await sendWithSegment((analytics) => {
      analytics.identify({ userId, traits: { email: `${userId}@example.com` } });
      analytics.track({
        userId,
        event: 'Order Completed',
        properties: { order_id: `${userId}-1`, revenue: 12 },
      });
    });
    const mine = () => received.filter((delivery) => delivery.body.includes(userId));
    await eventually(
      async () => mine(),
      (found) => found.length >= 2,
    );
    // acquaintance (new customer) and buildup (first order): the first answered 500.
    const [first] = mine();
    const payload = JSON.parse(first?.body ?? '{}') as {
      id: string;
      type: string;
      customer: { id: string };
      data: Record<string, unknown>;
    };
    expect(payload).toMatchObject({ type: 'Stage Changed', customer: { id: userId } });
    const signature = String(first?.headers[SIGNATURE_HEADER.toLowerCase()] ?? '');
    expect(signature).toMatch(/^t=\d+,v1=[0-9a-f]{64}$/);
    expect(verifySignature(secret, signature, first?.body ?? '', Math.floor(Date.now() / 1000))).toBe(true);
    expect(verifySignature(secret, signature, `${first?.body} `, Math.floor(Date.now() / 1000))).toBe(false);

    const failed = await eventually(
      async () =>
        (await admin(`/admin/webhooks/${id}/deliveries`)).body.deliveries as {
          id: string;
          state: string;
          attempts: unknown[];
          nextAttemptAt?: string;
        }[],
      (deliveries) => deliveries.some((delivery) => delivery.state === 'pending'),
    );
    const pending = failed.find((delivery) => delivery.state === 'pending');
    expect(pending?.attempts).toEqual([expect.objectContaining({ outcome: 'HTTP 500' })]);

    // The retry pass, once the next attempt is due.
    const clock = (now?: Date) => adminPost('/_local/clock', now ? { now: now.toISOString() } : {});
    try {
      await clock(new Date(Date.parse(pending?.nextAttemptAt ?? '') + 1000));
      expect((await adminPost('/_local/schedules', { name: 'RetryWebhooks' })).status).toBe(200);
      await idle();
    } finally {
      await clock();
    }
    const retried = mine().filter((delivery) => delivery.body === first?.body);
    expect(retried).toHaveLength(2);
    const log = (await admin(`/admin/webhooks/${id}/deliveries`)).body.deliveries as {
      id: string;
      state: string;
      attempts: { outcome: string }[];
    }[];
    const done = log.find((delivery) => delivery.id === pending?.id);
    expect(done?.state).toBe('delivered');
    expect(done?.attempts.map((attempt) => attempt.outcome)).toEqual(['HTTP 500', 'HTTP 200']);
    await admin(`/admin/webhooks/${id}`, { method: 'DELETE' });
  });

  it('a test button, a rotated secret, and refusals that name the field', async () => {
    const id = uniqueId('test-hook');
    expect((await put(id, { url, events: ['Feedback Given'] })).status).toBe(201);
    const test = await adminPost(`/admin/webhooks/${id}/test`);
    expect(test.body).toMatchObject({ type: 'Webhook Test', state: 'delivered' });
    const rotated = await adminPost(`/admin/webhooks/${id}/secret`);
    const delivery = received.at(-1);
    expect(JSON.parse(delivery?.body ?? '{}').type).toBe('Webhook Test');
    expect(String(rotated.body.secret)).toMatch(/^whsec_/);
    // Changing it keeps the secret (200, none shown).
    const changed = await put(id, { url, events: ['*'], enabled: false });
    expect(changed.status).toBe(200);
    expect(changed.body.secret).toBeUndefined();

    const bad = await put(id, { url: 'ftp://example.com/x', events: ['Stage Changed', 'Nope'] });
    expect(bad.status).toBe(400);
    expect((bad.body.problems as { field: string }[]).map((problem) => problem.field)).toEqual(
      expect.arrayContaining(['url', 'events[1]']),
    );
    expect((await admin('/admin/webhooks/nope-nope')).status).toBe(404);
    expect((await admin(`/admin/webhooks/${id}`, { method: 'DELETE' })).status).toBe(200);
  });
});
