/**
 * What the admin API's routes share (the admin and templates functions): a use case's answer, a
 * 400 that names every problem, and the request's body and path parameters.
 */
import {
  bodyBytes,
  HttpError,
  type HttpEvent,
  type HttpResult,
  json,
  parseJson,
} from '../../shared/adapters/http/api-gateway.ts';
import type { Principal } from '../../shared/domain/access.ts';
import type { Problem } from '../../shared/domain/settings.ts';

/** A use case's answer: a status and a JSON body (the handler turns it into HTTP). */
export interface Answer {
  status: number;
  body: unknown;
}

/** A route runs for a caller the handler has authenticated and found allowed (domain/access.ts). */
export type Route = (event: HttpEvent, caller: Principal) => Promise<HttpResult>;

export function invalid(problems: Problem[]): Answer {
  const [first] = problems;
  return {
    status: 400,
    body: { success: false, error: first ? `${first.field}: ${first.message}` : 'invalid', problems },
  };
}

const MAX_BODY_BYTES = 1024 * 1024;

export function body(event: HttpEvent): unknown {
  const bytes = bodyBytes(event, MAX_BODY_BYTES);
  if (bytes.length > MAX_BODY_BYTES) throw new HttpError(413, `body is larger than ${MAX_BODY_BYTES} bytes`);
  return bytes.length > 0 ? parseJson(bytes) : undefined;
}

export function param(event: HttpEvent, name: string): string {
  return decodeURIComponent(event.pathParameters?.[name] ?? '');
}

export const answer = async (pending: Promise<Answer>) => {
  const { status, body: payload } = await pending;
  return json(status, payload);
};
