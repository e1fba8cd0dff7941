import middy from '@middy/core';
import * as z from 'zod';
import { DynamoBroadcastStore } from '../../shared/adapters/dynamodb/broadcast-store.ts';
import { dynamoDocumentClient } from '../../shared/adapters/dynamodb/client.ts';
import { DynamoCounterStore } from '../../shared/adapters/dynamodb/counter-store.ts';
import { DynamoCustomerBase } from '../../shared/adapters/dynamodb/customer-base.ts';
import { DynamoJobStore } from '../../shared/adapters/dynamodb/job-store.ts';
import { DynamoJourneyStore } from '../../shared/adapters/dynamodb/journey-store.ts';
import { DynamoModelStore } from '../../shared/adapters/dynamodb/model-store.ts';
import { DynamoSettingsStore } from '../../shared/adapters/dynamodb/settings-store.ts';
import { sesClient } from '../../shared/adapters/ses/mailer.ts';
import { accountSendRate } from '../../shared/adapters/ses/pacer.ts';
import { StepFunctionsJobRunner, sfnClient } from '../../shared/adapters/sfn/job-runner.ts';
import { clock } from '../../shared/clock.ts';
import { loadConfig } from '../../shared/config.ts';
import { broadcastItem } from '../../shared/domain/counters.ts';
import type { Profile } from '../../shared/domain/profile.ts';
import { broadcastPolicyOf } from '../../shared/domain/rules.ts';
import { log, observed } from '../../shared/observability.ts';
import { applyBroadcast, reevaluate } from '../apply-event/apply.ts';
import { applyDeps } from '../apply-event/deps.ts';
import { lastWholeDay } from '../model/model.ts';
import { backtester } from './backtest.ts';
import { startDueBroadcasts } from './broadcasts.ts';
import { type ChunkOutcome, finishJob, resumeStalled, runChunks, startJob } from './jobs.ts';

const config = loadConfig([
  'TABLE_NAME',
  'EVENT_BUS_NAME',
  'JOB_STATE_MACHINE_ARN',
  'OFFER_SECRET',
  'OFFER_SECRET_ID',
]);
const db = dynamoDocumentClient();
const engine = applyDeps(db, config);
const readRate = accountSendRate(sesClient());
const jobs = new DynamoJobStore(db, config.TABLE_NAME);
const broadcasts = new DynamoBroadcastStore(db, config.TABLE_NAME);
const counters = new DynamoCounterStore(db, config.TABLE_NAME);
const runner = new StepFunctionsJobRunner(sfnClient(), config.JOB_STATE_MACHINE_ARN);
const now = () => clock.now();
const baseSize = async () => (await counters.gauges()).customers ?? 0;
const deps = {
  baseSize,
  jobs,
  runner,
  base: new DynamoCustomerBase(db, config.TABLE_NAME),
  models: new DynamoModelStore(db, config.TABLE_NAME),
  profiles: async (ids: string[]) => {
    const stored = engine.store.loadMany ? await engine.store.loadMany(ids) : new Map();
    return [...stored.values()].flatMap((customer): Profile[] => (customer ? [customer.profile] : []));
  },
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

/** What the runner and the schedules send (topology.ts: WHOLE_BASE_JOB and the jobs function's schedules). */
const request = z.union([
  z.object({ jobId: z.string().min(1), part: z.number().int().min(0), cursor: z.string().optional() }),
  z.object({ jobId: z.string().min(1), finish: z.literal(true) }),
  z.object({ resume: z.literal(true) }),
  z.object({ nightly: z.literal(true) }),
]);

/**
 * A chunk of a job or its last step (from the runner), or a schedule: the minutely pass (stalled
 * runs, due broadcasts) or the nightly fit.
 */
export const handler = middy<unknown, ChunkOutcome | { finished: boolean } | undefined>()
  .use(observed())
  .handler(async (event) => {
    const input = request.parse(event);
    if ('part' in input) {
      const outcome = await runChunks(input, deps);
      log.info('job chunks', { ...outcome });
      return outcome;
    }
    if ('finish' in input) {
      const { finished, fitted } = await finishJob(input.jobId, deps);
      log.info('job finished', {
        jobId: input.jobId,
        finished,
        ...(fitted ? { modelAsOf: fitted.asOf } : {}),
      });
      return { finished };
    }
    if ('nightly' in input) {
      const at = now();
      const job = await startJob(
        { kind: 'model-fit', asOf: lastWholeDay(at), requestedAt: at.toISOString() },
        deps,
      );
      log.info('nightly fit started', { jobId: job.id });
      return undefined;
    }
    const started = await startDueBroadcasts({ broadcasts, jobs, runner, baseSize, now });
    if (started.length > 0) log.info('broadcasts started', { broadcasts: started });
    const resumed = await resumeStalled(deps);
    if (resumed > 0) log.info('jobs resumed', { parts: resumed });
    return undefined;
  });
