/**
 * Who may call which admin route: the one place the API (functions/admin/authenticated.ts), the
 * console (it hides what a role cannot do) and the API's description read.
 *
 * People have a role: a `viewer` reads the dashboard, definitions and settings, but no customer's
 * personal data; an `editor` also changes templates, segments, journeys, broadcasts and campaign
 * settings, and looks customers up; an `admin` does all of it, plus erasure, export, suppressions,
 * sources, webhooks, tokens and the audit log. Machines use API tokens with scopes instead: each
 * route names the one scope that opens it.
 */

export const ROLES = ['viewer', 'editor', 'admin'] as const;
export type Role = (typeof ROLES)[number];

export const ROLE_DESCRIPTIONS: Record<Role, string> = {
  viewer: 'Reads the dashboard, definitions and settings; no customer’s personal data',
  editor: 'Also changes templates, segments, journeys, broadcasts and campaign settings; looks customers up',
  admin: 'Everything: also erasure, export, suppressions, sources, webhooks, API tokens and the audit log',
};

export const SCOPES = {
  'metrics:read': 'the dashboard’s numbers, the model, the best customers, jobs’ progress',
  'definitions:read': 'segments, journeys, broadcasts, lifecycle rules and contact policy, as defined',
  'definitions:write':
    'change segments, journeys, broadcasts, lifecycle rules, contact policy; fit the model',
  'templates:read': 'templates and their versions',
  'templates:write': 'change, publish, preview and test-send templates',
  'customers:read': 'customers’ profiles and personal data: the directory, a customer, a segment’s members',
  'customers:write': 'erase and export a customer; suppress and release addresses',
  'operations:read': 'sources, webhooks and their deliveries, API tokens, dead letters, the audit log',
  'operations:write': 'change sources, webhooks and API tokens; redrive dead letters; run the sweep',
} as const;
export type Scope = keyof typeof SCOPES;

export interface RouteAccess {
  /** The least role that may call the route. */
  role: Role;
  /** The scope an API token needs for it. */
  scope: Scope;
}

const at = (role: Role, scope: Scope): RouteAccess => ({ role, scope });
const viewer = (scope: Scope) => at('viewer', scope);
const editor = (scope: Scope) => at('editor', scope);
const admin = (scope: Scope) => at('admin', scope);

/** Every admin route (admin and templates functions), by route key. */
export const ROUTE_ACCESS = {
  'GET /admin/me': viewer('metrics:read'),
  'GET /admin/customers': editor('customers:read'),
  'GET /admin/customers/{id}': editor('customers:read'),
  'DELETE /admin/customers/{id}': admin('customers:write'),
  'GET /admin/customers/{id}/export': admin('customers:write'),
  'GET /admin/suppressions/{address}': admin('customers:write'),
  'PUT /admin/suppressions/{address}': admin('customers:write'),
  'DELETE /admin/suppressions/{address}': admin('customers:write'),

  'GET /admin/broadcasts': viewer('definitions:read'),
  'POST /admin/broadcasts': editor('definitions:write'),
  'POST /admin/broadcasts/preview': editor('definitions:write'),
  'GET /admin/broadcasts/{id}': viewer('definitions:read'),
  'POST /admin/broadcasts/{id}/cancel': editor('definitions:write'),
  'GET /admin/segments': viewer('definitions:read'),
  'POST /admin/segments/preview': editor('definitions:write'),
  'GET /admin/segments/{id}': viewer('definitions:read'),
  'PUT /admin/segments/{id}': editor('definitions:write'),
  'DELETE /admin/segments/{id}': editor('definitions:write'),
  'GET /admin/segments/{id}/members': editor('customers:read'),
  'GET /admin/journeys': viewer('definitions:read'),
  'GET /admin/journeys/{id}': viewer('definitions:read'),
  'PUT /admin/journeys/{id}': editor('definitions:write'),
  'DELETE /admin/journeys/{id}': editor('definitions:write'),
  'POST /admin/journeys/{id}/publish': editor('definitions:write'),
  'POST /admin/journeys/{id}/enable': editor('definitions:write'),
  'POST /admin/journeys/{id}/disable': editor('definitions:write'),
  'POST /admin/journeys/{id}/test': editor('definitions:write'),
  'POST /admin/journeys/{id}/backtest': editor('definitions:write'),
  'GET /admin/lifecycle': viewer('definitions:read'),
  'PUT /admin/lifecycle': editor('definitions:write'),
  'GET /admin/contact-policy': viewer('definitions:read'),
  'PUT /admin/contact-policy': editor('definitions:write'),

  'GET /admin/jobs/{id}': viewer('metrics:read'),
  'GET /admin/metrics': viewer('metrics:read'),
  'GET /admin/insights/best-customers': viewer('metrics:read'),
  'GET /admin/model': viewer('metrics:read'),
  'POST /admin/model/fit': editor('definitions:write'),
  'POST /admin/sweep': admin('operations:write'),

  'GET /admin/sources': viewer('operations:read'),
  'POST /admin/sources': admin('operations:write'),
  'GET /admin/sources/{id}': viewer('operations:read'),
  'POST /admin/sources/{id}/rotate': admin('operations:write'),
  'POST /admin/sources/{id}/revoke': admin('operations:write'),
  'GET /admin/webhooks': viewer('operations:read'),
  'GET /admin/webhooks/{id}': viewer('operations:read'),
  'PUT /admin/webhooks/{id}': admin('operations:write'),
  'DELETE /admin/webhooks/{id}': admin('operations:write'),
  // A delivery's body is an event about a customer: personal data.
  'GET /admin/webhooks/{id}/deliveries': admin('operations:read'),
  'POST /admin/webhooks/{id}/test': admin('operations:write'),
  'POST /admin/webhooks/{id}/secret': admin('operations:write'),
  'GET /admin/audit': admin('operations:read'),
  'GET /admin/tokens': admin('operations:read'),
  'POST /admin/tokens': admin('operations:write'),
  'DELETE /admin/tokens/{id}': admin('operations:write'),
  'GET /admin/dead-letters': admin('operations:read'),
  'POST /admin/dead-letters/redrive': admin('operations:write'),

  'GET /admin/templates': viewer('templates:read'),
  'GET /admin/templates/{name}': viewer('templates:read'),
  'PUT /admin/templates/{name}': editor('templates:write'),
  'DELETE /admin/templates/{name}': editor('templates:write'),
  'POST /admin/templates/{name}/publish': editor('templates:write'),
  'POST /admin/templates/{name}/preview': editor('templates:write'),
  'POST /admin/templates/{name}/test': editor('templates:write'),
} as const satisfies Record<string, RouteAccess>;

export type AdminRouteKey = keyof typeof ROUTE_ACCESS;

export function accessOf(routeKey: string): RouteAccess | undefined {
  return (ROUTE_ACCESS as Record<string, RouteAccess>)[routeKey];
}

/** Who is calling: a person with a role (the admin token is an admin), or a machine's API token with scopes. */
export type Principal =
  | { kind: 'person'; name: string; role: Role }
  | { kind: 'token'; name: string; id: string; scopes: Scope[] };

const RANK: Record<Role, number> = { viewer: 0, editor: 1, admin: 2 };

/** Whether the principal may call a route of this access; when not, what it lacks, in words. */
export function allowed(
  principal: Principal,
  access: RouteAccess,
): { ok: true } | { ok: false; missing: string } {
  if (principal.kind === 'token')
    return principal.scopes.includes(access.scope)
      ? { ok: true }
      : { ok: false, missing: `the token ${principal.name} lacks the scope ${access.scope}` };
  return RANK[principal.role] >= RANK[access.role]
    ? { ok: true }
    : { ok: false, missing: `the role ${access.role} (${principal.name} is ${principal.role})` };
}

/** A role from Cognito groups: the highest of `admin`, `editor`, `viewer`; a person in none is a viewer. */
export function roleOfGroups(groups: readonly string[] | undefined): Role {
  let role: Role = 'viewer';
  for (const group of groups ?? [])
    if (group in RANK && RANK[group as Role] > RANK[role]) role = group as Role;
  return role;
}

/** The routes a principal may call (for the console, which hides the rest). */
export function routesOf(principal: Principal): string[] {
  return Object.entries(ROUTE_ACCESS as Record<string, RouteAccess>)
    .filter(([, access]) => allowed(principal, access).ok)
    .map(([routeKey]) => routeKey);
}
