/**
 * `npm run soak -- --events 1000000 --customers 10000` (not part of `npm test`: it runs for a while)
 *
 * A long run through the local stack (best the one `npm start` runs, in another terminal, so that
 * its memory is measured alone; otherwise one is started in this process). Customers visit in
 * sessions: each request is one customer's batch of events, as analytics.js sends them (the first
 * starts with an identify; then page views and now and then an order), and one event in 200 is
 * invalid (a track without its event name). At the end it reconciles exactly, from the stored
 * profiles: events sent = events applied + events rejected with a reason. Along the way it samples
 * the stack's memory (emptying the SES emulator's inbox first, which holds every email it got).
 * Prints one JSON line.
 */
import { machine, options, ProgressBar, pool, random } from './cli.ts';
import {
  attachOrStart,
  countApplied,
  postBatch,
  STACK_OPTIONS,
  stackMetrics,
  waitUntilIdle,
} from './local-stack.ts';

const args = options({
  events: 1_000_000,
  customers: 10_000,
  batch: 20,
  concurrency: 16,
  /** How many memory samples over the run (each after the stack is idle). */
  samples: 25,
  seed: 7,
  ...STACK_OPTIONS,
});

const mb = (bytes: number) => Math.round(bytes / 1_048_576);

async function main() {
  const stack = await attachOrStart(
    args,
    // Not what is measured: the emails the orders cause should not hold the run back.
    { SES_MAX_SEND_RATE: '1000' },
  );
  const run = `soak-${Date.now().toString(36)}`;
  const next = random(args.seed);
  const batches = Math.ceil(args.events / args.batch);
  const sent = { identify: 0, page: 0, order: 0, invalid: 0 };
  let rejected = 0;
  let rejectedWithReason = 0;
  let retries = 0;
  const memory: { batches: number; rssMb: number; heapUsedMb: number }[] = [];
  const started = performance.now();

  /** Batch `index`: one session of customer `index % customers`. */
  function session(index: number) {
    const customer = index % args.customers;
    const userId = `${run}-${customer}`;
    const size = Math.min(args.batch, args.events - index * args.batch);
    const events: Record<string, unknown>[] = [];
    const now = Date.now();
    for (let position = 0; position < size; position++) {
      const messageId = `${run}-${index}-${position}`;
      const timestamp = new Date(now - (size - position) * 1000).toISOString();
      const roll = next();
      if (index < args.customers && position === 0) {
        sent.identify++;
        events.push({
          type: 'identify',
          userId,
          messageId,
          timestamp,
          traits: { email: `${userId}@soak.example` },
        });
      } else if (roll < 0.005) {
        sent.invalid++;
        events.push({ type: 'track', userId, messageId, timestamp, properties: {} });
      } else if (roll < 0.05) {
        sent.order++;
        events.push({
          type: 'track',
          userId,
          messageId,
          timestamp,
          event: 'Order Completed',
          properties: { order_id: messageId, revenue: 25, currency: 'USD' },
        });
      } else {
        sent.page++;
        events.push({ type: 'page', userId, messageId, timestamp, name: 'Product' });
      }
    }
    return events;
  }

  const bar = new ProgressBar(batches, 'soaking');
  try {
    // In chunks, each waited out until the stack is idle and then its memory sampled: a sample
    // holds no backlog, so growth between samples is what the stack keeps. A chunk holds at most
    // one session per customer, so one customer's sessions never overlap in time.
    const chunk = Math.min(args.customers, Math.ceil(batches / args.samples));
    for (let first = 0; first < batches; first += chunk) {
      await pool(Math.min(chunk, batches - first), args.concurrency, async (offset) => {
        const index = first + offset;
        const answer = await postBatch(stack.urls.api, args['write-key'], session(index));
        rejected += answer.rejected.length;
        rejectedWithReason += answer.rejected.filter((one) => (one.error ?? '').length > 0).length;
        retries += answer.retries;
        bar.update(index + 1);
      });
      await waitUntilIdle(stack.urls.api);
      // The emulator's inbox keeps every email in memory, by design; it is not the pipeline's.
      await fetch(`${stack.urls.inbox}/clear-store`, { method: 'POST' });
      const { memory: used } = await stackMetrics(stack.urls.api);
      memory.push({ batches: first + chunk, rssMb: mb(used.rss), heapUsedMb: mb(used.heapUsed) });
    }
    bar.finish();
    const seconds = (performance.now() - started) / 1000;
    const after = await stackMetrics(stack.urls.api);
    const found = await countApplied(stack.urls.dynamodb, `${run}-`);
    const applied = found.identify + found.page + found.order;
    const events = sent.identify + sent.page + sent.order + sent.invalid;
    // The first quarter is warm-up (caches, JIT); flat means the rest does not climb.
    const settled = memory.slice(Math.floor(memory.length / 4));
    const heaps = settled.map((sample) => sample.heapUsedMb);
    console.log(
      JSON.stringify({
        benchmark: 'soak',
        events,
        customers: args.customers,
        applied,
        rejected,
        rejectedWithReason,
        reconciled:
          events === applied + rejectedWithReason &&
          found.identify === sent.identify &&
          found.page === sent.page &&
          found.order === sent.order &&
          rejected === sent.invalid,
        sent,
        found,
        retries,
        deadLetters: after.bus.deadLetters,
        seconds: Math.round(seconds),
        eventsPerSecond: Math.round(events / seconds),
        memory: {
          attached: !stack.started,
          heapUsedMb: {
            afterWarmUp: heaps[0],
            min: Math.min(...heaps),
            max: Math.max(...heaps),
            end: heaps.at(-1),
          },
          rssMb: { afterWarmUp: settled[0]?.rssMb, end: settled.at(-1)?.rssMb },
          samples: memory,
        },
        machine: machine(),
      }),
    );
  } finally {
    await stack.stop();
  }
}

main().catch((error) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
