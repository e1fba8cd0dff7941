/** Replies arriving: what is kept, what is only noted, and what is dropped with a reason. */
import MailComposer from 'nodemailer/lib/mail-composer/index.js';
import { describe, expect, it } from 'vitest';
import { type InboundDeps, receiveMail } from '../../functions/inbound/inbound.ts';
import { parseInboundMail } from '../../shared/adapters/mail/parse-mime.ts';
import { newProfile } from '../../shared/domain/profile.ts';
import { replyAddress, replyId, replyIdIn } from '../../shared/domain/reply-address.ts';
import type { OutgoingEmail } from '../../shared/ports.ts';
import { MemoryStore } from '../support/fakes.ts';

const email = { customerId: 'ada', campaignId: 'welcome-kit', occurrence: 1 };
const id = replyId('secret', email.customerId);
const to = replyAddress(id, email, 'replies.shop.example');

async function raw(options: Record<string, unknown>) {
  return (await new MailComposer({ from: 'ada@example.com', to, ...options }).compile().build()) as Buffer;
}

function setup(stored: Record<string, Buffer | { tooLarge: number }>) {
  const store = new MemoryStore();
  store.customers.set('ada', {
    kind: 'profile',
    profile: { ...newProfile('ada', '2026-01-01T00:00:00.000Z'), email: 'ada@example.com', version: 1 },
  });
  const applied: Record<string, unknown>[] = [];
  const forwarded: OutgoingEmail[] = [];
  const deps: InboundDeps = {
    rawMail: async (key) => stored[key],
    parse: (bytes) => parseInboundMail(bytes),
    addresses: {
      put: async () => {},
      get: async (candidate) =>
        candidate === id ? { customerId: 'ada', expiresAt: '2027-12-01T00:00:00.000Z' } : undefined,
    },
    emailsOf: async () => [
      { campaignId: 'welcome-kit', occurrence: 1, sentAt: '2026-11-01T10:00:00.000Z' },
      { campaignId: 'win-back', occurrence: 2, sentAt: '2026-11-20T10:00:00.000Z' },
      { campaignId: 'win-back', occurrence: 3 },
    ],
    customers: store,
    apply: async (customerId, input) => applied.push({ customerId, ...input }),
    forward: {
      to: 'help@shop.example',
      from: 'hello@shop.example',
      send: async (copy) => forwarded.push(copy),
    },
    now: () => new Date('2026-12-01T12:00:00.000Z'),
  };
  return { deps, applied, forwarded, store };
}

describe('reply addresses', () => {
  it('name the customer and the email, fit a local part, and are found among the recipients', () => {
    expect(id).toMatch(/^[a-z2-7]{24}$/);
    expect(replyId('secret', 'ada')).toBe(id);
    expect(replyId('secret', 'bob')).not.toBe(id);
    expect(replyId('other', 'ada')).not.toBe(id);
    expect(to.split('@')[0]?.length).toBeLessThanOrEqual(64);
    expect(replyIdIn(['someone@example.com', `Shop <${to.toUpperCase()}>`])).toEqual({
      id,
      email: { tag: expect.stringMatching(/^[a-z2-7]{6}$/), occurrence: 1 },
    });
    expect(replyIdIn([`reply+${id}@replies.shop.example`])).toEqual({ id });
    expect(replyIdIn(['reply+short@replies.shop.example'])).toBeUndefined();
  });
});

describe('receiving a reply', () => {
  it('keeps what the customer wrote, without the quote, and copies support', async () => {
    const { deps, applied, forwarded } = setup({
      'inbound/m1': await raw({
        subject: 'Re: Thanks',
        text: 'Where is my parcel?\n\nOn Mon, 30 Nov 2026 at 10:00, Shop wrote:\n> Thanks',
      }),
    });
    expect(await receiveMail({ id: 'm1', key: 'inbound/m1', recipients: [to] }, deps)).toMatchObject({
      kept: 'reply',
    });
    expect(applied).toEqual([
      expect.objectContaining({
        customerId: 'ada',
        kind: 'reply',
        campaignId: 'welcome-kit',
        text: 'Where is my parcel?',
        messageId: 'mail#m1',
      }),
    ]);
    expect(forwarded[0]).toMatchObject({ to: 'help@shop.example', replyTo: 'ada@example.com' });
    expect(forwarded[0]?.html).not.toContain('<script');
  });

  it('notes automatic replies, and takes a bare "stop" as an unsubscribe', async () => {
    const { deps, applied } = setup({
      'inbound/ooo': await raw({
        subject: 'Out of Office',
        text: 'Back Monday',
        headers: { 'Auto-Submitted': 'auto-replied' },
      }),
      'inbound/stop': await raw({ subject: 'Re: Thanks', text: 'Stop' }),
    });
    expect(await receiveMail({ id: 'ooo', key: 'inbound/ooo', recipients: [to] }, deps)).toMatchObject({
      noted: expect.stringContaining('automatic reply'),
    });
    expect(applied).toEqual([]);
    expect(await receiveMail({ id: 'stop', key: 'inbound/stop', recipients: [to] }, deps)).toMatchObject({
      kept: 'unsubscribe',
    });
    expect(applied).toEqual([
      expect.objectContaining({ kind: 'consent', source: 'reply', marketing: false }),
    ]);
  });

  it('answers the email the address names, or the latest one sent when it names none', async () => {
    const { deps, applied } = setup({ 'inbound/m': await raw({ subject: 'Re: hi', text: 'Hello' }) });
    const named = replyAddress(id, { campaignId: 'win-back', occurrence: 2 }, 'replies.shop.example');
    await receiveMail({ id: 'a', key: 'inbound/m', recipients: [named] }, deps);
    await receiveMail({ id: 'b', key: 'inbound/m', recipients: [`reply+${id}@replies.shop.example`] }, deps);
    expect(applied.map((input) => `${input.campaignId}#${input.occurrence}`)).toEqual([
      'win-back#2',
      'win-back#2',
    ]);
    await receiveMail({ id: 'c', key: 'inbound/m', recipients: [to] }, deps);
    expect(applied.at(-1)).toMatchObject({ campaignId: 'welcome-kit', occurrence: 1 });
  });

  it('drops with a reason: unknown address, erased customer, too large, malformed, a virus', async () => {
    const { deps, applied, store } = setup({
      'inbound/ok': await raw({ subject: 'Hi', text: 'Hello' }),
      'inbound/big': { tooLarge: 50_000_000 },
      'inbound/bad': Buffer.alloc(0),
    });
    const receive = (key: string, recipients = [to], extra = {}) =>
      receiveMail({ id: key, key: `inbound/${key}`, recipients, ...extra }, deps);
    expect(await receive('ok', ['reply+aaaaaaaaaaaaaaaaaaaaaaaa@replies.shop.example'])).toEqual({
      dropped: 'unknown or expired reply address',
    });
    expect(await receive('ok', ['info@shop.example'])).toEqual({
      dropped: 'not addressed to a reply address',
    });
    expect(await receive('big')).toEqual({ dropped: 'message too large (50000000 bytes)' });
    expect(await receive('bad')).toEqual({ dropped: 'empty message' });
    expect(await receive('ok', [to], { virus: 'FAIL' })).toEqual({ dropped: 'virus verdict FAIL' });
    store.customers.delete('ada');
    expect(await receive('ok')).toEqual({ dropped: 'the customer was erased' });
    expect(applied).toEqual([]);
  });
});
