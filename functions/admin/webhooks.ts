/**
 * Webhooks in the admin API: create or change one (`PUT /admin/webhooks/{id}`: its signing secret
 * is shown once, when it is made or rotated, and kept sealed), list, read with its delivery log,
 * delete, send a test event. A URL pointing at a private network is refused when saved (and again
 * at every delivery), except where the setting allows it (the local stack).
 */
import { DEFINITION_ID } from '../../shared/domain/conditions.ts';
import { listenedTypes, newSigningSecret, parseWebhook, sealSecret } from '../../shared/domain/webhooks.ts';
import type { StoredWebhook } from '../../shared/ports.ts';
import { testDelivery, type WebhookDeps } from '../webhooks/webhooks.ts';
import { type Answer, invalid } from './http.ts';

export interface AdminWebhookDeps extends WebhookDeps {
  /** Where the engine learns which webhook-only events to publish. */
  listened: (types: string[], at: string) => Promise<void>;
  /** http URLs and private addresses allowed (local development). */
  allowPrivate: boolean;
  newId: () => string;
}

/** What the API shows of a webhook: everything but its sealed secret. */
function view(webhook: StoredWebhook) {
  const { sealedSecret: _sealed, ...shown } = webhook;
  return shown;
}

export async function listWebhooks(deps: AdminWebhookDeps): Promise<Answer> {
  return { status: 200, body: { webhooks: (await deps.store.list()).map(view) } };
}

export async function getWebhook(id: string, deps: AdminWebhookDeps): Promise<Answer> {
  const webhook = await deps.store.get(id);
  if (!webhook) return notFound(id);
  return { status: 200, body: { ...view(webhook), deliveries: await deps.store.deliveries(id, 50) } };
}

export async function webhookDeliveries(id: string, deps: AdminWebhookDeps): Promise<Answer> {
  if (!(await deps.store.get(id))) return notFound(id);
  return { status: 200, body: { deliveries: await deps.store.deliveries(id, 100) } };
}

export async function putWebhook(id: string, input: unknown, deps: AdminWebhookDeps): Promise<Answer> {
  if (!DEFINITION_ID.test(id))
    return invalid([{ field: 'id', message: 'must be an id (a-z, 0-9 and -, up to 63 characters)' }]);
  const parsed = parseWebhook(input, { allowInsecure: deps.allowPrivate });
  if (!parsed.ok) return invalid(parsed.problems);
  const reachable = await deps.check(parsed.value.url);
  if (!reachable.ok) return invalid([{ field: 'url', message: reachable.reason }]);
  const now = deps.now().toISOString();
  const existing = await deps.store.get(id);
  const secret = existing ? undefined : newSigningSecret();
  const webhook: StoredWebhook = {
    ...parsed.value,
    id,
    sealedSecret: existing?.sealedSecret ?? sealSecret(await deps.masterKey(), secret ?? ''),
    createdAt: existing?.createdAt ?? now,
    updatedAt: now,
  };
  await deps.store.put(webhook);
  await keepListened(deps, now);
  return existing
    ? { status: 200, body: view(webhook) }
    : // The signing secret, this once: store it where the receiver verifies signatures.
      { status: 201, body: { ...view(webhook), secret } };
}

export async function rotateWebhookSecret(id: string, deps: AdminWebhookDeps): Promise<Answer> {
  const webhook = await deps.store.get(id);
  if (!webhook) return notFound(id);
  const secret = newSigningSecret();
  const rotated = {
    ...webhook,
    sealedSecret: sealSecret(await deps.masterKey(), secret),
    updatedAt: deps.now().toISOString(),
  };
  await deps.store.put(rotated);
  return { status: 200, body: { ...view(rotated), secret } };
}

export async function deleteWebhook(id: string, deps: AdminWebhookDeps): Promise<Answer> {
  if (!(await deps.store.delete(id))) return notFound(id);
  await keepListened(deps, deps.now().toISOString());
  return { status: 200, body: { deleted: id } };
}

export async function testWebhook(id: string, deps: AdminWebhookDeps): Promise<Answer> {
  const webhook = await deps.store.get(id);
  if (!webhook) return notFound(id);
  const delivery = await testDelivery(webhook, deps.newId(), deps);
  return { status: 200, body: delivery };
}

function notFound(id: string): Answer {
  return { status: 404, body: { success: false, error: `no webhook named ${id}` } };
}

/**
 * What every enabled webhook listens to, from all of them as they are now (so two edits at once
 * still end right once either is saved again; the events in between are published or not by the
 * summary then in force).
 */
async function keepListened(deps: AdminWebhookDeps, at: string) {
  await deps.listened(listenedTypes(await deps.store.list()), at);
}
