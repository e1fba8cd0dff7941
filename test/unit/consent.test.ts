import { describe, expect, it } from 'vitest';
import { handleSesEvent, ledgerKeyOf, sesEventDetail } from '../../functions/ses-feedback/feedback.ts';
import { commented, rated } from '../../functions/unsubscribe/feedback.ts';
import {
  changePreferences,
  showPreferences,
  type UnsubscribeDeps,
} from '../../functions/unsubscribe/unsubscribe.ts';
import { SendPacer } from '../../shared/adapters/ses/pacer.ts';
import { decide, type EngineInput } from '../../shared/domain/lifecycle.ts';
import { newProfile, type Profile } from '../../shared/domain/profile.ts';
import { makeRatingToken } from '../../shared/domain/ratings.ts';
import { defaultSettings } from '../../shared/domain/settings.ts';
import { timersOf } from '../../shared/domain/timers.ts';
import { makeUnsubscribeToken, readUnsubscribeToken } from '../../shared/domain/unsubscribe-token.ts';
import { order, queuedWelcomeKit } from '../support/events.ts';
import { MemoryStore, MemorySuppressions } from '../support/fakes.ts';

const settings = defaultSettings();

describe('unsubscribe tokens', () => {
  it('carry the customer id, encrypted: the token shows nothing of it', () => {
    const token = makeUnsubscribeToken('secret', 'ada@example.com');
    expect(readUnsubscribeToken('secret', token)).toBe('ada@example.com');
    expect(token).not.toContain(Buffer.from('ada@example.com').toString('base64url').slice(0, 10));
    expect(token).toMatch(/^[A-Za-z0-9_-]+$/);
  });

  it('refuse a forged, altered or foreign token', () => {
    const token = makeUnsubscribeToken('secret', 'customer-1');
    const flip = (index: number) =>
      token.slice(0, index) + (token[index] === 'A' ? 'B' : 'A') + token.slice(index + 1);
    expect(readUnsubscribeToken('secret', flip(5))).toBeUndefined();
    expect(readUnsubscribeToken('secret', flip(token.length - 3))).toBeUndefined();
    expect(readUnsubscribeToken('other-secret', token)).toBeUndefined();
    expect(readUnsubscribeToken('secret', 'A'.repeat(40))).toBeUndefined();
    expect(readUnsubscribeToken('secret', '../../etc/passwd')).toBeUndefined();
  });
});

describe('consent in the engine', () => {
  // A first-time buyer, as the engine left them: in buildup, on the nudge's 60-day wait.
  const base = (): Profile =>
    decide(undefined, 'u1', { kind: 'event', event: order('o1', '2026-01-01T00:00:00.000Z') }, settings)
      .profile;
  const apply = (profile: Profile, input: EngineInput) => decide(profile, 'u1', input, settings);

  it('leaving all marketing ends the relationship gracefully, and marketing is skipped with the reason', () => {
    const { profile, effects } = apply(base(), {
      kind: 'consent',
      messageId: 'c1',
      at: '2026-01-10T00:00:00.000Z',
      source: 'one-click',
      marketing: false,
    });
    expect(profile.stage).toBe('termination');
    expect(effects.filter((effect) => effect.type !== 'segment-changed')).toEqual([
      expect.objectContaining({ type: 'stage-changed', to: 'termination' }),
    ]);
    const nudge = apply(profile, {
      kind: 'timers',
      messageId: 't',
      now: '2026-03-02T10:00:00.000Z',
    }).effects.find((effect) => effect.type === 'message');
    expect(nudge).toMatchObject({
      campaignId: 'second-purchase-nudge',
      status: 'skipped',
      reason: 'unsubscribed from marketing (one-click, 2026-01-10T00:00:00.000Z)',
    });
  });

  it('keeps service email after a marketing unsubscribe, unless the person asked for that too', () => {
    const refund = (profile: Profile) =>
      apply(profile, {
        kind: 'event',
        event: {
          type: 'track',
          event: 'Order Refunded',
          messageId: 'r',
          userId: 'u1',
          timestamp: '2026-02-01T10:00:00.000Z',
          receivedAt: '2026-02-01T10:00:00.000Z',
          properties: { order_id: 'o1' },
        },
      }).effects.find((effect) => effect.type === 'message');
    const leftMarketing = apply(base(), {
      kind: 'consent',
      messageId: 'c',
      at: '2026-01-10T00:00:00.000Z',
      source: 'one-click',
      marketing: false,
    }).profile;
    expect(refund(leftMarketing)).toMatchObject({ campaignId: 'feedback-request', status: 'queued' });
    const leftAll = apply(base(), {
      kind: 'consent',
      messageId: 'c',
      at: '2026-01-10T00:00:00.000Z',
      source: 'preferences',
      marketing: false,
      service: false,
    }).profile;
    expect(refund(leftAll)).toMatchObject({
      status: 'skipped',
      reason: expect.stringMatching(/^opted out of service email/),
    });
  });

  it('a complaint also starts the cool-down', () => {
    const { profile } = apply(base(), {
      kind: 'consent',
      messageId: 'c',
      at: '2026-01-10T00:00:00.000Z',
      source: 'complaint',
      marketing: false,
    });
    expect(profile.lastComplaintAt).toBe('2026-01-10T00:00:00.000Z');
  });

  it('a click in an email is activity: it moves the at-risk timer', () => {
    const before = timersOf(base(), settings).find((timer) => timer.kind === 'at-risk')?.dueAt;
    const { profile } = apply(base(), {
      kind: 'engagement',
      messageId: 'e',
      at: '2026-02-01T00:00:00.000Z',
      action: 'click',
    });
    const after = timersOf(profile, settings).find((timer) => timer.kind === 'at-risk')?.dueAt;
    expect(before).toBe('2026-04-01T00:00:00.000Z');
    expect(after).toBe('2026-05-02T00:00:00.000Z');
  });
});

describe('the unsubscribe page', () => {
  function setup() {
    const store = new MemoryStore();
    store.customers.set('u1', {
      kind: 'profile',
      profile: { ...newProfile('u1', '2026-01-01T00:00:00.000Z'), version: 1 },
    });
    const applied: unknown[] = [];
    const deps: UnsubscribeDeps = {
      secret: async () => 'secret',
      customers: store,
      settings: async () => settings,
      apply: async (customerId, input) => applied.push({ customerId, ...input }),
      brandName: 'Shop',
      now: () => new Date('2026-02-01T12:00:00.000Z'),
      newId: () => 'id',
    };
    return { deps, applied, token: makeUnsubscribeToken('secret', 'u1') };
  }

  it('one click leaves all marketing at once', async () => {
    const { deps, applied, token } = setup();
    expect(await changePreferences(token, 'List-Unsubscribe=One-Click', '/u/x', deps)).toMatchObject({
      status: 200,
    });
    expect(applied).toEqual([
      expect.objectContaining({ customerId: 'u1', source: 'one-click', marketing: false }),
    ]);
  });

  it('a forged token gets 404 and changes nothing', async () => {
    const { deps, applied } = setup();
    expect(
      (
        await changePreferences(
          'forged-token-forged-token-forged-token',
          'List-Unsubscribe=One-Click',
          '/u/x',
          deps,
        )
      ).status,
    ).toBe(404);
    expect((await showPreferences('forged-token-forged-token-forged-token', '/u/x', deps)).status).toBe(404);
    expect(applied).toEqual([]);
  });

  it('shows a labelled form and keeps only the campaigns left ticked', async () => {
    const { deps, applied, token } = setup();
    const page = await showPreferences(token, `/u/${token}`, deps);
    expect(page.body).toContain(
      '<label><input type="checkbox" name="keep" value="loyalty-reward" checked> Loyalty rewards</label>',
    );
    expect(page.body).toContain('<legend>Service email</legend>');
    await changePreferences(token, 'choice=some&keep=loyalty-reward&keep=welcome-kit', '/u/x', deps);
    expect(applied).toEqual([
      expect.objectContaining({
        marketing: true,
        optedOut: ['farewell', 're-engagement', 'second-purchase-nudge', 'welcome-series', 'win-back'],
        service: true,
      }),
    ]);
  });
});

describe('SES feedback', () => {
  const tags = {
    campaign: ['welcome-kit'],
    customer: [Buffer.from('u1').toString('base64url')],
    occurrence: ['1'],
  };
  const event = (id: string, detailType: string, detail: Record<string, unknown>) => ({
    id,
    detailType,
    time: '2026-02-01T12:00:00.000Z',
    detail: sesEventDetail.parse({
      mail: { messageId: 'ses-1', destination: ['ada@example.com'], tags },
      ...detail,
    }),
  });
  function setup() {
    const store = new MemoryStore();
    store.messages.set('u1|welcome-kit|1', { ...queuedWelcomeKit('u1'), status: 'sent' });
    const suppressions = new MemorySuppressions();
    const applied: unknown[] = [];
    const logged: unknown[] = [];
    const deps = {
      ledger: store,
      suppressions,
      apply: async (customerId: string, input: unknown) => void applied.push({ customerId, input }),
      log: (level: string, message: string) => void logged.push(`${level}: ${message}`),
    };
    return { store, suppressions, applied, logged, deps };
  }

  it('reads the message from the EmailTags set at send time', () => {
    expect(ledgerKeyOf(tags)).toEqual({ customerId: 'u1', campaignId: 'welcome-kit', occurrence: 1 });
    expect(ledgerKeyOf({ campaign: ['nope'] })).toBeUndefined();
  });

  it('suppresses a permanently bounced address, not a transient one', async () => {
    const { deps, suppressions, store } = setup();
    const bounce = (id: string, bounceType: string) =>
      event(id, 'Email Bounced', {
        bounce: {
          bounceType,
          bounceSubType: 'General',
          bouncedRecipients: [{ emailAddress: 'ada@example.com' }],
        },
      });
    await handleSesEvent(bounce('e0', 'Transient'), deps);
    expect(await suppressions.get('ada@example.com')).toBeUndefined();
    await handleSesEvent(bounce('e1', 'Permanent'), deps);
    expect(await suppressions.get('ADA@example.com')).toMatchObject({ reason: 'bounce' });
    expect(store.messages.get('u1|welcome-kit|1')?.bouncedAt).toBe('2026-02-01T12:00:00.000Z');
  });

  it('on a complaint, suppresses the address and stops all marketing to the customer', async () => {
    const { deps, suppressions, applied } = setup();
    await handleSesEvent(
      event('e2', 'Email Complaint Received', {
        complaint: { complainedRecipients: [{ emailAddress: 'ada@example.com' }] },
      }),
      deps,
    );
    expect(await suppressions.get('ada@example.com')).toMatchObject({ reason: 'complaint' });
    expect(applied).toEqual([
      {
        customerId: 'u1',
        input: expect.objectContaining({ kind: 'consent', source: 'complaint', marketing: false }),
      },
    ]);
  });

  it('records deliveries, opens and clicks once each, and a click is activity', async () => {
    const { deps, store, applied } = setup();
    await handleSesEvent(
      event('e3', 'Email Delivered', { delivery: { timestamp: '2026-02-01T12:00:01.000Z' } }),
      deps,
    );
    await handleSesEvent(
      event('e4', 'Email Opened', { open: { timestamp: '2026-02-01T13:00:00.000Z' } }),
      deps,
    );
    await handleSesEvent(
      event('e5', 'Email Clicked', {
        click: { timestamp: '2026-02-01T13:01:00.000Z', link: 'https://shop.example' },
      }),
      deps,
    );
    expect(
      await handleSesEvent(
        event('e5', 'Email Clicked', { click: { timestamp: '2026-02-01T13:01:00.000Z' } }),
        deps,
      ),
    ).toBe('duplicate');
    expect(store.messages.get('u1|welcome-kit|1')).toMatchObject({
      deliveredAt: '2026-02-01T12:00:01.000Z',
      openedAt: '2026-02-01T13:00:00.000Z',
      opens: 1,
      clickedAt: '2026-02-01T13:01:00.000Z',
      clicks: 1,
    });
    expect(applied).toEqual([
      {
        customerId: 'u1',
        input: expect.objectContaining({ kind: 'engagement', action: 'open', campaignId: 'welcome-kit' }),
      },
      {
        customerId: 'u1',
        input: expect.objectContaining({ kind: 'engagement', action: 'click', campaignId: 'welcome-kit' }),
      },
    ]);
  });

  it('logs a rendering failure as an error, for the alarm', async () => {
    const { deps, logged } = setup();
    await handleSesEvent(
      event('e6', 'Email Rendering Failed', { failure: { errorMessage: 'missing variable' } }),
      deps,
    );
    expect(logged).toEqual(['error: SES rendering failure']);
  });
});

describe('sending within the SES rate', () => {
  it('paces sends to the account rate, divided among the senders', async () => {
    let now = 0;
    const slept: number[] = [];
    const pacer = new SendPacer(
      async () => 10,
      2,
      () => now,
      async (ms) => {
        slept.push(ms);
        now += ms;
      },
    );
    for (let send = 0; send < 15; send++) await pacer.take();
    // 5 a second for this sender: a burst of 5, then 10 more take 2 seconds.
    expect(now).toBeGreaterThanOrEqual(2000);
    expect(now).toBeLessThan(2100);
  });
});

describe('the rating page', () => {
  function setup() {
    const store = new MemoryStore();
    store.customers.set('u1', {
      kind: 'profile',
      profile: { ...newProfile('u1', '2026-01-01T00:00:00.000Z'), version: 1 },
    });
    const applied: Record<string, unknown>[] = [];
    const deps: UnsubscribeDeps = {
      secret: async () => 'secret',
      customers: store,
      settings: async () => defaultSettings(),
      apply: async (customerId, input) => applied.push({ customerId, ...input }),
      brandName: 'Shop',
      now: () => new Date('2026-02-01T12:00:00.000Z'),
      newId: () => 'id',
    };
    const token = (customerId: string, score: number) =>
      makeRatingToken('secret', {
        customerId,
        campaignId: 'feedback-request',
        occurrence: 2,
        question: 'csat',
        score,
      });
    return { deps, applied, token };
  }

  it('keeps a click at once and thanks with a form for a comment', async () => {
    const { deps, applied, token } = setup();
    const page = await rated(token('u1', 4), '/f/abc', deps);
    expect(page.status).toBe(200);
    expect(page.body).toContain('You gave us 4 out of 5.');
    expect(page.body).toContain('<form method="post" action="/f/abc">');
    expect(page.body).toContain('<label for="comment">');
    expect(applied).toEqual([
      expect.objectContaining({
        customerId: 'u1',
        kind: 'feedback',
        campaignId: 'feedback-request',
        occurrence: 2,
        score: 4,
      }),
    ]);
    expect(applied[0]?.confirmed).toBeUndefined();
  });

  it('a comment confirms the answer; one too long is refused and changes nothing', async () => {
    const { deps, applied, token } = setup();
    expect((await commented(token('u1', 2), 'comment=It+broke.', deps)).status).toBe(200);
    expect(applied).toEqual([expect.objectContaining({ score: 2, confirmed: true, comment: 'It broke.' })]);
    const long = await commented(token('u1', 2), `comment=${'x'.repeat(2001)}`, deps);
    expect(long.status).toBe(413);
    expect(long.body).toContain('under 2,000 characters');
    expect(applied).toHaveLength(1);
  });

  it('a forged or altered token gets 404; an erased customer’s token records nothing', async () => {
    const { deps, applied, token } = setup();
    const good = token('u1', 5);
    expect((await rated(`${good.slice(0, -2)}xx`, '/f/x', deps)).status).toBe(404);
    expect((await commented('garbage', 'comment=hi', deps)).status).toBe(404);
    const erased = await rated(token('gone', 5), '/f/x', deps);
    expect(erased.status).toBe(200);
    expect(erased.body).toContain('This address gets no email from us.');
    expect(applied).toEqual([]);
  });

  it('the preference page asks why after leaving, and keeps the reason as an answer', async () => {
    const { deps, applied } = setup();
    const unsubscribe = makeUnsubscribeToken('secret', 'u1');
    const left = await changePreferences(unsubscribe, 'choice=all', '/u/t', deps);
    expect(left.body).toContain('Would you tell us why?');
    expect(left.body).toContain('value="0"> Too many emails');
    await changePreferences(unsubscribe, 'choice=reason&reason=1&comment=Not+for+me', '/u/t', deps);
    expect(applied.at(-1)).toMatchObject({
      question: 'reason',
      score: 1,
      comment: 'Not for me',
      confirmed: true,
    });
    const tooLong = await changePreferences(
      unsubscribe,
      `choice=reason&comment=${'y'.repeat(2001)}`,
      '/u/t',
      deps,
    );
    expect(tooLong.status).toBe(400);
  });
});

describe('a shop platform’s marketing consent', () => {
  const settings = defaultSettings();
  const fromShopify = {
    source: { kind: 'shopify', topic: 'customers/update', delivery: 'd1', id: 'shop', name: 'Shop' },
  };
  const identify = (accepted: boolean, at: string) => ({
    kind: 'event' as const,
    event: {
      type: 'identify' as const,
      messageId: `id-${at}-${accepted}`,
      userId: 'u1',
      timestamp: at,
      receivedAt: at,
      traits: { email: 'u1@example.com', marketingConsent: accepted },
      context: fromShopify,
    },
  });
  it('one who did not accept gets only service email; accepting there turns marketing on; never over our own unsubscribe', () => {
    let profile = decide(undefined, 'u1', identify(false, '2026-02-01T10:00:00.000Z'), settings).profile;
    expect(profile.consent).toMatchObject({ marketing: false, source: 'platform' });
    expect(profile.stage).toBe('acquaintance');
    profile = decide(profile, 'u1', identify(true, '2026-02-02T10:00:00.000Z'), settings).profile;
    expect(profile.consent).toMatchObject({ marketing: true, source: 'platform' });
    // An older report never overrides the newer choice.
    expect(
      decide(profile, 'u1', identify(false, '2026-02-01T12:00:00.000Z'), settings).profile.consent?.marketing,
    ).toBe(true);
    const left = decide(
      profile,
      'u1',
      {
        kind: 'consent',
        messageId: 'c',
        at: '2026-02-03T10:00:00.000Z',
        source: 'one-click',
        marketing: false,
      },
      settings,
    ).profile;
    expect(
      decide(left, 'u1', identify(true, '2026-02-04T10:00:00.000Z'), settings).profile.consent,
    ).toMatchObject({
      marketing: false,
      source: 'one-click',
    });
    // The same trait from a site's own Segment call is only a trait.
    const plain = { ...identify(false, '2026-02-01T10:00:00.000Z') };
    plain.event = { ...plain.event, context: {} as typeof fromShopify };
    expect(decide(undefined, 'u1', plain, settings).profile.consent).toBeUndefined();
  });

  it('a platform unsubscribe unsubscribes (and ends the relationship gracefully)', () => {
    const profile = decide(undefined, 'u1', identify(true, '2026-02-01T10:00:00.000Z'), settings).profile;
    const { profile: after, effects } = decide(
      profile,
      'u1',
      {
        kind: 'event',
        event: {
          type: 'track',
          event: 'Marketing Unsubscribed',
          messageId: 'unsub-1',
          userId: 'u1',
          timestamp: '2026-02-05T10:00:00.000Z',
          receivedAt: '2026-02-05T10:00:00.000Z',
          context: fromShopify,
        },
      },
      settings,
    );
    expect(after.consent).toMatchObject({ marketing: false, source: 'platform' });
    expect(effects).toEqual(
      expect.arrayContaining([expect.objectContaining({ type: 'stage-changed', to: 'termination' })]),
    );
  });
});
