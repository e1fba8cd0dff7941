import { randomBytes } from 'node:crypto';
import { DynamoAuditLog } from '../../shared/adapters/dynamodb/audit-log.ts';
import { DynamoBroadcastStore } from '../../shared/adapters/dynamodb/broadcast-store.ts';
import { dynamoDocumentClient } from '../../shared/adapters/dynamodb/client.ts';
import { DynamoCounterStore } from '../../shared/adapters/dynamodb/counter-store.ts';
import { DynamoCustomerData } from '../../shared/adapters/dynamodb/customer-data.ts';
import { DynamoDirectory } from '../../shared/adapters/dynamodb/directory.ts';
import { DynamoDueIndex } from '../../shared/adapters/dynamodb/due-index.ts';
import { DynamoFailureNotes } from '../../shared/adapters/dynamodb/failure-notes.ts';
import { DynamoJobStore } from '../../shared/adapters/dynamodb/job-store.ts';
import { DynamoJourneyStore } from '../../shared/adapters/dynamodb/journey-store.ts';
import { DynamoLedger } from '../../shared/adapters/dynamodb/ledger.ts';
import { DynamoModelStore } from '../../shared/adapters/dynamodb/model-store.ts';
import { DynamoSettingsStore } from '../../shared/adapters/dynamodb/settings-store.ts';
import { DynamoSourceStore } from '../../shared/adapters/dynamodb/source-store.ts';
import { DynamoSuppressions } from '../../shared/adapters/dynamodb/suppressions.ts';
import { DynamoTemplateStore } from '../../shared/adapters/dynamodb/template-store.ts';
import { DynamoTokenStore } from '../../shared/adapters/dynamodb/token-store.ts';
import { DynamoWebhookStore } from '../../shared/adapters/dynamodb/webhook-store.ts';
import { postJson } from '../../shared/adapters/http/outbound-post.ts';
import { checkOutboundUrl } from '../../shared/adapters/http/outbound-url.ts';
import { secretDigests, secretValue } from '../../shared/adapters/secrets.ts';
import { StepFunctionsJobRunner, sfnClient } from '../../shared/adapters/sfn/job-runner.ts';
import { SqsDeadLetterQueues } from '../../shared/adapters/sqs/dead-letters.ts';
import { clock } from '../../shared/clock.ts';
import { loadConfig } from '../../shared/config.ts';
import type { Broadcast } from '../../shared/domain/broadcasts.ts';
import type { JobReason } from '../../shared/ports.ts';
import { applyDeps } from '../apply-event/deps.ts';
import { startBroadcast } from '../jobs/broadcasts.ts';
import { startJob } from '../jobs/jobs.ts';
import { authenticatedHandler } from './authenticated.ts';
import { adminRoutes } from './routes.ts';

const config = loadConfig([
  'TABLE_NAME',
  'EVENT_BUS_NAME',
  'CUSTOMER_INPUTS_QUEUE_URL',
  'JOB_STATE_MACHINE_ARN',
  'OFFER_SECRET',
  'OFFER_SECRET_ID',
  'UNSUBSCRIBE_SECRET',
  'UNSUBSCRIBE_SECRET_ID',
  'WEBHOOKS_ALLOW_PRIVATE',
  'WRITE_KEY',
  'WRITE_KEY_SECRET_ID',
  'PUBLIC_URL',
  'DEAD_LETTER_QUEUES',
]);
const masterKey = secretValue(config.UNSUBSCRIBE_SECRET, config.UNSUBSCRIBE_SECRET_ID, 'UNSUBSCRIBE_SECRET');
const allowPrivate = config.WEBHOOKS_ALLOW_PRIVATE === '1';
const db = dynamoDocumentClient();
const engine = applyDeps(db, config);
const customers = engine.store;
const ledger = new DynamoLedger(db, config.TABLE_NAME);
const templates = new DynamoTemplateStore(db, config.TABLE_NAME);
const settingsStore = new DynamoSettingsStore(db, config.TABLE_NAME);
const { settings } = engine;
const now = () => clock.now();
const jobs = new DynamoJobStore(db, config.TABLE_NAME);
const counters = new DynamoCounterStore(db, config.TABLE_NAME);
const directory = new DynamoDirectory(db, config.TABLE_NAME);
const broadcasts = new DynamoBroadcastStore(db, config.TABLE_NAME);
const suppressions = new DynamoSuppressions(db, config.TABLE_NAME);
const tokens = new DynamoTokenStore(db, config.TABLE_NAME);
const audit = new DynamoAuditLog(db, config.TABLE_NAME);
const runner = new StepFunctionsJobRunner(sfnClient(), config.JOB_STATE_MACHINE_ARN);
const baseSize = async () => (await counters.gauges()).customers ?? 0;
const start = (reason: JobReason) => startJob(reason, { jobs, runner, baseSize, now });
const routes = adminRoutes({
  customers: {
    customers,
    directory,
    ledger,
    model: async () => (await settings()).model,
    segments: async () => (await settings()).segments.ordered,
    policy: async () => (await settings()).policy,
    now,
  },
  customerData: {
    data: new DynamoCustomerData(db, config.TABLE_NAME),
    suppressions,
    now,
  },
  rules: { settings, store: settingsStore, startJob: start, now },
  journeys: {
    store: settingsStore,
    journeys: new DynamoJourneyStore(db, config.TABLE_NAME),
    templates,
    settings,
    counters,
    startJob: start,
    jobs,
    now,
  },
  insights: {
    counters,
    settings,
    models: new DynamoModelStore(db, config.TABLE_NAME),
    startJob: start,
    now,
  },
  segments: {
    store: settingsStore,
    settings,
    counters,
    jobs,
    startJob: start,
    customers,
    directory,
    broadcasts,
    now,
  },
  broadcasts: {
    broadcasts,
    store: settingsStore,
    settings,
    templates,
    counters,
    customers,
    directory,
    suppressions,
    jobs,
    start: (broadcast: Broadcast) => startBroadcast(broadcast, { broadcasts, jobs, runner, baseSize, now }),
    newId: () => randomBytes(4).toString('hex'),
    now,
  },
  webhooks: {
    store: new DynamoWebhookStore(db, config.TABLE_NAME),
    masterKey,
    check: (url: string) => checkOutboundUrl(url, { allowPrivate }),
    post: postJson,
    allowPrivate,
    newId: () => randomBytes(8).toString('hex'),
    listened: (types: string[], at: string) => settingsStore.saveWebhookEvents(types, at),
    now,
  },
  sources: {
    sources: new DynamoSourceStore(db, config.TABLE_NAME),
    writeKeyDigests: secretDigests(config.WRITE_KEY, config.WRITE_KEY_SECRET_ID, 'WRITE_KEY'),
    masterKey,
    publicUrl: config.PUBLIC_URL,
    newId: () => randomBytes(3).toString('hex'),
    now,
  },
  sweep: {
    dueIndex: new DynamoDueIndex(db, config.TABLE_NAME),
    publisher: engine.publisher,
    outcomes: { customers, ledger },
  },
  tokens: { tokens, now },
  audit: { audit, now },
  deadLetters: {
    queues: new SqsDeadLetterQueues(
      config.DEAD_LETTER_QUEUES ?? [],
      new DynamoFailureNotes(db, config.TABLE_NAME),
    ),
  },
  now,
});

export const handler = authenticatedHandler(routes, { tokens, audit, now });
