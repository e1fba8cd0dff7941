/**
 * Secrets are held only as SHA-256 digests and compared in constant time: a candidate is hashed
 * and checked against every known digest, with no early exit, so timing reveals nothing.
 */
import { createHash, timingSafeEqual } from 'node:crypto';

export function sha256(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}

export function sha256Hex(value: string): string {
  return sha256(value).toString('hex');
}

export function matchesAnyDigest(candidate: string | undefined, digests: readonly Buffer[]): boolean {
  if (!candidate) return false;
  const hashed = sha256(candidate);
  let matched = false;
  for (const digest of digests) matched = timingSafeEqual(hashed, digest) || matched;
  return matched;
}

/** Two hex digests compared in constant time (a different length is simply not the same). */
export function sameDigest(a: string, b: string): boolean {
  const left = Buffer.from(a, 'hex');
  const right = Buffer.from(b, 'hex');
  return left.length === right.length && left.length > 0 && timingSafeEqual(left, right);
}
