import { gzipSync } from 'node:zlib';
import middy from '@middy/core';
import { describe, expect, it } from 'vitest';
import {
  bodyBytes,
  HttpError,
  type HttpEvent,
  type HttpResult,
  httpErrors,
  json,
} from '../../shared/adapters/http/api-gateway.ts';

const event = (body: string, headers: Record<string, string> = {}, isBase64Encoded = false) =>
  ({ body, headers, isBase64Encoded }) as unknown as HttpEvent;

describe('API Gateway body decoding', () => {
  it('reads text bodies as they are', () => {
    expect(bodyBytes(event('{"a":1}'), 100).toString()).toBe('{"a":1}');
  });

  it('undoes base64 and inflates gzip', () => {
    const zipped = gzipSync('{"a":1}').toString('base64');
    expect(bodyBytes(event(zipped, { 'Content-Encoding': 'gzip' }, true), 100).toString()).toBe('{"a":1}');
  });

  it('stops inflating one byte past the limit, so a gzip bomb costs nothing', () => {
    const bomb = gzipSync(Buffer.alloc(10_000_000)).toString('base64');
    expect(bodyBytes(event(bomb, { 'content-encoding': 'gzip' }, true), 1000).length).toBe(1001);
  });

  it('answers 400 to a body that claims gzip but is not', () => {
    expect(() => bodyBytes(event('bm90IGd6aXA=', { 'content-encoding': 'gzip' }, true), 100)).toThrow(
      HttpError,
    );
  });
});

describe('error middleware', () => {
  const handlerThrowing = (error: unknown) =>
    middy<HttpEvent, HttpResult>()
      .use(httpErrors())
      .handler(async () => {
        throw error;
      });

  it('answers an HttpError with its status and message', async () => {
    const result = await handlerThrowing(new HttpError(404, 'no such thing'))(event(''), {} as never);
    expect(result).toEqual(json(404, { success: false, error: 'no such thing' }));
  });

  it('answers anything else with a 500 that leaks nothing', async () => {
    const result = await handlerThrowing(new Error('password=hunter2'))(event(''), {} as never);
    expect(result.statusCode).toBe(500);
    expect(result.body).not.toContain('hunter2');
  });
});
