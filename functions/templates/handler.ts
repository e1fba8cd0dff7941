import { DynamoAuditLog } from '../../shared/adapters/dynamodb/audit-log.ts';
import { dynamoDocumentClient } from '../../shared/adapters/dynamodb/client.ts';
import { DynamoCustomerStore } from '../../shared/adapters/dynamodb/customer-store.ts';
import { DynamoSettingsStore, storedEngineSettings } from '../../shared/adapters/dynamodb/settings-store.ts';
import { DynamoTemplateStore } from '../../shared/adapters/dynamodb/template-store.ts';
import { DynamoTokenStore } from '../../shared/adapters/dynamodb/token-store.ts';
import { SesMailer } from '../../shared/adapters/ses/mailer.ts';
import { clock } from '../../shared/clock.ts';
import { loadConfig } from '../../shared/config.ts';
import { authenticatedHandler } from '../admin/authenticated.ts';
import { templateRoutes } from './routes.ts';

const config = loadConfig([
  'TABLE_NAME',
  'OFFER_SECRET',
  'OFFER_SECRET_ID',
  'MAIL_FROM',
  'BRAND_NAME',
  'POSTAL_ADDRESS',
  'SES_CONFIGURATION_SET',
]);
const db = dynamoDocumentClient();
const now = () => clock.now();

export const handler = authenticatedHandler(
  templateRoutes({
    templates: new DynamoTemplateStore(db, config.TABLE_NAME),
    customers: new DynamoCustomerStore(db, config.TABLE_NAME),
    settings: storedEngineSettings(new DynamoSettingsStore(db, config.TABLE_NAME), config),
    mailer: new SesMailer(config.SES_CONFIGURATION_SET),
    sender: { from: config.MAIL_FROM, brandName: config.BRAND_NAME, postalAddress: config.POSTAL_ADDRESS },
    now,
  }),
  {
    tokens: new DynamoTokenStore(db, config.TABLE_NAME),
    audit: new DynamoAuditLog(db, config.TABLE_NAME),
    now,
  },
);
