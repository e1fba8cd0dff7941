/**
 * What the OpenAPI description says of one HTTP route, beside the zod schemas the handlers
 * validate with: the request's body and query as those schemas, and each answer's shape.
 * `shared/api/routes.ts` holds one for every route of `infra/topology.ts`; `shared/api/openapi.ts`
 * turns them into the OpenAPI 3.1 document.
 */
import type * as z from 'zod';

export type ApiTag =
  | 'Tracking API'
  | 'Platform webhooks'
  | 'Public pages'
  | 'Access'
  | 'Customers'
  | 'Segments'
  | 'Journeys'
  | 'Broadcasts'
  | 'Templates'
  | 'Lifecycle and contact policy'
  | 'Metrics and prediction'
  | 'Sources and webhooks'
  | 'Operations';

export interface ApiAnswer {
  description: string;
  /** A JSON answer's shape (objects loose: an answer may carry more than is described). */
  schema?: z.ZodType;
  /** `text/html` for the public pages; JSON otherwise. */
  contentType?: 'application/json' | 'text/html';
}

export interface RouteDoc {
  summary: string;
  description?: string;
  tag: ApiTag;
  /** Path parameters with more to say than "a string" (an enum, a description). */
  path?: z.ZodObject;
  /** Headers the route reads (a platform's signature), each a string on the wire. */
  headers?: z.ZodObject;
  /** Query parameters, each a string on the wire. */
  query?: z.ZodObject;
  /** The JSON body, as the handler validates it. */
  body?: z.ZodType;
  /** The body is not JSON (a platform's signed payload, a form post): described in words. */
  rawBody?: { contentType: string; description: string };
  /** Answers by status; the generator adds the errors every route of its kind may answer. */
  responses: Record<number, ApiAnswer>;
}
