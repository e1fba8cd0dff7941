import { randomUUID } from 'node:crypto';
import middy from '@middy/core';
import type { EventBridgeEvent } from 'aws-lambda';
import { DynamoBroadcastStore } from '../../shared/adapters/dynamodb/broadcast-store.ts';
import { dynamoDocumentClient } from '../../shared/adapters/dynamodb/client.ts';
import { DynamoCustomerStore } from '../../shared/adapters/dynamodb/customer-store.ts';
import { DynamoLedger } from '../../shared/adapters/dynamodb/ledger.ts';
import { DynamoReplyAddresses } from '../../shared/adapters/dynamodb/reply-addresses.ts';
import { DynamoSettingsStore, storedEngineSettings } from '../../shared/adapters/dynamodb/settings-store.ts';
import { DynamoSuppressions } from '../../shared/adapters/dynamodb/suppressions.ts';
import { DynamoTemplateStore } from '../../shared/adapters/dynamodb/template-store.ts';
import { secretValue } from '../../shared/adapters/secrets.ts';
import { SesMailer, sesClient } from '../../shared/adapters/ses/mailer.ts';
import { accountSendRate, SendPacer } from '../../shared/adapters/ses/pacer.ts';
import { clock } from '../../shared/clock.ts';
import { loadConfig } from '../../shared/config.ts';
import { MessageRequested } from '../../shared/domain/contracts/message-requested.ts';
import { log, MetricUnit, metrics, observed } from '../../shared/observability.ts';
import { resolveTemplate } from '../../shared/templates.ts';
import { sendMessage } from './send.ts';

const config = loadConfig([
  'TABLE_NAME',
  'MAIL_FROM',
  'BRAND_NAME',
  'POSTAL_ADDRESS',
  'SES_CONFIGURATION_SET',
  'OFFER_SECRET',
  'OFFER_SECRET_ID',
  'UNSUBSCRIBE_SECRET',
  'UNSUBSCRIBE_SECRET_ID',
  'PUBLIC_URL',
  'SEND_RATE_SHARE',
  'INBOUND_DOMAIN',
]);
const db = dynamoDocumentClient();
const ses = sesClient();
const templates = new DynamoTemplateStore(db, config.TABLE_NAME);
const deps = {
  ledger: new DynamoLedger(db, config.TABLE_NAME),
  customers: new DynamoCustomerStore(db, config.TABLE_NAME),
  mailer: new SesMailer(
    config.SES_CONFIGURATION_SET,
    ses,
    new SendPacer(accountSendRate(ses), config.SEND_RATE_SHARE),
  ),
  settings: storedEngineSettings(new DynamoSettingsStore(db, config.TABLE_NAME), config),
  template: (name: string) => resolveTemplate(templates, name),
  sender: { from: config.MAIL_FROM, brandName: config.BRAND_NAME, postalAddress: config.POSTAL_ADDRESS },
  suppressions: new DynamoSuppressions(db, config.TABLE_NAME),
  unsubscribe: {
    baseUrl: config.PUBLIC_URL,
    secret: secretValue(config.UNSUBSCRIBE_SECRET, config.UNSUBSCRIBE_SECRET_ID, 'UNSUBSCRIBE_SECRET'),
  },
  now: () => clock.now(),
  newToken: () => randomUUID(),
  ...(config.INBOUND_DOMAIN
    ? {
        replies: {
          domain: config.INBOUND_DOMAIN,
          addresses: new DynamoReplyAddresses(db, config.TABLE_NAME),
        },
      }
    : {}),
  broadcastCancelledAt: cancelledAt(new DynamoBroadcastStore(db, config.TABLE_NAME)),
};

/** A broadcast's cancellation, read at most every 5 seconds per broadcast (not once per email). */
function cancelledAt(broadcasts: DynamoBroadcastStore) {
  const seen = new Map<string, { at: number; cancelledAt: string | undefined }>();
  return async (id: string) => {
    const cached = seen.get(id);
    if (cached && Date.now() - cached.at < 5_000) return cached.cancelledAt;
    const broadcast = await broadcasts.get(id);
    const cancelled = broadcast?.status === 'cancelled' ? broadcast.cancelledAt : undefined;
    seen.set(id, { at: Date.now(), cancelledAt: cancelled });
    return cancelled;
  };
}

export const handler = middy<EventBridgeEvent<string, unknown>, void>()
  .use(observed())
  .handler(async (event) => {
    const request = MessageRequested.schema.parse(event.detail);
    const outcome = await sendMessage(request, deps);
    log.info('send-message', { outcome, ...request });
    // Emails by campaign and what became of the request (sent, skipped, already done, ...).
    const emails = metrics.singleMetric();
    emails.addDimensions({ campaign: request.campaignId, outcome: String(outcome) });
    emails.addMetric('Emails', MetricUnit.Count, 1);
  });
