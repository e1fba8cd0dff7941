/**
 * `npm run bench:sweep -- --customers N --due-fraction F`
 *
 * Loads N customer profiles into a fresh DynamoDB Local (its own, in memory), a fraction F of them
 * with a timer already due, the rest with timers in the future or none. Then runs the real sweep
 * (reading the sparse due index) and, for comparison, a full table scan, and prints one JSON line.
 * The sweep's items read should track `due`, not `customers`.
 */
import { BatchWriteCommand, DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { sweep } from '../functions/sweep/sweep.ts';
import { localDynamoClient, startDynamoDbLocal } from '../infra/local/dynamodb-local.ts';
import { freePort } from '../infra/local/free-port.ts';
import { ensureTable } from '../shared/adapters/dynamodb/create-table.ts';
import { DynamoDueIndex } from '../shared/adapters/dynamodb/due-index.ts';
import { dueIndexKeys, keys, TABLE_KEYS } from '../shared/adapters/dynamodb/table.ts';
import { addDays, newProfile, summarize } from '../shared/domain/profile.ts';
import { options, ProgressBar } from './cli.ts';
import { fullScan } from './local-stack.ts';

const args = options({ customers: 100_000, 'due-fraction': 0.01, concurrency: 16 });
const NOW = '2026-06-01T03:00:00.000Z';

/** A realistic profile item: a one-time buyer, due (nudge) or not yet, or a visitor without timers. */
function profileItem(index: number, due: boolean) {
  const id = `bench-${index}`;
  const firstOrderAt = due ? addDays(NOW, -61 - (index % 30)) : addDays(NOW, -(index % 50));
  const base = {
    ...newProfile(id, firstOrderAt),
    email: `${id}@example.com`,
    traits: { email: `${id}@example.com` },
  };
  const withTimer = due || index % 2 === 0;
  const profile = withTimer
    ? {
        ...base,
        stage: 'buildup' as const,
        orders: [{ orderId: `${id}-o1`, at: firstOrderAt, revenue: 40 }],
        nextDueAt: addDays(firstOrderAt, 60),
      }
    : base;
  return {
    [TABLE_KEYS.partition]: keys.customer(id),
    [TABLE_KEYS.sort]: keys.profile,
    entity: 'profile',
    ...profile,
    ...summarize(profile),
    ...dueIndexKeys(id, profile),
  };
}

async function load(db: DynamoDBDocumentClient, table: string, customers: number, dueEvery: number) {
  const progress = new ProgressBar(customers, 'loading');
  let next = 0;
  let loaded = 0;
  const worker = async () => {
    while (next < customers) {
      const start = next;
      next += 25;
      const items = [];
      for (let index = start; index < Math.min(start + 25, customers); index++) {
        items.push({ PutRequest: { Item: profileItem(index, index % dueEvery === 0) } });
      }
      let pending: typeof items = items;
      while (pending.length > 0) {
        const result = await db.send(new BatchWriteCommand({ RequestItems: { [table]: pending } }));
        pending = (result.UnprocessedItems?.[table] as typeof items | undefined) ?? [];
      }
      loaded += items.length;
      progress.update(loaded, `${loaded} customers`);
    }
  };
  await Promise.all(Array.from({ length: args.concurrency }, worker));
  progress.finish(`${loaded} customers`);
}

async function main() {
  const customers = Math.floor(args.customers);
  const dueFraction = args['due-fraction'];
  if (customers < 1 || dueFraction <= 0 || dueFraction > 1)
    throw new Error('need --customers >= 1 and 0 < --due-fraction <= 1');
  const dynamo = await startDynamoDbLocal({ port: await freePort() });
  try {
    const client = localDynamoClient(dynamo.endpoint);
    const db = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
    const table = 'bench-sweep';
    await ensureTable(client, table);
    await load(db, table, customers, Math.max(1, Math.round(1 / dueFraction)));

    let published = 0;
    const sweepStarted = performance.now();
    const result = await sweep(new Date(NOW), {
      dueIndex: new DynamoDueIndex(db, table),
      publisher: {
        publish: async (entries) => {
          published += entries.length;
        },
      },
    });
    const sweepMs = performance.now() - sweepStarted;

    const scanStarted = performance.now();
    const fullScanItemsRead = await fullScan(client, table);
    const fullScanMs = performance.now() - scanStarted;

    console.log(
      JSON.stringify({
        benchmark: 'sweep',
        customers,
        dueFraction,
        due: result.due,
        published,
        itemsRead: result.itemsRead,
        readRatio: Number((result.itemsRead / Math.max(1, result.due)).toFixed(3)),
        fullScanItemsRead,
        sweepMs: Math.round(sweepMs),
        fullScanMs: Math.round(fullScanMs),
      }),
    );
    client.destroy();
  } finally {
    await dynamo.stop();
  }
}

main().catch((error) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
