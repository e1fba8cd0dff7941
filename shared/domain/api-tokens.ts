/**
 * API tokens for machines (a CI job that pushes templates, a dashboard that reads metrics): a
 * name, scopes (domain/access.ts) and an expiry. The token is shown once; only its digest is
 * kept, and a token is found by the id it carries, then compared by digest in constant time.
 */
import { createHash, randomBytes } from 'node:crypto';
import * as z from 'zod';
import { SCOPES, type Scope } from './access.ts';

export interface ApiToken {
  id: string;
  name: string;
  scopes: Scope[];
  /** sha256 of the whole token, hex. */
  digest: string;
  createdAt: string;
  createdBy: string;
  expiresAt: string;
  lastUsedAt?: string;
  revokedAt?: string;
}

/** What the list shows: never the digest. */
export type ApiTokenView = Omit<ApiToken, 'digest'> & { status: 'active' | 'expired' | 'revoked' };

const PREFIX = 'lct';
export const MAX_TOKEN_DAYS = 365;

export const newTokenBody = z.strictObject({
  name: z.string().trim().min(1, 'must not be empty').max(100),
  scopes: z
    .array(z.enum(Object.keys(SCOPES) as [Scope, ...Scope[]]))
    .min(1, 'must name at least one scope')
    .transform((scopes) => [...new Set(scopes)].sort()),
  expiresInDays: z.number().int().min(1).max(MAX_TOKEN_DAYS).default(90),
});

export function digestOf(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/** A new token: what is kept, and the token itself (answered once). */
export function issueToken(
  request: z.infer<typeof newTokenBody>,
  createdBy: string,
  now: Date,
): { stored: ApiToken; token: string } {
  const id = randomBytes(6).toString('hex');
  const token = `${PREFIX}_${id}_${randomBytes(32).toString('base64url')}`;
  return {
    token,
    stored: {
      id,
      name: request.name,
      scopes: request.scopes,
      digest: digestOf(token),
      createdAt: now.toISOString(),
      createdBy,
      expiresAt: new Date(now.getTime() + request.expiresInDays * 86_400_000).toISOString(),
    },
  };
}

/** The id a bearer token carries, when it looks like one of ours. */
export function tokenIdOf(bearer: string): string | undefined {
  return new RegExp(`^${PREFIX}_([0-9a-f]{12})_[A-Za-z0-9_-]{43}$`).exec(bearer)?.[1];
}

export function statusOf(token: ApiToken, now: Date): ApiTokenView['status'] {
  if (token.revokedAt) return 'revoked';
  return token.expiresAt <= now.toISOString() ? 'expired' : 'active';
}

export function viewOf(token: ApiToken, now: Date): ApiTokenView {
  const { digest: _digest, ...view } = token;
  return { ...view, status: statusOf(token, now) };
}
