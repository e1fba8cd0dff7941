import middy from '@middy/core';
import type { EventBridgeEvent } from 'aws-lambda';
import { DynamoBroadcastStore } from '../../shared/adapters/dynamodb/broadcast-store.ts';
import { dynamoDocumentClient } from '../../shared/adapters/dynamodb/client.ts';
import { DynamoCounterStore } from '../../shared/adapters/dynamodb/counter-store.ts';
import { DynamoCustomerBase } from '../../shared/adapters/dynamodb/customer-base.ts';
import { DynamoJobStore } from '../../shared/adapters/dynamodb/job-store.ts';
import { DynamoJourneyStore } from '../../shared/adapters/dynamodb/journey-store.ts';
import { DynamoSettingsStore } from '../../shared/adapters/dynamodb/settings-store.ts';
import { sesClient } from '../../shared/adapters/ses/mailer.ts';
import { accountSendRate } from '../../shared/adapters/ses/pacer.ts';
import { clock } from '../../shared/clock.ts';
import { loadConfig } from '../../shared/config.ts';
import { JobChunkRequested } from '../../shared/domain/contracts/job-chunk.ts';
import { broadcastItem } from '../../shared/domain/counters.ts';
import { broadcastPolicyOf } from '../../shared/domain/rules.ts';
import { log, observed } from '../../shared/observability.ts';
import { applyBroadcast, reevaluate } from '../apply-event/apply.ts';
import { applyDeps } from '../apply-event/deps.ts';
import { backtester } from './backtest.ts';
import { startDueBroadcasts } from './broadcasts.ts';
import { resumeStalled, runChunk } from './jobs.ts';

const config = loadConfig(['TABLE_NAME', 'EVENT_BUS_NAME', 'OFFER_SECRET', 'OFFER_SECRET_ID']);
const db = dynamoDocumentClient();
const engine = applyDeps(db, config);
const readRate = accountSendRate(sesClient());
const jobs = new DynamoJobStore(db, config.TABLE_NAME);
const broadcasts = new DynamoBroadcastStore(db, config.TABLE_NAME);
const counters = new DynamoCounterStore(db, config.TABLE_NAME);
const now = () => clock.now();
const deps = {
  jobs,
  base: new DynamoCustomerBase(db, config.TABLE_NAME),
  publisher: engine.publisher,
  reevaluate: (customerId: string, at: string) => reevaluate(customerId, at, engine),
  backtest: backtester({
    customers: engine.store,
    journeys: new DynamoJourneyStore(db, config.TABLE_NAME),
    store: new DynamoSettingsStore(db, config.TABLE_NAME),
    settings: engine.settings,
  }),
  broadcast: (customerId: string, input: Parameters<typeof applyBroadcast>[1]) =>
    applyBroadcast(customerId, input, engine),
  broadcasts,
  broadcastInFlight: async (id: string) => (await counters.gauges(broadcastItem(id))).inFlight ?? 0,
  broadcastRate: async () =>
    (await readRate().catch(() => 1)) * broadcastPolicyOf((await engine.settings()).policy).rateShare,
  now,
};

/** A chunk of a job (from the bus), or the minutely pass (from the schedule): stalled parts, due broadcasts. */
export const handler = middy<EventBridgeEvent<string, unknown> | { resume: true }, void>()
  .use(observed())
  .handler(async (event) => {
    if ('resume' in event) {
      const started = await startDueBroadcasts({ broadcasts, jobs, publisher: engine.publisher, now });
      if (started.length > 0) log.info('broadcasts started', { broadcasts: started });
      const resumed = await resumeStalled(deps);
      if (resumed > 0) log.info('jobs resumed', { parts: resumed });
      return;
    }
    const request = JobChunkRequested.schema.parse(event.detail);
    log.info('job chunk', { ...request, ...(await runChunk(request, deps)) });
  });
