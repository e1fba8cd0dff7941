import { describe, expect, it } from 'vitest';
import { RetryLaterError, type SendDeps, sendMessage } from '../../functions/send-message/send.ts';
import { defaultTemplate } from '../../shared/domain/defaults/templates.ts';
import { newProfile, withTraits } from '../../shared/domain/profile.ts';
import { defaultSettings } from '../../shared/domain/settings.ts';
import { queuedWelcomeKit } from '../support/events.ts';
import { MemoryStore, MemorySuppressions, RecordingMailer } from '../support/fakes.ts';

const request = { version: 1 as const, customerId: 'u1', campaignId: 'welcome-kit' as const, occurrence: 1 };

function setup(traits: Record<string, unknown> = { email: 'ada@example.com', firstName: 'Ada' }) {
  const store = new MemoryStore();
  const mailer = new RecordingMailer();
  const suppressions = new MemorySuppressions();
  let clock = Date.parse('2026-03-01T10:00:00.000Z');
  const profile = withTraits(
    newProfile('u1', '2026-03-01T09:00:00.000Z'),
    traits,
    '2026-03-01T09:00:00.000Z',
  );
  store.customers.set('u1', { kind: 'profile', profile: { ...profile, version: 1 } });
  const entry = queuedWelcomeKit('u1');
  store.messages.set('u1|welcome-kit|1', entry);
  let tokens = 0;
  const deps: SendDeps = {
    ledger: store,
    customers: store,
    mailer,
    settings: async () => defaultSettings(),
    template: async (name) => ({
      definition: defaultTemplate(name) ?? { subject: 's', html: 'h' },
      version: 3,
      source: 'stored',
    }),
    sender: { from: 'Shop <hello@shop.example>', brandName: 'Shop', postalAddress: '1 Main St' },
    suppressions,
    unsubscribe: { baseUrl: 'https://api.shop.example', secret: async () => 'unsubscribe-secret' },
    now: () => new Date(clock),
    newToken: () => `token-${++tokens}`,
    leaseMs: 60_000,
  };
  const advance = (ms: number) => {
    clock += ms;
  };
  const entryNow = () => store.messages.get('u1|welcome-kit|1');
  return { store, mailer, deps, advance, entryNow, suppressions };
}

describe('send-message', () => {
  it('sends once, with the campaign header and tags, and records it', async () => {
    const { mailer, deps, entryNow } = setup();
    expect(await sendMessage(request, deps)).toBe('sent');
    expect(mailer.sent).toHaveLength(1);
    expect(mailer.sent[0]).toMatchObject({
      to: 'ada@example.com',
      subject: 'Thank you for your first order, Ada',
      headers: { 'X-Campaign-Id': 'welcome-kit' },
      tags: { campaign: 'welcome-kit', customer: Buffer.from('u1').toString('base64url'), occurrence: '1' },
    });
    expect(entryNow()).toMatchObject({
      status: 'sent',
      sesMessageId: 'ses-1',
      recipient: 'ada@example.com',
      template: { name: 'welcome-kit', version: 3 },
    });
    expect(entryNow()?.history.map((step) => step.status)).toEqual(['queued', 'claimed', 'sending', 'sent']);
  });

  it('does nothing when the same request comes again', async () => {
    const { mailer, deps } = setup();
    await sendMessage(request, deps);
    expect(await sendMessage(request, deps)).toBe('already-done');
    expect(mailer.sent).toHaveLength(1);
  });

  it('backs off while another attempt holds a live claim, and takes over once it has expired', async () => {
    const { mailer, deps, store, advance } = setup();
    // An attempt claimed the message and crashed before calling SES.
    await store.transition(request, {
      status: 'claimed',
      from: ['queued'],
      at: '2026-03-01T10:00:00.000Z',
      set: { claimToken: 'crashed', claimedUntil: '2026-03-01T10:01:00.000Z' },
    });
    await expect(sendMessage(request, deps)).rejects.toBeInstanceOf(RetryLaterError);
    expect(mailer.sent).toHaveLength(0);
    advance(61_000);
    expect(await sendMessage(request, deps)).toBe('sent');
    expect(mailer.sent).toHaveLength(1);
  });

  it('never sends twice when a crash may have come after SES accepted the message', async () => {
    const { mailer, deps, store, entryNow, advance } = setup();
    await store.transition(request, {
      status: 'sending',
      from: ['queued'],
      at: '2026-03-01T10:00:00.000Z',
      set: { claimedUntil: new Date(deps.now().getTime() + 60_000).toISOString() },
    });
    // Under the sender's lease it may still be calling SES: a copy of the request backs off.
    await expect(sendMessage(request, deps)).rejects.toBeInstanceOf(RetryLaterError);
    advance(61_000);
    expect(await sendMessage(request, deps)).toBe('unknown');
    expect(mailer.sent).toHaveLength(0);
    expect(entryNow()?.reason).toMatch(/never sent twice/);
  });

  it('gives the message back and retries later when SES throttles', async () => {
    const { mailer, deps, entryNow } = setup();
    mailer.failures = ['retry'];
    await expect(sendMessage(request, deps)).rejects.toBeInstanceOf(RetryLaterError);
    expect(entryNow()?.status).toBe('queued');
    expect(await sendMessage(request, deps)).toBe('sent');
    expect(mailer.sent).toHaveLength(1);
  });

  it('records a rejection by SES as failed, with the reason', async () => {
    const { mailer, deps, entryNow } = setup();
    mailer.failures = ['reject'];
    expect(await sendMessage(request, deps)).toBe('failed');
    expect(entryNow()).toMatchObject({ status: 'failed', reason: 'simulated reject' });
  });

  it('skips, and says why, when the customer has no email address', async () => {
    const { mailer, deps, entryNow } = setup({ firstName: 'Ada' });
    expect(await sendMessage(request, deps)).toBe('skipped');
    expect(mailer.sent).toHaveLength(0);
    expect(entryNow()).toMatchObject({ status: 'skipped', reason: 'no email address' });
  });

  it('answers missing for a message that was never queued', async () => {
    const { deps } = setup();
    expect(await sendMessage({ ...request, occurrence: 2 }, deps)).toBe('missing');
  });

  it('escapes customer data in the HTML part', async () => {
    const { mailer, deps } = setup({ email: 'x@example.com', firstName: '<script>alert(1)</script>' });
    await sendMessage(request, deps);
    expect(mailer.sent[0]?.html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(mailer.sent[0]?.html).not.toContain('<script>');
    expect(mailer.sent[0]?.text).toContain('<script>alert(1)</script>');
  });
});
