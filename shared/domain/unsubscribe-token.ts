/**
 * Unsubscribe tokens: opaque (the customer id inside is encrypted, so a link shows nothing about
 * the person) and signed (HMAC-SHA256 over the ciphertext, encrypt-then-MAC), so a forged or
 * altered token is recognised and refused. Keys are derived from one secret.
 */
import {
  createCipheriv,
  createDecipheriv,
  createHash,
  createHmac,
  randomBytes,
  timingSafeEqual,
} from 'node:crypto';

const IV_BYTES = 16;
const MAC_BYTES = 16;

function keys(secret: string) {
  return {
    encryption: createHash('sha256').update(`unsubscribe-encryption\u0000${secret}`).digest(),
    signing: createHash('sha256').update(`unsubscribe-signing\u0000${secret}`).digest(),
  };
}

export function makeUnsubscribeToken(
  secret: string,
  customerId: string,
  iv: Buffer = randomBytes(IV_BYTES),
): string {
  const { encryption, signing } = keys(secret);
  const cipher = createCipheriv('aes-256-ctr', encryption, iv);
  const body = Buffer.concat([iv, cipher.update(customerId, 'utf8'), cipher.final()]);
  const mac = createHmac('sha256', signing).update(body).digest().subarray(0, MAC_BYTES);
  return Buffer.concat([body, mac]).toString('base64url');
}

/** The customer id in a token, or undefined when the token is not one of ours, intact. */
export function readUnsubscribeToken(secret: string, token: string): string | undefined {
  if (!/^[A-Za-z0-9_-]{30,700}$/.test(token)) return undefined;
  const raw = Buffer.from(token, 'base64url');
  if (raw.length <= IV_BYTES + MAC_BYTES) return undefined;
  const body = raw.subarray(0, raw.length - MAC_BYTES);
  const mac = raw.subarray(raw.length - MAC_BYTES);
  const { encryption, signing } = keys(secret);
  const expected = createHmac('sha256', signing).update(body).digest().subarray(0, MAC_BYTES);
  if (!timingSafeEqual(mac, expected)) return undefined;
  const decipher = createDecipheriv('aes-256-ctr', encryption, body.subarray(0, IV_BYTES));
  return Buffer.concat([decipher.update(body.subarray(IV_BYTES)), decipher.final()]).toString('utf8');
}
