/**
 * Two-way on the local stack: a customer rates an email with one click from its HTML, comments,
 * and the service follow-up answers the low rating; a click alone settles after its minute.
 */
import { createTransport } from 'nodemailer';
import { describe, expect, it } from 'vitest';
import {
  admin,
  emailsTo,
  eventually,
  idle,
  type StoredEmail,
  sendWithSegment,
  stack,
  uniqueId,
} from '../support/stack.ts';

const adminPost = (path: string, body: unknown) =>
  admin(path, { method: 'POST', body: JSON.stringify(body) });

/** The rating links of an email's HTML, in the order the row shows them. */
function ratingLinksOf(email: StoredEmail | undefined): string[] {
  const html = email?.body.html ?? '';
  return [...html.matchAll(/href="([^"]*\/f\/[A-Za-z0-9_-]+)"/g)].map((match) => match[1] ?? '');
}

async function refundedCustomer(prefix: string) {
  const userId = uniqueId(prefix);
  const email = `${userId}@example.com`;
  await sendWithSegment((analytics) => {
    analytics.identify({ userId, traits: { email, firstName: 'Rita' } });
    analytics.track({
      userId,
      event: 'Order Completed',
      properties: { order_id: `${userId}-1`, revenue: 40 },
    });
    analytics.track({ userId, event: 'Order Refunded', properties: { order_id: `${userId}-1` } });
  });
  const emails = await eventually(
    () => emailsTo(email),
    (found) => found.some((candidate) => candidate.subject.startsWith('What went wrong')),
  );
  return {
    userId,
    email,
    request: emails.find((candidate) => candidate.subject.startsWith('What went wrong')),
  };
}

type View = {
  timeline: { title: string; detail?: string }[];
  feedback: {
    question: string;
    answer: { score: number; comment?: string } | null;
    pendingSince: string | null;
  }[];
};

describe('ratings', () => {
  it('one click from the inbox, a comment, and the service follow-up answers a low rating', async () => {
    const { userId, email, request } = await refundedCustomer('rate');
    const links = ratingLinksOf(request);
    expect(links).toHaveLength(5);
    expect(links[0]?.startsWith(`${stack().api}/f/`)).toBe(true);
    expect(request?.body.text).toContain('1: http');

    const page = await fetch(links[0] ?? '');
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('You gave us 1 out of 5.');
    // Kept at once: the customer view shows the click waiting to settle.
    const pending = (await admin(`/admin/customers/${userId}`)).body as unknown as View;
    expect(pending.feedback[0]).toMatchObject({ question: 'csat', answer: null });
    expect(pending.feedback[0]?.pendingSince).not.toBeNull();

    const comment = await fetch(links[0] ?? '', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ comment: 'The box arrived <crushed>.' }).toString(),
    });
    expect(comment.status).toBe(200);
    await idle();
    const followUp = await eventually(
      () => emailsTo(email),
      (found) => found.some((candidate) => candidate.subject.startsWith('We are sorry')),
    );
    const sorry = followUp.find((candidate) => candidate.subject.startsWith('We are sorry'));
    expect(sorry?.body.html).toContain('The box arrived &lt;crushed&gt;.');

    const view = (await admin(`/admin/customers/${userId}`)).body as unknown as View;
    expect(view.feedback[0]).toMatchObject({ answer: { score: 1, comment: 'The box arrived <crushed>.' } });
    expect(view.timeline).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          title: expect.stringMatching(/^Feedback Given on feedback-request #1: CSAT 1 of 5/),
          detail: 'The box arrived <crushed>.',
        }),
      ]),
    );
    // A segment over satisfaction counts the customer.
    const preview = await adminPost('/admin/segments/preview', {
      condition: { satisfaction: { question: 'csat', op: 'lte', value: 2 } },
    });
    expect(preview.status, JSON.stringify(preview.body)).toBe(200);
  });

  it('a click alone answers once its minute passes; forged links get 404', async () => {
    const { userId, request } = await refundedCustomer('rate-click');
    const links = ratingLinksOf(request);
    expect((await fetch(links[3] ?? '')).status).toBe(200);
    const forged = `${links[3]?.slice(0, -3)}abc`;
    expect((await fetch(forged)).status).toBe(404);
    const clock = (now?: Date) => adminPost('/_local/clock', now ? { now: now.toISOString() } : {});
    try {
      await clock(new Date(Date.now() + 2 * 60_000));
      expect((await adminPost('/_local/schedules', { name: 'Dispatch' })).status).toBe(200);
      await idle();
      const view = await eventually(
        async () => (await admin(`/admin/customers/${userId}`)).body as unknown as View,
        (found) => found.feedback[0]?.answer !== null,
      );
      expect(view.feedback[0]).toMatchObject({ answer: { score: 4 }, pendingSince: null });
    } finally {
      await clock();
    }
  });
});

describe('replies', () => {
  type Replies = {
    replies: { text: string; campaignId: string; subject?: string }[];
    timeline: { title: string; detail?: string }[];
    stage: string;
  };
  const smtp = () =>
    createTransport({ host: '127.0.0.1', port: stack().smtpPort, secure: false, ignoreTLS: true });

  async function welcomedCustomer(prefix: string) {
    const userId = uniqueId(prefix);
    const email = `${userId}@example.com`;
    await sendWithSegment((analytics) => {
      analytics.identify({ userId, traits: { email, firstName: 'Remy' } });
      analytics.track({
        userId,
        event: 'Order Completed',
        properties: { order_id: `${userId}-1`, revenue: 25 },
      });
    });
    const [kit] = await eventually(
      () => emailsTo(email),
      (found) => found.length > 0,
    );
    const replyTo = (kit as StoredEmail & { replyTo?: string[] }).replyTo?.[0] ?? '';
    return { userId, email, kit, replyTo };
  }

  it('a reply sent over SMTP lands on the right customer, without the quoted email; a copy reaches support', async () => {
    const { userId, email, kit, replyTo } = await welcomedCustomer('reply');
    expect(replyTo).toMatch(/^reply\+[a-z2-7]{24}\.[a-z2-7]{6}1@replies\.shop\.example$/);
    await smtp().sendMail({
      from: email,
      to: replyTo,
      subject: `Re: ${kit?.subject}`,
      text: `When will it ship?\n\nOn Mon, 30 Nov 2026 at 10:00, Lifecycle Shop <hello@shop.example> wrote:\n> ${kit?.body.text?.split('\n')[0]}\n`,
    });
    await idle();
    const view = await eventually(
      async () => (await admin(`/admin/customers/${userId}`)).body as unknown as Replies,
      (found) => found.replies.length > 0,
    );
    expect(view.replies[0]).toMatchObject({ text: 'When will it ship?', campaignId: 'welcome-kit' });
    expect(view.timeline).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          title: expect.stringMatching(/^Email Replied to welcome-kit #1/),
          detail: 'When will it ship?',
        }),
      ]),
    );
    const copies = await eventually(
      () => emailsTo('support@shop.example'),
      (found) => found.some((copy) => copy.subject.startsWith(`Reply from ${email}`)),
    );
    expect(copies.find((copy) => copy.subject.startsWith(`Reply from ${email}`))?.body.text).toContain(
      'When will it ship?',
    );
  });

  it('an out-of-office reply is only noted; a reply of "stop" unsubscribes', async () => {
    const { userId, email, replyTo } = await welcomedCustomer('ooo');
    await smtp().sendMail({
      from: email,
      to: replyTo,
      subject: 'Automatic reply: Thank you for your first order',
      text: 'I am out of the office until Monday.',
      headers: { 'Auto-Submitted': 'auto-replied' },
    });
    await idle();
    expect(((await admin(`/admin/customers/${userId}`)).body as unknown as Replies).replies).toEqual([]);

    await smtp().sendMail({ from: email, to: replyTo, subject: 'Re: Thank you', text: 'STOP' });
    await idle();
    const view = await eventually(
      async () => (await admin(`/admin/customers/${userId}`)).body as unknown as Replies,
      (found) => found.stage === 'termination',
    );
    expect(view.stage).toBe('termination');
    expect(view.replies).toEqual([]);
    expect(view.timeline).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ title: 'Consent changed', detail: 'no marketing (reply)' }),
      ]),
    );
  });

  it('mail to an unknown reply address, or garbage, is dropped and the server keeps answering', async () => {
    await smtp().sendMail({
      from: 'someone@example.com',
      to: 'reply+aaaaaaaaaaaaaaaaaaaaaaaa@replies.shop.example',
      subject: 'Hello',
      text: 'Hi',
    });
    await smtp().sendMail({
      envelope: { from: 'x@example.com', to: ['nobody@replies.shop.example'] },
      raw: '\u0000\u0001 not mime at all',
    });
    await idle();
    const health = await fetch(`${stack().api}/health`);
    expect(health.status).toBe(200);
  });
});

describe('impression balance', () => {
  it('a refund holds a marketing journey at its email; enough good impressions release it', async () => {
    const run = uniqueId('balance');
    const journeyId = `${run}-promo`;
    const policy = (await admin('/admin/contact-policy')).body;
    const putPolicy = (body: unknown) =>
      admin('/admin/contact-policy', { method: 'PUT', body: JSON.stringify(body) });
    // Only the balance holds it here: no cool-down (the minimum) and caps that never bind.
    expect((await putPolicy({ cooldownDays: 0, caps: { perDay: 50, perWeek: 100 } })).status).toBe(200);
    try {
      const saved = await admin(`/admin/journeys/${journeyId}`, {
        method: 'PUT',
        body: JSON.stringify({
          name: 'Promotion',
          enabled: true,
          category: 'marketing',
          entry: { event: `Promo ${run}` },
          reentry: 'always',
          steps: [{ send: { template: 'win-back' } }],
        }),
      });
      expect(saved.status, JSON.stringify(saved.body)).toBeLessThan(300);
      const published = await admin(`/admin/journeys/${journeyId}/publish`, {
        method: 'POST',
        body: JSON.stringify({ version: saved.body.version }),
      });
      expect(published.status).toBe(200);

      const userId = `${run}-c`;
      const email = `${userId}@example.com`;
      await sendWithSegment((analytics) => {
        analytics.identify({ userId, traits: { email } });
        analytics.track({
          userId,
          event: 'Order Completed',
          properties: { order_id: `${userId}-1`, revenue: 30 },
        });
        analytics.track({ userId, event: 'Order Refunded', properties: { order_id: `${userId}-1` } });
      });
      await sendWithSegment((analytics) => analytics.track({ userId, event: `Promo ${run}` }));
      type View = {
        impressions: { balance: number; recent: { kind: string; what: string }[] };
        journeys: { id: string; heldBecause?: string }[];
        messages: { campaignId: string; status: string }[];
      };
      const held = (await admin(`/admin/customers/${userId}`)).body as unknown as View;
      expect(held.impressions.balance).toBe(-9);
      expect(held.impressions.recent).toEqual(
        expect.arrayContaining([
          { at: expect.any(String), kind: 'bad', what: `refund of order ${userId}-1` },
        ]),
      );
      expect(held.journeys.find((journey) => journey.id === journeyId)?.heldBecause).toMatch(
        /^impression balance -9 \(1 bad, 1 good in 90 days/,
      );
      expect(held.messages.filter((message) => message.campaignId === journeyId)).toEqual([]);

      // Nine more orders: nine good impressions bring the balance back to 0, and the email goes.
      await sendWithSegment((analytics) => {
        for (let index = 2; index <= 10; index++)
          analytics.track({
            userId,
            event: 'Order Completed',
            properties: { order_id: `${userId}-${index}`, revenue: 10 },
          });
      });
      const emails = await eventually(
        () => emailsTo(email),
        (found) => found.some((candidate) => candidate.headers?.some((h) => h.value === journeyId)),
      );
      expect(emails.some((candidate) => candidate.headers?.some((h) => h.value === journeyId))).toBe(true);
      const released = (await admin(`/admin/customers/${userId}`)).body as unknown as View;
      expect(released.impressions.balance).toBe(0);
      expect(released.journeys.find((journey) => journey.id === journeyId)?.heldBecause).toBeUndefined();
    } finally {
      await putPolicy({ cooldownDays: policy.cooldownDays, caps: policy.caps });
      await admin(`/admin/journeys/${journeyId}`, { method: 'DELETE' });
    }
  });
});
