/** The tracking API's contract over HTTP: statuses, messages, limits, and that rejects write nothing. */
import { describe, expect, it } from 'vitest';
import { MAX_NESTING_DEPTH } from '../../shared/domain/segment.ts';
import { admin, basicAuth, eventually, post, sleep, stack, uniqueId } from '../support/stack.ts';

async function customerAfterSettling(userId: string) {
  await sleep(600);
  return admin(`/admin/customers/${userId}`);
}

describe('tracking API over HTTP', () => {
  it('answers 401 to a wrong or missing write key and writes nothing', async () => {
    const userId = uniqueId('auth');
    const wrong = await post(
      '/v1/identify',
      { userId, traits: { email: 'x@example.com' } },
      { authorization: basicAuth('wrong') },
    );
    expect(wrong.status).toBe(401);
    const response = await fetch(`${stack().api}/v1/identify`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ userId }),
    });
    expect(response.status).toBe(401);
    expect((await customerAfterSettling(userId)).status).toBe(404);
  });

  it('answers 400 to invalid JSON', async () => {
    const result = await post('/v1/track', '{"userId":');
    expect(result).toEqual({ status: 400, body: { success: false, error: 'body: invalid JSON' } });
  });

  it('answers 400 naming the field: missing ids, and a wrong type', async () => {
    const missing = await post('/v1/track', { event: 'x' });
    expect(missing.status).toBe(400);
    expect(missing.body.error).toBe('userId: userId or anonymousId is required');
    const userId = uniqueId('type');
    const wrongType = await post('/v1/identify', { userId, traits: ['not', 'an', 'object'] });
    expect(wrongType.status).toBe(400);
    expect(wrongType.body.error).toMatch(/^traits: /);
    expect((await customerAfterSettling(userId)).status).toBe(404);
  });

  it('answers 413 over Segment’s limits', async () => {
    const userId = uniqueId('big');
    const single = await post('/v1/track', {
      userId,
      event: 'x',
      properties: { blob: 'x'.repeat(33 * 1024) },
    });
    expect(single.status).toBe(413);
    const batch = await post('/v1/batch', {
      batch: Array.from({ length: 17 }, () => ({
        type: 'track',
        userId,
        event: 'x',
        properties: { blob: 'y'.repeat(31 * 1024) },
      })),
    });
    expect(batch.status).toBe(413);
    expect((await customerAfterSettling(userId)).status).toBe(404);
  });

  it('answers 400 naming the field to a body nested thousands of levels deep, on every route', async () => {
    const deep = (levels: number) => `${'{"a":['.repeat(levels)}1${']}'.repeat(levels)}`;
    for (const path of ['identify', 'track', 'page', 'screen', 'group', 'alias', 't', 'i', 'p']) {
      const userId = uniqueId('deep');
      for (const field of ['properties', 'traits', 'context']) {
        const body = `{"userId":"${userId}","event":"E","previousId":"p","groupId":"g","${field}":${deep(2500)}}`;
        const result = await post(`/v1/${path}`, body);
        expect(result, `/v1/${path} ${field}`).toEqual({
          status: 400,
          body: { success: false, error: `${field}: nested deeper than ${MAX_NESTING_DEPTH} levels` },
        });
      }
      const top = await post(`/v1/${path}`, `[${deep(3000)}]`);
      expect(top).toEqual({ status: 400, body: { success: false, error: 'body: must be a JSON object' } });
      expect((await customerAfterSettling(userId)).status).toBe(404);
    }
    const userId = uniqueId('deep-batch');
    const batch = await post(
      '/v1/batch',
      `{"batch":[{"type":"track","userId":"${userId}","event":"Kept","messageId":"${userId}-ok"},` +
        `{"type":"track","userId":"${userId}","event":"E","properties":${deep(3000)}}]}`,
    );
    expect(batch).toEqual({
      status: 200,
      body: {
        success: true,
        accepted: 1,
        rejected: [
          { index: 1, error: `batch[1].properties: nested deeper than ${MAX_NESTING_DEPTH} levels` },
        ],
      },
    });
    const envelope = await post(
      '/v1/batch',
      `{"context":${deep(3000)},"batch":[{"type":"track","userId":"${uniqueId('env')}","event":"E"}]}`,
    );
    expect(envelope.body.error).toBe(`context: nested deeper than ${MAX_NESTING_DEPTH} levels`);
    await eventually(
      () => admin(`/admin/customers/${userId}`),
      (found) => found.status === 200,
    );
  });

  it('refuses an id that is not valid Unicode (a lone surrogate), naming it', async () => {
    const result = await post('/v1/track', `{"userId":"bad\\ud800id","event":"E"}`);
    expect(result).toEqual({
      status: 400,
      body: { success: false, error: 'userId: must be valid Unicode text (it holds a lone surrogate)' },
    });
  });

  it('accepts the valid events of a batch and names the rejected one', async () => {
    const userId = uniqueId('partial');
    const result = await post('/v1/batch', {
      batch: [
        { type: 'page', userId, name: 'Home', messageId: uniqueId('p') },
        { type: 'track', userId, messageId: 'no-event-name' },
        { type: 'page', userId, name: 'Shop', messageId: uniqueId('p') },
      ],
    });
    expect(result).toEqual({
      status: 200,
      body: {
        success: true,
        accepted: 2,
        rejected: [
          { index: 1, messageId: 'no-event-name', error: expect.stringMatching(/^batch\[1\]\.event: /) },
        ],
      },
    });
    const customer = await eventually(
      () => admin(`/admin/customers/${userId}`),
      (found) => found.body?.visitCount === 2,
    );
    expect(customer.body.visitCount).toBe(2);
  });

  it('speaks analytics.js: a one-letter path, text/plain and the write key in the body', async () => {
    const anonymousId = uniqueId('anon');
    const response = await fetch(`${stack().api}/v1/p`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain', origin: 'https://shop.example' },
      body: JSON.stringify({
        anonymousId,
        name: 'Home',
        writeKey: stack().writeKey,
        sentAt: new Date().toISOString(),
      }),
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('access-control-allow-origin')).toBe('*');
    const customer = await eventually(
      () => admin(`/admin/customers/${anonymousId}`),
      (found) => found.status === 200,
    );
    expect(customer.body).toMatchObject({ id: anonymousId, visitCount: 1, stage: 'acquaintance' });
  });

  it('answers a CORS preflight', async () => {
    const response = await fetch(`${stack().api}/v1/batch`, {
      method: 'OPTIONS',
      headers: { origin: 'https://shop.example', 'access-control-request-method': 'POST' },
    });
    expect(response.status).toBe(204);
    expect(response.headers.get('access-control-allow-methods')).toContain('POST');
  });

  it('links an anonymous visitor to the customer on identify', async () => {
    const anonymousId = uniqueId('anon');
    const userId = uniqueId('user');
    await post('/v1/page', { anonymousId, name: 'Landing' });
    await eventually(
      () => admin(`/admin/customers/${anonymousId}`),
      (found) => found.status === 200,
    );
    await post('/v1/identify', { userId, anonymousId, traits: { email: `${userId}@example.com` } });
    const customer = await eventually(
      () => admin(`/admin/customers/${anonymousId}`),
      (found) => found.body?.id === userId,
    );
    expect(customer.body).toMatchObject({ id: userId, anonymousIds: [anonymousId], visitCount: 1 });
  });
});

describe('admin read path', () => {
  it('answers 401 without the admin token and 404 for an unknown customer', async () => {
    const unauthenticated = await fetch(`${stack().api}/admin/customers/anyone`);
    expect(unauthenticated.status).toBe(401);
    const wrong = await fetch(`${stack().api}/admin/customers/anyone`, {
      headers: { authorization: 'Bearer nope' },
    });
    expect(wrong.status).toBe(401);
    expect((await admin(`/admin/customers/${uniqueId('nobody')}`)).status).toBe(404);
  });
});
