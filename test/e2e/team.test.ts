/**
 * Operating as a team, over HTTP on the local stack: a CI job's scoped API token pushes a
 * template and is refused elsewhere; the token is listed with its last use and revoked at once;
 * the audit log reads back who changed what, from what to what, and the refusals.
 */
import { describe, expect, it } from 'vitest';
import { admin, stack, uniqueId } from '../support/stack.ts';

async function withToken(token: string, path: string, init: RequestInit = {}) {
  return admin(path, { ...init, headers: { authorization: `Bearer ${token}`, ...init.headers } });
}

describe('API tokens and the audit log', () => {
  it('a scoped token works where its scope reaches, is refused elsewhere, and stops at once when revoked', async () => {
    const name = uniqueId('ci');
    const bad = await admin('/admin/tokens', {
      method: 'POST',
      body: JSON.stringify({ name, scopes: ['templates:write', 'everything'], expiresInDays: 900 }),
    });
    expect(bad.status).toBe(400);
    expect(JSON.stringify(bad.body.problems)).toMatch(/scopes\.1/);
    expect(JSON.stringify(bad.body.problems)).toMatch(/expiresInDays/);

    const made = await admin('/admin/tokens', {
      method: 'POST',
      body: JSON.stringify({ name, scopes: ['templates:write', 'templates:read'], expiresInDays: 30 }),
    });
    expect(made.status).toBe(201);
    const token = String(made.body.token);
    expect(token).toMatch(/^lct_[0-9a-f]{12}_/);
    expect(made.body).toMatchObject({
      name,
      scopes: ['templates:read', 'templates:write'],
      status: 'active',
    });

    // Its scope: templates. A template pushed by the CI job.
    const template = uniqueId('ci-template');
    const pushed = await withToken(token, `/admin/templates/${template}`, {
      method: 'PUT',
      body: JSON.stringify({ subject: 'Hello {{firstName}}', html: '<p>Hello {{firstName}}</p>' }),
    });
    expect(pushed.status, JSON.stringify(pushed.body)).toBeLessThan(300);
    // Not its scope: a journey's definitions, a customer.
    const refused = await withToken(token, '/admin/lifecycle', { method: 'PUT', body: '{}' });
    expect(refused.status).toBe(403);
    expect(refused.body.error).toMatch(/lacks the scope definitions:write/);
    expect((await withToken(token, '/admin/me')).status).toBe(403);

    // Listed with its last use, never with the token or its digest.
    const listed = await admin('/admin/tokens');
    const entry = (listed.body.tokens as Record<string, unknown>[]).find((t) => t.name === name);
    expect(entry).toMatchObject({ status: 'active', lastUsedAt: expect.any(String) });
    expect(JSON.stringify(listed.body)).not.toContain(token);
    expect(JSON.stringify(listed.body)).not.toMatch(/digest/);

    // Revoked: refused at once, saying so.
    const revoked = await admin(`/admin/tokens/${entry?.id}`, { method: 'DELETE' });
    expect(revoked.body).toMatchObject({ status: 'revoked' });
    const after = await withToken(token, `/admin/templates/${template}`);
    expect(after.status).toBe(401);
    expect(after.body.error).toMatch(/was revoked at/);
    expect((await admin('/admin/tokens/000000000000', { method: 'DELETE' })).status).toBe(404);

    // The audit log: the push by the token (with the template before and after), the refusal,
    // the token's making and revoking by the admin token.
    const today = new Date().toISOString().slice(0, 10);
    const audit = await admin(`/admin/audit?from=${today}&to=${today}&who=${name}`);
    expect(audit.status).toBe(200);
    const entries = audit.body.entries as {
      what: string;
      who: { kind: string; name: string };
      outcome: number | string;
      refused?: string;
      after?: unknown;
    }[];
    expect(entries.map((e) => `${e.what} ${e.outcome}`).sort()).toEqual(
      ['PUT /admin/lifecycle 403', 'GET /admin/me 403', 'PUT /admin/templates/{name} 201'].sort(),
    );
    expect(entries.find((e) => e.outcome === 201)).toMatchObject({
      who: { kind: 'token', name },
      after: expect.objectContaining({ name: template }),
    });
    const byAdmin = await admin(`/admin/audit?from=${today}&to=${today}&what=/admin/tokens`);
    expect(
      (byAdmin.body.entries as { what: string; who: { name: string } }[]).some(
        (e) => e.what === 'DELETE /admin/tokens/{id}' && e.who.name === 'admin token',
      ),
    ).toBe(true);
    expect((await admin('/admin/audit?from=2026-02-30')).status).toBe(400);
  });

  it('GET /admin/me says who is calling, with their role and the routes they may call', async () => {
    const me = await admin('/admin/me');
    expect(me.body).toMatchObject({ name: 'admin token', role: 'admin' });
    expect(me.body.routes).toContain('DELETE /admin/customers/{id}');
    expect((await fetch(`${stack().api}/admin/me`)).status).toBe(401);
  });
});
