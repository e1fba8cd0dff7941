/**
 * The OpenAPI 3.1 description of every HTTP route: made from the topology's route keys, each
 * route's `RouteDoc` (the zod schemas its handler validates with, as JSON Schema through zod 4's
 * `toJSONSchema`) and the admin routes' access (shared/domain/access.ts). Pure: the api-description
 * function serves it, the console renders it, the tests validate it and real answers against it.
 */
import * as z from 'zod';
import { accessOf, ROLES, SCOPES } from '../domain/access.ts';
import type { ApiAnswer, RouteDoc } from './route-doc.ts';

export type OpenApiDocument = Record<string, unknown> & {
  paths: Record<string, Record<string, OpenApiOperation>>;
};

export interface OpenApiOperation {
  operationId: string;
  summary: string;
  description?: string;
  tags: string[];
  security?: Record<string, string[]>[];
  parameters?: Record<string, unknown>[];
  requestBody?: Record<string, unknown>;
  responses: Record<string, { description: string; content?: Record<string, { schema?: unknown }> }>;
  'x-required-scope'?: string;
  'x-least-role'?: string;
}

/** What every error answer looks like: `success: false`, the first problem in words, and every problem. */
export const errorAnswer = z.looseObject({
  success: z.literal(false),
  error: z.string().describe('The problem, in words (the first of several)'),
  problems: z
    .array(z.looseObject({ field: z.string(), message: z.string() }))
    .optional()
    .describe('Every problem, by field'),
});

const API_DESCRIPTION = `Lifecycle marketing on your own AWS account. Four kinds of routes:

- **Tracking API** (\`/v1/*\`): Segment's HTTP tracking API; authenticate with a source's write key as HTTP Basic user (no password), or, as analytics.js does, as \`writeKey\` in the body.
- **Platform webhooks** (\`/webhooks/*\`): Shopify, WooCommerce and Stripe deliveries, verified by each platform's signature.
- **Public pages** (\`/u/*\`, \`/f/*\`): one-click unsubscribe (RFC 8058), the preference page and feedback, opened from links in emails.
- **Admin API** (\`/admin/*\`): Bearer token: the admin token, an API token (\`lct_...\`, scoped), or a marketer's Cognito access token (role from their group). Each operation names the scope an API token needs (\`x-required-scope\`) and the least role a person needs (\`x-least-role\`).

People have a role, each including the one before: ${ROLES.map((role) => `\`${role}\``).join(', ')}. API tokens have scopes:

${Object.entries(SCOPES)
  .map(([scope, what]) => `- \`${scope}\`: ${what}`)
  .join('\n')}`;

interface DescribedRoute {
  routeKey: string;
  doc: RouteDoc;
}

/** The document, for the routes given (every route of the topology), at `serverUrl`. */
export function openApiDocument(
  routes: DescribedRoute[],
  options: { version: string; serverUrl?: string },
): OpenApiDocument {
  const paths: OpenApiDocument['paths'] = {};
  const schemas: Record<string, unknown> = { Error: jsonSchemaOf(errorAnswer, 'output') };
  for (const { routeKey, doc } of routes) {
    const [method = 'GET', path = '/'] = routeKey.split(' ');
    const operations = paths[path] ?? {};
    operations[method.toLowerCase()] = operationOf(routeKey, method, path, doc, schemas);
    paths[path] = operations;
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Lifecycle pipeline API',
      version: options.version,
      description: API_DESCRIPTION,
      license: { name: 'Apache-2.0', identifier: 'Apache-2.0' },
    },
    ...(options.serverUrl ? { servers: [{ url: options.serverUrl }] } : {}),
    tags: [...new Set(routes.map((route) => route.doc.tag))].map((name) => ({ name })),
    components: {
      securitySchemes: {
        writeKey: {
          type: 'http',
          scheme: 'basic',
          description: 'A source’s write key as the user name, no password (Segment’s convention).',
        },
        bearer: {
          type: 'http',
          scheme: 'bearer',
          description:
            'The admin token, an API token (`lct_…`, with scopes) or a marketer’s Cognito access token (role from the Cognito group).',
        },
      },
      schemas,
    },
    paths,
  };
}

function operationOf(
  routeKey: string,
  method: string,
  path: string,
  doc: RouteDoc,
  schemas: Record<string, unknown>,
): OpenApiOperation {
  const access = accessOf(routeKey);
  const described = (place: 'path' | 'header' | 'query', shape: Record<string, unknown>) =>
    Object.entries(shape).map(([name, schema]) => {
      const json = jsonSchemaOf(schema as z.ZodType, 'input', schemas);
      return {
        name,
        in: place,
        required: place === 'path' || !(schema as z.ZodType).safeParse(undefined).success,
        ...(typeof json.description === 'string' ? { description: json.description } : {}),
        schema: withoutDescription(json),
      };
    });
  const parameters = [
    ...[...path.matchAll(/\{(\w+)\}/g)].map(([, name = '']) =>
      doc.path?.shape[name]
        ? (described('path', { [name]: doc.path.shape[name] })[0] as Record<string, unknown>)
        : { name, in: 'path', required: true, schema: { type: 'string' } },
    ),
    ...described('header', doc.headers?.shape ?? {}),
    ...described('query', doc.query?.shape ?? {}),
  ];
  const responses: OpenApiOperation['responses'] = {};
  for (const [status, answer] of Object.entries(doc.responses))
    responses[status] = responseOf(answer, schemas);
  const error = (description: string) => ({
    description,
    content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
  });
  if (doc.body || doc.rawBody || doc.query)
    responses['400'] ??= error('The request is not valid: every problem named');
  if (doc.body && path.startsWith('/admin/')) responses['413'] ??= error('The body is larger than 1 MB');
  if (path.startsWith('/admin/')) {
    responses['401'] ??= error('No token, or one that is unknown, expired or revoked');
    responses['403'] ??= error('The caller’s role or token lacks what the route needs (named in the answer)');
  }
  if (path.startsWith('/v1/')) responses['401'] ??= error('No write key, or an unknown one');
  // A dependency that failed past its retries (a throttled table): the answer leaks nothing; try again.
  responses['500'] ??= error('Something failed on our side; try again');
  const scopeNote = access
    ? `\n\nNeeds the scope \`${access.scope}\` (API tokens) or the role \`${access.role}\` or higher (people).`
    : '';
  return {
    operationId: operationIdOf(method, path),
    summary: doc.summary,
    ...(doc.description || scopeNote ? { description: `${doc.description ?? ''}${scopeNote}`.trim() } : {}),
    tags: [doc.tag],
    ...(path.startsWith('/admin/')
      ? { security: [{ bearer: [] }] }
      : path.startsWith('/v1/')
        ? { security: [{ writeKey: [] }] }
        : { security: [] }),
    ...(parameters.length ? { parameters } : {}),
    ...(doc.body
      ? {
          requestBody: {
            required: !doc.body.safeParse(undefined).success,
            content: { 'application/json': { schema: jsonSchemaOf(doc.body, 'input', schemas) } },
          },
        }
      : doc.rawBody
        ? {
            requestBody: {
              required: true,
              description: doc.rawBody.description,
              content: { [doc.rawBody.contentType]: { schema: {} } },
            },
          }
        : {}),
    responses,
    ...(access ? { 'x-required-scope': access.scope, 'x-least-role': access.role } : {}),
  };
}

function responseOf(
  answer: ApiAnswer,
  schemas: Record<string, unknown>,
): OpenApiOperation['responses'][string] {
  if (answer.contentType === 'text/html')
    return { description: answer.description, content: { 'text/html': { schema: { type: 'string' } } } };
  if (!answer.schema) return { description: answer.description };
  return {
    description: answer.description,
    content: { 'application/json': { schema: jsonSchemaOf(answer.schema, 'output', schemas) } },
  };
}

/** `GET /admin/journeys/{id}/publish` → `getAdminJourneysIdPublish`: unique, stable, readable. */
function operationIdOf(method: string, path: string): string {
  const words = path
    .split('/')
    .filter(Boolean)
    .flatMap((segment) => segment.replace(/[{}]/g, '').split(/[^A-Za-z0-9]+/))
    .filter(Boolean);
  return method.toLowerCase() + words.map((word) => word[0]?.toUpperCase() + word.slice(1)).join('');
}

/**
 * A zod schema as JSON Schema 2020-12 (OpenAPI 3.1's dialect), without the `$schema` key.
 * Requests as the handler takes them (`input`: defaults optional); answers as they are sent.
 * Definitions a schema refers to (a recursive one: a condition's `and` of conditions) move to
 * the document's components, where a reference inside the document can reach them.
 */
export function jsonSchemaOf(
  schema: z.ZodType,
  io: 'input' | 'output',
  components?: Record<string, unknown>,
): Record<string, unknown> {
  const {
    $schema: _dialect,
    $defs: defs,
    ...json
  } = z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as Record<string, unknown>;
  if (!defs || typeof defs !== 'object') return json;
  if (!components) return { ...json, $defs: defs };
  // Each definition under its own name (a schema's `meta({ id })`), kept once when the same
  // definition comes again; another under a taken name gets a number.
  const renamed = new Map(Object.keys(defs).map((name) => [name, name.replace(/^_+/, '') || 'Schema']));
  const rewrite = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(rewrite);
    if (!value || typeof value !== 'object') return value;
    return Object.fromEntries(
      Object.entries(value).map(([key, inner]) =>
        key === '$ref' && typeof inner === 'string' && inner.startsWith('#/$defs/')
          ? [key, `#/components/schemas/${renamed.get(inner.slice('#/$defs/'.length)) ?? ''}`]
          : [key, rewrite(inner)],
      ),
    );
  };
  const same = Object.entries(defs).every(([name, definition]) => {
    const kept = components[renamed.get(name) ?? ''];
    return kept === undefined || JSON.stringify(kept) === JSON.stringify(rewrite(definition));
  });
  if (!same)
    for (const [name, base] of renamed) {
      let candidate = base;
      for (let n = 2; candidate in components; n++) candidate = `${base}${n}`;
      renamed.set(name, candidate);
    }
  for (const [name, definition] of Object.entries(defs))
    components[renamed.get(name) ?? name] = rewrite(definition);
  return rewrite(json) as Record<string, unknown>;
}

function withoutDescription(json: Record<string, unknown>) {
  const { description: _description, ...rest } = json;
  return rest;
}
