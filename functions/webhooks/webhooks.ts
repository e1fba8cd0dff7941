/**
 * Webhooks: the customer events a shop's systems subscribed to (feedback, replies, stage changes,
 * segment entries and exits), each sent as a signed POST (Stripe's scheme: HMAC-SHA256 over the
 * timestamp and the body). A delivery that is not answered 2xx is tried again with backoff for 24
 * hours, then given up ("dead") with the last outcome as its reason; every attempt is in the
 * webhook's delivery log. A URL that points inside a private network is refused at every attempt
 * (in AWS; the local stack allows it), so a name that later resolves elsewhere gains nothing.
 */

import type { PostOutcome } from '../../shared/adapters/http/outbound-post.ts';
import type { OutboundCheck } from '../../shared/adapters/http/outbound-url.ts';
import {
  deliveryBody,
  nextAttemptAt,
  openSecret,
  retryable,
  SIGNATURE_HEADER,
  signatureHeader,
  TEST_EVENT,
  WEBHOOK_EVENT_TYPES,
  type WebhookEvent,
  type WebhookEventType,
  wantsEvent,
} from '../../shared/domain/webhooks.ts';
import type { Delivery, StoredWebhook, WebhookStore } from '../../shared/ports.ts';

export interface WebhookDeps {
  store: WebhookStore;
  /** The key the signing secrets are sealed with. */
  masterKey: () => Promise<string>;
  check: (url: string) => Promise<OutboundCheck>;
  post: (
    url: string,
    body: string,
    headers: Record<string, string>,
    options: { addresses: string[]; timeoutMs: number },
  ) => Promise<PostOutcome>;
  now: () => Date;
}

const TIMEOUT_MS = 10_000;
const FIRST_ATTEMPT_GRACE_MS = 120_000;
/** Deliveries retried per pass (a minute): more wait for the next. */
const RETRIES_PER_PASS = 100;

const isWebhookType = (type: string): type is WebhookEventType =>
  (WEBHOOK_EVENT_TYPES as readonly string[]).includes(type);

/** A bus event, sent to every webhook that wants its type. Answers how many deliveries it started. */
export async function fanOut(
  event: { id: string; detailType: string; time: string; detail: Record<string, unknown> },
  deps: WebhookDeps,
): Promise<number> {
  if (!isWebhookType(event.detailType)) return 0;
  const type = event.detailType;
  const webhooks = (await deps.store.list()).filter((webhook) => wantsEvent(webhook, type));
  const { version: _version, customerId, ...data } = event.detail;
  let started = 0;
  for (const webhook of webhooks) {
    const delivery = newDelivery(
      webhook,
      {
        // The bus event's id: the same on every attempt and for every webhook, so receivers can
        // drop a repeat; the bus's own redelivery finds the delivery made and starts none.
        id: `evt_${event.id}`,
        type,
        at: typeof data.at === 'string' ? data.at : event.time,
        customerId: String(customerId ?? ''),
        data,
      },
      event.time,
      deps.now(),
    );
    if ((await deps.store.createDelivery(delivery)) === 'exists') continue;
    await attempt(webhook, delivery, deps);
    started++;
  }
  return started;
}

/** The minutely pass: deliveries whose next attempt is due. */
export async function retryDue(deps: WebhookDeps): Promise<number> {
  const due = await deps.store.dueRetries(deps.now().toISOString(), RETRIES_PER_PASS);
  for (const delivery of due) {
    const webhook = await deps.store.get(delivery.webhookId);
    if (!webhook?.enabled) {
      await giveUp(delivery, webhook ? 'the webhook was disabled' : 'the webhook was deleted', deps);
      continue;
    }
    await attempt(webhook, delivery, deps);
  }
  return due.length;
}

/** The console's test button: one delivery of a test event, tried once, its outcome answered. */
export async function testDelivery(webhook: StoredWebhook, id: string, deps: WebhookDeps): Promise<Delivery> {
  const now = deps.now().toISOString();
  const delivery = newDelivery(
    webhook,
    { id: `test_${id}`, type: TEST_EVENT, at: now, customerId: 'test', data: { message: 'A test delivery' } },
    now,
    deps.now(),
  );
  await deps.store.createDelivery(delivery);
  return attempt(webhook, delivery, deps, { once: true });
}

/**
 * A delivery to make now. It is also filed among the retries a little later (FIRST_ATTEMPT_GRACE_MS,
 * well past an attempt's time-out): should the first attempt never finish (a crash), the retry
 * pass makes it, and a finished attempt takes it off again.
 */
function newDelivery(webhook: StoredWebhook, event: WebhookEvent, createdAt: string, now: Date): Delivery {
  return {
    id: event.id,
    webhookId: webhook.id,
    type: event.type,
    createdAt,
    body: deliveryBody(event),
    state: 'pending',
    attempts: [],
    nextAttemptAt: new Date(now.getTime() + FIRST_ATTEMPT_GRACE_MS).toISOString(),
  };
}

async function attempt(
  webhook: StoredWebhook,
  delivery: Delivery,
  deps: WebhookDeps,
  options: { once?: boolean } = {},
): Promise<Delivery> {
  const started = deps.now();
  const previousRetryAt = delivery.nextAttemptAt;
  const check = await deps.check(webhook.url);
  let outcome: string;
  let delivered = false;
  let retry = false;
  if (!check.ok) {
    outcome = `refused: ${check.reason}`;
  } else {
    const secret = openSecret(await deps.masterKey(), webhook.sealedSecret);
    if (!secret) {
      outcome = 'refused: the signing secret cannot be read (sealed with another key)';
    } else {
      const answer = await deps.post(
        webhook.url,
        delivery.body,
        {
          [SIGNATURE_HEADER]: signatureHeader(secret, Math.floor(started.getTime() / 1000), delivery.body),
          'user-agent': 'lifecycle-webhooks/1',
        },
        { addresses: check.addresses, timeoutMs: TIMEOUT_MS },
      );
      outcome = 'status' in answer ? `HTTP ${answer.status}` : `${answer.error}: ${answer.detail}`;
      const result = 'status' in answer ? answer.status : answer.error;
      delivered = !retryable(result);
      retry = !delivered;
    }
  }
  const attempts = [
    ...delivery.attempts,
    { at: started.toISOString(), outcome, ms: deps.now().getTime() - started.getTime() },
  ];
  const first = attempts[0]?.at ?? started.toISOString();
  const next = retry && !options.once ? nextAttemptAt(first, attempts.length) : undefined;
  const { nextAttemptAt: _previous, ...rest } = delivery;
  const after: Delivery = delivered
    ? { ...rest, attempts, state: 'delivered' }
    : next
      ? { ...rest, attempts, state: 'pending', nextAttemptAt: next }
      : { ...rest, attempts, state: 'dead', reason: outcome };
  await deps.store.saveAttempt(after, previousRetryAt);
  return after;
}

async function giveUp(delivery: Delivery, reason: string, deps: WebhookDeps) {
  const { nextAttemptAt: previous, ...rest } = delivery;
  await deps.store.saveAttempt({ ...rest, state: 'dead', reason }, previous);
}
