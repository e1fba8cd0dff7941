/**
 * `GET /openapi.json`: the OpenAPI 3.1 description of every route, made once per cold start from
 * the routes' zod schemas. Public, as an API's description is: it holds no data, only shapes.
 */
import middy from '@middy/core';
import packageJson from '../../package.json' with { type: 'json' };
import { type HttpEvent, type HttpResult, json } from '../../shared/adapters/http/api-gateway.ts';
import { openApiDocument } from '../../shared/api/openapi.ts';
import { ROUTE_DOCS } from '../../shared/api/routes.ts';
import { loadConfig } from '../../shared/config.ts';
import { observed } from '../../shared/observability.ts';

const config = loadConfig(['PUBLIC_URL']);
const body = openApiDocument(
  Object.entries(ROUTE_DOCS).map(([routeKey, doc]) => ({ routeKey, doc })),
  { version: packageJson.version, serverUrl: config.PUBLIC_URL },
);

export const handler = middy<HttpEvent, HttpResult>()
  .use(observed())
  .handler(async () => json(200, body, { 'cache-control': 'public, max-age=300' }));
