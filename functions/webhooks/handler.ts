import middy from '@middy/core';
import { dynamoDocumentClient } from '../../shared/adapters/dynamodb/client.ts';
import { DynamoWebhookStore } from '../../shared/adapters/dynamodb/webhook-store.ts';
import { postJson } from '../../shared/adapters/http/outbound-post.ts';
import { checkOutboundUrl } from '../../shared/adapters/http/outbound-url.ts';
import { secretValue } from '../../shared/adapters/secrets.ts';
import { clock } from '../../shared/clock.ts';
import { loadConfig } from '../../shared/config.ts';
import { log, observed } from '../../shared/observability.ts';
import { fanOut, retryDue } from './webhooks.ts';

const config = loadConfig([
  'TABLE_NAME',
  'UNSUBSCRIBE_SECRET',
  'UNSUBSCRIBE_SECRET_ID',
  'WEBHOOKS_ALLOW_PRIVATE',
]);
const allowPrivate = config.WEBHOOKS_ALLOW_PRIVATE === '1';
export const webhookDeps = {
  store: new DynamoWebhookStore(dynamoDocumentClient(), config.TABLE_NAME),
  masterKey: secretValue(config.UNSUBSCRIBE_SECRET, config.UNSUBSCRIBE_SECRET_ID, 'UNSUBSCRIBE_SECRET'),
  check: (url: string) => checkOutboundUrl(url, { allowPrivate }),
  post: postJson,
  now: () => clock.now(),
};

/** A bus event (one of the subscribed types), or the minutely retry pass (`{ retry: true }`). */
export const handler = middy<Record<string, unknown>, void>()
  .use(observed())
  .handler(async (event) => {
    if (event.retry === true) {
      const retried = await retryDue(webhookDeps);
      if (retried > 0) log.info('webhooks: retried', { retried });
      return;
    }
    const started = await fanOut(
      {
        id: String(event.id),
        detailType: String(event['detail-type']),
        time: String(event.time),
        detail: (event.detail ?? {}) as Record<string, unknown>,
      },
      webhookDeps,
    );
    log.info('webhooks', { detailType: event['detail-type'], deliveries: started });
  });
