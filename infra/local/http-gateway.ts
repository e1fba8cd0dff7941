/**
 * A local API Gateway HTTP API: matches routes from the topology, builds the same payload-v2
 * events API Gateway sends, invokes the handler and writes its answer. CORS is answered the way
 * the deployed API's `corsPreflight` does, so analytics.js in a browser works against it.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { endpointServer, readBody } from './http-server.ts';
import type { LocalFunction } from './lambda-runtime.ts';

export const CORS_HEADERS = {
  'access-control-allow-origin': '*',
  'access-control-allow-methods': 'GET,POST,PUT,DELETE,OPTIONS',
  'access-control-allow-headers': 'authorization,content-type,content-encoding',
  'access-control-max-age': '600',
};

/** API Gateway's own payload limit. */
const MAX_PAYLOAD_BYTES = 10 * 1024 * 1024;

interface CompiledRoute {
  routeKey: string;
  method: string;
  pattern: RegExp;
  params: string[];
  target: LocalFunction;
}

export interface StaticSiteFile {
  body: Buffer;
  contentType: string;
}

export type LocalRoute = (
  request: IncomingMessage,
  body: Buffer,
) => Promise<{ status: number; headers?: Record<string, string>; body: string | Buffer }>;

export class LocalHttpGateway {
  private readonly routes: CompiledRoute[] = [];
  private readonly localRoutes = new Map<string, LocalRoute>();
  private readonly sites = new Map<
    string,
    { files: Map<string, StaticSiteFile>; headers: Record<string, string> }
  >();
  private server: Server | undefined;

  /**
   * Static files under a path (the console at `/console/`): `/console` redirects to `/console/`,
   * which answers `index.html`. `headers` go with every file (the content security policy).
   */
  site(prefix: string, files: Map<string, StaticSiteFile>, headers: Record<string, string> = {}) {
    this.sites.set(prefix.replace(/\/$/, ''), { files, headers });
  }

  /** Adds an API Gateway route key such as `POST /v1/{type}` or `ANY /admin/{proxy+}`. */
  route(routeKey: string, target: LocalFunction) {
    const [method, path] = routeKey.split(' ');
    if (!method || !path) throw new Error(`invalid route key ${routeKey}`);
    const params: string[] = [];
    const source = path
      .split('/')
      .map((segment) => {
        const greedy = /^\{(\w+)\+\}$/.exec(segment);
        if (greedy?.[1]) {
          params.push(greedy[1]);
          return '(.+)';
        }
        const param = /^\{(\w+)\}$/.exec(segment);
        if (param?.[1]) {
          params.push(param[1]);
          return '([^/]+)';
        }
        return segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      })
      .join('/');
    this.routes.push({ routeKey, method, pattern: new RegExp(`^${source}$`), params, target });
  }

  /** Routes that exist only in the local stack (health, inbox helpers): `GET /health`. */
  localRoute(routeKey: string, handler: LocalRoute) {
    this.localRoutes.set(routeKey, handler);
  }

  async listen(port: number, host = '127.0.0.1'): Promise<void> {
    this.server = endpointServer((request, response) => {
      this.handle(request, response).catch((error) => {
        console.error(`gateway: ${String(error)}`);
        if (!response.headersSent) response.writeHead(500, { 'content-type': 'application/json' });
        response.end(JSON.stringify({ message: 'Internal Server Error' }));
      });
    });
    await new Promise<void>((resolve, reject) => {
      this.server?.once('error', reject);
      this.server?.listen(port, host, () => resolve());
    });
  }

  /**
   * Stops taking requests, lets those in flight finish (up to `graceMs`), then drops what is left.
   * Closing twice is harmless: the stack closes its front door first, and again if it failed to start.
   */
  async close(graceMs = 5_000): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeIdleConnections();
    const grace = new Promise<void>((resolve) => setTimeout(resolve, graceMs).unref());
    await Promise.race([closed, grace]);
    server.closeAllConnections();
    await closed;
  }

  private async handle(request: IncomingMessage, response: ServerResponse) {
    const url = new URL(request.url ?? '/', 'http://localhost');
    const method = (request.method ?? 'GET').toUpperCase();
    const body = await readBody(request, MAX_PAYLOAD_BYTES + 1);
    if (body.length > MAX_PAYLOAD_BYTES)
      return send(
        response,
        413,
        { 'content-type': 'application/json' },
        '{"message":"Request Entity Too Large"}',
      );

    if (method === 'OPTIONS') return send(response, 204, CORS_HEADERS, '');

    if (method === 'GET' || method === 'HEAD') {
      for (const [prefix, site] of this.sites) {
        if (url.pathname === prefix) return send(response, 301, { location: `${prefix}/` }, '');
        if (!url.pathname.startsWith(`${prefix}/`)) continue;
        const file = site.files.get(url.pathname.slice(prefix.length + 1) || 'index.html');
        if (!file) return send(response, 404, { 'content-type': 'text/plain; charset=utf-8' }, 'Not Found');
        return send(
          response,
          200,
          {
            ...site.headers,
            'content-type': file.contentType,
            'cache-control': 'no-cache',
            'x-content-type-options': 'nosniff',
            'referrer-policy': 'no-referrer',
          },
          method === 'HEAD' ? '' : file.body,
        );
      }
    }

    const local = this.localRoutes.get(`${method} ${url.pathname}`);
    if (local) {
      const result = await local(request, body);
      return send(response, result.status, { ...CORS_HEADERS, ...result.headers }, result.body);
    }

    for (const route of this.routes) {
      if (route.method !== method && route.method !== 'ANY') continue;
      const match = route.pattern.exec(url.pathname);
      if (!match) continue;
      const pathParameters = Object.fromEntries(
        route.params.map((name, index) => [name, match[index + 1] ?? '']),
      );
      const event = apiGatewayEvent(request, url, body, route.routeKey, pathParameters);
      let result: unknown;
      try {
        result = await route.target.invoke(event);
      } catch (error) {
        console.error(`${route.target.spec.name}: ${String(error)}`);
        return send(
          response,
          500,
          { ...CORS_HEADERS, 'content-type': 'application/json' },
          '{"message":"Internal Server Error"}',
        );
      }
      const structured = normalizeResult(result);
      const payload = structured.isBase64Encoded
        ? Buffer.from(structured.body ?? '', 'base64')
        : (structured.body ?? '');
      const headers: Record<string, string> = { ...CORS_HEADERS };
      for (const [key, value] of Object.entries(structured.headers ?? {}))
        headers[key.toLowerCase()] = String(value);
      return send(response, structured.statusCode ?? 200, headers, payload, structured.cookies);
    }
    send(response, 404, { ...CORS_HEADERS, 'content-type': 'application/json' }, '{"message":"Not Found"}');
  }
}

function apiGatewayEvent(
  request: IncomingMessage,
  url: URL,
  body: Buffer,
  routeKey: string,
  pathParameters: Record<string, string>,
): APIGatewayProxyEventV2 {
  const headers: Record<string, string> = {};
  for (const [key, value] of Object.entries(request.headers)) {
    if (value === undefined || key === 'cookie') continue;
    headers[key.toLowerCase()] = Array.isArray(value) ? value.join(',') : value;
  }
  const query: Record<string, string> = {};
  for (const [key, value] of url.searchParams) query[key] = query[key] ? `${query[key]},${value}` : value;
  const binary = isBinary(headers['content-type'], headers['content-encoding']);
  const now = new Date();
  const event: APIGatewayProxyEventV2 = {
    version: '2.0',
    routeKey,
    rawPath: url.pathname,
    rawQueryString: url.search.replace(/^\?/, ''),
    headers,
    requestContext: {
      accountId: '000000000000',
      apiId: 'local',
      domainName: headers.host ?? 'localhost',
      domainPrefix: 'local',
      http: {
        method: (request.method ?? 'GET').toUpperCase(),
        path: url.pathname,
        protocol: `HTTP/${request.httpVersion}`,
        sourceIp: request.socket.remoteAddress ?? '127.0.0.1',
        userAgent: headers['user-agent'] ?? '',
      },
      requestId: randomUUID(),
      routeKey,
      stage: '$default',
      time: now.toUTCString(),
      timeEpoch: now.getTime(),
    },
    isBase64Encoded: binary && body.length > 0,
  };
  if (request.headers.cookie) event.cookies = request.headers.cookie.split(/;\s*/);
  if (Object.keys(query).length > 0) event.queryStringParameters = query;
  if (Object.keys(pathParameters).length > 0) event.pathParameters = pathParameters;
  if (body.length > 0) event.body = binary ? body.toString('base64') : body.toString('utf8');
  return event;
}

/** API Gateway passes text as is and everything else (or anything compressed) base64-encoded. */
function isBinary(contentType: string | undefined, contentEncoding: string | undefined) {
  if (contentEncoding && contentEncoding !== 'identity') return true;
  if (!contentType) return false;
  return !/^(text\/|application\/(json|xml|x-www-form-urlencoded|javascript)|[^;]*\+json)/i.test(contentType);
}

/** Payload v2 lets a handler return a bare value: API Gateway then answers 200 with it as JSON. */
function normalizeResult(result: unknown): APIGatewayProxyStructuredResultV2 {
  if (result && typeof result === 'object' && 'statusCode' in result)
    return result as APIGatewayProxyStructuredResultV2;
  return {
    statusCode: 200,
    headers: { 'content-type': 'application/json' },
    body: typeof result === 'string' ? result : JSON.stringify(result ?? null),
  };
}

function send(
  response: ServerResponse,
  status: number,
  headers: Record<string, string>,
  body: string | Buffer,
  cookies?: string[],
) {
  const all: Record<string, string | string[]> = { ...headers };
  if (cookies?.length) all['set-cookie'] = cookies;
  response.writeHead(status, all);
  response.end(body);
}
