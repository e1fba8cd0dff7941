/** API tokens for machines: made (the token answered once), listed with their last use, revoked at once. */
import type { Principal } from '../../shared/domain/access.ts';
import { issueToken, newTokenBody, viewOf } from '../../shared/domain/api-tokens.ts';
import { problemsOf } from '../../shared/domain/settings.ts';
import type { TokenStore } from '../../shared/ports.ts';
import { type Answer, invalid } from './http.ts';

export interface TokenDeps {
  tokens: TokenStore;
  now: () => Date;
}

export async function createToken(body: unknown, caller: Principal, deps: TokenDeps): Promise<Answer> {
  const request = newTokenBody.safeParse(body ?? {});
  if (!request.success) return invalid(problemsOf(request.error));
  const now = deps.now();
  const { stored, token } = issueToken(request.data, caller.name, now);
  await deps.tokens.create(stored);
  return { status: 201, body: { ...viewOf(stored, now), token } };
}

export async function listTokens(deps: TokenDeps): Promise<Answer> {
  const now = deps.now();
  const tokens = (await deps.tokens.list())
    .map((token) => viewOf(token, now))
    .sort((a, b) => (a.createdAt < b.createdAt ? 1 : -1));
  return { status: 200, body: { tokens } };
}

export async function revokeToken(id: string, deps: TokenDeps): Promise<Answer> {
  const revoked = await deps.tokens.revoke(id, deps.now().toISOString());
  if (!revoked) return { status: 404, body: { success: false, error: `no token ${id}` } };
  return { status: 200, body: viewOf(revoked, deps.now()) };
}
