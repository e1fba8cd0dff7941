/**
 * Who may call what: every admin route is declared in one place, and every route is called with
 * every role and with tokens of every scope; refusals name what is missing and are audited, and
 * changes are audited before they run, with the state before and after.
 */
import { describe, expect, it } from 'vitest';
import { gate } from '../../functions/admin/authenticated.ts';
import type { Route } from '../../functions/admin/http.ts';
import { FUNCTIONS } from '../../infra/topology.ts';
import { type HttpEvent, json } from '../../shared/adapters/http/api-gateway.ts';
import {
  ROLES,
  ROUTE_ACCESS,
  type Role,
  roleOfGroups,
  SCOPES,
  type Scope,
} from '../../shared/domain/access.ts';
import { type ApiToken, digestOf, issueToken } from '../../shared/domain/api-tokens.ts';
import type { AuditEntry } from '../../shared/domain/audit.ts';
import { sha256 } from '../../shared/security.ts';

const ADMIN_ROUTES = FUNCTIONS.filter((spec) => spec.name === 'admin' || spec.name === 'templates').flatMap(
  (spec) => spec.routes,
);
const NOW = new Date('2026-11-30T12:00:00.000Z');
const RANK: Record<Role, number> = { viewer: 0, editor: 1, admin: 2 };

function world() {
  const audit: AuditEntry[] = [];
  const tokens = new Map<string, ApiToken>();
  const state = { segment: { id: 'vip', version: 1 } };
  const ran: string[] = [];
  // Every route answers; the segment's GET shows its state, its PUT moves it on.
  const routes: Record<string, Route> = Object.fromEntries(
    ADMIN_ROUTES.map((routeKey) => [
      routeKey,
      async () => {
        ran.push(routeKey);
        if (routeKey === 'GET /admin/segments/{id}') return json(200, state.segment);
        if (routeKey === 'PUT /admin/segments/{id}')
          state.segment = { id: 'vip', version: state.segment.version + 1 };
        return json(200, { ok: true });
      },
    ]),
  );
  const people: Record<string, string[]> = {
    'viewer-jwt': ['viewer'],
    'editor-jwt': ['editor'],
    'admin-jwt': ['admin', 'viewer'],
    'nobody-jwt': [],
  };
  const run = gate(routes, {
    tokens: {
      get: async (id) => tokens.get(id),
      used: async (id, at) => {
        const token = tokens.get(id);
        if (token) token.lastUsedAt = at;
      },
    },
    audit: {
      record: async (entry) => {
        audit.push(structuredClone(entry));
      },
      settle: async (entry, outcome) => {
        const index = audit.findIndex((kept) => kept.id === entry.id);
        audit[index] = { ...entry, ...outcome };
      },
    },
    adminTokenDigests: async () => [sha256('the-admin-token')],
    personToken: async (token) =>
      people[token]
        ? {
            sub: token,
            username: token.replace('-jwt', ''),
            client_id: 'console',
            token_use: 'access',
            iss: 'pool',
            exp: 0,
            'cognito:groups': people[token],
          }
        : undefined,
    now: () => NOW,
  });
  const call = async (routeKey: string, bearer: string) => {
    const event = {
      routeKey,
      headers: { authorization: `Bearer ${bearer}` },
      pathParameters: { id: 'vip', name: 'welcome', address: 'Ann@Example.com' },
    } as unknown as HttpEvent;
    try {
      return await run(event);
    } catch (error) {
      return { statusCode: (error as { statusCode: number }).statusCode, body: (error as Error).message };
    }
  };
  const mint = (scopes: Scope[], options: { expiresInDays?: number; revoked?: boolean } = {}) => {
    const { stored, token } = issueToken(
      { name: `ci-${scopes.join('+')}`, scopes, expiresInDays: options.expiresInDays ?? 30 },
      'admin token',
      new Date(NOW.getTime() - 86_400_000),
    );
    tokens.set(stored.id, { ...stored, ...(options.revoked ? { revokedAt: NOW.toISOString() } : {}) });
    return token;
  };
  return { call, mint, audit, ran, tokens, state };
}

describe('the routes’ access, declared in one place', () => {
  it('covers every admin route the topology deploys, and nothing else', () => {
    expect(Object.keys(ROUTE_ACCESS).sort()).toEqual([...ADMIN_ROUTES].sort());
  });

  it('roles from Cognito groups: the highest of them; a person in none is a viewer', () => {
    expect(roleOfGroups(['viewer', 'admin'])).toBe('admin');
    expect(roleOfGroups(['editor', 'marketing'])).toBe('editor');
    expect(roleOfGroups([])).toBe('viewer');
    expect(roleOfGroups(undefined)).toBe('viewer');
  });
});

describe('every route with every role', () => {
  for (const role of ROLES) {
    it(`${role}: allowed exactly where the declared role is theirs or below, refused with 403 elsewhere`, async () => {
      const { call, ran, audit } = world();
      for (const [routeKey, access] of Object.entries(ROUTE_ACCESS)) {
        const result = await call(routeKey, `${role}-jwt`);
        const expected = RANK[role] >= RANK[access.role] ? 200 : 403;
        expect({ routeKey, status: result.statusCode }).toEqual({ routeKey, status: expected });
        if (expected === 403) expect(String(result.body)).toContain(`needs the role ${access.role}`);
      }
      // A refused route never ran; every refusal is in the audit log with what was missing.
      const refused = audit.filter((entry) => entry.outcome === 403);
      expect(refused.length).toBe(
        Object.values(ROUTE_ACCESS).filter((a) => RANK[role] < RANK[a.role]).length,
      );
      expect(refused.every((entry) => !ran.includes(entry.what) || entry.what.startsWith('GET'))).toBe(true);
      expect(refused.every((entry) => entry.who.role === role && entry.refused?.startsWith('the role'))).toBe(
        true,
      );
    });
  }

  it('a viewer never reaches a customer’s personal data; an editor can look customers up but not erase them', async () => {
    const { call } = world();
    expect((await call('GET /admin/customers/{id}', 'viewer-jwt')).statusCode).toBe(403);
    expect((await call('GET /admin/segments/{id}/members', 'viewer-jwt')).statusCode).toBe(403);
    expect((await call('GET /admin/metrics', 'viewer-jwt')).statusCode).toBe(200);
    expect((await call('GET /admin/customers/{id}', 'editor-jwt')).statusCode).toBe(200);
    expect((await call('DELETE /admin/customers/{id}', 'editor-jwt')).statusCode).toBe(403);
    expect((await call('GET /admin/customers/{id}/export', 'admin-jwt')).statusCode).toBe(200);
    expect((await call('GET /admin/metrics', 'nobody-jwt')).statusCode).toBe(200);
    expect((await call('PUT /admin/segments/{id}', 'nobody-jwt')).statusCode).toBe(403);
  });
});

describe('API tokens with scopes', () => {
  for (const scope of Object.keys(SCOPES) as Scope[]) {
    it(`a token with ${scope} opens exactly the routes that name it`, async () => {
      const { call, mint } = world();
      const token = mint([scope]);
      for (const [routeKey, access] of Object.entries(ROUTE_ACCESS)) {
        const result = await call(routeKey, token);
        const expected = access.scope === scope ? 200 : 403;
        expect({ routeKey, status: result.statusCode }).toEqual({ routeKey, status: expected });
        if (expected === 403) expect(String(result.body)).toContain(`lacks the scope ${access.scope}`);
      }
    });
  }

  it('an expired, revoked, unknown or altered token gets 401 saying which; a good one notes its use', async () => {
    const { call, mint, tokens } = world();
    const expired = mint(['metrics:read'], { expiresInDays: 1 });
    expect(await call('GET /admin/metrics', expired)).toMatchObject({ statusCode: 401 });
    expect(String((await call('GET /admin/metrics', expired)).body)).toMatch(/expired at/);
    const revoked = mint(['metrics:read'], { revoked: true });
    expect(String((await call('GET /admin/metrics', revoked)).body)).toMatch(/was revoked at/);
    const good = mint(['metrics:read']);
    const altered = `${good.slice(0, -4)}AAAA`;
    expect(await call('GET /admin/metrics', altered)).toMatchObject({
      statusCode: 401,
      body: 'invalid API token',
    });
    expect(await call('GET /admin/metrics', `lct_000000000000_${'A'.repeat(43)}`)).toMatchObject({
      statusCode: 401,
    });
    expect(await call('GET /admin/metrics', good)).toMatchObject({ statusCode: 200 });
    const id = good.split('_')[1] ?? '';
    expect(tokens.get(id)?.lastUsedAt).toBe(NOW.toISOString());
    // Only the digest is kept.
    expect(JSON.stringify(tokens.get(id))).not.toContain(good);
    expect(tokens.get(id)?.digest).toBe(digestOf(good));
    expect(await call('GET /admin/metrics', '')).toMatchObject({ statusCode: 401 });
  });
});

describe('the audit log', () => {
  it('records a change before it runs, then its outcome with the state before and after, and who', async () => {
    const { call, audit, mint } = world();
    expect((await call('PUT /admin/segments/{id}', 'editor-jwt')).statusCode).toBe(200);
    const token = mint(['definitions:write']);
    expect((await call('PUT /admin/segments/{id}', token)).statusCode).toBe(200);
    expect(audit).toMatchObject([
      {
        what: 'PUT /admin/segments/{id}',
        who: { kind: 'person', name: 'editor', role: 'editor' },
        target: { id: 'vip' },
        outcome: 200,
        before: { version: 1 },
        after: { version: 2 },
      },
      { who: { kind: 'token', name: 'ci-definitions:write' }, before: { version: 2 }, after: { version: 3 } },
    ]);
    // Reads are not changes: not recorded.
    await call('GET /admin/segments/{id}', 'editor-jwt');
    expect(audit).toHaveLength(2);
  });

  it('keeps no personal data: a customer’s or an address’s target only as a digest, and no state', async () => {
    const { call, audit } = world();
    await call('PUT /admin/suppressions/{address}', 'admin-jwt');
    await call('DELETE /admin/customers/{id}', 'admin-jwt');
    expect(JSON.stringify(audit)).not.toMatch(/ann@example\.com/i);
    expect(audit[0]?.target.address).toMatch(/^sha256:[0-9a-f]{16}$/);
    expect(audit.every((entry) => entry.before === undefined && entry.after === undefined)).toBe(true);
  });
});
