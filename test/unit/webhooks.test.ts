/**
 * Webhooks in the pure domain: the format's refusals (each with its field), signing and checking
 * a delivery as Stripe does (tampering, stale timestamps, several signatures while a secret is
 * rotated), the signing secret sealed at rest, the retry schedule and its end, and the body.
 */
import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  ATTEMPT_OFFSETS_MS,
  deliveryBody,
  MAX_ATTEMPTS,
  newSigningSecret,
  nextAttemptAt,
  openSecret,
  parseWebhook,
  RETRY_WINDOW_MS,
  retryable,
  SIGNATURE_HEADER,
  sealSecret,
  signatureHeader,
  verifySignature,
  WEBHOOK_ID,
  wantsEvent,
} from '../../shared/domain/webhooks.ts';

const secure = { allowInsecure: false };
const base = { url: 'https://shop.example/hooks/lifecycle', events: ['Stage Changed'] };

function problems(input: unknown, options = secure) {
  const result = parseWebhook(input, options);
  if (result.ok) throw new Error(`expected problems, parsed ${JSON.stringify(result.value)}`);
  return result.problems;
}

describe('parseWebhook', () => {
  it('accepts a webhook, enabled unless it says otherwise', () => {
    expect(parseWebhook(base, secure)).toEqual({ ok: true, value: { ...base, enabled: true } });
    const all = parseWebhook({ ...base, events: ['*'], description: '  CRM sync ', enabled: false }, secure);
    expect(all).toEqual({
      ok: true,
      value: { ...base, events: ['*'], description: 'CRM sync', enabled: false },
    });
  });

  it('refuses what is not an object', () => {
    for (const input of [null, 'x', [base]])
      expect(problems(input)).toEqual([{ field: 'body', message: 'must be a JSON object' }]);
  });

  it('takes http only when insecure URLs are allowed (local development)', () => {
    const local = { ...base, url: 'http://localhost:4000/hooks' };
    expect(problems(local)).toEqual([{ field: 'url', message: expect.stringContaining('must use https') }]);
    expect(parseWebhook(local, { allowInsecure: true }).ok).toBe(true);
    expect(problems({ ...base, url: 'ftp://shop.example/x' }, { allowInsecure: true })[0]?.field).toBe('url');
  });

  it('refuses URLs with credentials, too long, relative, or with hidden characters', () => {
    for (const url of [
      'https://user:secret@shop.example/hooks',
      'https://user@shop.example/hooks',
      `https://shop.example/${'a'.repeat(2048)}`,
      '/hooks/lifecycle',
      'https://shop.exa\nmple/hooks',
      ' https://shop.example/hooks',
    ])
      expect(problems({ ...base, url }).map(({ field }) => field)).toEqual(['url']);
    // The message does not repeat the password.
    expect(problems({ ...base, url: 'https://user:secret@shop.example/' })[0]?.message).not.toContain(
      'secret',
    );
  });

  it('names the list entry that is wrong', () => {
    expect(problems({ ...base, events: ['Stage Changed', 'Order Completed'] })).toEqual([
      { field: 'events[1]', message: expect.stringContaining('must be one of Feedback Given') },
    ]);
    expect(problems({ ...base, events: ['Segment Exited', 'Stage Changed', 'Segment Exited'] })).toEqual([
      { field: 'events[2]', message: 'repeats Segment Exited' },
    ]);
    expect(problems({ ...base, events: ['Segment Exited', '*'] })).toEqual([
      { field: 'events[1]', message: "'*' means every event: it stands alone" },
    ]);
    expect(problems({ ...base, events: [] })[0]?.field).toBe('events');
    expect(problems({ ...base, events: '*' })[0]?.field).toBe('events');
  });

  it('refuses unknown fields, a long description and a non-boolean enabled', () => {
    expect(
      problems({ ...base, secret: 'x', description: 'd'.repeat(201), enabled: 'yes' }).map(
        ({ field }) => field,
      ),
    ).toEqual(['description', 'enabled', 'body']);
  });

  it('ids have the definitions’ shape', () => {
    expect(WEBHOOK_ID.test('crm-sync')).toBe(true);
    expect(WEBHOOK_ID.test('CRM sync')).toBe(false);
  });
});

describe('wantsEvent', () => {
  it('sends the subscribed types, every type for *, nothing when disabled', () => {
    const webhook = { events: ['Stage Changed' as const], enabled: true };
    expect(wantsEvent(webhook, 'Stage Changed')).toBe(true);
    expect(wantsEvent(webhook, 'Segment Exited')).toBe(false);
    expect(wantsEvent({ events: ['*'], enabled: true }, 'Segment Exited')).toBe(true);
    expect(wantsEvent({ events: ['*'], enabled: false }, 'Segment Exited')).toBe(false);
  });
});

describe('signing', () => {
  const secret = 'whsec_test-secret';
  const body = deliveryBody({
    id: 'evt_1',
    type: 'Stage Changed',
    at: '2026-12-01T12:00:00Z',
    customerId: 'c-1',
    data: { from: 'new', to: 'active' },
  });
  const t = 1_796_126_400;

  it('writes t and v1 as Stripe does', () => {
    const expected = createHmac('sha256', secret).update(`${t}.${body}`).digest('hex');
    expect(signatureHeader(secret, t, body)).toBe(`t=${t},v1=${expected}`);
    expect(SIGNATURE_HEADER).toBe('Lifecycle-Signature');
  });

  it('verifies its own signature, within the tolerance either way', () => {
    const header = signatureHeader(secret, t, body);
    expect(verifySignature(secret, header, body, t)).toBe(true);
    expect(verifySignature(secret, header, body, t + 300)).toBe(true);
    expect(verifySignature(secret, header, body, t - 300)).toBe(true);
  });

  it('refuses a tampered body, timestamp or signature, another secret, a stale or future time', () => {
    const header = signatureHeader(secret, t, body);
    expect(verifySignature(secret, header, body.replace('active', 'lapsed'), t)).toBe(false);
    expect(verifySignature(secret, header.replace(`t=${t}`, `t=${t + 1}`), body, t)).toBe(false);
    const flipped = header.slice(0, -1) + (header.endsWith('0') ? '1' : '0');
    expect(verifySignature(secret, flipped, body, t)).toBe(false);
    expect(verifySignature('whsec_other', header, body, t)).toBe(false);
    expect(verifySignature(secret, header, body, t + 301)).toBe(false);
    expect(verifySignature(secret, header, body, t - 301)).toBe(false);
    expect(verifySignature(secret, header, body, t + 10, 5)).toBe(false);
  });

  it('refuses malformed headers', () => {
    const v1 = signatureHeader(secret, t, body).split(',')[1];
    for (const header of [
      '',
      `${v1}`,
      `t=${t}`,
      `t=${t},t=${t},${v1}`,
      `t=-${t},${v1}`,
      `t=${t},v1=abc`,
      `t=${t},${v1}${','.repeat(2000)}`,
    ])
      expect(verifySignature(secret, header, body, t), header.slice(0, 40)).toBe(false);
  });

  it('accepts any of several v1 signatures (a secret being rotated), and ignores other schemes', () => {
    const next = newSigningSecret();
    const header = signatureHeader([secret, next], t, body);
    expect(header.match(/v1=/g)).toHaveLength(2);
    expect(verifySignature(secret, header, body, t)).toBe(true);
    expect(verifySignature(next, header, body, t)).toBe(true);
    expect(verifySignature([next, 'whsec_old'], signatureHeader(secret, t, body), body, t)).toBe(false);
    expect(verifySignature(secret, `${header},v0=whatever`, body, t)).toBe(true);
    expect(verifySignature(secret, `v0=x, ${header.replace(',', ' , ')}`, body, t)).toBe(true);
  });

  it('refuses to sign with a timestamp that is not whole seconds, or without a secret', () => {
    expect(() => signatureHeader(secret, Date.now() / 1000, body)).toThrow(RangeError);
    expect(() => signatureHeader('', t, body)).toThrow();
    expect(() => signatureHeader([], t, body)).toThrow();
  });
});

describe('signing secrets', () => {
  it('are whsec_ and 32 random bytes', () => {
    const secret = newSigningSecret();
    expect(secret).toMatch(/^whsec_[A-Za-z0-9_-]{43}$/);
    expect(newSigningSecret()).not.toBe(secret);
  });

  it('seal and open again, only under the same master key, intact', () => {
    const secret = newSigningSecret();
    const sealed = sealSecret('master-key', secret);
    expect(sealed).not.toContain(secret.slice(6));
    expect(sealSecret('master-key', secret)).not.toBe(sealed);
    expect(openSecret('master-key', sealed)).toBe(secret);
    expect(openSecret('another-key', sealed)).toBeUndefined();
    const body = sealed.slice('sealed1.'.length);
    const altered = `sealed1.${body.slice(0, 10)}${body[10] === 'A' ? 'B' : 'A'}${body.slice(11)}`;
    expect(openSecret('master-key', altered)).toBeUndefined();
    for (const garbage of ['', secret, 'sealed1.', 'sealed1.!!!', `sealed1.${body.slice(0, 20)}`])
      expect(openSecret('master-key', garbage)).toBeUndefined();
  });

  it('need a master key', () => {
    expect(() => sealSecret('', 'whsec_x')).toThrow();
  });
});

describe('retries', () => {
  const first = '2026-12-01T00:00:00.000Z';
  const at = (offsetMs: number) => new Date(Date.parse(first) + offsetMs).toISOString();
  const MIN = 60_000;

  it('wait 30 s, 2 min, 10 min, 30 min, then an hour doubling', () => {
    const schedule = Array.from({ length: MAX_ATTEMPTS - 1 }, (_, index) => nextAttemptAt(first, index + 1));
    expect(schedule).toEqual([
      at(0.5 * MIN),
      at(2.5 * MIN),
      at(12.5 * MIN),
      at(42.5 * MIN),
      at(102.5 * MIN),
      at(222.5 * MIN),
      at(462.5 * MIN),
      at(942.5 * MIN),
      at(RETRY_WINDOW_MS),
    ]);
    expect(ATTEMPT_OFFSETS_MS[0]).toBe(0);
  });

  it('end 24 hours after the first attempt: then the delivery is dead', () => {
    expect(nextAttemptAt(first, MAX_ATTEMPTS - 1)).toBe('2026-12-02T00:00:00.000Z');
    expect(nextAttemptAt(first, MAX_ATTEMPTS)).toBeUndefined();
    expect(nextAttemptAt(first, 1000)).toBeUndefined();
    expect(Math.max(...ATTEMPT_OFFSETS_MS)).toBe(24 * 60 * MIN);
  });

  it('refuse attempts not counted from 1 and times that are not times', () => {
    expect(() => nextAttemptAt(first, 0)).toThrow(RangeError);
    expect(() => nextAttemptAt(first, 1.5)).toThrow(RangeError);
    expect(() => nextAttemptAt('yesterday', 1)).toThrow(RangeError);
  });

  it('follow any answer but a 2xx', () => {
    for (const done of [200, 201, 204, 299]) expect(retryable(done)).toBe(false);
    for (const failed of [100, 301, 400, 401, 404, 408, 410, 429, 500, 503, 'network', 'timeout'] as const)
      expect(retryable(failed)).toBe(true);
  });
});

describe('deliveryBody', () => {
  it('carries the event id, type, time, customer and data', () => {
    const body = deliveryBody({
      id: 'evt_1',
      type: 'Feedback Given',
      at: '2026-12-01T13:00:00+01:00',
      customerId: 'c-1',
      data: { rating: 5 },
    });
    expect(JSON.parse(body)).toEqual({
      id: 'evt_1',
      type: 'Feedback Given',
      created: '2026-12-01T12:00:00.000Z',
      customer: { id: 'c-1' },
      data: { rating: 5 },
    });
    expect(body.startsWith('{"id":"evt_1","type":')).toBe(true);
  });
});
