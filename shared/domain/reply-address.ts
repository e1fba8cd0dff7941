/**
 * Where a customer's reply goes: every lifecycle email's Reply-To is `reply+<id>@<inbound domain>`,
 * the id naming that one email (customer, journey, occurrence) through a stored mapping. The id is
 * an HMAC of the email's key: unguessable, stable (a retried send writes the same mapping), and
 * short enough for an address's local part (RFC 5321: 64 characters).
 */
import { createHmac } from 'node:crypto';

export interface RepliedEmail {
  customerId: string;
  campaignId: string;
  occurrence: number;
}

const BASE32 = 'abcdefghijklmnopqrstuvwxyz234567';
/** 24 base32 characters: 120 bits. */
const ID_LENGTH = 24;
const ADDRESS = /^reply\+([a-z2-7]{24})@/i;

export function replyId(secret: string, email: RepliedEmail): string {
  const digest = createHmac('sha256', secret)
    .update(`reply\u0000${email.customerId}\u0000${email.campaignId}\u0000${email.occurrence}`)
    .digest();
  let bits = 0;
  let value = 0;
  let id = '';
  for (const byte of digest) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5 && id.length < ID_LENGTH) {
      id += BASE32[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  return id;
}

export function replyAddress(id: string, domain: string): string {
  return `reply+${id}@${domain}`;
}

/** The reply id in one of these addresses (envelope recipients first), or undefined. */
export function replyIdIn(addresses: readonly string[]): string | undefined {
  for (const address of addresses) {
    const match = ADDRESS.exec(address.trim().replace(/^.*</, ''));
    if (match?.[1]) return match[1].toLowerCase();
  }
  return undefined;
}
