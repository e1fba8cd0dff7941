/**
 * The handler of an admin API function (admin, templates): every call must carry the admin token
 * (compared by its digest, in constant time) or, in AWS, a marketer's Cognito access token; then
 * the route runs.
 */
import middy from '@middy/core';
import { cognitoAccessTokens } from '../../shared/adapters/cognito/access-token.ts';
import {
  HttpError,
  type HttpEvent,
  type HttpResult,
  header,
  httpErrors,
} from '../../shared/adapters/http/api-gateway.ts';
import { secretDigests } from '../../shared/adapters/secrets.ts';
import { loadConfig } from '../../shared/config.ts';
import { observed } from '../../shared/observability.ts';
import { matchesAnyDigest } from '../../shared/security.ts';
import type { Route } from './http.ts';

export function authenticatedHandler(routes: Record<string, Route>) {
  const config = loadConfig([
    'ADMIN_TOKEN',
    'ADMIN_TOKEN_SECRET_ID',
    'COGNITO_USER_POOL_ID',
    'COGNITO_CLIENT_ID',
    'AWS_REGION',
  ]);
  const adminTokenDigests = secretDigests(config.ADMIN_TOKEN, config.ADMIN_TOKEN_SECRET_ID, 'ADMIN_TOKEN');
  // In AWS the console signs marketers in with Cognito; their access tokens are accepted beside the admin token.
  const cognitoToken =
    config.COGNITO_USER_POOL_ID && config.COGNITO_CLIENT_ID
      ? cognitoAccessTokens({
          issuer: `https://cognito-idp.${config.AWS_REGION ?? 'us-east-1'}.amazonaws.com/${config.COGNITO_USER_POOL_ID}`,
          clientId: config.COGNITO_CLIENT_ID,
        })
      : undefined;

  async function authenticate(event: HttpEvent) {
    const bearer = /^Bearer\s+(.+)$/i.exec(header(event, 'authorization')?.trim() ?? '')?.[1];
    if (matchesAnyDigest(bearer, await adminTokenDigests())) return;
    if (bearer && cognitoToken && (await cognitoToken(bearer))) return;
    throw new HttpError(401, 'missing or invalid admin token');
  }

  return middy<HttpEvent, HttpResult>()
    .use(observed())
    .use(httpErrors())
    .handler(async (event) => {
      await authenticate(event);
      const route = routes[event.routeKey];
      if (!route) throw new HttpError(404, `no route ${event.routeKey}`);
      return route(event);
    });
}
