import middy from '@middy/core';
import * as z from 'zod';
import { dynamoDocumentClient } from '../../shared/adapters/dynamodb/client.ts';
import { DynamoCustomerStore } from '../../shared/adapters/dynamodb/customer-store.ts';
import { DynamoDueIndex } from '../../shared/adapters/dynamodb/due-index.ts';
import { DynamoLedger } from '../../shared/adapters/dynamodb/ledger.ts';
import { EventBridgePublisher } from '../../shared/adapters/eventbridge/publisher.ts';
import {
  bodyBytes,
  HttpError,
  type HttpEvent,
  type HttpResult,
  header,
  httpErrors,
  json,
  parseJson,
} from '../../shared/adapters/http/api-gateway.ts';
import { secretDigests } from '../../shared/adapters/secrets.ts';
import { clock } from '../../shared/clock.ts';
import { loadConfig } from '../../shared/config.ts';
import { describeIssues } from '../../shared/domain/segment.ts';
import { matchesAnyDigest } from '../../shared/security.ts';
import { sweep } from '../sweep/sweep.ts';
import { getCustomer } from './customers.ts';

const config = loadConfig(['TABLE_NAME', 'EVENT_BUS_NAME', 'ADMIN_TOKEN', 'ADMIN_TOKEN_SECRET_ID']);
const adminTokenDigests = secretDigests(config.ADMIN_TOKEN, config.ADMIN_TOKEN_SECRET_ID, 'ADMIN_TOKEN');
const db = dynamoDocumentClient();
const customers = new DynamoCustomerStore(db, config.TABLE_NAME);
const deps = { customers, ledger: new DynamoLedger(db, config.TABLE_NAME) };
const sweepDeps = {
  dueIndex: new DynamoDueIndex(db, config.TABLE_NAME),
  publisher: new EventBridgePublisher(config.EVENT_BUS_NAME),
  findApplied: customers.findApplied.bind(customers),
};
const sweepRequest = z.object({ now: z.iso.datetime({ offset: true }).optional() });

type Route = (event: HttpEvent) => Promise<HttpResult>;

/** Route keys are API Gateway's (`METHOD /path/{param}`), the same in AWS and in the local stack. */
const routes: Record<string, Route> = {
  'POST /admin/sweep': async (event) => {
    const raw = bodyBytes(event, 4096);
    const body = raw.length > 0 ? parseJson(raw) : {};
    const request = sweepRequest.safeParse(body);
    if (!request.success) throw new HttpError(400, describeIssues(request.error));
    const now = request.data.now ? new Date(request.data.now) : clock.now();
    // Answers once the due timers are applied (or with what is still pending after 25 s).
    return json(200, await sweep(now, sweepDeps, { timeoutMs: 25_000 }));
  },
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
