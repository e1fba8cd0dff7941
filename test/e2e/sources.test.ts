/**
 * Sources on the local stack: a site's own write key (rotated, revoked), and shop platforms'
 * webhooks signed as each platform signs them, from their published example payloads.
 */
import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import Stripe from 'stripe';
import { describe, expect, it } from 'vitest';
import { admin, emailsTo, eventually, idle, stack, uniqueId } from '../support/stack.ts';

/** A platform's published example payload (test/fixtures/platforms), to be made this test's own. */
const fixture = (name: string): Record<string, unknown> =>
  JSON.parse(readFileSync(`test/fixtures/platforms/${name}.json`, 'utf8'));
const adminPost = (path: string, body: unknown) =>
  admin(path, { method: 'POST', body: JSON.stringify(body) });
const basic = (key: string) => `Basic ${Buffer.from(`${key}:`).toString('base64')}`;

async function track(key: string, userId: string) {
  return fetch(`${stack().api}/v1/track`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: basic(key) },
    body: JSON.stringify({ userId, event: 'Product Viewed', properties: { product_id: 'p1' } }),
  });
}

async function customer(id: string) {
  return (await admin(`/admin/customers/${encodeURIComponent(id)}`)) as {
    status: number;
    body: { orders?: { orderId: string }[]; timeline?: { title: string; detail?: string }[]; email?: string };
  };
}

describe('Segment sources', () => {
  it('a new source’s key works and counts; rotated with no grace it stops; a revoked source stops', async () => {
    const created = await adminPost('/admin/sources', { kind: 'segment', name: 'Landing pages' });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const id = String(created.body.id);
    const key = String(created.body.writeKey);
    expect(key).toMatch(/^wk_/);
    expect(JSON.stringify((await admin(`/admin/sources/${id}`)).body)).not.toContain(key);

    const userId = uniqueId('landing');
    expect((await track(key, userId)).status).toBe(200);
    const listed = (await admin('/admin/sources')).body.sources as {
      id: string;
      today: { accepted: number };
      lastEventAt: string | null;
    }[];
    expect(listed.find((source) => source.id === 'default')).toBeDefined();
    expect(listed.find((source) => source.id === id)).toMatchObject({
      today: { accepted: 1 },
      lastEventAt: expect.any(String),
    });

    const rotated = await adminPost(`/admin/sources/${id}/rotate`, { graceHours: 0 });
    expect(rotated.status).toBe(200);
    expect((await track(key, userId)).status).toBe(401);
    expect((await track(String(rotated.body.writeKey), userId)).status).toBe(200);
    // With a grace, the old key keeps working until it ends.
    const graced = await adminPost(`/admin/sources/${id}/rotate`, { graceHours: 2 });
    expect((await track(String(rotated.body.writeKey), userId)).status).toBe(200);
    expect((await adminPost(`/admin/sources/${id}/revoke`, {})).status).toBe(200);
    expect((await track(String(graced.body.writeKey), userId)).status).toBe(401);
    // The installed write key still works: it is the default source.
    expect((await track(stack().writeKey, userId)).status).toBe(200);
  });

  it('refuses a bad source with the field named', async () => {
    const bad = await adminPost('/admin/sources', { kind: 'magento', name: '' });
    expect(bad.status).toBe(400);
    expect((bad.body.problems as { field: string }[]).map((problem) => problem.field)).toEqual([
      'kind',
      'name',
    ]);
  });
});

describe('Shopify', () => {
  const secret = 'shpss_test_secret_for_webhooks';
  const post = (sourceId: string, topic: string, body: string, webhookId: string, signature?: string) =>
    fetch(`${stack().api}/webhooks/shopify/${sourceId}`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-shopify-topic': topic,
        'x-shopify-webhook-id': webhookId,
        'x-shopify-hmac-sha256': signature ?? createHmac('sha256', secret).update(body).digest('base64'),
      },
      body,
    });

  it('an order delivered three times counts once, and its welcome kit goes once; a tampered body gets 401', async () => {
    const created = await adminPost('/admin/sources', {
      kind: 'shopify',
      name: 'Main Street shop',
      orderOn: 'created',
      signingSecret: secret,
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const sourceId = String(created.body.id);
    expect(created.body.webhookUrl).toBe(`${stack().api}/webhooks/shopify/${sourceId}`);

    const run = uniqueId('shop');
    const order = fixture('shopify-orders-create');
    const customerId = Date.now() * 1000 + Math.floor(Math.random() * 1000);
    const email = `${run}@example.com`;
    // Placed just now: an email answering an order two days old would be stale.
    const placed = new Date().toISOString();
    const body = JSON.stringify({
      ...order,
      id: customerId + 1,
      created_at: placed,
      processed_at: placed,
      updated_at: placed,
      email,
      contact_email: email,
      customer: { ...(order.customer as unknown as object), id: customerId, email },
    });
    const webhookId = `${run}-delivery`;
    for (let attempt = 0; attempt < 3; attempt++)
      expect((await post(sourceId, 'orders/create', body, webhookId)).status).toBe(200);
    // A second delivery of the same order under another id (orders/paid after orders/create) counts once too.
    expect((await post(sourceId, 'orders/create', body, `${webhookId}-2`)).status).toBe(200);
    await idle();
    const kits = await eventually(
      () => emailsTo(email),
      (found) => found.length > 0,
    );
    expect(kits.filter((kit) => kit.subject.startsWith('Thank you for your first order'))).toHaveLength(1);
    const view = await customer(String(customerId));
    expect(view.status).toBe(200);
    expect(view.body.orders).toHaveLength(1);
    expect(view.body.timeline).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          title: 'Order Completed',
          detail: expect.stringContaining('via Main Street shop'),
        }),
      ]),
    );

    const tampered = body.replace(email, `x${email}`);
    const refused = await post(
      sourceId,
      'orders/create',
      tampered,
      `${run}-tampered`,
      createHmac('sha256', secret).update(body).digest('base64'),
    );
    expect(refused.status).toBe(401);
    const wrongSecret = await post(
      sourceId,
      'orders/create',
      body,
      `${run}-wrong`,
      createHmac('sha256', 'nope').update(body).digest('base64'),
    );
    expect(wrongSecret.status).toBe(401);
    await idle();
    expect((await customer(`x${email}`)).status).toBe(404);

    const unknown = await post(sourceId, 'app/uninstalled', '{}', `${run}-unknown`);
    expect(unknown.status).toBe(200);
    expect((await unknown.json()) as { ignored: string }).toMatchObject({ ignored: expect.any(String) });
    const noId = await post(sourceId, 'orders/create', JSON.stringify({ ...order, id: null }), `${run}-noid`);
    expect(noId.status).toBe(400);
    expect(((await noId.json()) as { error: string }).error).toMatch(/^id: /);
    const notJson = await post(sourceId, 'orders/create', 'order=1', `${run}-form`);
    expect(notJson.status).toBe(400);
    expect(((await notJson.json()) as { error: string }).error).toBe('body: must be a JSON object');
    const huge = JSON.stringify({ ...order, note: 'x'.repeat(2_000_000) });
    expect((await post(sourceId, 'orders/create', huge, `${run}-huge`)).status).toBe(413);
    const today = (await admin(`/admin/sources/${sourceId}`)).body.today as {
      accepted: number;
      rejected: number;
      ignored: number;
    };
    expect(today).toMatchObject({ rejected: 5, ignored: 1 });
  });
});

describe('Stripe', () => {
  it('a paid checkout session signed by Stripe’s own helper is taken; one signed too long ago is refused', async () => {
    const secret = 'whsec_test_local_endpoint_secret';
    const created = await adminPost('/admin/sources', {
      kind: 'stripe',
      name: 'Stripe billing',
      signingSecret: secret,
    });
    expect(created.status).toBe(201);
    const sourceId = String(created.body.id);
    const run = uniqueId('stripe');
    const event = fixture('stripe-checkout-session-completed') as unknown as {
      id: string;
      data: { object: Record<string, unknown> & { customer_details: Record<string, unknown> } };
    };
    const email = `${run}@example.com`;
    const payload = JSON.stringify({
      ...event,
      id: `evt_${run}`,
      data: {
        object: {
          ...event.data.object,
          id: `cs_${run}`,
          payment_intent: `pi_${run}`,
          customer: `cus_${run}`,
          customer_email: email,
          customer_details: { ...event.data.object.customer_details, email },
        },
      },
    });
    const stripe = new Stripe('sk_test_unused');
    const post = (signature: string) =>
      fetch(`${stack().api}/webhooks/stripe/${sourceId}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'stripe-signature': signature },
        body: payload,
      });
    const fresh = stripe.webhooks.generateTestHeaderString({ payload, secret });
    expect((await post(fresh)).status).toBe(200);
    const stale = stripe.webhooks.generateTestHeaderString({
      payload,
      secret,
      timestamp: Math.floor(Date.now() / 1000) - 3600,
    });
    const refused = await post(stale);
    expect(refused.status).toBe(401);
    expect(((await refused.json()) as { error: string }).error).toMatch(/^signature: /);
    await idle();
    const view = await customer(`cus_${run}`);
    // The order is the payment (a refund of the charge names it).
    expect(view.body.orders?.map((order) => order.orderId)).toEqual([`pi_${run}`]);
  });
});

describe('WooCommerce', () => {
  it('answers the ping, takes a signed order, refuses an unsigned one', async () => {
    const secret = 'woo-webhook-secret-1234';
    const created = await adminPost('/admin/sources', {
      kind: 'woocommerce',
      name: 'Woo shop',
      signingSecret: secret,
      orderOn: 'created',
    });
    const sourceId = String(created.body.id);
    const url = `${stack().api}/webhooks/woocommerce/${sourceId}`;
    const ping = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'webhook_id=7',
    });
    expect(ping.status).toBe(200);
    const run = uniqueId('woo');
    const order = fixture('woocommerce-order') as Record<string, unknown> & {
      billing: Record<string, unknown>;
    };
    const body = JSON.stringify({
      ...order,
      id: Date.now(),
      customer_id: 0,
      billing: { ...order.billing, email: `${run}@example.com` },
    });
    const post = (signature?: string) =>
      fetch(url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-wc-webhook-topic': 'order.created',
          'x-wc-webhook-delivery-id': run,
          ...(signature ? { 'x-wc-webhook-signature': signature } : {}),
        },
        body,
      });
    expect((await post()).status).toBe(401);
    expect((await post(createHmac('sha256', secret).update(body).digest('base64'))).status).toBe(200);
    await idle();
    // A guest order (no customer id) is keyed by its email.
    const view = await customer(`${run}@example.com`);
    expect(view.status).toBe(200);
    expect(view.body.orders).toHaveLength(1);
  });
});
