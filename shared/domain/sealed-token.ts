/**
 * Tokens in links we send (unsubscribe, ratings): opaque (what they carry is encrypted, so a link
 * shows nothing about the person) and signed (HMAC-SHA256 over the ciphertext,
 * encrypt-then-MAC), so a forged or altered token is recognised and refused, compared in constant
 * time. Each purpose derives its own keys from the one secret: a token made for one purpose does
 * not open for another.
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

function keys(secret: string, purpose: string) {
  return {
    encryption: createHash('sha256').update(`${purpose}-encryption\u0000${secret}`).digest(),
    signing: createHash('sha256').update(`${purpose}-signing\u0000${secret}`).digest(),
  };
}

export function sealToken(
  secret: string,
  purpose: string,
  payload: string,
  iv: Buffer = randomBytes(IV_BYTES),
): string {
  const { encryption, signing } = keys(secret, purpose);
  const cipher = createCipheriv('aes-256-ctr', encryption, iv);
  const body = Buffer.concat([iv, cipher.update(payload, 'utf8'), cipher.final()]);
  const mac = createHmac('sha256', signing).update(body).digest().subarray(0, MAC_BYTES);
  return Buffer.concat([body, mac]).toString('base64url');
}

/** What a token carries, or undefined when it is not one of ours for this purpose, intact. */
export function openToken(secret: string, purpose: string, token: string): string | undefined {
  if (!/^[A-Za-z0-9_-]{30,1400}$/.test(token)) return undefined;
  const raw = Buffer.from(token, 'base64url');
  if (raw.length <= IV_BYTES + MAC_BYTES) return undefined;
  const body = raw.subarray(0, raw.length - MAC_BYTES);
  const mac = raw.subarray(raw.length - MAC_BYTES);
  const { encryption, signing } = keys(secret, purpose);
  const expected = createHmac('sha256', signing).update(body).digest().subarray(0, MAC_BYTES);
  if (!timingSafeEqual(mac, expected)) return undefined;
  const decipher = createDecipheriv('aes-256-ctr', encryption, body.subarray(0, IV_BYTES));
  return Buffer.concat([decipher.update(body.subarray(IV_BYTES)), decipher.final()]).toString('utf8');
}
