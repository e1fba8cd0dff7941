import { randomUUID } from 'node:crypto';
import middy from '@middy/core';
import type { EventBridgeEvent } from 'aws-lambda';
import { dynamoDocumentClient } from '../../shared/adapters/dynamodb/client.ts';
import { DynamoCustomerStore } from '../../shared/adapters/dynamodb/customer-store.ts';
import { DynamoLedger } from '../../shared/adapters/dynamodb/ledger.ts';
import { SesMailer } from '../../shared/adapters/ses/mailer.ts';
import { clock } from '../../shared/clock.ts';
import { loadConfig } from '../../shared/config.ts';
import { defaultSettings, isCampaignId } from '../../shared/domain/campaigns.ts';
import { MessageRequested } from '../../shared/domain/contracts/message-requested.ts';
import { defaultTemplate } from '../../shared/domain/templates/default-pack.ts';
import { log } from '../../shared/log.ts';
import { sendMessage } from './send.ts';

const config = loadConfig([
  'TABLE_NAME',
  'MAIL_FROM',
  'BRAND_NAME',
  'POSTAL_ADDRESS',
  'SES_CONFIGURATION_SET',
]);
const db = dynamoDocumentClient();
const deps = {
  ledger: new DynamoLedger(db, config.TABLE_NAME),
  customers: new DynamoCustomerStore(db, config.TABLE_NAME),
  mailer: new SesMailer(config.SES_CONFIGURATION_SET),
  template: async (name: string) => {
    const content = defaultTemplate(name);
    if (!content) throw new Error(`no template named ${name}`);
    return { content, version: 0 };
  },
  templateName: (campaignId: string) =>
    isCampaignId(campaignId) ? defaultSettings().campaigns[campaignId].template : campaignId,
  sender: { from: config.MAIL_FROM, brandName: config.BRAND_NAME, postalAddress: config.POSTAL_ADDRESS },
  now: () => clock.now(),
  newToken: () => randomUUID(),
};

export const handler = middy<EventBridgeEvent<string, unknown>, void>().handler(async (event) => {
  const request = MessageRequested.schema.parse(event.detail);
  const outcome = await sendMessage(request, deps);
  log.info('send-message', { outcome, ...request });
});
