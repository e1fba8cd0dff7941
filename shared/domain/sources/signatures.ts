/**
 * Shopify's and WooCommerce's webhook signatures: the base64 HMAC-SHA256 of the raw request body
 * with the shop's secret, in `X-Shopify-Hmac-Sha256` and `X-WC-Webhook-Signature`. Verified over
 * the bytes as received (never a re-serialized body), compared in constant time. (Stripe's scheme,
 * timestamped, is verified with Stripe's library: adapters/http/stripe-signature.ts.)
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

const SHA256_BYTES = 32;
/** 32 bytes in standard base64: 43 characters and one `=`. */
const BASE64_SHA256 = /^[A-Za-z0-9+/]{43}=$/;

/** True when `header` is the base64 HMAC-SHA256 of `rawBody` under `secret`. */
export function verifyHmacBase64(secret: string, rawBody: Buffer, header: string | undefined): boolean {
  if (!secret || typeof header !== 'string') return false;
  const given = header.trim();
  if (!BASE64_SHA256.test(given)) return false;
  const provided = Buffer.from(given, 'base64');
  const expected = createHmac('sha256', secret).update(rawBody).digest();
  return provided.length === SHA256_BYTES && timingSafeEqual(provided, expected);
}

/** Shopify: `X-Shopify-Hmac-Sha256`, signed with the app's client secret (or the shop's webhook secret). */
export function verifyShopify(secret: string, rawBody: Buffer, header?: string): boolean {
  return verifyHmacBase64(secret, rawBody, header);
}

/** WooCommerce: `X-WC-Webhook-Signature`, signed with the secret set on the webhook. */
export function verifyWooCommerce(secret: string, rawBody: Buffer, header?: string): boolean {
  return verifyHmacBase64(secret, rawBody, header);
}
