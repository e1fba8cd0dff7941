/**
 * The first complete path, as a website using Segment's own Node library would drive it:
 * identify with an email, an Order Completed, and the welcome kit in the SES emulator's inbox.
 */
import { describe, expect, it } from 'vitest';
import {
  admin,
  emailsTo,
  eventually,
  header,
  post,
  sendThroughSegment,
  sleep,
  uniqueId,
} from '../support/stack.ts';

function sendWithSegmentLibrary(userId: string, email: string, ids: { identify: string; order: string }) {
  return sendThroughSegment((analytics) => {
    analytics.identify({ userId, messageId: ids.identify, traits: { email, firstName: 'Ada' } });
    analytics.track({
      userId,
      messageId: ids.order,
      event: 'Order Completed',
      properties: { order_id: `${userId}-order-1`, revenue: 42.5, currency: 'USD' },
    });
  });
}

describe('welcome kit, end to end', () => {
  it('sends exactly one welcome kit after identify and a first order from @segment/analytics-node', async () => {
    const userId = uniqueId('ada');
    const email = `${userId}@example.com`;
    const ids = { identify: uniqueId('identify'), order: uniqueId('order') };
    await sendWithSegmentLibrary(userId, email, ids);

    // The acceptance criterion: the inbox holds it within 2 seconds of the request.
    const emails = await eventually(
      () => emailsTo(email),
      (found) => found.length > 0,
      2000,
    );
    expect(emails).toHaveLength(1);
    const [kit] = emails;
    expect(header(kit as never, 'X-Campaign-Id')).toBe('welcome-kit');
    expect(kit?.subject).toBe('Thank you for your first order, Ada');

    const customer = await admin(`/admin/customers/${userId}`);
    expect(customer.status).toBe(200);
    expect(customer.body).toMatchObject({
      id: userId,
      stage: 'buildup',
      orderCount: 1,
      revenue: 42.5,
      traits: { email, firstName: 'Ada' },
      messages: [expect.objectContaining({ campaignId: 'welcome-kit', status: 'sent', recipient: email })],
    });

    // The same messageIds again (a client retry): nothing changes.
    await sendWithSegmentLibrary(userId, email, ids);
    await sleep(1000);
    expect(await emailsTo(email)).toHaveLength(1);
    expect((await admin(`/admin/customers/${userId}`)).body).toMatchObject({ orderCount: 1, revenue: 42.5 });
  });

  it('updates state but sends nothing for an order more than 48 hours old, and says why', async () => {
    const userId = uniqueId('late');
    const email = `${userId}@example.com`;
    const threeDaysAgo = new Date(Date.now() - 72 * 3_600_000).toISOString();
    const result = await post('/v1/batch', {
      batch: [
        { type: 'identify', userId, traits: { email } },
        {
          type: 'track',
          userId,
          event: 'Order Completed',
          timestamp: threeDaysAgo,
          properties: { order_id: 'o1', total: 10 },
        },
      ],
    });
    expect(result.status).toBe(200);
    const customer = await eventually(
      () => admin(`/admin/customers/${userId}`),
      (found) => found.status === 200 && (found.body.messages as unknown[]).length > 0,
    );
    expect(customer.body).toMatchObject({
      orderCount: 1,
      stage: 'buildup',
      messages: [
        expect.objectContaining({
          campaignId: 'welcome-kit',
          status: 'skipped',
          reason: expect.stringMatching(/^stale/),
        }),
      ],
    });
    await sleep(500);
    expect(await emailsTo(email)).toEqual([]);
  });

  it('leaves first and last order dates right when orders arrive out of order', async () => {
    const userId = uniqueId('ooo');
    const newer = new Date(Date.now() - 3_600_000).toISOString();
    const older = new Date(Date.now() - 5 * 3_600_000).toISOString();
    await post('/v1/track', {
      userId,
      event: 'Order Completed',
      timestamp: newer,
      properties: { order_id: 'b', revenue: 20 },
    });
    await eventually(
      () => admin(`/admin/customers/${userId}`),
      (found) => found.status === 200,
    );
    await post('/v1/track', {
      userId,
      event: 'Order Completed',
      timestamp: older,
      properties: { order_id: 'a', revenue: 10 },
    });
    const customer = await eventually(
      () => admin(`/admin/customers/${userId}`),
      (found) => found.body.orderCount === 2,
    );
    expect(customer.body).toMatchObject({
      orderCount: 2,
      revenue: 30,
      stage: 'continuation',
      firstOrderAt: older,
      lastOrderAt: newer,
    });
  });

  it('sends nothing to a customer without an email address, and the ledger says why', async () => {
    const userId = uniqueId('noemail');
    await post('/v1/track', { userId, event: 'Order Completed', properties: { order_id: 'x', revenue: 5 } });
    const customer = await eventually(
      () => admin(`/admin/customers/${userId}`),
      (found) => (found.body?.messages as { status: string }[] | undefined)?.[0]?.status === 'skipped',
    );
    expect(customer.body.messages).toEqual([
      expect.objectContaining({ campaignId: 'welcome-kit', status: 'skipped', reason: 'no email address' }),
    ]);
  });
});
