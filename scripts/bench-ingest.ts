/**
 * `npm run bench:ingest -- --events 100000 --customers 5000 --concurrency 16 --batch 20`
 *
 * Against the local stack (the one `npm start` runs, or one started in memory here): first the
 * raw rate of single-item PutItem calls on the same DynamoDB Local at the same concurrency (the
 * physical limit: one write per event), then `events` Segment events (identify, page views,
 * orders) over `customers` customers, posted to /v1/batch in batches, `concurrency` requests in
 * flight. Prints one JSON line: events accepted per second (HTTP answers), applied per second
 * (until the bus is idle: every event applied and everything it caused done, emails included),
 * their ratio to PutItem (`applyRatio`), and the DynamoDB write units the pipeline consumed per
 * applied event (`writeUnitsPerEvent`, from ReturnConsumedCapacity).
 */
import { CreateTableCommand, DeleteTableCommand } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { localDynamoClient } from '../infra/local/dynamodb-local.ts';
import { machine, options, ProgressBar, pool } from './cli.ts';
import {
  attachOrStart,
  countApplied,
  eventMix,
  postBatch,
  STACK_OPTIONS,
  stackMetrics,
  waitUntilIdle,
} from './local-stack.ts';

const args = options({
  events: 100_000,
  customers: 5_000,
  concurrency: 16,
  batch: 20,
  'put-items': 20_000,
  seed: 11,
  ...STACK_OPTIONS,
});

async function putItemRate(endpoint: string) {
  const client = localDynamoClient(endpoint);
  const db = DynamoDBDocumentClient.from(client);
  const table = `bench-putitem-${Date.now().toString(36)}`;
  await client.send(
    new CreateTableCommand({
      TableName: table,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [
        { AttributeName: 'PK', AttributeType: 'S' },
        { AttributeName: 'SK', AttributeType: 'S' },
      ],
      KeySchema: [
        { AttributeName: 'PK', KeyType: 'HASH' },
        { AttributeName: 'SK', KeyType: 'RANGE' },
      ],
    }),
  );
  const count = Math.min(args['put-items'], args.events);
  const payload = 'x'.repeat(400);
  const seconds = await pool(count, args.concurrency, async (index) => {
    await db.send(
      new PutCommand({ TableName: table, Item: { PK: `CUSTOMER#bench-${index}`, SK: 'PROFILE', payload } }),
    );
  });
  await client.send(new DeleteTableCommand({ TableName: table }));
  return { count, perSecond: count / seconds };
}

async function main() {
  const stack = await attachOrStart(args);
  try {
    const put = await putItemRate(stack.urls.dynamodb);
    const run = Date.now().toString(36);
    const list = eventMix({
      events: args.events,
      customers: args.customers,
      seed: args.seed,
      prefix: `bench-${run}`,
    });
    const batches: Record<string, unknown>[][] = [];
    for (let start = 0; start < list.length; start += args.batch)
      batches.push(list.slice(start, start + args.batch));
    const before = await stackMetrics(stack.urls.api);
    let accepted = 0;
    let rejected = 0;
    let retries = 0;
    const bar = new ProgressBar(batches.length, 'posting');
    const started = performance.now();
    const acceptSeconds = await pool(
      batches.length,
      args.concurrency,
      async (index) => {
        const batch = batches[index] ?? [];
        const answer = await postBatch(stack.urls.api, args['write-key'], batch);
        rejected += answer.rejected.length;
        accepted += batch.length - answer.rejected.length;
        retries += answer.retries;
      },
      bar,
    );
    bar.finish();
    await waitUntilIdle(stack.urls.api);
    const applySeconds = (performance.now() - started) / 1000;
    const after = await stackMetrics(stack.urls.api);
    const found = await countApplied(stack.urls.dynamodb, `bench-${run}-`);
    const sent = { identify: 0, page: 0, order: 0 };
    for (const event of list)
      sent[event.type === 'identify' ? 'identify' : event.type === 'page' ? 'page' : 'order']++;
    const applied = found.identify + found.page + found.order;
    const writeUnits = after.dynamodb.writeUnits - before.dynamodb.writeUnits;
    const byOperation = Object.fromEntries(
      Object.entries(after.dynamodb.byOperation).map(([operation, counts]) => [
        operation,
        {
          calls: counts.calls - (before.dynamodb.byOperation[operation]?.calls ?? 0),
          writeUnits: counts.writeUnits - (before.dynamodb.byOperation[operation]?.writeUnits ?? 0),
        },
      ]),
    );
    const appliedPerSecond = applied / applySeconds;
    console.log(
      JSON.stringify({
        benchmark: 'ingest',
        events: list.length,
        customers: args.customers,
        concurrency: args.concurrency,
        batch: args.batch,
        accepted,
        rejected,
        retries,
        applied,
        exactlyOnce:
          found.identify === sent.identify && found.page === sent.page && found.order === sent.order,
        acceptedPerSecond: Math.round(accepted / acceptSeconds),
        appliedPerSecond: Math.round(appliedPerSecond),
        putItemPerSecond: Math.round(put.perSecond),
        applyRatio: Number((appliedPerSecond / put.perSecond).toFixed(3)),
        writeUnitsPerEvent: Number((writeUnits / Math.max(1, applied)).toFixed(3)),
        writeUnitsByOperation: byOperation,
        seconds: { accept: Number(acceptSeconds.toFixed(1)), apply: Number(applySeconds.toFixed(1)) },
        stackMemoryMb: Math.round(after.memory.rss / 1_048_576),
        machine: machine(),
      }),
    );
  } finally {
    await stack.stop();
  }
}

main().catch((error: unknown) => {
  console.error(`bench:ingest failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
