/**
 * The embedded local stack: DynamoDB Local, the SES emulator, a local EventBridge and a local API
 * Gateway, wired from infra/topology.ts and running the same handlers as AWS. Only endpoints
 * differ, and the handlers learn them from the SDK's own AWS_ENDPOINT_URL_* variables.
 */
import { randomUUID } from 'node:crypto';
import { appendFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { INBOUND_PREFIX } from '../../functions/inbound/inbound.ts';
import { registerClientHook } from '../../shared/adapters/client-hooks.ts';
import { consumedCapacity } from '../../shared/adapters/dynamodb/client.ts';
import { ensureTable } from '../../shared/adapters/dynamodb/create-table.ts';
import { clock, resetClock, setClock } from '../../shared/clock.ts';
import type { DeadLetterSource } from '../../shared/domain/dead-letters.ts';
import { log } from '../../shared/observability.ts';
import { CONSOLE_CSP, type ConsoleConfig, consoleFiles } from '../console-site.ts';
import {
  CUSTOMER_INPUTS_QUEUE,
  FUNCTIONS,
  hasDeadLetterQueue,
  RESOURCE_NAMES,
  redrivesToFunction,
  WHOLE_BASE_JOB,
} from '../topology.ts';
import { startDynamoDbLocal } from './dynamodb-local.ts';
import { type DeadLetter as BusDeadLetter, LocalEventBus } from './event-bus.ts';
import { FaultInjector, faultPlan } from './faults.ts';
import { freePort } from './free-port.ts';
import { LocalHttpGateway } from './http-gateway.ts';
import { LocalLambda } from './lambda-endpoint.ts';
import { inertAfterEnd, type LocalFunction, loadFunction } from './lambda-runtime.ts';
import { LocalQueuePoller } from './queue-poller.ts';
import { LocalScheduler } from './scheduler.ts';
import { startSesLocal } from './ses-local.ts';
import { SesProxy } from './ses-proxy.ts';
import { INBOUND_BUCKET, startS3Local, startSmtpInbound } from './smtp-inbound.ts';
import { ACCOUNT, FifoQueue, LocalSqs, type DeadLetter as QueueDeadLetter } from './sqs.ts';
import { LocalStepFunctions } from './step-functions.ts';
import { LocalStreamPoller } from './stream-poller.ts';

export const REPOSITORY_ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));

export interface LocalSettings {
  port: number;
  dynamodbPort: number;
  sesPort: number;
  eventBridgePort: number;
  /** The local SQS endpoint (the customer-inputs queue). */
  sqsPort: number;
  writeKey: string;
  adminToken: string;
  offerSecret: string;
  mailFrom: string;
  brandName: string;
  postalAddress: string;
  /** Where DynamoDB Local keeps its files and the bus its dead letters; undefined keeps nothing. */
  dataDir: string | undefined;
  region: string;
  /** Delays before the bus retries a failed delivery (Lambda waits minutes; locally seconds). */
  retryDelaysMs: number[];
  /** A daily schedule's time (`HH:MM` UTC, or `off`) by schedule name: SWEEP_AT_UTC, MODEL_AT_UTC. */
  scheduleAtUtc: Record<string, string | undefined>;
  unsubscribeSecret: string;
  /** What SES GetAccount answers as the account's maximum send rate. */
  sesMaxSendRate: number;
  /** Share of sends the local SES answers "Maximum sending rate exceeded" (fault testing). */
  sesThrottleRate: number;
  /** Where the local SMTP server takes replies (SES receiving's stand-in). */
  smtpPort: number;
  /** The domain of the reply addresses (`reply+<id>@` it) set as every email's Reply-To. */
  inboundDomain: string;
  /** The shop's support mailbox: a copy of every reply goes there (unset: none). */
  supportAddress: string | undefined;
  /** Webhooks may call loopback and private addresses (never in AWS). */
  allowPrivateWebhooks: boolean;
}

export function settingsFromEnv(env: Record<string, string | undefined> = process.env): LocalSettings {
  const port = (name: string, fallback: number) => {
    const value = Number(env[name] ?? fallback);
    if (!Number.isInteger(value) || value < 0 || value > 65535)
      throw new Error(`${name} must be a port number, not ${env[name]}`);
    return value;
  };
  const inMemory = env.IN_MEMORY === '1' || env.IN_MEMORY === 'true';
  return {
    port: port('PORT', 3000),
    dynamodbPort: port('DYNAMODB_PORT', 8000),
    sesPort: port('SES_PORT', 8005),
    eventBridgePort: port('EVENTBRIDGE_PORT', 8010),
    sqsPort: port('SQS_PORT', 8020),
    writeKey: env.WRITE_KEY ?? 'dev-write-key',
    adminToken: env.ADMIN_TOKEN ?? 'dev-admin-token',
    offerSecret: env.OFFER_SECRET ?? 'dev-offer-secret',
    mailFrom: env.MAIL_FROM ?? 'Lifecycle Shop <hello@shop.example>',
    brandName: env.BRAND_NAME ?? 'Lifecycle Shop',
    postalAddress: env.POSTAL_ADDRESS ?? '1 Market Street, Springfield, USA',
    dataDir: inMemory ? undefined : resolve(env.DATA_DIR ?? '.data'),
    region: env.AWS_REGION ?? 'us-east-1',
    retryDelaysMs: (env.BUS_RETRY_DELAYS_MS ?? '1000,5000').split(',').map((delay) => Number(delay.trim())),
    scheduleAtUtc: { NightlySweep: env.SWEEP_AT_UTC, NightlyModelFit: env.MODEL_AT_UTC },
    unsubscribeSecret: env.UNSUBSCRIBE_SECRET ?? 'dev-unsubscribe-secret',
    sesMaxSendRate: Number(env.SES_MAX_SEND_RATE ?? 100),
    sesThrottleRate: Number(env.SES_THROTTLE_RATE ?? 0),
    smtpPort: port('SMTP_PORT', 2525),
    inboundDomain: env.INBOUND_DOMAIN ?? 'replies.shop.example',
    supportAddress: env.SUPPORT_ADDRESS || undefined,
    allowPrivateWebhooks: (env.WEBHOOKS_ALLOW_PRIVATE ?? '1') !== '0',
  };
}

export interface LocalStack {
  settings: LocalSettings;
  urls: { api: string; inbox: string; dynamodb: string; eventBridge: string; sqs: string; smtp: string };
  bus: LocalEventBus;
  readyInMs: number;
  stop(): Promise<void>;
}

export async function startLocalStack(settings: LocalSettings): Promise<LocalStack> {
  const started = Date.now();
  const stops: (() => Promise<void>)[] = [];
  const stop = async () => {
    for (const stopPart of stops.splice(0).reverse()) await stopPart().catch(() => undefined);
  };
  try {
    if (settings.dataDir) mkdirSync(settings.dataDir, { recursive: true });
    const ready = { value: false };

    // The gateway starts first so that /health can answer 503 while the rest comes up.
    const gateway = new LocalHttpGateway();
    gateway.localRoute('GET /health', async () =>
      jsonAnswer(ready.value ? 200 : 503, { status: ready.value ? 'ok' : 'starting' }),
    );
    await gateway.listen(settings.port);

    // The web console, built from its sources now (esbuild, in memory): it signs in with the admin token.
    const consoleSite = await consoleFiles();
    const localConfig: ConsoleConfig = { auth: { kind: 'token' } };
    consoleSite.set('config.json', {
      body: Buffer.from(JSON.stringify(localConfig)),
      contentType: 'application/json',
    });
    gateway.site('/console', consoleSite, { 'content-security-policy': CONSOLE_CSP });
    stops.push(() => gateway.close());

    const s3Directory = settings.dataDir
      ? join(settings.dataDir, 's3')
      : mkdtempSync(join(tmpdir(), 'lifecycle-s3-'));
    const [dynamo, ses, s3] = await Promise.all([
      startDynamoDbLocal({
        port: settings.dynamodbPort,
        ...(settings.dataDir ? { dataDir: join(settings.dataDir, 'dynamodb') } : {}),
      }),
      // The emulator listens on a port of its own; SES_PORT is the proxy in front of it (below).
      freePort().then((port) => startSesLocal({ port, maxSendRate: settings.sesMaxSendRate })),
      // Where received mail is kept, as SES receiving's S3 action keeps it.
      freePort().then((port) => startS3Local({ port, directory: s3Directory })),
    ]);
    stops.push(
      () => dynamo.stop(),
      () => ses.stop(),
      async () => {
        await s3.stop();
        if (!settings.dataDir) rmSync(s3Directory, { recursive: true, force: true });
      },
    );

    // The customer-inputs queue and its dead-letter queue, behind the local SQS endpoint.
    const sqs = new LocalSqs();
    const queueDeadLetters: QueueDeadLetter[] = [];
    const deadInputs = sqs.add(new FifoQueue({ name: CUSTOMER_INPUTS_QUEUE.deadLetterName }));
    const customerInputs = sqs.add(
      new FifoQueue({
        name: CUSTOMER_INPUTS_QUEUE.name,
        maxReceiveCount: CUSTOMER_INPUTS_QUEUE.maxReceiveCount,
        deadLetterQueue: deadInputs,
        onDeadLetter: (letter) => {
          queueDeadLetters.push(letter);
          console.error(
            `dead letter: ${letter.queue} gave up on message ${letter.message.id}: ${letter.message.lastFailure ?? 'no reason noted'}`,
          );
          if (settings.dataDir)
            appendFileSync(join(settings.dataDir, 'dead-letters.jsonl'), `${JSON.stringify(letter)}\n`);
        },
      }),
    );
    // Each function's dead-letter queue (standard), as in AWS: what failed after its retries.
    for (const spec of FUNCTIONS.filter(hasDeadLetterQueue))
      sqs.add(new FifoQueue({ name: deadLetterQueueName(spec.name), standard: true }));
    await sqs.listen(settings.sqsPort);
    stops.push(() => sqs.close());
    // Lambda's Invoke, for what invokes a function by name (a dead letter redriven).
    const lambda = new LocalLambda((target, payload) => bus.invokeAsync(target, payload));
    await lambda.listen(await freePort());
    stops.push(() => lambda.close());
    // The state machine of whole-base jobs, driving the jobs function once it is loaded.
    const stepFunctions = new LocalStepFunctions({
      region: settings.region,
      retryDelaysMs: settings.retryDelaysMs,
      onFailed: ({ name, error }) =>
        console.error(`job run ${name} failed (resumed by the minutely pass): ${error}`),
    });
    await stepFunctions.listen(await freePort());
    stops.push(() => stepFunctions.close());

    const eventBridge = `http://127.0.0.1:${settings.eventBridgePort}`;
    const sesEndpoint = `http://127.0.0.1:${settings.sesPort}`;
    configureEnvironment(settings, {
      dynamodb: dynamo.endpoint,
      ses: sesEndpoint,
      eventBridge,
      s3: s3.endpoint,
      sqs: sqs.endpoint,
      customerInputsQueue: sqs.urlOf(customerInputs.name),
      lambda: lambda.endpoint,
      deadLetterQueues: [
        {
          name: 'customer-inputs',
          url: sqs.urlOf(deadInputs.name),
          redrive: { queueUrl: sqs.urlOf(customerInputs.name) },
        },
        ...FUNCTIONS.filter(hasDeadLetterQueue).map((spec) => ({
          name: spec.name,
          url: sqs.urlOf(deadLetterQueueName(spec.name)),
          ...(redrivesToFunction(spec) ? { redrive: { functionName: spec.name } } : {}),
        })),
      ],
      stepFunctions: stepFunctions.endpoint,
      jobStateMachine: stepFunctions.stateMachineArn,
    });

    // The functions' shared logger was made before these settings: it follows LOG_LEVEL from now on.
    log.setLogLevel((process.env.LOG_LEVEL ?? 'info').toUpperCase() as Parameters<typeof log.setLogLevel>[0]);
    const admin = new DynamoDBClient({});
    await ensureTable(admin, RESOURCE_NAMES.table);
    admin.destroy();

    const bus = new LocalEventBus({
      busName: RESOURCE_NAMES.bus,
      region: settings.region,
      retryDelaysMs: settings.retryDelaysMs,
      concurrencyOf: (name) => FUNCTIONS.find((spec) => spec.name === name)?.access.concurrency,
      ...(settings.dataDir ? { deadLetterFile: join(settings.dataDir, 'dead-letters.jsonl') } : {}),
      // Into the function's dead-letter queue as Lambda's on-failure destination writes it.
      onDeadLetter: (letter) =>
        sqs.queue(deadLetterQueueName(letter.target))?.send({
          body: JSON.stringify(invocationRecord(letter, settings.region)),
        }),
    });
    const scheduler = new LocalScheduler();
    // In front of every AWS client the functions create; idle until a plan is set.
    const faults = new FaultInjector();
    const unhooks = [registerClientHook(inertAfterEnd), registerClientHook(faults.hook)];
    stops.push(async () => {
      for (const unhook of unhooks) unhook();
    });
    const streams: LocalStreamPoller[] = [];
    const queuePollers: LocalQueuePoller[] = [];
    const schedules = new Map<string, () => Promise<unknown>>();
    const inboxes: Awaited<ReturnType<typeof startSmtpInbound>>[] = [];
    const loaded: LocalFunction[] = [];
    for (const spec of FUNCTIONS) {
      const fn = await loadFunction(spec, REPOSITORY_ROOT);
      loaded.push(fn);
      lambda.add(fn);
      if (spec.inboundMail) {
        const smtp = await startSmtpInbound({
          port: settings.smtpPort,
          s3Endpoint: s3.endpoint,
          region: settings.region,
          keyPrefix: INBOUND_PREFIX,
          invoke: (event) => fn.invoke(event),
        });
        inboxes.push(smtp);
        stops.push(() => smtp.stop());
      }
      if (spec.name === WHOLE_BASE_JOB.chunkFunction) stepFunctions.setTarget(fn);
      for (const routeKey of spec.routes) gateway.route(routeKey, fn);
      for (const trigger of spec.events) bus.subscribe(trigger, fn);
      for (const trigger of spec.schedules ?? []) {
        scheduler.schedule(trigger, fn, settings.scheduleAtUtc[trigger.name]);
        schedules.set(trigger.name, () => fn.invoke(trigger.input ?? {}));
      }
      if (spec.customerInputs) {
        queuePollers.push(
          new LocalQueuePoller({
            queue: customerInputs,
            target: fn,
            batchSize: spec.customerInputs.batchSize,
            concurrency: spec.access.concurrency ?? 16,
            region: settings.region,
            retryDelaysMs: settings.retryDelaysMs,
          }),
        );
      }
      if (spec.stream) {
        streams.push(
          new LocalStreamPoller({
            endpoint: dynamo.endpoint,
            region: settings.region,
            tableName: RESOURCE_NAMES.table,
            target: fn,
            batchSize: spec.stream.batchSize,
          }),
        );
      }
    }
    for (const poller of streams) await poller.start();
    for (const poller of queuePollers) poller.start();
    await bus.listen(settings.eventBridgePort);
    const sesProxy = new SesProxy({
      upstream: ses.endpoint,
      events: bus,
      throttleRate: settings.sesThrottleRate,
    });
    await sesProxy.listen(settings.sesPort);
    // Stopped in reverse: the front door first (requests in flight finish, new ones are refused),
    // the scheduler, the SES proxy (publishing the feedback it holds), the bus once its deliveries
    // are done, and only then the stores they write to.
    stops.push(
      async () => {
        for (const poller of streams) await poller.stop();
      },
      // Runs in flight finish (or are cut short by the stores stopping after them).
      async () => {
        await Promise.race([
          stepFunctions.idle(),
          new Promise((resolve) => setTimeout(resolve, 5_000).unref()),
        ]);
      },
      () => bus.close(),
      async () => {
        for (const poller of queuePollers) await poller.stop();
      },
      () => sesProxy.close(),
      async () => scheduler.stop(),
      () => gateway.close(),
    );

    // Time travel, for the demo and for trying things out: moves the clock of every function.
    gateway.localRoute('POST /_local/clock', async (request, body) => {
      if (!isAdmin(request, settings)) return jsonAnswer(401, { error: 'missing or invalid admin token' });
      let to: string | undefined;
      try {
        to = (JSON.parse(body.toString('utf8') || '{}') as { now?: string }).now;
      } catch {
        return jsonAnswer(400, { error: 'body: invalid JSON' });
      }
      if (to && Number.isNaN(Date.parse(to)))
        return jsonAnswer(400, { error: 'now: must be an ISO-8601 date-time' });
      if (to) setClock(new Date(to));
      else resetClock();
      return jsonAnswer(200, { now: clock.now().toISOString() });
    });
    // Waits until the bus has delivered everything in flight (and its consequences), and the
    // stream's followers have caught up with every write so far.
    const idle = async () => {
      for (const inbox of inboxes) await inbox.idle();
      // Each part can give the others work (inputs decide emails; a sweep queues inputs): again
      // until one pass finds every part already idle.
      for (let pass = 0; pass < 10; pass++) {
        const quiet = () =>
          queuePollers.every((poller) => poller.isIdle()) &&
          bus.metrics().inFlight === 0 &&
          stepFunctions.isIdle();
        const before = quiet();
        await stepFunctions.idle();
        await Promise.all(queuePollers.map((poller) => poller.idle()));
        await bus.idle();
        await Promise.all(streams.map((poller) => poller.idle()));
        await bus.idle();
        if (before && quiet()) break;
      }
    };
    gateway.localRoute('GET /_local/idle', async () => {
      await idle();
      return jsonAnswer(200, { idle: true });
    });

    // What the stack has done so far: DynamoDB capacity consumed, and the bus's deliveries.
    gateway.localRoute('GET /_local/metrics', async () =>
      jsonAnswer(200, {
        dynamodb: consumedCapacity,
        bus: bus.metrics(),
        queues: queuePollers.map((poller) => poller.metrics()),
        sqsRequests: sqs.requests,
        stepFunctions: stepFunctions.counters,
        ses: sesProxy.counters,
        functions: Object.fromEntries(loaded.map((fn) => [fn.spec.name, fn.usage])),
        streams: streams.map((poller) => poller.metrics()),
        memory: process.memoryUsage(),
      }),
    );

    // Runs a schedule now (`{ "name": "ResumeStalledJobs" }`), as its next tick would: for tests and trying things.
    gateway.localRoute('POST /_local/schedules', async (request, body) => {
      if (!isAdmin(request, settings)) return jsonAnswer(401, { error: 'missing or invalid admin token' });
      let name: unknown;
      try {
        name = (JSON.parse(body.toString('utf8') || '{}') as { name?: unknown }).name;
      } catch {
        return jsonAnswer(400, { error: 'body: invalid JSON' });
      }
      const run = typeof name === 'string' ? schedules.get(name) : undefined;
      if (!run) return jsonAnswer(400, { error: `name: must be one of ${[...schedules.keys()].join(', ')}` });
      try {
        await run();
      } catch (error) {
        // The function failed (or was crashed by the fault injector): say so, as a schedule's log would.
        return jsonAnswer(502, { error: `${String(name)} failed: ${String(error)}` });
      }
      return jsonAnswer(200, { ran: name });
    });

    // The fault injector: what it is set to fail and what it failed so far; PUT sets a new plan.
    gateway.localRoute('GET /_local/faults', async () => jsonAnswer(200, faults.report()));
    gateway.localRoute('PUT /_local/faults', async (request, body) => {
      if (!isAdmin(request, settings)) return jsonAnswer(401, { error: 'missing or invalid admin token' });
      let parsed: unknown;
      try {
        parsed = JSON.parse(body.toString('utf8') || '{}');
      } catch {
        return jsonAnswer(400, { error: 'body: invalid JSON' });
      }
      const plan = faultPlan.safeParse(parsed);
      if (!plan.success) {
        const problems = plan.error.issues.map(
          (issue) => `${issue.path.join('.') || 'body'}: ${issue.message}`,
        );
        return jsonAnswer(400, { error: problems.join('; ') });
      }
      faults.configure(plan.data);
      return jsonAnswer(200, faults.report());
    });

    gateway.localRoute('GET /_local/dead-letters', async (request) => {
      if (request.headers.authorization !== `Bearer ${settings.adminToken}`) {
        return {
          status: 401,
          headers: { 'content-type': 'application/json' },
          body: '{"error":"missing or invalid admin token"}',
        };
      }
      return {
        status: 200,
        headers: { 'content-type': 'application/json' },
        // The bus's, and the queue's in the same shape: the function, why, and the input.
        body: JSON.stringify([
          ...bus.deadLetters,
          ...queueDeadLetters.map((letter) => ({
            at: letter.at,
            queue: letter.queue,
            target: 'apply-event',
            attempts: letter.message.receiveCount,
            reason: letter.message.lastFailure ?? 'no reason noted',
            messageId: letter.message.id,
            event: parsedBody(letter.message.body),
          })),
        ]),
      };
    });

    ready.value = true;
    return {
      settings,
      urls: {
        api: `http://127.0.0.1:${settings.port}`,
        inbox: sesEndpoint,
        dynamodb: dynamo.endpoint,
        eventBridge,
        sqs: sqs.endpoint,
        smtp: `smtp://127.0.0.1:${inboxes[0]?.port ?? settings.smtpPort}`,
      },
      bus,
      readyInMs: Date.now() - started,
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

function parsedBody(body: string): unknown {
  try {
    return JSON.parse(body);
  } catch {
    return body;
  }
}

function isAdmin(request: IncomingMessage, settings: LocalSettings) {
  return request.headers.authorization === `Bearer ${settings.adminToken}`;
}

function jsonAnswer(status: number, body: unknown) {
  return { status, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) };
}

/** What the handlers read: the same variables the CDK app sets, with local endpoints. */
/** A function's dead-letter queue, locally (CDK names them in AWS). */
function deadLetterQueueName(functionName: string) {
  return `lifecycle-${functionName}-dead`;
}

/** A failed asynchronous invocation as Lambda's on-failure destination records it. */
function invocationRecord(letter: BusDeadLetter, region: string) {
  return {
    version: '1.0',
    timestamp: letter.at,
    requestContext: {
      requestId: randomUUID(),
      functionArn: `arn:aws:lambda:${region}:${ACCOUNT}:function:${letter.target}:$LATEST`,
      condition: 'RetriesExhausted',
      approximateInvokeCount: letter.attempts,
    },
    requestPayload: letter.event,
    responseContext: { statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' },
    responsePayload: { errorMessage: letter.reason },
  };
}

function configureEnvironment(
  settings: LocalSettings,
  endpoints: {
    dynamodb: string;
    ses: string;
    eventBridge: string;
    s3: string;
    sqs: string;
    customerInputsQueue: string;
    lambda: string;
    deadLetterQueues: DeadLetterSource[];
    stepFunctions: string;
    jobStateMachine: string;
  },
) {
  // Never let a developer's real AWS profile leak into the local stack.
  delete process.env.AWS_PROFILE;
  delete process.env.AWS_SESSION_TOKEN;
  Object.assign(process.env, {
    AWS_REGION: settings.region,
    // The S3 emulator knows one account, S3RVER; DynamoDB Local (shared database) and the SES
    // emulator take any credentials.
    AWS_ACCESS_KEY_ID: 'S3RVER',
    AWS_SECRET_ACCESS_KEY: 'S3RVER',
    AWS_ENDPOINT_URL_DYNAMODB: endpoints.dynamodb,
    AWS_ENDPOINT_URL_SESV2: endpoints.ses,
    AWS_ENDPOINT_URL_EVENTBRIDGE: endpoints.eventBridge,
    AWS_ENDPOINT_URL_S3: endpoints.s3,
    AWS_ENDPOINT_URL_SQS: endpoints.sqs,
    CUSTOMER_INPUTS_QUEUE_URL: endpoints.customerInputsQueue,
    AWS_ENDPOINT_URL_LAMBDA: endpoints.lambda,
    DEAD_LETTER_QUEUES: JSON.stringify(endpoints.deadLetterQueues),
    AWS_ENDPOINT_URL_SFN: endpoints.stepFunctions,
    JOB_STATE_MACHINE_ARN: endpoints.jobStateMachine,
    INBOUND_BUCKET: INBOUND_BUCKET,
    INBOUND_DOMAIN: settings.inboundDomain,
    ...(settings.supportAddress ? { SUPPORT_ADDRESS: settings.supportAddress } : {}),
    WEBHOOKS_ALLOW_PRIVATE: settings.allowPrivateWebhooks ? '1' : '0',
    TABLE_NAME: RESOURCE_NAMES.table,
    EVENT_BUS_NAME: RESOURCE_NAMES.bus,
    // Counts the capacity every call consumes, for GET /_local/metrics and the benchmarks.
    DYNAMODB_CAPACITY_METRICS: '1',
    WRITE_KEY: settings.writeKey,
    ADMIN_TOKEN: settings.adminToken,
    OFFER_SECRET: settings.offerSecret,
    UNSUBSCRIBE_SECRET: settings.unsubscribeSecret,
    PUBLIC_URL: `http://127.0.0.1:${settings.port}`,
    SES_CONFIGURATION_SET: 'lifecycle',
    MAIL_FROM: settings.mailFrom,
    BRAND_NAME: settings.brandName,
    POSTAL_ADDRESS: settings.postalAddress,
  });
}
