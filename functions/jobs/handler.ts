import middy from '@middy/core';
import type { EventBridgeEvent } from 'aws-lambda';
import { dynamoDocumentClient } from '../../shared/adapters/dynamodb/client.ts';
import { DynamoCustomerBase } from '../../shared/adapters/dynamodb/customer-base.ts';
import { DynamoJobStore } from '../../shared/adapters/dynamodb/job-store.ts';
import { DynamoJourneyStore } from '../../shared/adapters/dynamodb/journey-store.ts';
import { DynamoSettingsStore } from '../../shared/adapters/dynamodb/settings-store.ts';
import { clock } from '../../shared/clock.ts';
import { loadConfig } from '../../shared/config.ts';
import { JobChunkRequested } from '../../shared/domain/contracts/job-chunk.ts';
import { log } from '../../shared/log.ts';
import { reevaluate } from '../apply-event/apply.ts';
import { applyDeps } from '../apply-event/deps.ts';
import { backtester } from './backtest.ts';
import { resumeStalled, runChunk } from './jobs.ts';

const config = loadConfig(['TABLE_NAME', 'EVENT_BUS_NAME', 'OFFER_SECRET', 'OFFER_SECRET_ID']);
const db = dynamoDocumentClient();
const engine = applyDeps(db, config);
const deps = {
  jobs: new DynamoJobStore(db, config.TABLE_NAME),
  base: new DynamoCustomerBase(db, config.TABLE_NAME),
  publisher: engine.publisher,
  reevaluate: (customerId: string, now: string) => reevaluate(customerId, now, engine),
  backtest: backtester({
    customers: engine.store,
    journeys: new DynamoJourneyStore(db, config.TABLE_NAME),
    store: new DynamoSettingsStore(db, config.TABLE_NAME),
    settings: engine.settings,
  }),
  now: () => clock.now(),
};

/** A chunk of a job (from the bus), or the minutely resumption of stalled parts (from the schedule). */
export const handler = middy<EventBridgeEvent<string, unknown> | { resume: true }, void>().handler(
  async (event) => {
    if ('resume' in event) {
      const resumed = await resumeStalled(deps);
      if (resumed > 0) log.info('jobs resumed', { parts: resumed });
      return;
    }
    const request = JobChunkRequested.schema.parse(event.detail);
    log.info('job chunk', { ...request, ...(await runChunk(request, deps)) });
  },
);
