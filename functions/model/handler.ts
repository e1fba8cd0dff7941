import middy from '@middy/core';
import { dynamoDocumentClient } from '../../shared/adapters/dynamodb/client.ts';
import { DynamoCustomerBase } from '../../shared/adapters/dynamodb/customer-base.ts';
import { DynamoModelStore } from '../../shared/adapters/dynamodb/model-store.ts';
import { clock } from '../../shared/clock.ts';
import { loadConfig } from '../../shared/config.ts';
import { log, observed } from '../../shared/observability.ts';
import { reevaluate } from '../apply-event/apply.ts';
import { applyDeps } from '../apply-event/deps.ts';
import { nightlyModel } from './model.ts';

const config = loadConfig(['TABLE_NAME', 'EVENT_BUS_NAME', 'OFFER_SECRET', 'OFFER_SECRET_ID']);
const db = dynamoDocumentClient();
const engine = applyDeps(db, config);
const deps = {
  base: new DynamoCustomerBase(db, config.TABLE_NAME),
  models: new DynamoModelStore(db, config.TABLE_NAME),
  reevaluate: (customerId: string) => reevaluate(customerId, clock.now().toISOString(), engine),
  now: () => clock.now(),
};

/** Nightly, before the sweep: fit the models on yesterday's history, then evaluate everyone again. */
export const handler = middy<unknown, void>()
  .use(observed())
  .handler(async () => {
    log.info('model', await nightlyModel(deps));
  });
