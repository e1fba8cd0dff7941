/**
 * API Gateway HTTP API (payload v2) plumbing shared by the HTTP functions: decoding the body,
 * reading headers, JSON answers, and one middleware that turns errors into responses.
 */
import { gunzipSync } from 'node:zlib';
import type { MiddlewareObj } from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { log } from '../../observability.ts';

export type HttpEvent = APIGatewayProxyEventV2;
export type HttpResult = APIGatewayProxyStructuredResultV2;

export class HttpError extends Error {
  constructor(
    readonly statusCode: number,
    message: string,
    readonly extra: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

export function json(statusCode: number, body: unknown, headers: Record<string, string> = {}): HttpResult {
  return {
    statusCode,
    headers: { 'content-type': 'application/json; charset=utf-8', ...headers },
    body: JSON.stringify(body),
  };
}

export function header(event: HttpEvent, name: string): string | undefined {
  const wanted = name.toLowerCase();
  for (const [key, value] of Object.entries(event.headers ?? {})) {
    if (key.toLowerCase() === wanted) return value;
  }
  return undefined;
}

/** The request body as bytes: base64 undone, gzip (which some Segment libraries use) inflated. */
export function bodyBytes(event: HttpEvent, maxInflatedBytes: number): Buffer {
  if (!event.body) return Buffer.alloc(0);
  const raw = event.isBase64Encoded ? Buffer.from(event.body, 'base64') : Buffer.from(event.body, 'utf8');
  if (header(event, 'content-encoding')?.toLowerCase() !== 'gzip') return raw;
  try {
    // One byte over the limit is enough to answer 413; never inflate a bomb in full.
    return gunzipSync(raw, { maxOutputLength: maxInflatedBytes + 1 });
  } catch (error) {
    if ((error as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE')
      return Buffer.alloc(maxInflatedBytes + 1);
    throw new HttpError(400, 'body: invalid gzip encoding');
  }
}

export function parseJson(bytes: Buffer): unknown {
  try {
    return JSON.parse(bytes.toString('utf8'));
  } catch {
    throw new HttpError(400, 'body: invalid JSON');
  }
}

/** Turns an HttpError into its answer and anything else into a 500 that leaks nothing. */
export function httpErrors(): MiddlewareObj<HttpEvent, HttpResult> {
  return {
    onError: (request) => {
      const { error } = request;
      if (error instanceof HttpError) {
        request.response = json(error.statusCode, { success: false, error: error.message, ...error.extra });
        return;
      }
      log.error('unhandled error', { error: String(error) });
      request.response = json(500, { success: false, error: 'internal error' });
    },
  };
}
