import middy from '@middy/core';
import { dynamoDocumentClient } from '../../shared/adapters/dynamodb/client.ts';
import { DynamoSourceStore } from '../../shared/adapters/dynamodb/source-store.ts';
import { sourceTally } from '../../shared/adapters/dynamodb/source-tally.ts';
import {
  type HttpEvent,
  type HttpResult,
  header,
  httpErrors,
  json,
} from '../../shared/adapters/http/api-gateway.ts';
import { verifyStripe } from '../../shared/adapters/http/stripe-signature.ts';
import { secretValue } from '../../shared/adapters/secrets.ts';
import { productPublisher } from '../../shared/adapters/sqs/customer-inputs.ts';
import { clock } from '../../shared/clock.ts';
import { loadConfig } from '../../shared/config.ts';
import { mapShopify } from '../../shared/domain/sources/shopify.ts';
import { verifyShopify, verifyWooCommerce } from '../../shared/domain/sources/signatures.ts';
import { mapStripe } from '../../shared/domain/sources/stripe.ts';
import { mapWooCommerce } from '../../shared/domain/sources/woocommerce.ts';
import { activeCredentials, type PlatformKind } from '../../shared/domain/sources.ts';
import { openSecret } from '../../shared/domain/webhooks.ts';
import { countedAsMetrics, log, observed } from '../../shared/observability.ts';
import { MAX_WEBHOOK_BYTES, receivePlatformWebhook, type Verified } from './platforms.ts';

const config = loadConfig([
  'TABLE_NAME',
  'EVENT_BUS_NAME',
  'CUSTOMER_INPUTS_QUEUE_URL',
  'UNSUBSCRIBE_SECRET',
  'UNSUBSCRIBE_SECRET_ID',
]);
const masterKey = secretValue(config.UNSUBSCRIBE_SECRET, config.UNSUBSCRIBE_SECRET_ID, 'UNSUBSCRIBE_SECRET');
const sources = new DynamoSourceStore(dynamoDocumentClient(), config.TABLE_NAME);
const publisher = productPublisher(config);

/** Each platform's signature over the raw body; the body is parsed only once it matches. */
function verify(
  kind: PlatformKind,
  secret: string,
  body: Buffer,
  headerOf: (name: string) => string | undefined,
): Verified {
  if (kind === 'stripe') {
    const checked = verifyStripe(
      secret,
      body,
      headerOf('stripe-signature'),
      300,
      Math.floor(clock.now().getTime() / 1000),
    );
    return checked.ok ? { ok: true, body: checked.event } : checked;
  }
  const matches =
    kind === 'shopify'
      ? verifyShopify(secret, body, headerOf('x-shopify-hmac-sha256'))
      : verifyWooCommerce(secret, body, headerOf('x-wc-webhook-signature'));
  if (!matches)
    return {
      ok: false,
      reason: `does not match (${kind === 'shopify' ? 'X-Shopify-Hmac-Sha256' : 'X-WC-Webhook-Signature'})`,
    };
  try {
    return { ok: true, body: JSON.parse(body.toString('utf8')) };
  } catch {
    // Signed, but not the platform's JSON: the mapper names it (400), never a 401.
    return { ok: true, body: undefined };
  }
}

const deps = {
  sources,
  record: countedAsMetrics(
    sourceTally(sources, (error) => log.warn('sources: numbers not recorded', { error: String(error) })),
  ),
  secretsOf: async (source: Parameters<typeof activeCredentials>[0]) => {
    const key = await masterKey();
    return activeCredentials(source, clock.now().toISOString()).flatMap((credential) => {
      const opened = credential.sealed ? openSecret(key, credential.sealed) : undefined;
      return opened ? [opened] : [];
    });
  },
  verify,
  map: { shopify: mapShopify, woocommerce: mapWooCommerce, stripe: mapStripe },
  publisher,
  now: () => clock.now(),
};

export const handler = middy<HttpEvent, HttpResult>()
  .use(observed())
  .use(httpErrors())
  .handler(async (event) => {
    const raw = event.body
      ? Buffer.from(event.body, event.isBase64Encoded ? 'base64' : 'utf8')
      : Buffer.alloc(0);
    const kind = event.rawPath.split('/')[2] ?? '';
    const answer = await receivePlatformWebhook(
      {
        kind,
        sourceId: event.pathParameters?.sourceId ?? '',
        body: raw.length > MAX_WEBHOOK_BYTES ? raw.subarray(0, MAX_WEBHOOK_BYTES + 1) : raw,
        header: (name) => header(event, name),
      },
      deps,
    );
    log.info('platform webhook', {
      kind,
      source: event.pathParameters?.sourceId,
      status: answer.status,
      ...answer.body,
    });
    return json(answer.status, answer.body);
  });
