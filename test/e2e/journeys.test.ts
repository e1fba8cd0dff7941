/**
 * Journeys on the running local stack, as a shop uses them: definitions written through the admin
 * API, events from Segment's own Node library, time moved by sweeps; the email with the cart in
 * it, per-step numbers from the counters, versions, switches, the test and the backtest.
 */
import type { Analytics } from '@segment/analytics-node';
import { describe, expect, it } from 'vitest';
import { admin, emailsTo, eventually, idle, sendWithSegment, uniqueId } from '../support/stack.ts';

const MINUTE = 60_000;

async function sweepAt(at: Date) {
  const result = await admin('/admin/sweep', {
    method: 'POST',
    body: JSON.stringify({ now: at.toISOString() }),
  });
  expect(result.status).toBe(200);
  await idle();
}

async function saveAndPublish(id: string, definition: unknown) {
  const saved = await admin(`/admin/journeys/${id}`, { method: 'PUT', body: JSON.stringify(definition) });
  expect(saved.status, JSON.stringify(saved.body)).toBeLessThan(300);
  const published = await admin(`/admin/journeys/${id}/publish`, {
    method: 'POST',
    body: JSON.stringify({ version: saved.body.version }),
  });
  expect(published.status).toBe(200);
  return saved.body.version as number;
}

const cartJourney = (startEvent: string, template = 'abandoned-checkout') => ({
  name: 'Cart left behind',
  enabled: true,
  category: 'marketing',
  entry: { event: startEvent },
  reentry: 'always',
  steps: [
    {
      waitFor: {
        event: 'Order Completed',
        timeout: { hours: 1 },
        timedOut: [{ send: { template } }],
      },
    },
  ],
  conversion: { event: 'Order Completed', withinDays: 3 },
});

describe('journeys over events from a real Segment client', () => {
  it('abandoned checkout: the email lists the cart an hour later; an order in time sends nothing; the steps count', async () => {
    const run = uniqueId('cart');
    const journey = `${run}-journey`;
    const startEvent = `Checkout Started ${run}`;
    await saveAndPublish(journey, cartJourney(startEvent));
    const left = `${run}-left`;
    const bought = `${run}-bought`;
    const now = new Date();
    await sendWithSegment((analytics) => {
      for (const userId of [left, bought]) {
        analytics.identify({
          userId,
          traits: { email: `${userId}@example.com`, firstName: 'Cal' },
          timestamp: now,
        });
        analytics.track({
          userId,
          event: startEvent,
          timestamp: now,
          properties: {
            checkout_url: 'https://shop.example/cart/9',
            products: [
              { product_id: 'sku-1', name: 'Linen shirt', quantity: 1 },
              { product_id: 'sku-2', name: 'Canvas <tote>', quantity: 2 },
            ],
          },
        });
      }
      analytics.track({
        userId: bought,
        event: 'Order Completed',
        timestamp: new Date(now.getTime() + 10 * MINUTE),
        properties: { order_id: `${bought}-o1`, revenue: 49 },
      });
    });
    await sweepAt(new Date(now.getTime() + 30 * MINUTE));
    expect(await emailsTo(`${left}@example.com`)).toEqual([]);
    await sweepAt(new Date(now.getTime() + 62 * MINUTE));
    const [email] = await eventually(
      () => emailsTo(`${left}@example.com`),
      (found) => found.length > 0,
    );
    expect(email?.subject).toBe('You left something in your cart, Cal');
    expect(email?.body.html).toContain('Linen shirt');
    expect(email?.body.html).toContain('Canvas &lt;tote&gt; × 2');
    expect(email?.body.html).toContain('href="https://shop.example/cart/9"');
    const customer = await admin(`/admin/customers/${left}`);
    expect(customer.body.journeys).toContainEqual(
      expect.objectContaining({ id: journey, version: 1, entries: 1, leftBecause: 'finished' }),
    );
    // The one who bought got only the welcome kit of their first order, not the reminder.
    const theirs = await emailsTo(`${bought}@example.com`);
    expect(theirs.map((found) => found.subject)).not.toContain('You left something in your cart, Cal');

    const view = await eventually(
      () => admin(`/admin/journeys/${journey}`),
      (found) => (found.body?.numbers as { entered?: number })?.entered === 2,
    );
    expect(view.body.numbers).toMatchObject({ entered: 2, inside: 0, sent: 1 });
    expect(view.body.steps).toMatchObject({ '0': { passed: 2 }, '0.timedOut.0': { passed: 1, sent: 1 } });
  });

  it('customers inside finish on the version they entered; a switched-off journey starts nobody', async () => {
    const run = uniqueId('versions');
    const journey = `${run}-journey`;
    const startEvent = `Started ${run}`;
    const first = await saveAndPublish(journey, cartJourney(startEvent, 'welcome-kit'));
    const early = `${run}-early`;
    const now = new Date();
    const start = (userId: string) => (analytics: Analytics) => {
      analytics.identify({ userId, traits: { email: `${userId}@example.com` }, timestamp: now });
      analytics.track({ userId, event: startEvent, timestamp: now });
    };
    await sendWithSegment(start(early));
    const second = await saveAndPublish(journey, cartJourney(startEvent, 'win-back'));
    expect(second).toBe(first + 1);
    const late = `${run}-late`;
    await sendWithSegment(start(late));
    await sweepAt(new Date(now.getTime() + 62 * MINUTE));
    const versionOf = async (userId: string) =>
      (
        (await admin(`/admin/customers/${userId}/export`)).body.profile as {
          journeys?: Record<string, { version: number }>;
        }
      ).journeys?.[journey]?.version;
    expect(await versionOf(early)).toBe(first);
    expect(await versionOf(late)).toBe(second);
    const templates = async (userId: string) =>
      (
        (await admin(`/admin/customers/${userId}`)).body.messages as {
          campaignId: string;
          template?: { name: string };
        }[]
      )
        .filter((message) => message.campaignId === journey)
        .map((message) => message.template?.name);
    expect(
      await eventually(
        () => templates(early),
        (found) => found.length > 0,
      ),
    ).toEqual(['welcome-kit']);
    expect(
      await eventually(
        () => templates(late),
        (found) => found.length > 0,
      ),
    ).toEqual(['win-back']);

    expect((await admin(`/admin/journeys/${journey}/disable`, { method: 'POST' })).body).toMatchObject({
      enabled: false,
    });
    const after = `${run}-after`;
    await sendWithSegment(start(after));
    expect(await versionOf(after)).toBeUndefined();
    expect((await admin(`/admin/journeys/${journey}`, { method: 'DELETE' })).status).toBe(200);
    expect((await admin('/admin/journeys/welcome-kit', { method: 'DELETE' })).status).toBe(409);
  });

  it('refuses a broken journey with the field named, and stores nothing', async () => {
    const id = uniqueId('broken');
    const refused = await admin(`/admin/journeys/${id}`, {
      method: 'PUT',
      body: JSON.stringify({
        ...cartJourney('Anything'),
        steps: [{ waitFor: { event: 'Order Completed' } }, { send: { template: 'nope' } }],
      }),
    });
    expect(refused.status).toBe(400);
    expect(refused.body.problems).toEqual([
      {
        field: 'steps[0].waitFor.timeout',
        message: 'is required: a waitFor waits at most this long (minutes, hours or days)',
      },
    ]);
    const missing = await admin(`/admin/journeys/${id}`, {
      method: 'PUT',
      body: JSON.stringify({
        ...cartJourney('Anything', 'nope'),
        entry: { segmentEntered: 'no-such-segment' },
      }),
    });
    expect(missing.body.problems).toEqual([
      { field: 'steps[0].waitFor.timedOut[0].send.template', message: 'no published template named nope' },
      { field: 'entry.segmentEntered', message: 'refers to segment no-such-segment, which does not exist' },
    ]);
    expect((await admin(`/admin/journeys/${id}`)).status).toBe(404);
  });

  it('tests a draft on a made-up customer and backtests a version over the stored history', async () => {
    const run = uniqueId('probe');
    const journey = `${run}-journey`;
    const startEvent = `Probe ${run}`;
    const tested = await admin(`/admin/journeys/${journey}/test`, {
      method: 'POST',
      body: JSON.stringify({
        journey: cartJourney(startEvent),
        events: [{ event: startEvent, properties: { products: [{ name: 'Mug' }] } }],
        // The made-up customer lives on a fixed date (10:00 UTC): a time zone where that is day, so
        // the test stack's quiet hours (set for the hour the tests run) do not defer the email.
        traits: { timezone: 'UTC' },
      }),
    });
    expect(tested.status).toBe(200);
    const timeline = tested.body.timeline as { kind: string; template?: string; status?: string }[];
    expect(timeline.filter((entry) => entry.kind === 'email')).toEqual([
      expect.objectContaining({ template: 'abandoned-checkout', status: 'queued' }),
    ]);
    expect((await admin(`/admin/journeys/${journey}`)).status).toBe(404);
    const bad = await admin(`/admin/journeys/${journey}/test`, {
      method: 'POST',
      body: JSON.stringify({ journey: cartJourney(startEvent), events: [] }),
    });
    expect(bad.body.problems).toEqual([{ field: 'events', message: 'needs at least one event' }]);

    // Three customers started it ten days ago; one of them ordered within the hour.
    const tenDaysAgo = new Date(Date.now() - 10 * 86_400_000);
    await sendWithSegment((analytics) => {
      for (const name of ['a', 'b', 'c']) {
        const userId = `${run}-${name}`;
        analytics.identify({ userId, traits: { email: `${userId}@example.com` }, timestamp: tenDaysAgo });
        analytics.track({ userId, event: startEvent, timestamp: tenDaysAgo });
      }
      analytics.track({
        userId: `${run}-c`,
        event: 'Order Completed',
        timestamp: new Date(tenDaysAgo.getTime() + 20 * MINUTE),
        properties: { order_id: `${run}-c-1`, revenue: 12 },
      });
    });
    const version = await saveAndPublish(journey, { ...cartJourney(startEvent), enabled: false });
    const today = new Date().toISOString().slice(0, 10);
    const from = new Date(Date.now() - 30 * 86_400_000).toISOString().slice(0, 10);
    const started = await admin(`/admin/journeys/${journey}/backtest`, {
      method: 'POST',
      body: JSON.stringify({ from, to: today, version }),
    });
    expect(started.status).toBe(202);
    const job = await eventually(
      () => admin(`/admin/jobs/${started.body.job}`),
      (found) => found.body?.status === 'done',
      30_000,
    );
    expect(job.body.results).toEqual({ entered: 3, customers: 3, emails: 2, 'step:0.timedOut.0': 2 });
    const wrong = await admin(`/admin/journeys/${journey}/backtest`, {
      method: 'POST',
      body: JSON.stringify({ from: today, to: from }),
    });
    expect(wrong.body.problems).toEqual([{ field: 'to', message: 'must not be before from' }]);
  });
});
