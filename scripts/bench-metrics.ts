/**
 * `npm run bench:metrics -- --customers 200000`
 *
 * Loads N customers (profiles with orders, stages, segment memberships, and their welcome-kit
 * ledger entries) into a fresh DynamoDB Local of its own, lets the real projections follow the
 * table's stream until the counters have caught up, then reads `/admin/metrics` (30 days) and a
 * segment's count the way the admin API does, and for comparison the full scan that computing
 * them from the customers would take. Prints one JSON line: items read and time for each.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BatchWriteCommand, DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { DynamoDBStreamEvent } from 'aws-lambda';
import { getMetrics } from '../functions/admin/insights.ts';
import { project } from '../functions/projections/projections.ts';
import { localDynamoClient, startDynamoDbLocal } from '../infra/local/dynamodb-local.ts';
import { freePort } from '../infra/local/free-port.ts';
import { LocalStreamPoller } from '../infra/local/stream-poller.ts';
import { DynamoCounterStore } from '../shared/adapters/dynamodb/counter-store.ts';
import { ensureTable } from '../shared/adapters/dynamodb/create-table.ts';
import { profileItem } from '../shared/adapters/dynamodb/customer-store.ts';
import { DynamoDirectory } from '../shared/adapters/dynamodb/directory.ts';
import { storedFromStreamImage } from '../shared/adapters/dynamodb/stream-images.ts';
import { keys, TABLE_KEYS } from '../shared/adapters/dynamodb/table.ts';
import type { LedgerEntry } from '../shared/domain/ledger.ts';
import { addDays, newProfile, type Profile } from '../shared/domain/profile.ts';
import { defaultSettings } from '../shared/domain/settings.ts';
import { machine, options, ProgressBar, random } from './cli.ts';
import { fullScan } from './local-stack.ts';

const args = options({ customers: 200_000, concurrency: 16, seed: 7 });
const NOW = '2026-06-01T12:00:00.000Z';
const DAY = 86_400_000;

/** One synthetic customer: a visitor, a one-time buyer or a regular, with the stage history that goes with it. */
function customer(index: number, next: () => number): { profile: Profile; messages: LedgerEntry[] } {
  const id = `bench-${index}`;
  const firstSeen = addDays(NOW, -Math.floor(next() * 400));
  const profile: Profile = {
    ...newProfile(id, firstSeen),
    email: `${id}@example.com`,
    traits: { email: `${id}@example.com` },
    stageHistory: [{ stage: 'acquaintance', at: firstSeen }],
  };
  const roll = next();
  const orders = roll < 0.4 ? 0 : roll < 0.75 ? 1 : 2 + Math.floor(next() * 6);
  let at = Date.parse(firstSeen);
  for (let n = 0; n < orders; n++) {
    at = Math.min(Date.parse(NOW) - 1000, at + Math.floor(next() * 60 * DAY));
    profile.orders.push({
      orderId: `${id}-${n}`,
      at: new Date(at).toISOString(),
      revenue: Math.round(next() * 9000) / 100,
    });
  }
  const [first, second] = profile.orders;
  if (first) profile.stageHistory?.push({ stage: 'buildup', at: first.at });
  if (second) profile.stageHistory?.push({ stage: 'continuation', at: second.at });
  profile.stage = second ? 'continuation' : first ? 'buildup' : 'acquaintance';
  profile.segments = {
    ...(orders === 1 ? { 'one-time-buyers': first?.at ?? firstSeen } : {}),
    ...(orders === 0 ? { 'subscribers-never-bought': firstSeen } : {}),
  };
  const messages: LedgerEntry[] = first
    ? [
        {
          customerId: id,
          campaignId: 'welcome-kit',
          occurrence: 1,
          status: next() < 0.1 ? 'held-out' : 'sent',
          triggeredBy: `${id}-order`,
          triggeredAt: first.at,
          decidedAt: first.at,
          history: [],
          ...(second && Date.parse(second.at) - Date.parse(first.at) < 60 * DAY
            ? { convertedAt: second.at }
            : {}),
        },
      ]
    : [];
  return { profile, messages };
}

async function load(db: DynamoDBDocumentClient, table: string, customers: number) {
  const next = random(args.seed);
  const progress = new ProgressBar(customers, 'loading');
  const items: Record<string, unknown>[] = [];
  for (let index = 0; index < customers; index++) {
    const { profile, messages } = customer(index, next);
    items.push(profileItem(profile));
    for (const entry of messages)
      items.push({
        [TABLE_KEYS.partition]: keys.customer(entry.customerId),
        [TABLE_KEYS.sort]: keys.message(entry.campaignId, entry.occurrence),
        entity: 'message',
        ...entry,
      });
  }
  let position = 0;
  let loaded = 0;
  const worker = async () => {
    while (position < items.length) {
      const batch = items.slice(position, position + 25).map((Item) => ({ PutRequest: { Item } }));
      position += 25;
      let pending = batch;
      while (pending.length > 0) {
        const result = await db.send(new BatchWriteCommand({ RequestItems: { [table]: pending } }));
        pending = (result.UnprocessedItems?.[table] as typeof batch | undefined) ?? [];
      }
      loaded += batch.length;
      progress.update(
        Math.min(customers, Math.round((loaded / items.length) * customers)),
        `${loaded} items`,
      );
    }
  };
  await Promise.all(Array.from({ length: args.concurrency }, worker));
  progress.finish(`${items.length} items`);
  return items.length;
}

/** A document client that counts the items each read returns or scans. */
function counted(client: DynamoDBClient) {
  const db = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
  const tally = { items: 0 };
  db.middlewareStack.add(
    (next) => async (command) => {
      const result = await next(command);
      const output = result.output as {
        Item?: unknown;
        Items?: unknown[];
        ScannedCount?: number;
        Count?: number;
      };
      tally.items += output.ScannedCount ?? output.Items?.length ?? (output.Item ? 1 : 0);
      return result;
    },
    { step: 'initialize', name: 'countItems' },
  );
  return { db, tally };
}

async function main() {
  const customers = Math.floor(args.customers);
  if (customers < 1) throw new Error('need --customers >= 1');
  const dynamo = await startDynamoDbLocal({ port: await freePort() });
  try {
    const client = localDynamoClient(dynamo.endpoint);
    const db = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
    const table = 'bench-metrics';
    await ensureTable(client, table);
    const projections = {
      counters: new DynamoCounterStore(db, table),
      directory: new DynamoDirectory(db, table),
    };
    const poller = new LocalStreamPoller({
      endpoint: dynamo.endpoint,
      region: 'us-east-1',
      tableName: table,
      batchSize: 1000,
      target: {
        invoke: async (event) => {
          const records = (event as DynamoDBStreamEvent).Records;
          await project(
            records.map((record) => ({
              id: `${record.eventID}@${record.dynamodb?.SequenceNumber ?? ''}`,
              before: storedFromStreamImage(record.dynamodb?.OldImage),
              after: storedFromStreamImage(record.dynamodb?.NewImage),
            })),
            projections,
          );
          return undefined;
        },
      },
    });
    await poller.start();
    const loadStarted = performance.now();
    const items = await load(db, table, customers);
    process.stderr.write('projections catching up...\n');
    await poller.idle();
    const projectionSeconds = (performance.now() - loadStarted) / 1000;
    await poller.stop();

    const reader = counted(localDynamoClient(dynamo.endpoint));
    const counters = new DynamoCounterStore(reader.db, table);
    const settings = defaultSettings();
    const metricsStarted = performance.now();
    const metrics = await getMetrics(
      { to: NOW.slice(0, 10) },
      { counters, settings: async () => settings, now: () => new Date(NOW) },
    );
    const metricsMs = performance.now() - metricsStarted;
    const metricsItems = reader.tally.items;
    const body = metrics.body as { customers: { total: number } };

    reader.tally.items = 0;
    const countStarted = performance.now();
    const segmentCount = (await counters.gauges())['segment:one-time-buyers'] ?? 0;
    const countMs = performance.now() - countStarted;
    const countItems = reader.tally.items;

    const scanStarted = performance.now();
    const fullScanItemsRead = await fullScan(client, table);
    const fullScanMs = performance.now() - scanStarted;

    console.log(
      JSON.stringify({
        benchmark: 'metrics',
        customers,
        itemsLoaded: items,
        counted: body.customers.total,
        metrics: { itemsRead: metricsItems, ms: Math.round(metricsMs) },
        segmentCount: {
          segment: 'one-time-buyers',
          count: segmentCount,
          itemsRead: countItems,
          ms: Math.round(countMs),
        },
        fullScan: { itemsRead: fullScanItemsRead, ms: Math.round(fullScanMs) },
        fewerItemsThanScan: Math.round(fullScanItemsRead / Math.max(1, metricsItems)),
        loadAndProjectSeconds: Math.round(projectionSeconds),
        machine: machine(),
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
