/**
 * The audit log: every change through the admin API, and every refusal, with who, when, what and
 * the state before and after (read through the route's own GET, so it is what the API shows).
 * Customers' personal data is never recorded: the routes about customers and addresses keep a
 * digest of their target and no state.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Principal } from './access.ts';

export interface AuditEntry {
  id: string;
  at: string;
  who: { kind: Principal['kind']; name: string; role?: string; token?: string };
  /** The route key: `PUT /admin/segments/{id}`. */
  what: string;
  /** The path parameters (digested for customers and addresses). */
  target: Record<string, string>;
  /** `pending` until the change answered; then its HTTP status. A refusal is 403 with `refused`. */
  outcome: 'pending' | number;
  refused?: string;
  before?: unknown;
  after?: unknown;
  /** The states were too large to keep in full (over AUDIT_STATE_BYTES together). */
  statesOmitted?: boolean;
}

/**
 * Routes whose target is a customer or an address, or whose state names customers (the dead
 * letters): personal data, kept only as a digest, no state read back.
 */
const PERSONAL = /^[A-Z]+ \/admin\/(customers|suppressions|dead-letters)\b/;
export const AUDIT_STATE_BYTES = 300_000;

export function isPersonal(routeKey: string): boolean {
  return PERSONAL.test(routeKey);
}

export function auditTarget(
  routeKey: string,
  parameters: Record<string, string | undefined>,
): Record<string, string> {
  const target: Record<string, string> = {};
  for (const [name, value] of Object.entries(parameters)) {
    if (value === undefined) continue;
    target[name] = isPersonal(routeKey)
      ? `sha256:${createHash('sha256').update(decodeURIComponent(value).trim().toLowerCase()).digest('hex').slice(0, 16)}`
      : decodeURIComponent(value);
  }
  return target;
}

export function whoOf(principal: Principal): AuditEntry['who'] {
  return principal.kind === 'person'
    ? { kind: 'person', name: principal.name, role: principal.role }
    : { kind: 'token', name: principal.name, token: principal.id };
}

export function newEntry(
  principal: Principal,
  what: string,
  target: Record<string, string>,
  at: Date,
): AuditEntry {
  return {
    id: randomBytes(6).toString('hex'),
    at: at.toISOString(),
    who: whoOf(principal),
    what,
    target,
    outcome: 'pending',
  };
}

/** A change is a route that is not a read. */
export function isChange(routeKey: string): boolean {
  return !routeKey.startsWith('GET ');
}

/**
 * The GET route that shows what a change touches: the same path, or the nearest shorter one
 * (`POST /admin/journeys/{id}/publish` → `GET /admin/journeys/{id}`); none for personal routes.
 */
export function readBackRoute(routeKey: string, routes: readonly string[]): string | undefined {
  if (isPersonal(routeKey)) return undefined;
  const segments = (routeKey.split(' ')[1] ?? '').split('/');
  for (let length = segments.length; length >= 3; length--) {
    const candidate = `GET ${segments.slice(0, length).join('/')}`;
    if (routes.includes(candidate)) return candidate;
  }
  return undefined;
}

export interface AuditQuery {
  from: string;
  to: string;
  who?: string;
  what?: string;
}

export function matches(entry: AuditEntry, query: AuditQuery): boolean {
  if (query.who && !entry.who.name.toLowerCase().includes(query.who.toLowerCase())) return false;
  if (query.what && !entry.what.toLowerCase().includes(query.what.toLowerCase())) return false;
  return true;
}
