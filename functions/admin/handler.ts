import middy from '@middy/core';
import { cognitoAccessTokens } from '../../shared/adapters/cognito/access-token.ts';
import { dynamoDocumentClient } from '../../shared/adapters/dynamodb/client.ts';
import { DynamoCustomerBase } from '../../shared/adapters/dynamodb/customer-base.ts';
import { DynamoCustomerData } from '../../shared/adapters/dynamodb/customer-data.ts';
import { DynamoCustomerStore } from '../../shared/adapters/dynamodb/customer-store.ts';
import { DynamoDueIndex } from '../../shared/adapters/dynamodb/due-index.ts';
import { DynamoLedger } from '../../shared/adapters/dynamodb/ledger.ts';
import { DynamoModelStore } from '../../shared/adapters/dynamodb/model-store.ts';
import { DynamoSettingsStore } from '../../shared/adapters/dynamodb/settings-store.ts';
import { DynamoSuppressions } from '../../shared/adapters/dynamodb/suppressions.ts';
import { DynamoTemplateStore } from '../../shared/adapters/dynamodb/template-store.ts';
import { EventBridgePublisher } from '../../shared/adapters/eventbridge/publisher.ts';
import {
  HttpError,
  type HttpEvent,
  type HttpResult,
  header,
  httpErrors,
} from '../../shared/adapters/http/api-gateway.ts';
import { secretDigests, secretValue } from '../../shared/adapters/secrets.ts';
import { SesMailer } from '../../shared/adapters/ses/mailer.ts';
import { clock } from '../../shared/clock.ts';
import { loadConfig } from '../../shared/config.ts';
import { matchesAnyDigest } from '../../shared/security.ts';
import { settingsSource } from '../../shared/settings-source.ts';
import { adminRoutes } from './routes.ts';

const config = loadConfig([
  'TABLE_NAME',
  'EVENT_BUS_NAME',
  'ADMIN_TOKEN',
  'ADMIN_TOKEN_SECRET_ID',
  'OFFER_SECRET',
  'OFFER_SECRET_ID',
  'MAIL_FROM',
  'BRAND_NAME',
  'POSTAL_ADDRESS',
  'SES_CONFIGURATION_SET',
  'COGNITO_USER_POOL_ID',
  'COGNITO_CLIENT_ID',
  'AWS_REGION',
]);
const adminTokenDigests = secretDigests(config.ADMIN_TOKEN, config.ADMIN_TOKEN_SECRET_ID, 'ADMIN_TOKEN');
const db = dynamoDocumentClient();
const customers = new DynamoCustomerStore(db, config.TABLE_NAME);
const ledger = new DynamoLedger(db, config.TABLE_NAME);
const templates = new DynamoTemplateStore(db, config.TABLE_NAME);
const settingsStore = new DynamoSettingsStore(db, config.TABLE_NAME);
const settings = settingsSource(
  settingsStore,
  secretValue(config.OFFER_SECRET, config.OFFER_SECRET_ID, 'OFFER_SECRET'),
);
const now = () => clock.now();
const routes = adminRoutes({
  customers: {
    customers,
    directory: customers,
    ledger,
    model: async () => (await settings()).model,
    now,
  },
  customerData: {
    data: new DynamoCustomerData(db, config.TABLE_NAME),
    suppressions: new DynamoSuppressions(db, config.TABLE_NAME),
    now,
  },
  templates: {
    templates,
    customers,
    settings,
    mailer: new SesMailer(config.SES_CONFIGURATION_SET),
    sender: { from: config.MAIL_FROM, brandName: config.BRAND_NAME, postalAddress: config.POSTAL_ADDRESS },
    now,
  },
  campaigns: { settings, store: settingsStore, templates, now },
  insights: {
    base: new DynamoCustomerBase(db, config.TABLE_NAME),
    settings,
    models: new DynamoModelStore(db, config.TABLE_NAME),
    store: settingsStore,
    customers,
    now,
  },
  sweep: {
    dueIndex: new DynamoDueIndex(db, config.TABLE_NAME),
    publisher: new EventBridgePublisher(config.EVENT_BUS_NAME),
    outcomes: { customers, ledger },
  },
  now,
});

// In AWS the console signs marketers in with Cognito; their access tokens are accepted beside the admin token.
const cognitoToken =
  config.COGNITO_USER_POOL_ID && config.COGNITO_CLIENT_ID
    ? cognitoAccessTokens({
        issuer: `https://cognito-idp.${config.AWS_REGION ?? 'us-east-1'}.amazonaws.com/${config.COGNITO_USER_POOL_ID}`,
        clientId: config.COGNITO_CLIENT_ID,
      })
    : undefined;

async function authenticate(event: HttpEvent) {
  const bearer = /^Bearer\s+(.+)$/i.exec(header(event, 'authorization')?.trim() ?? '')?.[1];
  if (matchesAnyDigest(bearer, await adminTokenDigests())) return;
  if (bearer && cognitoToken && (await cognitoToken(bearer))) return;
  throw new HttpError(401, 'missing or invalid admin token');
}

export const handler = middy<HttpEvent, HttpResult>()
  .use(httpErrors())
  .handler(async (event) => {
    await authenticate(event);
    const route = routes[event.routeKey];
    if (!route) throw new HttpError(404, `no route ${event.routeKey}`);
    return route(event);
  });
