import { Validator } from '@seriousme/openapi-schema-validator';
import { describe, expect, it } from 'vitest';
import { FUNCTIONS } from '../../infra/topology.ts';
import { type OpenApiOperation, openApiDocument } from '../../shared/api/openapi.ts';
import { ROUTE_DOCS } from '../../shared/api/routes.ts';
import { ROUTE_ACCESS } from '../../shared/domain/access.ts';
import { TRACKING_PATHS } from '../../shared/domain/segment.ts';

const document = openApiDocument(
  Object.entries(ROUTE_DOCS).map(([routeKey, doc]) => ({ routeKey, doc })),
  { version: '0.1.0', serverUrl: 'http://127.0.0.1:3000' },
);
const operations = Object.entries(document.paths).flatMap(([path, methods]) =>
  Object.entries(methods).map(([method, operation]) => ({
    routeKey: `${method.toUpperCase()} ${path}`,
    operation: operation as OpenApiOperation,
  })),
);

describe('the API description', () => {
  it('describes every route of the topology, and nothing else', () => {
    const routes = FUNCTIONS.flatMap((spec) => spec.routes).sort();
    expect(operations.map(({ routeKey }) => routeKey).sort()).toEqual(routes);
  });

  it('is a valid OpenAPI 3.1 document by the standard schema', async () => {
    const validator = new Validator();
    const result = await validator.validate(structuredClone(document));
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    expect(validator.version).toBe('3.1');
  });

  it('names, for every admin route, the scope and least role the API enforces', () => {
    for (const [routeKey, access] of Object.entries(ROUTE_ACCESS)) {
      const found = operations.find((candidate) => candidate.routeKey === routeKey)?.operation;
      expect({ routeKey, scope: found?.['x-required-scope'], role: found?.['x-least-role'] }).toEqual({
        routeKey,
        scope: access.scope,
        role: access.role,
      });
      expect(found?.security).toEqual([{ bearer: [] }]);
      expect(Object.keys(found?.responses ?? {})).toEqual(expect.arrayContaining(['401', '403']));
    }
  });

  it('gives every operation a unique id, a summary and at least one success answer', () => {
    const ids = operations.map(({ operation }) => operation.operationId);
    expect(new Set(ids).size).toBe(ids.length);
    for (const { routeKey, operation } of operations) {
      expect(operation.summary, routeKey).not.toBe('');
      expect(
        Object.keys(operation.responses).some((status) => status.startsWith('2') || status.startsWith('3')),
        routeKey,
      ).toBe(true);
    }
  });

  it('takes each body schema from the zod schema its handler validates with', () => {
    const tokens = operations.find(({ routeKey }) => routeKey === 'POST /admin/tokens')?.operation;
    const schema = (tokens?.requestBody as { content: Record<string, { schema: { properties: object } }> })
      ?.content['application/json']?.schema;
    expect(Object.keys(schema?.properties ?? {})).toEqual(expect.arrayContaining(['name', 'scopes']));
    const redrive = ROUTE_DOCS['POST /admin/dead-letters/redrive']?.body;
    expect(redrive?.safeParse({ ids: [] }).success).toBe(false);
    expect(redrive?.safeParse({}).success).toBe(false);
    expect(redrive?.safeParse({ all: true }).success).toBe(true);
  });

  it('names the tracking calls a path may take and the signature header each platform sends', () => {
    const tracking = operations.find(({ routeKey }) => routeKey === 'POST /v1/{type}')?.operation;
    expect(tracking?.parameters?.[0]).toMatchObject({
      name: 'type',
      in: 'path',
      schema: { enum: TRACKING_PATHS },
    });
    expect(tracking?.security).toEqual([{ writeKey: [] }]);
    const headers = (routeKey: string) =>
      operations
        .find((candidate) => candidate.routeKey === routeKey)
        ?.operation.parameters?.filter((parameter) => parameter.in === 'header')
        .map((parameter) => parameter.name);
    expect(headers('POST /webhooks/shopify/{sourceId}')).toContain('X-Shopify-Hmac-Sha256');
    expect(headers('POST /webhooks/woocommerce/{sourceId}')).toContain('X-WC-Webhook-Signature');
    expect(headers('POST /webhooks/stripe/{sourceId}')).toEqual(['Stripe-Signature']);
  });

  it('moves recursive definitions into the components, where references reach them', () => {
    const text = JSON.stringify(document);
    expect(text).not.toContain('#/$defs/');
    for (const [, name] of text.matchAll(/"#\/components\/schemas\/([^"]+)"/g))
      expect(document.components).toHaveProperty(['schemas', name as string]);
    // A condition and a journey step are kept once each, by name, however many routes use them.
    expect(Object.keys((document.components as { schemas: object }).schemas).sort()).toEqual([
      'Condition',
      'Error',
      'Step',
    ]);
  });
});
