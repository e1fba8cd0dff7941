/**
 * Prediction on the local stack, the way a shop would use it: the 6,919 raw CDNOW transactions
 * imported through the ingestion API with their 1997-98 timestamps send no email, `npm run model`
 * fitted on them reproduces the published BG/NBD parameters, re-importing changes nothing, and
 * the admin API reports the model, the metrics and the best customers.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BatchWriteCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localDocumentClient } from '../../infra/local/dynamodb-local.ts';
import { RESOURCE_NAMES } from '../../infra/topology.ts';
import { cdnowTransactions } from '../../scripts/cdnow.ts';
import { DynamoCustomerBase } from '../../shared/adapters/dynamodb/customer-base.ts';
import { admin, idle, stack, uniqueId } from '../support/stack.ts';

const PUBLISHED = { r: 0.243, alpha: 4.414, a: 0.793, b: 2.426 };
const run = uniqueId('cdnow');
const domain = `${run}.example`;

function runScript(script: string, args: string[], env: Record<string, string>) {
  return new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', script, ...args], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => {
      stdout += String(chunk);
    });
    child.stderr.on('data', (chunk) => {
      stderr += String(chunk);
    });
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

/** The raw file as an import CSV: sample id, day, amount; an order id per line, an address per customer. */
function cdnowCsv(): string {
  const rows = cdnowTransactions().map(({ line, customer, day, amount }) => {
    const id = `${run}-${customer}`;
    return `${id},${day},${amount},${run}-line-${line},${id}@${domain}`;
  });
  return ['customer_id,date,revenue,order_id,email', ...rows].join('\n');
}

const importEnv = () => ({ API_URL: stack().api, WRITE_KEY: stack().writeKey });

const tableClient = () => localDocumentClient(stack().dynamodb);

/**
 * Takes the 2,357 imported customers out of the shared table again: their 1997 timers would
 * otherwise be due in every sweep the other test files run.
 */
async function removeImported() {
  const db = tableClient();
  const doomed: Record<string, unknown>[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const page = await db.send(
      new ScanCommand({
        TableName: RESOURCE_NAMES.table,
        FilterExpression: 'begins_with(PK, :prefix)',
        ExpressionAttributeValues: { ':prefix': `CUSTOMER#${run}` },
        ProjectionExpression: 'PK, SK',
        ExclusiveStartKey: start,
      }),
    );
    doomed.push(...(page.Items ?? []));
    start = page.LastEvaluatedKey;
  } while (start);
  for (let index = 0; index < doomed.length; index += 25) {
    let pending = doomed.slice(index, index + 25).map((key) => ({ DeleteRequest: { Key: key } }));
    while (pending.length > 0) {
      const result = await db.send(
        new BatchWriteCommand({ RequestItems: { [RESOURCE_NAMES.table]: pending } }),
      );
      pending = (result.UnprocessedItems?.[RESOURCE_NAMES.table] as typeof pending | undefined) ?? [];
    }
  }
}

/** Version and due time of every imported customer, straight from the table. */
async function snapshot() {
  const db = tableClient();
  const state = new Map<string, string>();
  for await (const page of new DynamoCustomerBase(db, RESOURCE_NAMES.table).scan({ messages: true })) {
    for (const profile of page.profiles)
      if (profile.id.startsWith(run)) state.set(profile.id, `${profile.version}|${profile.nextDueAt}`);
    for (const entry of page.messages)
      if (entry.customerId.startsWith(run))
        state.set(`${entry.customerId}|${entry.campaignId}|${entry.occurrence}`, entry.status);
  }
  return state;
}

/**
 * The snapshot once the imported customers' 1997 timers have all fired (the minutely dispatcher
 * fires them whenever its minute comes; here at once, until a pass changes nothing).
 */
async function settled() {
  let previous = await snapshot();
  for (let pass = 0; pass < 8; pass++) {
    expect(
      (await admin('/_local/schedules', { method: 'POST', body: JSON.stringify({ name: 'Dispatch' }) }))
        .status,
    ).toBe(200);
    await idle();
    const next = await snapshot();
    if (JSON.stringify([...next]) === JSON.stringify([...previous])) return next;
    previous = next;
  }
  return previous;
}

async function emailsToImported() {
  const store = (await (await fetch(`${stack().ses}/store`)).json()) as {
    emails: { destination: { to: string[] } }[];
  };
  return store.emails.filter((email) => email.destination.to.some((to) => to.includes(domain)));
}

describe('CDNOW through the ingestion API', () => {
  let file: string;
  let firstImport: Record<string, unknown>;

  afterAll(removeImported, 120_000);

  beforeAll(async () => {
    file = join(mkdtempSync(join(tmpdir(), 'cdnow-')), 'cdnow.csv');
    writeFileSync(file, cdnowCsv());
    const result = await runScript('scripts/import.ts', [file, '--concurrency', '8'], importEnv());
    expect(result.stderr).not.toMatch(/rejected|cannot/);
    expect(result.status).toBe(0);
    firstImport = JSON.parse(result.stdout.trim().split('\n').at(-1) ?? '{}');
  });

  it('imports every transaction and sends no email: the history is history', async () => {
    expect(firstImport).toMatchObject({
      rows: 6919,
      customers: 2357,
      orders: 6919,
      accepted: 6919 + 2357,
      rejected: 0,
      invalidRows: 0,
      applied: 'all',
    });
    expect(await emailsToImported()).toEqual([]);
    const customer = await admin(`/admin/customers/${run}-1`);
    expect(customer.body).toMatchObject({ orderCount: 4, firstOrderAt: '1997-01-01T12:00:00.000Z' });
    const messages = customer.body.messages as { campaignId: string; status: string; reason: string }[];
    // The welcome kit, and any timer of 1997 the minutely dispatcher has fired since: skipped as stale.
    expect(messages.map((message) => message.campaignId)).toContain('welcome-kit');
    for (const message of messages) {
      expect(message.status).toBe('skipped');
      expect(message.reason).toMatch(/^stale/);
    }
  });

  it('npm run model -- fit --as-of 1997-09-30 reproduces the published BG/NBD parameters within 2%', async () => {
    const result = await runScript('scripts/model.ts', ['fit', '--as-of', '1997-09-30'], {
      AWS_ENDPOINT_URL_DYNAMODB: stack().dynamodb,
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'local',
      AWS_SECRET_ACCESS_KEY: 'local',
    });
    expect(result.status).toBe(0);
    const lines = result.stdout.trim().split('\n');
    expect(lines).toHaveLength(1);
    const fit = JSON.parse(lines[0] ?? '{}');
    expect(fit).toMatchObject({
      model: 'bg-nbd+gamma-gamma',
      asOf: '1997-09-30',
      customers: 2357,
      repeatBuyers: 946,
    });
    for (const name of ['r', 'alpha', 'a', 'b'] as const) {
      expect({ name, error: Math.abs(fit[name] / PUBLISHED[name] - 1) < 0.02 }).toEqual({
        name,
        error: true,
      });
    }
    expect(Math.abs(fit.logLikelihood - -9582.4)).toBeLessThan(0.1);
  });

  it('re-importing the same file changes nothing', async () => {
    const before = await settled();
    expect(before.size).toBeGreaterThan(2357);
    const result = await runScript('scripts/import.ts', [file, '--concurrency', '8'], importEnv());
    expect(result.status).toBe(0);
    expect(await settled()).toEqual(before);
    expect(await emailsToImported()).toEqual([]);
  });

  it('the admin API fits and keeps the model, and reports metrics and the best customers', async () => {
    const unauthenticated = await fetch(`${stack().api}/admin/metrics`);
    expect(unauthenticated.status).toBe(401);

    // Not computed before a fit: no scan per request.
    const before = await admin('/admin/insights/best-customers?asOf=1997-09-30');
    expect(before.status).toBe(404);
    expect(String(before.body.error)).toMatch(/POST \/admin\/model\/fit/);

    // A fit is a whole-base job in chunks: answered at once, then run by the state machine.
    const fitted = await admin('/admin/model/fit', {
      method: 'POST',
      body: JSON.stringify({ asOf: '1997-09-30' }),
    });
    expect(fitted.status).toBe(202);
    expect(fitted.body).toMatchObject({ asOf: '1997-09-30', status: 'running' });
    await idle();
    const job = await admin(`/admin/jobs/${fitted.body.job}`);
    expect(job.body).toMatchObject({ status: 'done', reason: { kind: 'model-fit', asOf: '1997-09-30' } });
    expect((job.body.results as { buyers: number }).buyers).toBeGreaterThanOrEqual(2357);
    const model = await admin('/admin/model');
    expect(model.body).toMatchObject({
      trustworthy: true,
      current: { asOf: '1997-09-30', r: expect.any(Number) },
    });

    const customer = await admin(`/admin/customers/${run}-1`);
    expect(customer.body.prediction).toMatchObject({ horizonWeeks: 52, modelAsOf: '1997-09-30' });

    const metrics = await admin('/admin/metrics?from=1997-01-01&to=1997-03-31');
    expect(metrics.status).toBe(200);
    const body = metrics.body as {
      repeatPurchase: { buyers: number };
      value: { predicted: { trustworthy: boolean } | null };
      stageChanges: { date: string; buildup: number }[];
    };
    // Every CDNOW customer made their first purchase in the first quarter of 1997.
    const firstOrders = body.stageChanges.reduce((sum, day) => sum + day.buildup, 0);
    expect(firstOrders).toBeGreaterThanOrEqual(2357);
    expect(body.value.predicted?.trustworthy).toBe(true);

    const bad = await admin('/admin/metrics?from=1997-04-01&to=1997-03-01');
    expect(bad.status).toBe(400);
    expect(bad.body.error).toBe('from: must not be after to');

    const best = await admin('/admin/insights/best-customers?asOf=1997-09-30');
    expect(best.status).toBe(200);
    expect(best.body).toMatchObject({
      basis: 'predicted-value',
      modelAsOf: '1997-09-30',
      asOf: '1997-09-30',
    });
    const elsewhen = await admin('/admin/insights/best-customers?asOf=1997-10-31');
    expect(elsewhen.status).toBe(404);
    expect(elsewhen.body.error).toMatch(/as of 1997-09-30/);
    const groups = best.body as { best: { ordersPerCustomer: number }; rest: { ordersPerCustomer: number } };
    expect(groups.best.ordersPerCustomer).toBeGreaterThan(groups.rest.ordersPerCustomer);
  });
});
