/**
 * Deliverability and consent on the local stack: RFC 8058 headers and the footer link, one-click
 * unsubscribe, SES's mailbox simulator (bounce, complaint), forged tokens, erasure and export.
 */

import { describe, expect, it } from 'vitest';
import { localDocumentClient } from '../../infra/local/dynamodb-local.ts';
import { profileFromItem } from '../../shared/adapters/dynamodb/customer-store.ts';
import {
  admin,
  changeJourney,
  emailsTo,
  eventually,
  header,
  post,
  restoreJourney,
  sleep,
  stack,
  uniqueId,
} from '../support/stack.ts';

type Messages = { campaignId: string; status: string; reason?: string }[];

async function orderFrom(userId: string, email: string, orderId = 'o1') {
  await post('/v1/batch', {
    batch: [
      { type: 'identify', userId, traits: { email, firstName: 'Uma' } },
      {
        type: 'track',
        userId,
        event: 'Order Completed',
        properties: { order_id: `${userId}-${orderId}`, revenue: 30 },
      },
    ],
  });
}

/** The welcome kit a new customer gets, and its unsubscribe link. */
async function welcomeKitOf(userId: string, email: string) {
  await orderFrom(userId, email);
  const [kit] = await eventually(
    () => emailsTo(email),
    (found) => found.length > 0,
  );
  const link = header(kit as never, 'List-Unsubscribe')?.replace(/^<|>$/g, '') ?? '';
  return { kit, link };
}

async function messagesOf(userId: string, until: (messages: Messages) => boolean) {
  const view = await eventually(
    () => admin(`/admin/customers/${userId}`),
    (found) => found.status === 200 && until((found.body.messages as Messages) ?? []),
    5000,
  );
  return (view.body.messages as Messages) ?? [];
}

describe('unsubscribe', () => {
  it('a welcome kit carries both RFC 8058 headers and a footer link; one click stops marketing, not service email', async () => {
    const userId = uniqueId('unsub');
    const email = `${userId}@example.com`;
    const { kit, link } = await welcomeKitOf(userId, email);
    expect(link).toMatch(new RegExp(`^${stack().api}/u/[A-Za-z0-9_-]+$`));
    expect(header(kit as never, 'List-Unsubscribe-Post')).toBe('List-Unsubscribe=One-Click');
    expect(kit?.body.html).toContain(`<a href="${link}">Unsubscribe or choose what you receive</a>`);
    expect(kit?.body.text).toContain(link);
    // The raw message, as a mail client sees it.
    const eml = (await fetch(`${stack().ses}/get-emlContent?messageId=${kit?.messageId}`).then((response) =>
      response.json(),
    )) as {
      body: { data: number[] };
    };
    const raw = Buffer.from(eml.body.data).toString('utf8');
    expect(raw).toMatch(/List-Unsubscribe:\s+<http:\/\/127\.0\.0\.1:\d+\/u\//); // folded as RFC 5322 allows
    expect(raw).toContain('List-Unsubscribe-Post: List-Unsubscribe=One-Click');

    // What a mail client does for one-click unsubscribe.
    const click = await fetch(link, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'List-Unsubscribe=One-Click',
    });
    expect(click.status).toBe(200);
    const view = await admin(`/admin/customers/${userId}`);
    expect(view.body.stage).toBe('termination');

    // A later marketing email is not sent, and the ledger says why; a service email still is.
    await post('/v1/track', {
      userId,
      event: 'Order Completed',
      properties: { order_id: `${userId}-o2`, revenue: 20 },
    });
    await post('/v1/track', { userId, event: 'Order Refunded', properties: { order_id: `${userId}-o2` } });
    const messages = await messagesOf(userId, (found) =>
      found.some((message) => message.campaignId === 'feedback-request' && message.status === 'sent'),
    );
    expect(messages.find((message) => message.campaignId === 'feedback-request')?.status).toBe('sent');
    await changeJourney('loyalty-reward', (journey) => ({
      ...journey,
      audience: { measure: 'orderCount', op: 'equals', value: 3 },
    }));
    try {
      await post('/v1/track', {
        userId,
        event: 'Order Completed',
        properties: { order_id: `${userId}-o3`, revenue: 20 },
      });
      const later = await messagesOf(userId, (found) =>
        found.some((message) => message.campaignId === 'loyalty-reward'),
      );
      expect(later.find((message) => message.campaignId === 'loyalty-reward')).toMatchObject({
        status: 'skipped',
        reason: expect.stringMatching(/^unsubscribed from marketing \(one-click, /),
      });
    } finally {
      await restoreJourney('loyalty-reward');
    }
    const campaigns = (await emailsTo(email)).map((found) => header(found, 'X-Campaign-Id'));
    expect(campaigns.sort()).toEqual(['feedback-request', 'welcome-kit']);
  });

  it('shows an accessible preference page; a forged or altered token gets 404 and changes nothing', async () => {
    const userId = uniqueId('page');
    const email = `${userId}@example.com`;
    const { link } = await welcomeKitOf(userId, email);
    const page = await fetch(link);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toContain('text/html');
    const html = await page.text();
    expect(html).toContain('<html lang="en">');
    expect(html).toContain('<legend>Or keep only what you want</legend>');
    expect(html).toMatch(/<button class="primary" type="submit" name="choice" value="all">/);

    const altered = `${link.slice(0, -4)}${link.slice(-4) === 'AAAA' ? 'BBBB' : 'AAAA'}`;
    for (const forged of [altered, `${stack().api}/u/bm90LWEtcmVhbC10b2tlbi1hdC1hbGwtbm90LWEtcmVhbA`]) {
      const response = await fetch(forged, { method: 'POST', body: 'List-Unsubscribe=One-Click' });
      expect(response.status).toBe(404);
    }
    expect((await admin(`/admin/customers/${userId}`)).body.stage).toBe('buildup');

    // Leaving one campaign only.
    const saved = await fetch(link, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'choice=some&keep=welcome-kit&keep=second-purchase-nudge&keep=loyalty-reward&keep=re-engagement&keep=farewell',
    });
    expect(saved.status).toBe(200);
    const { consent } = (await admin(`/admin/customers/${userId}/export`)).body.profile as {
      consent: { marketing: boolean; optedOut: string[]; service: boolean; source: string };
    };
    expect(consent).toMatchObject({ marketing: true, service: true, source: 'preferences' });
    // Every campaign not kept is left, the default ones named here and any a test beside this one
    // published meanwhile (the page lists every marketing journey there is).
    expect(consent.optedOut).toEqual(expect.arrayContaining(['welcome-series', 'win-back']));
    for (const kept of [
      'welcome-kit',
      'second-purchase-nudge',
      'loyalty-reward',
      're-engagement',
      'farewell',
    ])
      expect(consent.optedOut).not.toContain(kept);
  });
});

describe('SES feedback from the mailbox simulator', () => {
  it('a hard bounce is suppressed and never mailed again', async () => {
    const first = uniqueId('bouncer');
    await orderFrom(first, 'bounce@simulator.amazonses.com');
    await messagesOf(first, (found) => found[0]?.status === 'sent');
    const suppressed = await eventually(
      () => admin(`/admin/suppressions/${encodeURIComponent('bounce@simulator.amazonses.com')}`),
      (found) => found.status === 200,
    );
    expect(suppressed.body).toMatchObject({ reason: 'bounce' });
    const kit = await eventually(
      async () =>
        ((await admin(`/admin/customers/${first}`)).body.messages as Record<string, unknown>[]) ?? [],
      (found) => !!found[0]?.bouncedAt,
    );
    expect(kit[0]?.bouncedAt).toBeTruthy();
    // Another customer with the same address: nothing goes out, and the ledger says why.
    const second = uniqueId('bouncer');
    const before = (await emailsTo('bounce@simulator.amazonses.com')).length;
    await orderFrom(second, 'bounce@simulator.amazonses.com');
    const messages = await messagesOf(second, (found) => found[0]?.status === 'skipped');
    expect(messages[0]?.reason).toMatch(/^suppressed address: bounce/);
    await sleep(300);
    expect(await emailsTo('bounce@simulator.amazonses.com')).toHaveLength(before);
  });

  it('a complaint stops all marketing to the customer', async () => {
    const userId = uniqueId('complainer');
    await orderFrom(userId, 'complaint@simulator.amazonses.com');
    const view = await eventually(
      () => admin(`/admin/customers/${userId}/export`),
      (found) => (found.body?.profile as { consent?: unknown } | undefined)?.consent !== undefined,
    );
    expect(view.body.profile).toMatchObject({
      stage: 'termination',
      consent: { marketing: false, source: 'complaint' },
    });
    const suppressed = await admin(
      `/admin/suppressions/${encodeURIComponent('complaint@simulator.amazonses.com')}`,
    );
    expect(suppressed.body).toMatchObject({ reason: 'complaint' });
  });
});

describe('erasure and export', () => {
  it('export returns every item held; erasure leaves no item with the customer’s id and keeps the address suppressed', async () => {
    const userId = uniqueId('erase');
    const anonymousId = uniqueId('anon');
    const email = `${userId}@example.com`;
    await post('/v1/page', { anonymousId, name: 'Home' });
    await eventually(
      () => admin(`/admin/customers/${anonymousId}`),
      (found) => found.status === 200,
    );
    await post('/v1/identify', { userId, anonymousId, traits: { email } });
    await orderFrom(userId, email);
    await messagesOf(userId, (found) => found[0]?.status === 'sent');
    // The projections have written what they keep of the customer (the directory's entries) too.
    await fetch(`${stack().api}/_local/idle`);

    const exported = await admin(`/admin/customers/${userId}/export`);
    expect(exported.status).toBe(200);
    const items = exported.body.items as { PK: string; SK: string }[];
    expect(exported.body.profile).toMatchObject({
      id: userId,
      email,
      anonymousIds: [anonymousId],
      visitCount: 1,
      orders: [expect.objectContaining({ revenue: expect.any(Number) })],
      traits: { email },
    });
    expect((exported.body.messages as unknown[]).length).toBe(1);
    expect(exported.body.aliases).toEqual([expect.objectContaining({ id: anonymousId, mergedInto: userId })]);
    expect(items.some((item) => item.PK === `CUSTOMER#${anonymousId}`)).toBe(true);

    const erased = await admin(`/admin/customers/${userId}`, { method: 'DELETE' });
    expect(erased.body).toEqual({ erased: userId, itemsDeleted: items.length, addressesSuppressed: 1 });
    expect((await admin(`/admin/customers/${userId}`)).status).toBe(404);
    expect((await admin(`/admin/customers/${anonymousId}`)).status).toBe(404);
    expect((await admin(`/admin/suppressions/${encodeURIComponent(email)}`)).body).toMatchObject({
      reason: 'erased',
    });

    // Nothing in the table names the customer any more (DynamoDB Local, scanned whole).
    const { ScanCommand } = await import('@aws-sdk/lib-dynamodb');
    const db = localDocumentClient(stack().dynamodb);
    const left: unknown[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const page = await db.send(new ScanCommand({ TableName: 'lifecycle', ExclusiveStartKey: start }));
      // Profiles are stored compressed: read them as the product does before looking.
      const readable = (page.Items ?? []).map((item) =>
        item.entity === 'profile' ? { ...item, data: profileFromItem(item) } : item,
      );
      left.push(
        ...readable.filter(
          (item) => JSON.stringify(item).includes(userId) || JSON.stringify(item).includes(anonymousId),
        ),
      );
      start = page.LastEvaluatedKey;
    } while (start);
    expect(left).toEqual([]);

    // A later event for the same person cannot mail them by mistake.
    await orderFrom(userId, email, 'again');
    const messages = await messagesOf(userId, (found) => found[0]?.status === 'skipped');
    expect(messages[0]?.reason).toMatch(/^suppressed address: erased/);
  });
});
