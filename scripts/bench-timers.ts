/**
 * `npm run bench:timers -- --waits 2000 --events 20000 --customers 2000`
 *
 * Timers that fire on time, and a due index that is not rewritten on every visit (DESIGN.md,
 * "Time"), measured on the local stack (the one `npm start` runs, or one started in memory here).
 *
 * 1. Index writes: the ingest mix of bench:ingest (identify, page views, orders) is posted; the
 *    table's own change stream is read back and every profile write that changed the customer's
 *    due-index key (a write to the index) is counted: `indexWritesPerEvent`.
 * 2. Lateness: twelve journeys are published through the admin API, each waiting a different time
 *    (1 to 120 minutes) before one email; `waits` customers each start one at a random second.
 *    The local clock then moves minute by minute and the dispatcher runs at each minute (as the
 *    schedule runs it every minute in AWS): an email's lateness is when it was decided less when
 *    its wait ended (both in the ledger), p50/p99/max in seconds.
 *
 * Prints one JSON line. Goals (issue 13): p99 lateness at most 60 s, index writes at most 0.2 per
 * event.
 */

import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { localDocumentClient } from '../infra/local/dynamodb-local.ts';
import { LocalStreamPoller } from '../infra/local/stream-poller.ts';
import { RESOURCE_NAMES } from '../infra/topology.ts';
import { DUE_INDEX } from '../shared/adapters/dynamodb/table.ts';
import { machine, options, ProgressBar, pool, random, shuffle } from './cli.ts';
import { attachOrStart, postBatch, STACK_OPTIONS, waitUntilIdle } from './local-stack.ts';

const args = options({
  waits: 2_000,
  events: 20_000,
  customers: 2_000,
  concurrency: 8,
  seed: 13,
  ...STACK_OPTIONS,
});
const WAIT_MINUTES = [1, 2, 5, 10, 15, 20, 30, 45, 60, 75, 90, 120];

async function adminCall(api: string, method: string, path: string, body?: unknown) {
  const response = await fetch(`${api}${path}`, {
    method,
    headers: { authorization: `Bearer ${args['admin-token']}`, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const answer = (await response.json().catch(() => ({}))) as Record<string, unknown>;
  if (!response.ok)
    throw new Error(`${method} ${path} answered ${response.status}: ${JSON.stringify(answer)}`);
  return answer;
}

/** The ingest mix: every customer identified, then three page views to one order, shuffled. */
function ingestMix(run: string) {
  const next = random(args.seed);
  const now = Date.now();
  const list: Record<string, unknown>[] = [];
  for (let index = 0; index < args.events; index++) {
    const customer = index < args.customers ? index : Math.floor(next() * args.customers);
    const userId = `bench-${run}-${customer}`;
    const common = {
      userId,
      messageId: `bench-${run}-${index}`,
      timestamp: new Date(now - Math.floor(next() * 3_600_000)).toISOString(),
    };
    if (index < args.customers)
      list.push({ ...common, type: 'identify', traits: { email: `${userId}@bench.example` } });
    else if (next() < 0.75)
      list.push({ ...common, type: 'page', name: 'Product', properties: { path: `/p/${index % 500}` } });
    else
      list.push({
        ...common,
        type: 'track',
        event: 'Order Completed',
        properties: { order_id: `${run}-${index}`, revenue: Math.round(next() * 20_000) / 100 },
      });
  }
  return shuffle(list, next);
}

type Image = Record<string, { S?: string } | undefined> | undefined;

/** Reads the table's stream from its start and counts the writes that moved a profile's due-index key. */
async function dueIndexWrites(dynamodb: string, prefix: string) {
  let writes = 0;
  let profileWrites = 0;
  const poller = new LocalStreamPoller({
    endpoint: dynamodb,
    region: process.env.AWS_REGION ?? 'us-east-1',
    tableName: RESOURCE_NAMES.table,
    batchSize: 1000,
    target: {
      invoke: async (event: unknown) => {
        const records = (
          event as { Records: { dynamodb: { Keys: Image; NewImage?: Image; OldImage?: Image } }[] }
        ).Records;
        for (const record of records) {
          const key = record.dynamodb.Keys?.PK?.S ?? '';
          if (!key.startsWith(prefix) || record.dynamodb.Keys?.SK?.S !== 'PROFILE') continue;
          profileWrites++;
          const before = record.dynamodb.OldImage?.[DUE_INDEX.sort]?.S;
          const after = record.dynamodb.NewImage?.[DUE_INDEX.sort]?.S;
          if (before !== after) writes++;
        }
        return undefined;
      },
    },
  });
  await poller.start();
  await poller.idle();
  await poller.stop();
  return { writes, profileWrites };
}

function percentile(sorted: number[], p: number) {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? null;
}

async function main() {
  const stack = await attachOrStart(args);
  const api = stack.urls.api;
  try {
    // 1. Index writes on the ingest mix.
    const run = Date.now().toString(36);
    const mix = ingestMix(run);
    const bar = new ProgressBar(Math.ceil(mix.length / 20), 'ingest mix');
    await pool(
      Math.ceil(mix.length / 20),
      args.concurrency,
      async (index) => {
        await postBatch(api, args['write-key'], mix.slice(index * 20, index * 20 + 20));
      },
      bar,
    );
    bar.finish();
    await waitUntilIdle(api);
    const index = await dueIndexWrites(stack.urls.dynamodb, `CUSTOMER#bench-${run}-`);

    // 2. Lateness: journeys that wait, customers who start them, a clock that moves a minute at a time.
    for (const minutes of WAIT_MINUTES) {
      const id = `bench-wait-${minutes}`;
      await adminCall(api, 'PUT', `/admin/journeys/${id}`, {
        name: `Bench: wait ${minutes} min`,
        enabled: true,
        category: 'service',
        entry: {
          event: 'Bench Wait Started',
          where: [{ property: 'minutes', op: 'equals', value: minutes }],
        },
        reentry: 'always',
        steps: [{ wait: { minutes } }, { send: { template: 'feedback-request' } }],
      });
      await adminCall(api, 'POST', `/admin/journeys/${id}/publish`, {});
    }
    const start = new Date(Math.ceil(Date.now() / 3_600_000) * 3_600_000 + 86_400_000);
    await adminCall(api, 'POST', '/_local/clock', { now: new Date(start.getTime() + 60_000).toISOString() });
    const next = random(args.seed + 1);
    const starters: Record<string, unknown>[] = [];
    for (let customer = 0; customer < args.waits; customer++) {
      const userId = `bench-${run}-wait-${customer}`;
      const at = new Date(start.getTime() + Math.floor(next() * 60_000)).toISOString();
      const minutes = WAIT_MINUTES[Math.floor(next() * WAIT_MINUTES.length)];
      starters.push(
        {
          type: 'identify',
          userId,
          messageId: `${userId}-id`,
          timestamp: at,
          traits: { email: `${userId}@bench.example` },
        },
        {
          type: 'track',
          userId,
          messageId: `${userId}-go`,
          timestamp: at,
          event: 'Bench Wait Started',
          properties: { minutes },
        },
      );
    }
    await pool(Math.ceil(starters.length / 20), args.concurrency, async (batch) => {
      await postBatch(api, args['write-key'], starters.slice(batch * 20, batch * 20 + 20));
    });
    await waitUntilIdle(api);
    const last = Math.max(...WAIT_MINUTES) + 2;
    const sweeps = new ProgressBar(last, 'minutes');
    const sweepSeconds: number[] = [];
    for (let minute = 1; minute <= last; minute++) {
      const now = new Date(start.getTime() + minute * 60_000).toISOString();
      await adminCall(api, 'POST', '/_local/clock', { now });
      const began = performance.now();
      await adminCall(api, 'POST', '/admin/sweep', { now });
      sweepSeconds.push((performance.now() - began) / 1000);
      sweeps.update(minute);
    }
    sweeps.finish();
    await waitUntilIdle(api);

    const db = localDocumentClient(stack.urls.dynamodb);
    const lateness: number[] = [];
    /** The worst lateness of each wait length, in seconds. */
    const worst: Record<string, number> = {};
    let cursor: Record<string, unknown> | undefined;
    do {
      const page = await db.send(
        new ScanCommand({
          TableName: RESOURCE_NAMES.table,
          FilterExpression: 'entity = :message AND begins_with(campaignId, :bench)',
          ExpressionAttributeValues: { ':message': 'message', ':bench': 'bench-wait-' },
          ExclusiveStartKey: cursor,
        }),
      );
      for (const item of page.Items ?? []) {
        if (!String(item.customerId).startsWith(`bench-${run}-wait-`)) continue;
        const late = (Date.parse(String(item.decidedAt)) - Date.parse(String(item.triggeredAt))) / 1000;
        lateness.push(late);
        const wait = String(item.campaignId).replace('bench-wait-', '');
        worst[wait] = Math.max(worst[wait] ?? 0, late);
      }
      cursor = page.LastEvaluatedKey;
    } while (cursor);
    db.destroy();
    lateness.sort((a, b) => a - b);
    sweepSeconds.sort((a, b) => a - b);
    console.log(
      JSON.stringify({
        benchmark: 'timers',
        waits: args.waits,
        emails: lateness.length,
        latenessSeconds: {
          p50: percentile(lateness, 50),
          p99: percentile(lateness, 99),
          max: lateness.at(-1) ?? null,
        },
        worstLatenessByWaitMinutes: worst,
        sweepWallSeconds: { p50: percentile(sweepSeconds, 50), p99: percentile(sweepSeconds, 99) },
        ingestEvents: mix.length,
        customers: args.customers,
        profileWrites: index.profileWrites,
        indexWrites: index.writes,
        indexWritesPerEvent: Number((index.writes / mix.length).toFixed(3)),
        goals: { p99LatenessSeconds: 60, indexWritesPerEvent: 0.2 },
        machine: machine(),
      }),
    );
  } finally {
    await fetch(`${api}/_local/clock`, {
      method: 'POST',
      headers: { authorization: `Bearer ${args['admin-token']}`, 'content-type': 'application/json' },
      body: '{}',
    }).catch(() => undefined);
    await stack.stop();
  }
}

main().catch((error: unknown) => {
  console.error(`bench:timers failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
