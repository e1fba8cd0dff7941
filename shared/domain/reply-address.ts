/**
 * Where a customer's reply goes: every lifecycle email's Reply-To is
 * `reply+<customer>.<email>@<inbound domain>`. `<customer>` is an HMAC of the customer's id (24
 * base32 characters: unguessable), resolved through one stored item per customer, written with
 * their first email (so replies cost no write per email); `<email>` names the email it answers:
 * a short hash of its journey and its occurrence, matched against the customer's own emails. The
 * whole fits an address's local part (RFC 5321: 64 characters).
 */
import { createHash, createHmac } from 'node:crypto';

export interface RepliedEmail {
  customerId: string;
  campaignId: string;
  occurrence: number;
}

const BASE32 = 'abcdefghijklmnopqrstuvwxyz234567';
/** 24 base32 characters: 120 bits. */
const ID_LENGTH = 24;
/** The journey's hash in the address: 6 base32 characters (30 bits), among one customer's journeys. */
const TAG_LENGTH = 6;
const ADDRESS = /^reply\+([a-z2-7]{24})(?:\.([a-z2-7]{6})([0-9]{1,6}))?@/i;

function base32(bytes: Buffer, length: number): string {
  let bits = 0;
  let value = 0;
  let text = '';
  for (const byte of bytes) {
    value = ((value << 8) | byte) & 0xffff;
    bits += 8;
    while (bits >= 5 && text.length < length) {
      text += BASE32[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  return text;
}

/** The customer's part of their reply addresses. */
export function replyId(secret: string, customerId: string): string {
  return base32(createHmac('sha256', secret).update(`reply\u0000${customerId}`).digest(), ID_LENGTH);
}

/** The journey's part of an address (the same for every customer). */
export function journeyTag(campaignId: string): string {
  return base32(createHash('sha256').update(campaignId).digest(), TAG_LENGTH);
}

export function replyAddress(id: string, email: Omit<RepliedEmail, 'customerId'>, domain: string): string {
  return `reply+${id}.${journeyTag(email.campaignId)}${email.occurrence}@${domain}`;
}

/** The reply address among these (envelope recipients first): the customer's part, and the email's. */
export function replyIdIn(
  addresses: readonly string[],
): { id: string; email?: { tag: string; occurrence: number } } | undefined {
  for (const address of addresses) {
    const match = ADDRESS.exec(address.trim().replace(/^.*</, ''));
    if (!match?.[1]) continue;
    const id = match[1].toLowerCase();
    return match[2] && match[3]
      ? { id, email: { tag: match[2].toLowerCase(), occurrence: Number(match[3]) } }
      : { id };
  }
  return undefined;
}
