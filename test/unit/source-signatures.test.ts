/** The platforms' webhook signatures: Shopify's and WooCommerce's HMACs, Stripe's timestamped scheme. */
import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import Stripe from 'stripe';
import { describe, expect, it } from 'vitest';
import { verifyStripe } from '../../shared/adapters/http/stripe-signature.ts';
import { verifyShopify, verifyWooCommerce } from '../../shared/domain/sources/signatures.ts';

const FIXTURES = new URL('../fixtures/platforms/', import.meta.url);
const raw = (name: string) => readFileSync(new URL(`${name}.json`, FIXTURES));
const hmac = (secret: string, body: Buffer) => createHmac('sha256', secret).update(body).digest('base64');

describe.each([
  ['Shopify', verifyShopify, 'shopify-orders-create'],
  ['WooCommerce', verifyWooCommerce, 'woocommerce-order'],
] as const)('%s', (_platform, verify, fixture) => {
  const secret = 'whsec-shop-7f3a9c';
  const body = raw(fixture);
  const header = hmac(secret, body);

  it('accepts the base64 HMAC-SHA256 of the raw body', () => {
    expect(verify(secret, body, header)).toBe(true);
    expect(verify(secret, body, ` ${header} `)).toBe(true);
  });

  it('refuses a tampered body (even one that parses to the same JSON)', () => {
    const tampered = Buffer.from(body.toString('utf8').replace('"id": ', '"id":  '));
    expect(verify(secret, tampered, header)).toBe(false);
    expect(verify(secret, Buffer.concat([body, Buffer.from('\n')]), header)).toBe(false);
  });

  it('refuses a signature made with another secret', () => {
    expect(verify('another-secret', body, header)).toBe(false);
    expect(verify(secret, body, hmac('another-secret', body))).toBe(false);
  });

  it('refuses a missing, empty or garbage header, and a missing secret', () => {
    expect(verify(secret, body)).toBe(false);
    expect(verify(secret, body, undefined)).toBe(false);
    expect(verify(secret, body, '')).toBe(false);
    expect(verify(secret, body, 'not base64 at all!')).toBe(false);
    expect(verify(secret, body, Buffer.from('short').toString('base64'))).toBe(false);
    expect(verify(secret, body, createHmac('sha256', secret).update(body).digest('hex'))).toBe(false);
    expect(verify(secret, body, `${header}${header}`)).toBe(false);
    expect(verify('', body, hmac('', body))).toBe(false);
  });
});

describe('Stripe', () => {
  const secret = 'whsec_test_5Yk1nL3uHq8Zr2Vx';
  const body = raw('stripe-checkout-session-completed');
  const now = 1_731_340_100;
  const signed = (at: number, withSecret = secret, payload = body) =>
    Stripe.webhooks.generateTestHeaderString({
      payload: payload.toString('utf8'),
      secret: withSecret,
      timestamp: at,
    });

  it('accepts a valid signature and returns the event', () => {
    const verified = verifyStripe(secret, body, signed(now - 10), 300, now);
    expect(verified.ok).toBe(true);
    expect(verified.ok && verified.event).toMatchObject({ type: 'checkout.session.completed' });
    // The clock by default: a header signed just now.
    expect(verifyStripe(secret, body, signed(Math.floor(Date.now() / 1000))).ok).toBe(true);
  });

  it('refuses a tampered body', () => {
    const tampered = Buffer.from(body.toString('utf8').replace('"amount_total": 4990', '"amount_total": 1'));
    expect(tampered.equals(body)).toBe(false);
    expect(verifyStripe(secret, tampered, signed(now), 300, now)).toEqual({
      ok: false,
      reason: 'signature mismatch',
    });
  });

  it('refuses a signature older than the tolerance (a replay)', () => {
    expect(verifyStripe(secret, body, signed(now - 301), 300, now)).toEqual({
      ok: false,
      reason: 'too old (outside the tolerance)',
    });
    expect(verifyStripe(secret, body, signed(now - 3600), 7200, now).ok).toBe(true);
  });

  it('refuses another secret, and names what is missing or malformed', () => {
    expect(verifyStripe(secret, body, signed(now, 'whsec_other'), 300, now)).toEqual({
      ok: false,
      reason: 'signature mismatch',
    });
    expect(verifyStripe(secret, body, undefined, 300, now)).toEqual({
      ok: false,
      reason: 'no signature (Stripe-Signature header missing)',
    });
    expect(verifyStripe(secret, body, 'garbage', 300, now)).toEqual({
      ok: false,
      reason: 'malformed signature header',
    });
    expect(verifyStripe(secret, body, `t=${now}`, 300, now)).toEqual({
      ok: false,
      reason: 'malformed signature header',
    });
    expect(verifyStripe(secret, Buffer.alloc(0), signed(now), 300, now)).toEqual({
      ok: false,
      reason: 'empty body',
    });
    expect(verifyStripe('', body, signed(now), 300, now).ok).toBe(false);
  });

  it('a signed body that is not JSON is refused after verification', () => {
    const text = Buffer.from('not json');
    expect(verifyStripe(secret, text, signed(now, secret, text), 300, now)).toEqual({
      ok: false,
      reason: 'body is not JSON',
    });
  });
});
