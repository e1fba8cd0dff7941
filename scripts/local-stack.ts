import { type DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
/**
 * For scripts that run against the local stack (demo, benchmarks): use the one `npm start` runs
 * at `api`, or start one in memory in this process for the run.
 */
import '../infra/local/defaults.ts';
import { localDocumentClient } from '../infra/local/dynamodb-local.ts';
import { type LocalStack, settingsFromEnv, startLocalStack } from '../infra/local/stack.ts';
import { RESOURCE_NAMES } from '../infra/topology.ts';
import { DynamoCustomerBase } from '../shared/adapters/dynamodb/customer-base.ts';
import { random, shuffle } from './cli.ts';

export interface StackUrls {
  api: string;
  dynamodb: string;
  inbox: string;
}

/** The options every such script takes: where the stack is, and its keys. */
export const STACK_OPTIONS = {
  api: `http://127.0.0.1:${process.env.PORT ?? 3000}`,
  'write-key': process.env.WRITE_KEY ?? 'dev-write-key',
  'admin-token': process.env.ADMIN_TOKEN ?? 'dev-admin-token',
};

/** `env`: extra settings for a stack started here (`SES_MAX_SEND_RATE`, ...). */
export async function attachOrStart(
  args: typeof STACK_OPTIONS,
  env: Record<string, string> = {},
): Promise<{ urls: StackUrls; started: boolean; stop: () => Promise<void> }> {
  const options = { api: args.api, writeKey: args['write-key'], adminToken: args['admin-token'] };
  const running = await fetch(`${options.api}/health`)
    .then((response) => response.ok)
    .catch(() => false);
  if (running) {
    return {
      urls: {
        api: options.api,
        dynamodb: `http://127.0.0.1:${process.env.DYNAMODB_PORT ?? 8000}`,
        inbox: `http://127.0.0.1:${process.env.SES_PORT ?? 8005}`,
      },
      started: false,
      stop: async () => {},
    };
  }
  console.error(`No local stack answers at ${options.api}: starting one in memory for this run.`);
  const url = new URL(options.api);
  process.env.LOG_LEVEL ??= 'warn';
  const stack: LocalStack = await startLocalStack({
    ...settingsFromEnv({
      ...process.env,
      ...env,
      IN_MEMORY: '1',
      PORT: url.port || '3000',
      SWEEP_AT_UTC: 'off',
      MODEL_AT_UTC: 'off',
    }),
    writeKey: options.writeKey,
    adminToken: options.adminToken,
  });
  return {
    urls: { api: options.api, dynamodb: stack.urls.dynamodb, inbox: stack.urls.inbox },
    started: true,
    stop: () => stack.stop(),
  };
}

/** What the local stack has done so far (`GET /_local/metrics`). */
export async function stackMetrics(api: string) {
  return (await (await fetch(`${api}/_local/metrics`)).json()) as {
    dynamodb: {
      writeUnits: number;
      readUnits: number;
      byOperation: Record<string, { calls: number; writeUnits: number }>;
    };
    bus: { deadLetters: number; inFlight: number };
    memory: { rss: number; heapUsed: number };
  };
}

/**
 * What the events left in the profiles of the customers whose ids start with `prefix`, which must
 * match what was sent exactly: one identified customer per identify, one page view counted per
 * page event, one order per order event. Nothing lost, nothing counted twice.
 */
export async function countApplied(dynamodbEndpoint: string, prefix: string) {
  const db = localDocumentClient(dynamodbEndpoint);
  const base = new DynamoCustomerBase(db, RESOURCE_NAMES.table);
  const counts = { identify: 0, page: 0, order: 0 };
  for await (const page of base.scan()) {
    for (const profile of page.profiles) {
      if (!profile.id.startsWith(prefix)) continue;
      if (profile.traits.email) counts.identify++;
      counts.page += profile.visitCount;
      counts.order += profile.orders.length;
    }
  }
  db.destroy();
  return counts;
}

/**
 * Posts one batch to `/v1/batch` as a Segment library does: a 5xx or a dropped connection is
 * retried (up to 5 attempts, with backoff). Answers the events the API rejected, with their
 * reasons, and how many retries it took.
 */
export async function postBatch(
  api: string,
  writeKey: string,
  batch: Record<string, unknown>[],
  attempts = 5,
) {
  const authorization = `Basic ${Buffer.from(`${writeKey}:`).toString('base64')}`;
  for (let attempt = 1; ; attempt++) {
    const response = await fetch(`${api}/v1/batch`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization },
      body: JSON.stringify({ batch }),
    }).catch(() => undefined);
    if (response?.ok) {
      const body = (await response.json()) as { rejected?: { error?: string }[] };
      return { rejected: body.rejected ?? [], retries: attempt - 1 };
    }
    if ((response && response.status < 500) || attempt === attempts)
      throw new Error(`/v1/batch answered ${response?.status ?? 'nothing'}: ${await response?.text()}`);
    await new Promise((resolve) => setTimeout(resolve, 100 * attempt));
  }
}

/**
 * Waits until the local stack has done everything in flight. `GET /_local/idle` answers only then,
 * which can take longer than fetch waits for an answer: asked again until it answers.
 */
export async function waitUntilIdle(api: string) {
  for (;;) {
    try {
      const response = await fetch(`${api}/_local/idle`, { signal: AbortSignal.timeout(60_000) });
      if (response.ok) return;
      throw new Error(`/_local/idle answered ${response.status}`);
    } catch (error) {
      if ((error as Error).name !== 'TimeoutError') throw error;
    }
  }
}

/** Reads the whole table, as computing anything from every customer would: the items it read. */
export async function fullScan(client: DynamoDBClient, table: string) {
  let itemsRead = 0;
  let startKey: Record<string, never> | undefined;
  do {
    const page = await client.send(new ScanCommand({ TableName: table, ExclusiveStartKey: startKey }));
    itemsRead += page.ScannedCount ?? 0;
    startKey = page.LastEvaluatedKey as typeof startKey;
  } while (startKey);
  return itemsRead;
}

/**
 * The benchmarks' traffic: each customer is identified, visits, and some order (a quarter of the
 * events), shuffled across customers as a busy site's requests mix them. Ids start with `prefix`.
 */
export function eventMix(args: { events: number; customers: number; seed: number; prefix: string }) {
  const next = random(args.seed);
  const list: Record<string, unknown>[] = [];
  const now = Date.now();
  for (let index = 0; index < args.events; index++) {
    const customer = index < args.customers ? index : Math.floor(next() * args.customers);
    const userId = `${args.prefix}-${customer}`;
    const timestamp = new Date(now - Math.floor(next() * 3_600_000)).toISOString();
    const messageId = `${args.prefix}-${index}`;
    const roll = next();
    if (index < args.customers) {
      list.push({
        type: 'identify',
        userId,
        messageId,
        timestamp,
        traits: { email: `${userId}@bench.example`, firstName: 'Bea' },
      });
    } else if (roll < 0.75) {
      list.push({
        type: 'page',
        userId,
        messageId,
        timestamp,
        name: 'Product',
        properties: { path: `/p/${index % 500}` },
      });
    } else {
      list.push({
        type: 'track',
        userId,
        messageId,
        timestamp,
        event: 'Order Completed',
        properties: {
          order_id: `${args.prefix}-o${index}`,
          revenue: Math.round(next() * 20_000) / 100,
          currency: 'USD',
        },
      });
    }
  }
  // Shuffle, so batches mix customers as a busy site's traffic does.
  return shuffle(list, next);
}
