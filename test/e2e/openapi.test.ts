/**
 * The API's description as a client gets it: `/openapi.json` without a token, valid OpenAPI 3.1
 * by the standard schema, every route there; and real answers (every one the e2e helpers get is
 * checked against it; here, the routes no other test calls) as it describes them.
 */
import { Validator } from '@seriousme/openapi-schema-validator';
import { describe, expect, it } from 'vitest';
import { FUNCTIONS } from '../../infra/topology.ts';
import { checkAnswer } from '../support/openapi.ts';
import { admin, post, stack, uniqueId } from '../support/stack.ts';

describe('GET /openapi.json', () => {
  it('answers the whole description, without a token, valid by the OpenAPI 3.1 schema', async () => {
    const response = await fetch(`${stack().api}/openapi.json`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/application\/json/);
    const document = (await response.json()) as {
      openapi: string;
      paths: Record<string, object>;
      servers: unknown;
    };
    expect(document.openapi).toBe('3.1.0');
    expect(document.servers).toEqual([{ url: stack().api }]);
    const validator = new Validator();
    const result = await validator.validate(document);
    expect(result.errors ?? []).toEqual([]);
    const described = Object.entries(document.paths).flatMap(([path, methods]) =>
      Object.keys(methods).map((method) => `${method.toUpperCase()} ${path}`),
    );
    expect(described.sort()).toEqual(FUNCTIONS.flatMap((spec) => spec.routes).sort());
  });

  it('refuses, through the checker, an answer that is not as described', async () => {
    // The checker is what every e2e answer goes through: it must catch a wrong shape and an undescribed status.
    await expect(
      checkAnswer(stack().api, {
        method: 'GET',
        path: '/admin/tokens',
        status: 200,
        contentType: 'application/json',
        body: { tokens: 'not a list' },
      }),
    ).rejects.toThrow(/GET \/admin\/tokens is not as described/);
    await expect(
      checkAnswer(stack().api, {
        method: 'GET',
        path: '/admin/me',
        status: 418,
        contentType: 'application/json',
        body: {},
      }),
    ).rejects.toThrow(/no 418 for GET \/admin\/me/);
  });

  it('describes the answers of the operations and access routes as they come', async () => {
    const customer = uniqueId('openapi');
    expect(
      (await post('/v1/identify', { userId: customer, traits: { email: `${customer}@example.com` } })).status,
    ).toBe(200);
    // Each call below is checked against the description by the helper; the statuses are the test's.
    expect((await admin('/admin/me')).status).toBe(200);
    expect((await admin('/admin/audit')).status).toBe(200);
    expect((await admin('/admin/audit?from=2026-13-01')).status).toBe(400);
    expect((await admin('/admin/dead-letters')).status).toBe(200);
    expect(
      (await admin('/admin/dead-letters/redrive', { method: 'POST', body: '{"ids":["nope"]}' })).status,
    ).toBe(404);
    expect((await admin('/admin/metrics')).status).toBe(200);
    // 404 until a fit has kept its insights: described too.
    expect([200, 404]).toContain((await admin('/admin/insights/best-customers')).status);
    expect((await admin('/admin/model')).status).toBe(200);
    expect((await admin('/admin/contact-policy')).status).toBe(200);
    expect((await admin('/admin/lifecycle')).status).toBe(200);
    expect((await admin('/admin/sources')).status).toBe(200);
    expect((await admin('/admin/webhooks')).status).toBe(200);
    expect((await admin('/admin/tokens')).status).toBe(200);
    expect(
      (await admin(`/admin/suppressions/${encodeURIComponent(`${customer}@example.com`)}`)).status,
    ).toBeLessThan(500);
    const created = await admin('/admin/tokens', {
      method: 'POST',
      body: JSON.stringify({ name: `ci-${customer}`, scopes: ['metrics:read'], expiresInDays: 1 }),
    });
    expect(created.status).toBe(201);
    expect((await admin(`/admin/tokens/${created.body.id}`, { method: 'DELETE' })).status).toBe(200);
    expect((await admin('/admin/tokens', { method: 'POST', body: '{"name":""}' })).status).toBe(400);
  });
});
