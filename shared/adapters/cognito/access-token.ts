/**
 * Checks Amazon Cognito access tokens (the console's sign-in in AWS) without a library: the RS256
 * signature against the user pool's published keys (fetched once per cold start, again when a
 * key is new), then the claims: issuer, `token_use: access`, our app client, and expiry.
 */
import { createPublicKey, type JsonWebKey, type KeyObject, verify } from 'node:crypto';

export interface AccessTokenClaims {
  sub: string;
  username?: string;
  client_id: string;
  token_use: string;
  iss: string;
  exp: number;
  /** The user pool groups the person is in: their role (domain/access.ts). */
  'cognito:groups'?: string[];
}

type SigningKey = JsonWebKey & { kid?: string };

export interface AccessTokenOptions {
  /** `https://cognito-idp.<region>.amazonaws.com/<user pool id>` */
  issuer: string;
  clientId: string;
  /** The pool's signing keys (its `/.well-known/jwks.json`); injectable for tests. */
  fetchKeys?: () => Promise<SigningKey[]>;
  now?: () => number;
}

/** Leeway for clocks that disagree by a little. */
const CLOCK_SKEW_SECONDS = 60;
/** Keys are looked for again at most this often, so made-up key ids cannot make us fetch on each token. */
const KEY_REFRESH_MS = 60_000;

export function cognitoAccessTokens(options: AccessTokenOptions) {
  const fetchKeys = options.fetchKeys ?? (() => publishedKeys(options.issuer));
  const now = options.now ?? (() => Date.now());
  let keys: Promise<Map<string, KeyObject>> | undefined;
  let loadedAt = Number.NEGATIVE_INFINITY;
  const load = () => {
    loadedAt = now();
    return fetchKeys().then(keyMap);
  };
  const keyFor = async (kid: string) => {
    keys ??= load();
    const known = (await keys.catch(() => new Map<string, KeyObject>())).get(kid);
    if (known || now() - loadedAt < KEY_REFRESH_MS) return known;
    // A key we have not seen: the pool may have rotated its keys since this instance started.
    keys = load();
    return (await keys.catch(() => new Map<string, KeyObject>())).get(kid);
  };

  /** The token's claims when it is valid for us, undefined otherwise (never throws for a bad token). */
  return async (token: string): Promise<AccessTokenClaims | undefined> => {
    const [headerPart, payloadPart, signaturePart, extra] = token.split('.');
    if (!headerPart || !payloadPart || !signaturePart || extra !== undefined) return undefined;
    const header = parse<{ alg?: string; kid?: string }>(headerPart);
    if (header?.alg !== 'RS256' || !header.kid) return undefined;
    const key = await keyFor(header.kid);
    if (!key) return undefined;
    const signed = Buffer.from(`${headerPart}.${payloadPart}`);
    if (!verify('RSA-SHA256', signed, key, Buffer.from(signaturePart, 'base64url'))) return undefined;
    const claims = parse<AccessTokenClaims>(payloadPart);
    if (!claims) return undefined;
    if (claims.iss !== options.issuer) return undefined;
    if (claims.token_use !== 'access') return undefined;
    if (claims.client_id !== options.clientId) return undefined;
    if (typeof claims.exp !== 'number' || claims.exp + CLOCK_SKEW_SECONDS < now() / 1000) return undefined;
    return claims;
  };
}

async function publishedKeys(issuer: string): Promise<SigningKey[]> {
  const response = await fetch(`${issuer}/.well-known/jwks.json`);
  if (!response.ok) throw new Error(`the user pool's keys answered ${response.status}`);
  return ((await response.json()) as { keys: SigningKey[] }).keys;
}

function keyMap(list: SigningKey[]): Map<string, KeyObject> {
  const map = new Map<string, KeyObject>();
  for (const jwk of list)
    if (jwk.kid && jwk.kty === 'RSA') map.set(jwk.kid, createPublicKey({ key: jwk, format: 'jwk' }));
  return map;
}

function parse<T>(part: string): T | undefined {
  try {
    return JSON.parse(Buffer.from(part, 'base64url').toString('utf8')) as T;
  } catch {
    return undefined;
  }
}
