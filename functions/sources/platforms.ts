/**
 * Shop platforms' webhooks (`POST /webhooks/{shopify|woocommerce|stripe}/{sourceId}`): verified
 * with the platform's own signature over the raw body (any of the source's current secrets),
 * recognised by the platform's delivery id (a retried delivery is taken once; the events' ids make
 * a retry harmless downstream too), mapped onto the same Segment events a site sends, and put on
 * the bus at once: the platform gets its answer fast and apply-event does the work behind it.
 */

import { type CustomerEvent, parseEvent } from '../../shared/domain/segment.ts';
import type { MapOptions, Mapped, Mapper } from '../../shared/domain/sources/mapping.ts';
import { isPlatform, PLATFORM_KINDS, type PlatformKind, type Source } from '../../shared/domain/sources.ts';
import type { EventPublisher, SourceStore } from '../../shared/ports.ts';
import { busEntriesFor, withSource } from '../ingest/ingest.ts';

/** The largest body taken: platforms' order webhooks are tens of KB; a megabyte is not an order. */
export const MAX_WEBHOOK_BYTES = 512 * 1024;

const PLATFORMS: readonly string[] = PLATFORM_KINDS;

export type Verified = { ok: true; body: unknown } | { ok: false; reason: string };

export interface PlatformRequest {
  kind: string;
  sourceId: string;
  body: Buffer;
  header: (name: string) => string | undefined;
}

export interface PlatformDeps {
  sources: Omit<SourceStore, 'record'>;
  /** Counts a delivery for its source's day. */
  record: SourceStore['record'];
  /** The source's signing secrets, opened (sealed at rest). */
  secretsOf: (source: Source) => Promise<string[]>;
  /** Checks the platform's signature with one secret; answers the parsed body when it matches. */
  verify: (
    kind: PlatformKind,
    secret: string,
    body: Buffer,
    header: (name: string) => string | undefined,
  ) => Verified;
  map: Record<PlatformKind, Mapper>;
  publisher: EventPublisher;
  now: () => Date;
}

export interface PlatformAnswer {
  status: number;
  body: { success: boolean; error?: string; events?: number; ignored?: string; duplicate?: boolean };
}

export async function receivePlatformWebhook(
  request: PlatformRequest,
  deps: PlatformDeps,
): Promise<PlatformAnswer> {
  const now = deps.now();
  const at = now.toISOString();
  const source = PLATFORMS.includes(request.kind) ? await deps.sources.get(request.sourceId) : undefined;
  if (!source || source.kind !== request.kind || !isPlatform(source.kind))
    return fail(401, `no ${request.kind} source named ${request.sourceId}`);
  const kind = source.kind;
  const count = (
    answer: PlatformAnswer,
    counts: { accepted?: number; rejected?: number; ignored?: number },
  ) =>
    deps
      .record(source.id, at, {
        accepted: counts.accepted ?? 0,
        rejected: counts.rejected ?? 0,
        ignored: counts.ignored ?? 0,
        reasons: answer.body.error ? [answer.body.error] : [],
      })
      .then(
        () => answer,
        () => answer,
      );
  if (source.revokedAt) return count(fail(401, `source ${source.id} is revoked`), { rejected: 1 });
  if (request.body.length > MAX_WEBHOOK_BYTES)
    return count(fail(413, `body is larger than ${MAX_WEBHOOK_BYTES} bytes`), { rejected: 1 });
  // WooCommerce pings a new webhook's URL with a form body (`webhook_id=…`), before any topic.
  if (
    kind === 'woocommerce' &&
    !request.header('x-wc-webhook-topic') &&
    /^webhook_id=\d+$/.test(request.body.toString('utf8'))
  )
    return { status: 200, body: { success: true, ignored: 'WooCommerce ping' } };

  const secrets = await deps.secretsOf(source);
  if (secrets.length === 0)
    return count(
      fail(
        401,
        `source ${source.id} has no signing secret yet: set it with POST /admin/sources/${source.id}/rotate`,
      ),
      { rejected: 1 },
    );
  let verified: Verified = { ok: false, reason: 'no secret' };
  for (const secret of secrets) {
    verified = deps.verify(kind, secret, request.body, request.header);
    if (verified.ok) break;
  }
  if (!verified.ok) return count(fail(401, `signature: ${verified.reason}`), { rejected: 1 });

  const { topic, delivery } = deliveryOf(kind, verified.body, request.header);
  if (!topic) return count(fail(400, `${TOPIC_HEADER[kind]}: the delivery names no topic`), { rejected: 1 });
  if (!delivery) return count(fail(400, `${DELIVERY_HEADER[kind]}: the delivery has no id`), { rejected: 1 });
  if (await deps.sources.seen(source.id, delivery))
    return { status: 200, body: { success: true, duplicate: true } };

  const options: MapOptions = { orderOn: source.orderOn ?? 'paid' };
  const mapped: Mapped = deps.map[kind]({ topic, body: verified.body, delivery }, options);
  if (!mapped.ok) return count(fail(400, `${mapped.field}: ${mapped.message}`), { rejected: 1 });
  if ('ignored' in mapped) {
    await deps.sources.remember(source.id, delivery, at);
    return count({ status: 200, body: { success: true, ignored: mapped.ignored } }, { ignored: 1 });
  }
  const events: CustomerEvent[] = [];
  for (const [index, call] of mapped.calls.entries()) {
    const parsed = parseEvent(call, { index, where: `${topic}[${index}]`, receivedAt: now });
    if (!parsed.ok) return count(fail(400, parsed.rejection.error), { rejected: 1 });
    events.push(withSource(parsed.event, { id: source.id, kind: source.kind, name: source.name }));
  }
  await deps.publisher.publish(busEntriesFor(events));
  await deps.sources.remember(source.id, delivery, at);
  return count({ status: 200, body: { success: true, events: events.length } }, { accepted: events.length });
}

const TOPIC_HEADER: Record<PlatformKind, string> = {
  shopify: 'X-Shopify-Topic',
  woocommerce: 'X-WC-Webhook-Topic',
  stripe: 'type',
};
const DELIVERY_HEADER: Record<PlatformKind, string> = {
  shopify: 'X-Shopify-Webhook-Id',
  woocommerce: 'X-WC-Webhook-Delivery-ID',
  stripe: 'id',
};

/** The topic and the platform's delivery id: headers for Shopify and WooCommerce, the event for Stripe. */
function deliveryOf(kind: PlatformKind, body: unknown, header: (name: string) => string | undefined) {
  if (kind === 'stripe') {
    const event = (body ?? {}) as { type?: unknown; id?: unknown };
    return {
      topic: typeof event.type === 'string' ? event.type : undefined,
      delivery: typeof event.id === 'string' ? event.id : undefined,
    };
  }
  return {
    topic: header(TOPIC_HEADER[kind].toLowerCase()),
    delivery:
      header(DELIVERY_HEADER[kind].toLowerCase()) ??
      (kind === 'shopify' ? header('x-shopify-event-id') : undefined),
  };
}

function fail(status: number, error: string): PlatformAnswer {
  return { status, body: { success: false, error } };
}
