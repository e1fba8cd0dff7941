/** Cognito access tokens: a real RSA key pair, tokens signed like Cognito's, and every way one can be wrong. */
import { generateKeyPairSync, type JsonWebKey, sign } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { cognitoAccessTokens } from '../../shared/adapters/cognito/access-token.ts';

const ISSUER = 'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Example';
const CLIENT = 'console-client';
const NOW = Date.parse('2026-06-01T12:00:00Z');

function keyPair(kid: string) {
  const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return {
    kid,
    privateKey,
    jwk: { ...(publicKey.export({ format: 'jwk' }) as JsonWebKey), kid, alg: 'RS256', use: 'sig' },
  };
}

const current = keyPair('key-1');
const other = keyPair('key-2');

function token(claims: Record<string, unknown>, key = current, header: Record<string, unknown> = {}) {
  const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const head = encode({ alg: 'RS256', kid: key.kid, ...header });
  const body = encode({
    iss: ISSUER,
    token_use: 'access',
    client_id: CLIENT,
    sub: 'user-1',
    username: 'marketer',
    exp: NOW / 1000 + 3600,
    ...claims,
  });
  const signature = sign('RSA-SHA256', Buffer.from(`${head}.${body}`), key.privateKey).toString('base64url');
  return `${head}.${body}.${signature}`;
}

function verifier(keys = [current.jwk], clock = { now: NOW }) {
  let fetches = 0;
  const check = cognitoAccessTokens({
    issuer: ISSUER,
    clientId: CLIENT,
    now: () => clock.now,
    fetchKeys: async () => {
      fetches++;
      return keys;
    },
  });
  return { check, fetches: () => fetches };
}

describe('Cognito access tokens', () => {
  it('accepts a token the pool signed for our client, fetching the keys once', async () => {
    const { check, fetches } = verifier();
    expect(await check(token({}))).toMatchObject({ sub: 'user-1', username: 'marketer' });
    expect(await check(token({}))).toBeDefined();
    expect(fetches()).toBe(1);
  });

  it('refuses a forged signature, a tampered payload, and a key the pool does not have', async () => {
    const { check, fetches } = verifier();
    const good = token({});
    const [head, , signature] = good.split('.');
    const tampered = `${head}.${Buffer.from(JSON.stringify({ iss: ISSUER, token_use: 'access', client_id: CLIENT, sub: 'admin', exp: NOW / 1000 + 3600 })).toString('base64url')}.${signature}`;
    expect(await check(tampered)).toBeUndefined();
    expect(await check(token({}, { ...current, privateKey: other.privateKey }))).toBeUndefined();
    expect(await check(token({}, other))).toBeUndefined();
    // An unknown key id does not make it fetch again within the minute.
    expect(fetches()).toBe(1);
  });

  it('refuses expired tokens, ID tokens, other clients, other issuers and other algorithms', async () => {
    const { check } = verifier();
    expect(await check(token({ exp: NOW / 1000 - 120 }))).toBeUndefined();
    expect(await check(token({ exp: NOW / 1000 - 30 }))).toBeDefined();
    expect(await check(token({ token_use: 'id' }))).toBeUndefined();
    expect(await check(token({ client_id: 'someone-else' }))).toBeUndefined();
    expect(
      await check(token({ iss: 'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Other' })),
    ).toBeUndefined();
    expect(await check(token({}, current, { alg: 'none' }))).toBeUndefined();
    expect(await check(token({}, current, { alg: 'HS256' }))).toBeUndefined();
  });

  it('refuses what is not a token at all, without throwing', async () => {
    const { check } = verifier();
    for (const junk of ['', 'dev-admin-token', 'a.b', 'a.b.c.d', '!!!.???.***'])
      expect(await check(junk)).toBeUndefined();
  });

  it('picks up a rotated key, looking again at most once a minute', async () => {
    const keys = [current.jwk];
    const clock = { now: NOW };
    const { check, fetches } = verifier(keys, clock);
    expect(await check(token({}, other))).toBeUndefined();
    keys.push(other.jwk);
    expect(await check(token({}, other))).toBeUndefined();
    expect(fetches()).toBe(1);
    clock.now += 61_000;
    expect(await check(token({ exp: clock.now / 1000 + 3600 }, other))).toBeDefined();
    expect(fetches()).toBe(2);
  });
});
