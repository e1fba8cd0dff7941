/**
 * `npm run bench:cost -- --events 20000 --customers 1000 --shop-customers 300 --shop-days 60`
 *
 * What the pipeline costs in AWS, from counts measured in a real run of the local stack (started
 * here, in memory, so its log lines can be counted) times the list prices in `prices.json`:
 *
 * - **1,000,000 ingested events**: `events` events of the benchmarks' mix (identify, page views,
 *   orders) over `customers` customers, everything they cause included (emails, stream
 *   projections, webhooks' fan-out), scaled to a million.
 * - **A month for a shop of 100,000 customers**: the demo's shop (`shop-customers` customers
 *   living `shop-days` days: visits, orders, refunds, the lifecycle's emails and the answers to
 *   them, a sweep each night), per customer-day, scaled to 100,000 customers and 30 days; plus
 *   what runs whatever the shop does (the minutely schedules, the nightly model fit, storage,
 *   secrets, alarms, metrics, the queue's idle polling).
 *
 * Prints one JSON line: both totals, each with its line items (quantity, unit price, cost), the
 * measured counts, and the SaaS list prices beside them.
 */
import { ScanCommand } from '@aws-sdk/client-dynamodb';
import { CALL_BUDGET_MS } from '../functions/jobs/jobs.ts';
import { localDynamoClient } from '../infra/local/dynamodb-local.ts';
import { CUSTOMER_INPUTS_QUEUE, FUNCTIONS, RESOURCE_NAMES } from '../infra/topology.ts';
import { machine, options, ProgressBar, pool } from './cli.ts';
import {
  costOf,
  difference,
  EMPTY_USAGE,
  type LineItem,
  PRICES,
  price,
  round,
  scaled,
  sum,
  total,
  type Usage,
} from './cost-model.ts';
import { liveShop } from './demo-shop.ts';
import { attachOrStart, eventMix, postBatch, STACK_OPTIONS, waitUntilIdle } from './local-stack.ts';

const args = options({
  events: 20_000,
  customers: 1_000,
  'shop-customers': 300,
  'shop-days': 60,
  concurrency: 8,
  seed: 17,
  ...STACK_OPTIONS,
  api: `http://127.0.0.1:${process.env.PORT ?? 3930}`,
});

const MONTH_MINUTES = 30 * 24 * 60;
/** Lambda writes START, END and REPORT lines for every invocation (about this many bytes). */
const PLATFORM_LOG_BYTES = 330;
/** Lambda's default sampling with active tracing: 5% of requests beyond the first each second. */
const TRACED_SHARE = 0.05;
/** Lambda's SQS event source keeps long-polling an idle queue: about 5 pollers, a poll each 20 s. */
const IDLE_QUEUE_REQUESTS_PER_MINUTE = 5 * 3;

/** Log lines the functions write, counted and kept off the terminal; metrics read from EMF lines. */
const logs = { bytes: 0, metrics: new Set<string>() };
/** Counts the JSON lines written from now on (the functions'), and answers how to stop counting. */
function countLogs(): () => void {
  const restores: (() => void)[] = [];
  for (const stream of [process.stdout, process.stderr]) {
    const original = stream.write;
    restores.push(() => {
      stream.write = original;
    });
    const write = stream.write.bind(stream);
    stream.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
      const text = typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
      if (!text.startsWith('{')) return write(chunk, ...(rest as []));
      logs.bytes += Buffer.byteLength(text);
      for (const line of text.split('\n')) noteMetrics(line);
      return true;
    }) as typeof stream.write;
  }
  return () => {
    for (const restore of restores) restore();
  };
}

/** A CloudWatch metric is a name with a set of dimension values: each one seen is billed monthly. */
function noteMetrics(line: string) {
  if (!line.includes('"CloudWatchMetrics"')) return;
  const emf = JSON.parse(line) as Record<string, unknown> & {
    _aws: { CloudWatchMetrics: { Dimensions: string[][]; Metrics: { Name: string }[] }[] };
  };
  for (const directive of emf._aws.CloudWatchMetrics) {
    const dimensions = directive.Dimensions.flat().map((name) => `${name}=${String(emf[name])}`);
    for (const metric of directive.Metrics) logs.metrics.add(`${metric.Name} ${dimensions.join(',')}`);
  }
}

const MEMORY = Object.fromEntries(FUNCTIONS.map((spec) => [spec.name, spec.memoryMb]));
const ROUTED = new Set(FUNCTIONS.filter((spec) => spec.routes.length > 0).map((spec) => spec.name));

interface StackMetrics {
  dynamodb: { readUnits: number; writeUnits: number };
  bus: { custom: number };
  queues: { requests: number }[];
  sqsRequests: Record<string, number>;
  ses: { sends: number };
  stepFunctions: { transitions: number };
  functions: Record<string, { invocations: number; billedMs: number }>;
}

/** Everything counted so far, as usage. */
async function usageNow(api: string): Promise<Usage> {
  const metrics = (await (await fetch(`${api}/_local/metrics`)).json()) as StackMetrics;
  const lambda: Usage['lambda'] = {};
  for (const [name, counted] of Object.entries(metrics.functions))
    lambda[name] = { ...counted, memoryMb: MEMORY[name] ?? 512 };
  const invocations = Object.values(metrics.functions).reduce((total, fn) => total + fn.invocations, 0);
  return {
    ...EMPTY_USAGE,
    lambda,
    dynamodbReadUnits: metrics.dynamodb.readUnits,
    dynamodbWriteUnits: metrics.dynamodb.writeUnits,
    busEvents: metrics.bus.custom,
    sqsRequests:
      Object.values(metrics.sqsRequests).reduce((total, count) => total + count, 0) +
      metrics.queues.reduce((total, queue) => total + queue.requests, 0),
    emails: metrics.ses.sends,
    stepFunctionsTransitions: metrics.stepFunctions.transitions,
    apiRequests: Object.entries(metrics.functions)
      .filter(([name]) => ROUTED.has(name))
      .reduce((total, [, fn]) => total + fn.invocations, 0),
    logBytes: logs.bytes + invocations * PLATFORM_LOG_BYTES,
    traces: invocations * TRACED_SHARE,
  };
}

async function measure(api: string, run: () => Promise<void>): Promise<Usage> {
  await waitUntilIdle(api);
  const before = await usageNow(api);
  await run();
  await waitUntilIdle(api);
  return difference(await usageNow(api), before);
}

/** The table's stored bytes per customer, roughly (every item's names and values), and its customers. */
async function storedBytes(dynamodb: string) {
  const client = localDynamoClient(dynamodb);
  let bytes = 0;
  const customers = new Set<string>();
  let ExclusiveStartKey: Record<string, never> | undefined;
  do {
    const page = await client.send(new ScanCommand({ TableName: RESOURCE_NAMES.table, ExclusiveStartKey }));
    for (const item of page.Items ?? []) {
      // DynamoDB counts names and values, plus 100 bytes of overhead per item for indexes.
      bytes += Buffer.byteLength(JSON.stringify(item)) * 0.8 + 100;
      const partition = item.PK?.S ?? '';
      if (partition.startsWith('CUSTOMER#')) customers.add(partition);
    }
    ExclusiveStartKey = page.LastEvaluatedKey as Record<string, never> | undefined;
  } while (ExclusiveStartKey);
  client.destroy();
  return { bytesPerCustomer: bytes / Math.max(1, customers.size), customers: Math.max(1, customers.size) };
}

async function main() {
  const stopCounting = countLogs();
  // Logged as in Lambda (info); the metrics are on (`npm run bench:cost` sets METRICS=1).
  process.env.LOG_LEVEL = 'info';
  const stack = await attachOrStart(args);
  if (!stack.started)
    throw new Error(`a stack already answers at ${args.api}: bench:cost needs its own (--api)`);
  const api = args.api;
  try {
    // 1. A million events: the benchmarks' mix, everything it causes included.
    const list = eventMix({
      events: args.events,
      customers: args.customers,
      seed: args.seed,
      prefix: 'cost-e',
    });
    const batches: Record<string, unknown>[][] = [];
    for (let start = 0; start < list.length; start += 20) batches.push(list.slice(start, start + 20));
    const bar = new ProgressBar(batches.length, 'events');
    const events = await measure(api, async () => {
      await pool(
        batches.length,
        args.concurrency,
        async (index) => {
          await postBatch(api, args['write-key'], batches[index] ?? []);
        },
        bar,
      );
      bar.finish();
    });
    const million = costOf(scaled(events, 1_000_000 / list.length));

    // 2. The demo's shop, per customer-day.
    const days = new ProgressBar(args['shop-days'], 'shop');
    const shop = await measure(api, async () => {
      await liveShop({
        customers: args['shop-customers'],
        days: args['shop-days'],
        seed: args.seed,
        api,
        inbox: stack.urls.inbox,
        writeKey: args['write-key'],
        adminToken: args['admin-token'],
        onDay: (day) => days.update(day + 1),
      });
      days.finish();
    });
    const customerDays = args['shop-customers'] * args['shop-days'];
    const shopMonth = scaled(shop, (100_000 * 30) / customerDays);

    // 3. What runs whatever the shop does: the minutely schedules, and the nightly model fit
    //    (its work grows with the customers: scaled from this shop's to 100,000).
    const admin = { authorization: `Bearer ${args['admin-token']}`, 'content-type': 'application/json' };
    const minutely = FUNCTIONS.flatMap((spec) =>
      (spec.schedules ?? [])
        .filter((schedule) => 'everyMinutes' in schedule)
        .map((schedule) => schedule.name),
    );
    const ticks = 10;
    let schedules = EMPTY_USAGE;
    for (const name of minutely) {
      const measured = await measure(api, async () => {
        for (let tick = 0; tick < ticks; tick++)
          await fetch(`${api}/_local/schedules`, {
            method: 'POST',
            headers: admin,
            body: JSON.stringify({ name }),
          });
      });
      // Scheduled invocations are traced (the first request each second is always sampled).
      schedules = sum(schedules, { ...scaled(measured, MONTH_MINUTES / ticks), traces: MONTH_MINUTES });
    }
    const fit = await measure(api, async () => {
      await fetch(`${api}/admin/model/fit`, { method: 'POST', headers: admin, body: '{}' });
    });
    // The fit reads, and evaluates again, every customer in the table (the events' and the shop's):
    // two jobs on the state machine, their transitions counted by the local one.
    const { bytesPerCustomer, customers } = await storedBytes(stack.urls.dynamodb);
    const fits = scaled(fit, (100_000 / customers) * 30);
    // Transitions do not grow with the base as the rest does: each part's run costs a few
    // whatever its size, and then two per call, a call being a minute of chunks (CALL_BUDGET_MS).
    const jobsMsPerNight = (fits.lambda.jobs?.billedMs ?? 0) / 30;
    fits.stepFunctionsTransitions =
      30 * (fit.stepFunctionsTransitions + (2 * jobsMsPerNight) / CALL_BUDGET_MS);
    const usage = sum(sum(shopMonth, schedules), fits);
    usage.sqsRequests += IDLE_QUEUE_REQUESTS_PER_MINUTE * MONTH_MINUTES;

    const storedGb = (bytesPerCustomer * 100_000) / 1024 ** 3;
    const logGb = usage.logBytes / 1024 ** 3;
    // Errors per function, dead letters per event-driven one, and five more (infra/cdk/alarms.ts):
    // bounce rate, complaint rate, inputs behind, failed job runs, rendering failures.
    const alarms =
      FUNCTIONS.length +
      FUNCTIONS.filter((spec) => spec.events.length || spec.schedules?.length || spec.stream).length +
      5;
    const fixed: LineItem[] = [
      {
        item: 'DynamoDB storage',
        quantity: round(storedGb, 3),
        unit: 'GB-month',
        usdEach: price('dynamodbStorageGbMonth'),
        usd: 0,
      },
      {
        item: 'DynamoDB point-in-time recovery',
        quantity: round(storedGb, 3),
        unit: 'GB-month',
        usdEach: price('dynamodbPitrGbMonth'),
        usd: 0,
      },
      {
        item: 'CloudWatch Logs storage (kept a month)',
        quantity: round(logGb, 3),
        unit: 'GB-month',
        usdEach: price('cloudwatchLogsStorageGbMonth'),
        usd: 0,
      },
      {
        item: 'CloudWatch custom metrics',
        quantity: logs.metrics.size,
        unit: 'metrics',
        usdEach: price('cloudwatchCustomMetricMonth'),
        usd: 0,
      },
      {
        item: 'CloudWatch alarms',
        quantity: alarms,
        unit: 'alarms',
        usdEach: price('cloudwatchAlarmMonth'),
        usd: 0,
      },
      {
        item: 'Secrets Manager secrets',
        quantity: 4,
        unit: 'secrets',
        usdEach: price('secretsManagerSecretMonth'),
        usd: 0,
      },
    ].map((item) => ({ ...item, usd: round(item.quantity * item.usdEach, 4) }));
    const running = costOf(usage);
    const month = total([...running.items, ...fixed]);

    stopCounting();
    console.log(
      JSON.stringify({
        benchmark: 'cost',
        region: PRICES.region,
        pricesCheckedOn: PRICES.checkedOn,
        perMillionEvents: million,
        monthFor100kCustomers: month,
        measured: {
          events: { count: list.length, customers: args.customers, usage: events },
          shop: {
            customers: args['shop-customers'],
            days: args['shop-days'],
            emailsPerCustomerMonth: round((shop.emails / customerDays) * 30, 3),
            usage: shop,
          },
          minutelySchedules: minutely,
          modelFit: { customers, usage: fit },
          storedBytesPerCustomer: Math.round(bytesPerCustomer),
          metrics: [...logs.metrics].sort(),
          queue: CUSTOMER_INPUTS_QUEUE.name,
        },
        assumptions: {
          platformLogBytesPerInvocation: PLATFORM_LOG_BYTES,
          tracedShare: TRACED_SHARE,
          idleQueueRequestsPerMinute: IDLE_QUEUE_REQUESTS_PER_MINUTE,
          lambdaDuration: 'measured on this machine against DynamoDB Local; AWS latencies differ',
          freeTiers: 'none counted',
        },
        saas: PRICES.saas.map((offer) => ({
          product: offer.product,
          plan: offer.plan,
          usdPerMonth: offer.usdPerMonth,
          checkedOn: offer.checkedOn,
          confirmed: offer.confirmed,
        })),
        machine: machine(),
      }),
    );
  } finally {
    await stack.stop();
  }
}

main().catch((error: unknown) => {
  console.error(`bench:cost failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
