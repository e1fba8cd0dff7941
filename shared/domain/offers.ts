/**
 * Offer codes: each customer's own code for each occurrence of an incentive campaign. Derived
 * with an HMAC under a secret, so it is unguessable, needs no storage to stay stable across
 * retries, and is the same wherever it is computed.
 */
import { createHmac } from 'node:crypto';
import type { OfferCodeMaker } from './rules.ts';

/** Crockford's base 32: no I, L, O or U, so a code read aloud or retyped survives. */
const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

export function offerCodeMaker(secret: string): OfferCodeMaker {
  return (customerId, campaignId, occurrence, prefix) => {
    const digest = createHmac('sha256', secret)
      .update(`${customerId}\u0000${campaignId}\u0000${occurrence}`)
      .digest();
    let code = '';
    // 10 characters of 5 bits: 50 bits, so no one guesses another customer's code.
    for (let index = 0; index < 10; index++) code += ALPHABET[(digest[index] ?? 0) % 32];
    return `${prefix}-${code}`;
  };
}

/** Codes are compared as people type them: case and surrounding spaces do not matter. */
export function sameCode(a: string, b: string) {
  return a.trim().toUpperCase() === b.trim().toUpperCase();
}
