/**
 * `npm run import -- <file.csv> [--concurrency 4]`
 *
 * Loads past orders through the ingestion API (`/v1/batch`, the same engine and storage as live
 * events) with a progress bar. Historical events update each customer's history and stage and
 * send nothing: the engine only emails about what is fresh. Re-running the same file changes
 * nothing (message ids come from the order ids). Rows that cannot be imported are listed with
 * their line and reason; the others go in. On the local stack it waits until every event is
 * applied. `API_URL` (default the local stack) and `WRITE_KEY` say where to send.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { ProgressBar } from './cli.ts';
import { batchesOf, historyEvents, historyRows, type SegmentEvent } from './history-csv.ts';

const apiUrl = (process.env.API_URL ?? `http://127.0.0.1:${process.env.PORT ?? '3000'}`).replace(/\/$/, '');
const writeKey = process.env.WRITE_KEY ?? 'dev-write-key';
const authorization = `Basic ${Buffer.from(`${writeKey}:`).toString('base64')}`;

interface BatchAnswer {
  accepted: number;
  rejected: { index?: number; messageId?: string; error: string }[];
}

async function post(batch: SegmentEvent[]): Promise<BatchAnswer> {
  for (let attempt = 0; ; attempt++) {
    const response = await fetch(`${apiUrl}/v1/batch`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization },
      body: JSON.stringify({ batch }),
    }).catch((error: unknown) => ({ status: 0, error }) as const);
    if ('error' in response) {
      if (attempt >= 5) throw new Error(`cannot reach ${apiUrl}: ${String(response.error)}`);
    } else if (response.status === 429 || response.status >= 500) {
      if (attempt >= 5)
        throw new Error(`${apiUrl}/v1/batch answered ${response.status} ${await response.text()}`);
    } else {
      const body = (await response.json()) as {
        success?: boolean;
        rejected?: BatchAnswer['rejected'];
        error?: string;
      };
      if (response.status === 401) throw new Error(`${apiUrl} refused the write key (set WRITE_KEY)`);
      const rejected =
        body.rejected ?? (response.ok ? [] : [{ error: body.error ?? `status ${response.status}` }]);
      return { accepted: response.ok ? batch.length - rejected.length : 0, rejected };
    }
    await new Promise((resolve) => setTimeout(resolve, 200 * 2 ** attempt));
  }
}

async function main() {
  const { values, positionals } = parseArgs({
    options: { concurrency: { type: 'string', default: '4' } },
    allowPositionals: true,
  });
  const file = positionals[0];
  if (!file) throw new Error('usage: npm run import -- <file.csv> [--concurrency 4]');
  const concurrency = Math.max(1, Number(values.concurrency) || 4);
  const started = performance.now();
  const { rows, problems } = historyRows(readFileSync(file, 'utf8'));
  for (const problem of problems.slice(0, 20)) console.error(`${file}:${problem.line}: ${problem.error}`);
  if (problems.length > 20)
    console.error(`... and ${problems.length - 20} more rows that cannot be imported`);

  const events = historyEvents(rows);
  const batches = batchesOf(events);
  const bar = new ProgressBar(events.length, 'importing');
  let sent = 0;
  let accepted = 0;
  const rejected: BatchAnswer['rejected'] = [];
  let next = 0;
  const worker = async () => {
    while (next < batches.length) {
      const batch = batches[next++] ?? [];
      const answer = await post(batch);
      accepted += answer.accepted;
      rejected.push(...answer.rejected);
      sent += batch.length;
      bar.update(sent, `${sent}/${events.length} events`);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  bar.finish(`${sent}/${events.length} events`);
  for (const rejection of rejected.slice(0, 20))
    console.error(`rejected ${rejection.messageId ?? ''}: ${rejection.error}`);

  // The local stack can say when the bus has delivered everything; in AWS events apply within seconds.
  const idle = await fetch(`${apiUrl}/_local/idle`).catch(() => undefined);
  console.log(
    JSON.stringify({
      file,
      rows: rows.length + problems.length,
      customers: new Set(rows.map((row) => row.customerId)).size,
      orders: rows.length,
      events: events.length,
      accepted,
      rejected: rejected.length,
      invalidRows: problems.length,
      applied: idle?.ok ? 'all' : 'asynchronously',
      seconds: Number(((performance.now() - started) / 1000).toFixed(1)),
    }),
  );
  if (problems.length > 0 || rejected.length > 0) process.exitCode = 1;
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : String(error));
  process.exit(1);
});
