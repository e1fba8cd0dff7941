/**
 * Broadcasts on the running local stack, as a shop sends one: customers posted through Segment's
 * own Node library (active, dormant, unsubscribed, suppressed, without an address), a segment of
 * them, the preview's numbers, the send, the exact recipients and the reasons for the rest; a
 * schedule in each customer's time zone; cancelling; and the refusals.
 */
import { describe, expect, it } from 'vitest';
import { holdoutBucket } from '../../shared/domain/contact-policy.ts';
import { admin, emailsTo, eventually, header, idle, sendWithSegment, uniqueId } from '../support/stack.ts';

const DAY = 86_400_000;

const numbersOf = (body: Record<string, unknown>) => (body.numbers ?? {}) as Record<string, unknown>;

async function post(path: string, body: unknown) {
  return admin(path, { method: 'POST', body: JSON.stringify(body) });
}

/** A segment of this run's customers alone (the stack is shared by every test file). */
async function segmentOf(run: string) {
  const id = `${run}-segment`;
  const saved = await admin(`/admin/segments/${id}`, {
    method: 'PUT',
    body: JSON.stringify({ name: `Run ${run}`, condition: { trait: 'run', op: 'equals', value: run } }),
  });
  expect(saved.status, JSON.stringify(saved.body)).toBeLessThan(300);
  return id;
}

async function publishedTemplate(name: string, subject: string) {
  const saved = await admin(`/admin/templates/${name}`, {
    method: 'PUT',
    body: JSON.stringify({ subject, html: '<p>Hello {{firstName}}, the winter collection is in.</p>' }),
  });
  expect(saved.status, JSON.stringify(saved.body)).toBeLessThan(300);
  expect((await post(`/admin/templates/${name}/publish`, {})).status).toBe(200);
}

describe('broadcasts to a segment', () => {
  it('reaches exactly the eligible members, says why for the rest, before and after sending', async () => {
    const run = uniqueId('bc');
    const segment = await segmentOf(run);
    const template = `${run}-news`;
    await publishedTemplate(template, 'New in: the winter collection');
    const who = (name: string) => ({ userId: `${run}-${name}`, email: `${run}-${name}@example.com` });
    const [active, buyer, dormant, unsubscribed, suppressed] = [
      'active',
      'buyer',
      'dormant',
      'unsubscribed',
      'suppressed',
    ].map(who) as [
      ReturnType<typeof who>,
      ReturnType<typeof who>,
      ReturnType<typeof who>,
      ReturnType<typeof who>,
      ReturnType<typeof who>,
    ];
    const noAddress = `${run}-no-address`;
    const longAgo = new Date(Date.now() - 200 * DAY);
    await sendWithSegment((analytics) => {
      for (const { userId, email } of [active, buyer, unsubscribed, suppressed])
        analytics.identify({ userId, traits: { email, firstName: 'Ada', run } });
      analytics.identify({
        userId: dormant.userId,
        traits: { email: dormant.email, run },
        timestamp: longAgo,
      });
      analytics.page({ userId: dormant.userId, name: 'Home', timestamp: longAgo });
      analytics.identify({ userId: noAddress, traits: { run } });
      for (const userId of [active.userId, suppressed.userId, noAddress])
        analytics.page({ userId, name: 'Home' });
      for (const { userId } of [buyer, unsubscribed])
        analytics.track({
          userId,
          event: 'Order Completed',
          properties: { order_id: `${userId}-1`, revenue: 40 },
        });
    });
    // One clicks "unsubscribe" in the welcome kit; another's address bounced before.
    const [kit] = await eventually(
      () => emailsTo(unsubscribed.email),
      (found) => found.length > 0,
    );
    const link = header(kit as never, 'List-Unsubscribe')?.replace(/^<|>$/g, '') ?? '';
    const click = await fetch(link, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'List-Unsubscribe=One-Click',
    });
    expect(click.status).toBe(200);
    const bounce = await admin(`/admin/suppressions/${encodeURIComponent(suppressed.email)}`, {
      method: 'PUT',
      body: JSON.stringify({ reason: 'bounce' }),
    });
    expect(bounce.status, JSON.stringify(bounce.body)).toBeLessThan(300);
    await idle();

    const definition = { name: `Winter collection ${run}`, segment, template, category: 'marketing' };
    const preview = await post('/admin/broadcasts/preview', definition);
    expect(preview.status, JSON.stringify(preview.body)).toBe(200);
    // The buyer got the welcome kit today: the broadcast waits for the daily cap, then goes.
    expect(preview.body).toMatchObject({
      exact: true,
      members: 5,
      recipients: 2,
      heldOut: 0,
      skipped: { dropInGuard: 1, unsubscribed: 1, suppressed: 1 },
      deferred: { caps: 1 },
    });
    const kitsBefore = (await emailsTo(buyer.email)).length;

    const created = await post('/admin/broadcasts', definition);
    expect(created.status, JSON.stringify(created.body)).toBe(202);
    const id = created.body.id as string;
    expect(id).toMatch(/^broadcast-winter-collection-/);
    expect(created.body).toMatchObject({ status: 'sending', dropInGuard: { quietDays: 180 } });
    await idle();

    const [email] = await eventually(
      () => emailsTo(active.email),
      (found) => found.length > 0,
    );
    expect(email?.subject).toBe('New in: the winter collection');
    expect(header(email as never, 'X-Campaign-Id')).toBe(id);
    const view = await eventually(
      () => admin(`/admin/broadcasts/${id}`),
      (found) =>
        numbersOf(found.body).recipients === 6 && (found.body.progress as { done?: boolean })?.done === true,
      10_000,
    );
    expect(view.body.numbers).toMatchObject({
      recipients: 6,
      sent: 1,
      skipped: { dropInGuard: 1, unsubscribed: 1, suppressed: 1, noAddress: 1 },
    });
    // The buyer's email waits for the cap (the welcome kit went today): deferred, not lost.
    const buyerView = await admin(`/admin/customers/${buyer.userId}`);
    const buyerMessage = (
      buyerView.body.messages as { campaignId: string; status: string; reason?: string }[]
    ).find((message) => message.campaignId === id);
    expect(buyerMessage).toMatchObject({ status: 'deferred' });
    expect(buyerMessage?.reason).toMatch(/^frequency cap/);
    expect(view.body.status).toBe('sending');
    expect((await emailsTo(buyer.email)).length).toBe(kitsBefore);
    for (const { email: address } of [dormant, unsubscribed, suppressed])
      expect((await emailsTo(address)).filter((found) => found.subject.startsWith('New in'))).toEqual([]);

    // Sent once: the same id again is refused, and the list shows it.
    const again = await post('/admin/broadcasts', { ...definition, id });
    expect(again.status).toBe(409);
    expect(again.body.error).toMatch(/a broadcast is sent once/);
    const list = await admin('/admin/broadcasts');
    expect((list.body.broadcasts as { id: string }[]).map((found) => found.id)).toContain(id);
  }, 60_000);

  it('a holdout keeps a stable share from the email and measures against it', async () => {
    const run = uniqueId('bch');
    const segment = await segmentOf(run);
    const ids = Array.from({ length: 12 }, (_, index) => `${run}-${index}`);
    await sendWithSegment((analytics) => {
      for (const userId of ids) {
        analytics.identify({ userId, traits: { email: `${userId}@example.com`, run } });
        analytics.page({ userId, name: 'Home' });
      }
    });
    const created = await post('/admin/broadcasts', {
      id: `broadcast-${run}`,
      name: 'Holdout',
      segment,
      template: 'win-back',
      holdoutPercent: 50,
    });
    expect(created.status, JSON.stringify(created.body)).toBe(202);
    const heldOut = ids.filter((userId) => holdoutBucket(userId, `broadcast-${run}`) < 50);
    await idle();
    const view = await eventually(
      () => admin(`/admin/broadcasts/broadcast-${run}`),
      (found) => found.body.status === 'sent',
      10_000,
    );
    expect(view.body.numbers).toMatchObject({
      recipients: 12,
      heldOut: heldOut.length,
      sent: 12 - heldOut.length,
    });
    for (const userId of heldOut) expect(await emailsTo(`${userId}@example.com`)).toEqual([]);
  }, 60_000);

  it('a local-time broadcast starts when its time first comes anywhere, holds its segment, and cancels once', async () => {
    const run = uniqueId('bcs');
    const segment = await segmentOf(run);
    const tomorrow = new Date(Date.now() + 2 * DAY).toISOString().slice(0, 10);
    const scheduled = await post('/admin/broadcasts', {
      name: 'Opening',
      segment,
      template: 'win-back',
      sendAt: { date: tomorrow, localTime: '10:00' },
    });
    expect(scheduled.status, JSON.stringify(scheduled.body)).toBe(201);
    expect(scheduled.body.status).toBe('scheduled');
    // It starts when 10:00 first comes anywhere (UTC+14), 14 hours before 10:00 UTC.
    expect(Date.parse(String(scheduled.body.startsAt))).toBe(
      Date.parse(`${tomorrow}T10:00:00Z`) - 14 * 3_600_000,
    );
    // A broadcast still to send holds its segment.
    const held = await admin(`/admin/segments/${segment}`, { method: 'DELETE' });
    expect(held.status).toBe(409);
    expect(held.body.error).toContain(`broadcast ${String(scheduled.body.id)}`);
    const cancelled = await post(`/admin/broadcasts/${scheduled.body.id}/cancel`, {});
    expect(cancelled.status).toBe(200);
    expect(cancelled.body.status).toBe('cancelled');
    const twice = await post(`/admin/broadcasts/${scheduled.body.id}/cancel`, {});
    expect(twice.status).toBe(409);
    expect((await admin(`/admin/segments/${segment}`, { method: 'DELETE' })).status).toBe(200);
  });

  it('starts a scheduled broadcast at its time; sends at 10:00 in each zone; a cancelled one sends nothing more', async () => {
    const run = uniqueId('bct');
    const later = await segmentOf(`${run}-a`);
    const zoned = await segmentOf(`${run}-b`);
    const [plain, tokyo, newYork] = ['plain', 'tokyo', 'new-york'].map((name) => `${run}-${name}`) as [
      string,
      string,
      string,
    ];
    await sendWithSegment((analytics) => {
      analytics.identify({ userId: plain, traits: { email: `${plain}@example.com`, run: `${run}-a` } });
      analytics.identify({
        userId: tokyo,
        traits: { email: `${tokyo}@example.com`, run: `${run}-b`, timezone: 'Asia/Tokyo' },
      });
      analytics.identify({
        userId: newYork,
        traits: { email: `${newYork}@example.com`, run: `${run}-b`, timezone: 'America/New_York' },
      });
      for (const userId of [plain, tokyo, newYork]) analytics.page({ userId, name: 'Home' });
    });
    const clock = (now?: Date) => post('/_local/clock', now ? { now: now.toISOString() } : {});
    const minutely = async (name: string) => {
      expect((await post('/_local/schedules', { name })).status).toBe(200);
      await idle();
    };
    try {
      // At a time: scheduled, then started by the minutely pass once the time has come.
      const at = new Date(Date.now() + 5 * 60_000);
      const first = await post('/admin/broadcasts', {
        name: 'Opening soon',
        segment: later,
        template: 'win-back',
        sendAt: at.toISOString(),
      });
      expect(first.status, JSON.stringify(first.body)).toBe(201);
      await minutely('ResumeStalledJobs');
      expect((await admin(`/admin/broadcasts/${first.body.id}`)).body.status).toBe('scheduled');
      await clock(new Date(at.getTime() + 60_000));
      await minutely('ResumeStalledJobs');
      const [email] = await eventually(
        () => emailsTo(`${plain}@example.com`),
        (found) => found.length > 0,
      );
      expect(header(email as never, 'X-Campaign-Id')).toBe(first.body.id);

      // At 10:00 in each customer's own zone: started when 10:00 first comes (UTC+14).
      const date = new Date(Date.now() + 3 * DAY).toISOString().slice(0, 10);
      const second = await post('/admin/broadcasts', {
        name: 'Store opening',
        segment: zoned,
        template: 'win-back',
        sendAt: { date, localTime: '10:00' },
      });
      expect(second.status, JSON.stringify(second.body)).toBe(201);
      const id = String(second.body.id);
      await clock(new Date(Date.parse(String(second.body.startsAt)) + 60_000));
      await minutely('ResumeStalledJobs');
      const entryOf = async (userId: string) =>
        (
          (await admin(`/admin/customers/${userId}`)).body.messages as {
            campaignId: string;
            sendAt?: string;
            status: string;
          }[]
        ).find((message) => message.campaignId === id);
      expect(await entryOf(tokyo)).toMatchObject({ status: 'deferred', sendAt: `${date}T01:00:00.000Z` });
      expect(await entryOf(newYork)).toMatchObject({ status: 'deferred', sendAt: `${date}T15:00:00.000Z` });
      // Cancelled before either 10:00: when their time comes, nothing goes.
      expect((await post(`/admin/broadcasts/${id}/cancel`, {})).status).toBe(200);
      await clock(new Date(`${date}T15:05:00Z`));
      await minutely('Dispatch');
      for (const userId of [tokyo, newYork]) {
        expect(await entryOf(userId)).toMatchObject({ status: 'skipped' });
        expect(await emailsTo(`${userId}@example.com`)).toEqual([]);
      }
      const view = await eventually(
        () => admin(`/admin/broadcasts/${id}`),
        (found) => (numbersOf(found.body).skipped as Record<string, number> | undefined)?.cancelled === 2,
      );
      expect(view.body.status).toBe('cancelled');
    } finally {
      await clock();
    }
  });

  it('refuses bad broadcasts with the field named, and sends nothing', async () => {
    const run = uniqueId('bcr');
    const segment = await segmentOf(run);
    const base = { name: 'Refused', segment, template: 'win-back' };
    const cases: [unknown, string][] = [
      [{ ...base, segment: 'no-such-segment' }, 'segment: no segment with id no-such-segment'],
      [{ ...base, template: 'no-such-template' }, 'template: no published template named no-such-template'],
      [{ ...base, sendAt: '2020-01-01T00:00:00Z' }, 'sendAt: is in the past'],
      [
        { ...base, sendAt: { date: '2030-01-01', localTime: '25:00' } },
        'sendAt.localTime: must be a local time of day, HH:MM',
      ],
      [{ ...base, holdoutPercent: 60 }, 'holdoutPercent: must be between 0 and 50'],
      [
        { ...base, dropInGuard: false },
        'dropInGuardOffReason: turning the drop-in guard off needs a written reason',
      ],
      [{ ...base, color: 'red' }, 'body: does not apply here: color'],
    ];
    for (const [body, error] of cases) {
      for (const path of ['/admin/broadcasts', '/admin/broadcasts/preview']) {
        const refused = await post(path, body);
        expect(refused.status, `${path} ${JSON.stringify(body)}`).toBe(400);
        expect(refused.body.error).toContain(error);
      }
    }
    // A journey cannot take a broadcast's kind of id.
    const journey = await admin('/admin/journeys/broadcast-spring', { method: 'PUT', body: '{}' });
    expect(journey.status).toBe(400);
    expect(journey.body.error).toBe("id: must not start with broadcast- (broadcasts' ids do)");
    const list = await admin('/admin/broadcasts');
    expect((list.body.broadcasts as { segment: string }[]).some((found) => found.segment === segment)).toBe(
      false,
    );
  });
});
