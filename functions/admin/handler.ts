import middy from '@middy/core';
import { dynamoDocumentClient } from '../../shared/adapters/dynamodb/client.ts';
import { DynamoCustomerStore } from '../../shared/adapters/dynamodb/customer-store.ts';
import { DynamoLedger } from '../../shared/adapters/dynamodb/ledger.ts';
import {
  HttpError,
  type HttpEvent,
  type HttpResult,
  header,
  httpErrors,
  json,
} from '../../shared/adapters/http/api-gateway.ts';
import { secretDigests } from '../../shared/adapters/secrets.ts';
import { loadConfig } from '../../shared/config.ts';
import { matchesAnyDigest } from '../../shared/security.ts';
import { getCustomer } from './customers.ts';

const config = loadConfig(['TABLE_NAME', 'ADMIN_TOKEN', 'ADMIN_TOKEN_SECRET_ID']);
const adminTokenDigests = secretDigests(config.ADMIN_TOKEN, config.ADMIN_TOKEN_SECRET_ID, 'ADMIN_TOKEN');
const db = dynamoDocumentClient();
const deps = {
  customers: new DynamoCustomerStore(db, config.TABLE_NAME),
  ledger: new DynamoLedger(db, config.TABLE_NAME),
};

type Route = (event: HttpEvent) => Promise<HttpResult>;

/** Route keys are API Gateway's (`METHOD /path/{param}`), the same in AWS and in the local stack. */
const routes: Record<string, Route> = {
  'GET /admin/customers/{id}': async (event) => {
    const id = decodeURIComponent(event.pathParameters?.id ?? '');
    const customer = await getCustomer(id, deps);
    if (!customer) throw new HttpError(404, `no customer with id ${id}`);
    return json(200, customer);
  },
};

async function authenticate(event: HttpEvent) {
  const bearer = /^Bearer\s+(.+)$/i.exec(header(event, 'authorization')?.trim() ?? '')?.[1];
  if (!matchesAnyDigest(bearer, await adminTokenDigests())) {
    throw new HttpError(401, 'missing or invalid admin token', {});
  }
}

export const handler = middy<HttpEvent, HttpResult>()
  .use(httpErrors())
  .handler(async (event) => {
    await authenticate(event);
    const route = routes[event.routeKey];
    if (!route) throw new HttpError(404, `no route ${event.routeKey}`);
    return route(event);
  });
