/**
 * `npm run bench:latency -- --customers 500 --concurrency 1`
 *
 * Trigger-to-send latency on the local stack: each customer is identified first (outside the
 * clock), then the clock runs from the moment the `Order Completed` request is sent until the
 * welcome kit is in the SES emulator's store: ingest, bus, apply-event, the ledger, the bus again,
 * send-message, SES. Prints one JSON line with p50, p95, p99 and max in milliseconds.
 */
import { machine, options, ProgressBar, pool } from './cli.ts';
import { attachOrStart, STACK_OPTIONS } from './local-stack.ts';

const args = options({
  customers: 500,
  concurrency: 1,
  /** How often the SES store is asked whether the email has arrived. */
  'poll-ms': 2,
  'timeout-ms': 10_000,
  ...STACK_OPTIONS,
});

const CAMPAIGN = 'welcome-kit';

interface StoredEmail {
  destination: { to: string[] };
  headers?: { name: string; value: string }[];
  at: number;
}

/** Nearest-rank percentile of sorted values. */
function percentile(sorted: number[], p: number) {
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[rank - 1] ?? Number.NaN;
}

async function main() {
  const stack = await attachOrStart(
    args,
    // Pacing is not what is measured here: give the emulator a rate no run reaches.
    { SES_MAX_SEND_RATE: '1000' },
  );
  const authorization = `Basic ${Buffer.from(`${args['write-key']}:`).toString('base64')}`;
  const admin = (path: string, init: RequestInit = {}) =>
    fetch(`${stack.urls.api}${path}`, {
      ...init,
      headers: { authorization: `Bearer ${args['admin-token']}`, 'content-type': 'application/json' },
    });
  const post = (path: string, body: unknown) =>
    fetch(`${stack.urls.api}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization },
      body: JSON.stringify(body),
    }).then(async (response) => {
      if (!response.ok) throw new Error(`${path} answered ${response.status}: ${await response.text()}`);
    });

  // A holdout would keep some customers from the email on purpose: measure every one of them.
  const journey = (await (await admin(`/admin/journeys/${CAMPAIGN}`)).json()) as { holdoutPercent?: number };
  if (journey.holdoutPercent)
    throw new Error(
      `the ${CAMPAIGN} journey holds out ${journey.holdoutPercent}%: publish it with 0 to measure every send`,
    );
  try {
    const run = Date.now().toString(36);
    const email = (index: number) => `latency-${run}-${index}@bench.example`;
    const userId = (index: number) => `latency-${run}-${index}`;
    for (let start = 0; start < args.customers; start += 100) {
      const batch = [];
      for (let index = start; index < Math.min(args.customers, start + 100); index++)
        batch.push({ type: 'identify', userId: userId(index), traits: { email: email(index) } });
      await post('/v1/batch', { batch });
    }
    await fetch(`${stack.urls.api}/_local/idle`).catch(() => undefined);

    const latencies: number[] = [];
    const missing: string[] = [];
    const bar = new ProgressBar(args.customers, 'ordering');
    await pool(
      args.customers,
      args.concurrency,
      async (index) => {
        const address = email(index);
        const since = Math.floor(Date.now() / 1000);
        const started = performance.now();
        await post('/v1/track', {
          userId: userId(index),
          event: 'Order Completed',
          properties: { order_id: `${run}-${index}`, revenue: 25, currency: 'USD' },
        });
        while (performance.now() - started < args['timeout-ms']) {
          const store = (await (await fetch(`${stack.urls.inbox}/store?since=${since}`)).json()) as {
            emails: StoredEmail[];
          };
          const arrived = store.emails.some(
            (stored) =>
              stored.destination.to.some((to) => to.includes(address)) &&
              stored.headers?.some((h) => h.name.toLowerCase() === 'x-campaign-id' && h.value === CAMPAIGN),
          );
          if (arrived) {
            latencies.push(performance.now() - started);
            return;
          }
          await new Promise((resolve) => setTimeout(resolve, args['poll-ms']));
        }
        missing.push(address);
      },
      bar,
    );
    bar.finish();
    const sorted = latencies.sort((a, b) => a - b);
    const round = (value: number) => Math.round(value * 10) / 10;
    console.log(
      JSON.stringify({
        benchmark: 'latency',
        customers: args.customers,
        concurrency: args.concurrency,
        delivered: latencies.length,
        missing: missing.length,
        ms: {
          p50: round(percentile(sorted, 50)),
          p95: round(percentile(sorted, 95)),
          p99: round(percentile(sorted, 99)),
          max: round(sorted.at(-1) ?? Number.NaN),
        },
        machine: machine(),
      }),
    );
    if (missing.length > 0) process.exitCode = 1;
  } finally {
    await stack.stop();
  }
}

main().catch((error) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
