/** The admin API, as the console calls it: same origin, bearer token, errors that name the field. */
import { clearToken, storedToken } from './auth.ts';

export interface Problem {
  field: string;
  message: string;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly problems: Problem[] = [],
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/** Fired when the API refuses the session's token: the app goes back to the sign-in. */
export const SIGNED_OUT = 'lifecycle:signed-out';

export async function api<T>(
  path: string,
  init: { method?: string; body?: unknown; token?: string } = {},
): Promise<T> {
  const token = init.token ?? storedToken();
  const response = await fetch(path, {
    method: init.method ?? 'GET',
    headers: {
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(init.body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
  });
  const payload = (await response.json().catch(() => undefined)) as
    | { error?: string; message?: string; problems?: Problem[] }
    | undefined;
  if (response.status === 401) {
    if (!init.token) {
      clearToken();
      dispatchEvent(new Event(SIGNED_OUT));
    }
    throw new ApiError(401, 'Not signed in, or the session has ended.');
  }
  if (!response.ok) {
    throw new ApiError(
      response.status,
      payload?.error ?? payload?.message ?? `The server answered ${response.status}.`,
      payload?.problems ?? [],
    );
  }
  return payload as T;
}

/** The message of the problem for a field (and the fields below it), if any. */
export function problemFor(problems: Problem[], field: string): string | undefined {
  return problems.find((problem) => problem.field === field || problem.field.startsWith(`${field}.`))
    ?.message;
}

/** The messages of the problems for exactly this field, joined (undefined when there are none). */
export function messagesAt(problems: Problem[], field: string): string | undefined {
  return (
    problems
      .filter((problem) => problem.field === field)
      .map((problem) => problem.message)
      .join('; ') || undefined
  );
}
