/**
 * The handler of an admin API function (admin, templates). Every call is authenticated (the
 * admin token, compared by digest in constant time; a machine's API token, found by its id and
 * compared by digest; in AWS a person's Cognito access token, their role from its groups), then
 * authorised by the route's declared access (shared/domain/access.ts), then run. A change is
 * written to the audit log before it runs (so no change happens without its record) and settled
 * with its outcome and the state after; a refusal is recorded too.
 */
import middy from '@middy/core';
import { type AccessTokenClaims, cognitoAccessTokens } from '../../shared/adapters/cognito/access-token.ts';
import {
  HttpError,
  type HttpEvent,
  type HttpResult,
  header,
  httpErrors,
} from '../../shared/adapters/http/api-gateway.ts';
import { secretDigests } from '../../shared/adapters/secrets.ts';
import { loadConfig } from '../../shared/config.ts';
import { accessOf, allowed, type Principal, roleOfGroups } from '../../shared/domain/access.ts';
import { digestOf, statusOf, tokenIdOf } from '../../shared/domain/api-tokens.ts';
import {
  AUDIT_STATE_BYTES,
  auditTarget,
  isChange,
  newEntry,
  readBackRoute,
} from '../../shared/domain/audit.ts';
import { log, observed } from '../../shared/observability.ts';
import type { AuditLog, TokenStore } from '../../shared/ports.ts';
import { matchesAnyDigest, sameDigest } from '../../shared/security.ts';
import type { Route } from './http.ts';

export interface GateDeps {
  tokens: Pick<TokenStore, 'get' | 'used'>;
  audit: Pick<AuditLog, 'record' | 'settle'>;
  adminTokenDigests: () => Promise<readonly Buffer[]>;
  /** A person's access token (Cognito in AWS): their claims, or undefined. */
  personToken?: (token: string) => Promise<AccessTokenClaims | undefined>;
  now: () => Date;
}

/** Authenticates, authorises, audits and runs a call: the handler's core, for the tests too. */
export function gate(routes: Record<string, Route>, deps: GateDeps) {
  const routeKeys = Object.keys(routes);

  async function authenticate(event: HttpEvent): Promise<Principal> {
    const bearer = /^Bearer\s+(.+)$/i.exec(header(event, 'authorization')?.trim() ?? '')?.[1];
    if (!bearer) throw new HttpError(401, 'missing admin token: send Authorization: Bearer <token>');
    if (matchesAnyDigest(bearer, await deps.adminTokenDigests()))
      return { kind: 'person', name: 'admin token', role: 'admin' };
    const tokenId = tokenIdOf(bearer);
    if (tokenId) {
      const token = await deps.tokens.get(tokenId);
      if (!token || !sameDigest(digestOf(bearer), token.digest))
        throw new HttpError(401, 'invalid API token');
      const now = deps.now();
      const status = statusOf(token, now);
      if (status === 'revoked')
        throw new HttpError(401, `the API token ${token.name} was revoked at ${token.revokedAt}`);
      if (status === 'expired')
        throw new HttpError(401, `the API token ${token.name} expired at ${token.expiresAt}`);
      await deps.tokens.used(token.id, now.toISOString());
      return { kind: 'token', name: token.name, id: token.id, scopes: token.scopes };
    }
    const claims = deps.personToken ? await deps.personToken(bearer) : undefined;
    if (claims)
      return {
        kind: 'person',
        name: claims.username ?? claims.sub,
        role: roleOfGroups(claims['cognito:groups']),
      };
    throw new HttpError(401, 'invalid admin token');
  }

  /** What the API shows of a change's target, for the audit: its own GET, run for the same caller. */
  async function readBack(routeKey: string, event: HttpEvent, caller: Principal) {
    const reader = readBackRoute(routeKey, routeKeys);
    const route = reader ? routes[reader] : undefined;
    if (!reader || !route) return undefined;
    try {
      const result = await route(
        { ...event, routeKey: reader, body: undefined, isBase64Encoded: false } as HttpEvent,
        caller,
      );
      return result.statusCode === 200 && typeof result.body === 'string' ? JSON.parse(result.body) : null;
    } catch {
      return null;
    }
  }

  return async (event: HttpEvent): Promise<HttpResult> => {
    const caller = await authenticate(event);
    const route = routes[event.routeKey];
    const access = accessOf(event.routeKey);
    if (!route || !access) throw new HttpError(404, `no route ${event.routeKey}`);
    const target = auditTarget(event.routeKey, event.pathParameters ?? {});
    const verdict = allowed(caller, access);
    if (!verdict.ok) {
      const entry = newEntry(caller, event.routeKey, target, deps.now());
      await deps.audit.record({ ...entry, outcome: 403, refused: verdict.missing });
      throw new HttpError(403, `forbidden: ${event.routeKey} needs ${verdict.missing}`);
    }
    if (!isChange(event.routeKey)) return route(event, caller);

    const before = await readBack(event.routeKey, event, caller);
    const entry = {
      ...newEntry(caller, event.routeKey, target, deps.now()),
      ...(before !== undefined ? { before } : {}),
    };
    const tooLarge = JSON.stringify(before ?? null).length > AUDIT_STATE_BYTES / 2;
    if (tooLarge) {
      delete entry.before;
      entry.statesOmitted = true;
    }
    await deps.audit.record(entry);
    let result: HttpResult;
    try {
      result = await route(event, caller);
    } catch (error) {
      await deps.audit
        .settle(entry, { outcome: error instanceof HttpError ? error.statusCode : 500 })
        .catch((settleError) => log.error('audit settle failed', { error: String(settleError) }));
      throw error;
    }
    const status = result.statusCode ?? 200;
    const after = status < 300 ? await readBack(event.routeKey, event, caller) : undefined;
    const keepAfter =
      after !== undefined && !tooLarge && JSON.stringify(after).length <= AUDIT_STATE_BYTES / 2;
    await deps.audit.settle(entry, {
      outcome: status,
      ...(keepAfter ? { after } : {}),
      ...(after !== undefined && !keepAfter ? { statesOmitted: true } : {}),
    });
    return result;
  };
}

export function authenticatedHandler(
  routes: Record<string, Route>,
  deps: Omit<GateDeps, 'adminTokenDigests' | 'personToken'>,
) {
  const config = loadConfig([
    'ADMIN_TOKEN',
    'ADMIN_TOKEN_SECRET_ID',
    'COGNITO_USER_POOL_ID',
    'COGNITO_CLIENT_ID',
    'AWS_REGION',
  ]);
  // In AWS the console signs marketers in with Cognito; their access tokens are accepted beside the admin token.
  const personToken =
    config.COGNITO_USER_POOL_ID && config.COGNITO_CLIENT_ID
      ? cognitoAccessTokens({
          issuer: `https://cognito-idp.${config.AWS_REGION ?? 'us-east-1'}.amazonaws.com/${config.COGNITO_USER_POOL_ID}`,
          clientId: config.COGNITO_CLIENT_ID,
        })
      : undefined;
  const run = gate(routes, {
    ...deps,
    adminTokenDigests: secretDigests(config.ADMIN_TOKEN, config.ADMIN_TOKEN_SECRET_ID, 'ADMIN_TOKEN'),
    ...(personToken ? { personToken } : {}),
  });
  return middy<HttpEvent, HttpResult>().use(observed()).use(httpErrors()).handler(run);
}
