/**
 * A broadcast whose sender crashes on the way: the send job dies after writing a recipient's
 * decision (before publishing it or moving its cursor), and send-message dies after claiming an
 * email (before SES). The minutely pass resumes the stalled parts and the dispatcher picks up
 * what was decided and not sent. Afterwards, exactly: one ledger entry per member, every one
 * sent, one email per address, and nothing in the dead-letter queue without its reason.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { localDocumentClient } from '../../infra/local/dynamodb-local.ts';
import { RESOURCE_NAMES } from '../../infra/topology.ts';
import { postBatch } from '../../scripts/local-stack.ts';
import { DynamoCustomerBase } from '../../shared/adapters/dynamodb/customer-base.ts';
import type { LedgerEntry } from '../../shared/domain/ledger.ts';
import { admin, local, type StoredEmail, stack } from '../support/stack.ts';

const CUSTOMERS = 400;

async function ledgerOf(broadcast: string) {
  const db = localDocumentClient(stack().dynamodb);
  const entries: LedgerEntry[] = [];
  for await (const page of new DynamoCustomerBase(db, RESOURCE_NAMES.table).scan({ messages: true }))
    entries.push(...page.messages.filter((entry) => entry.campaignId === broadcast));
  db.destroy();
  return entries;
}

afterAll(async () => {
  await local('/_local/faults', { method: 'PUT', body: '{}' });
  await local('/_local/clock', { method: 'POST', body: '{}' });
});

describe('a broadcast under crashes of its sender', () => {
  it('every member gets exactly one email', async () => {
    const run = `bcfault-${Date.now().toString(36)}`;
    const events = Array.from({ length: CUSTOMERS }, (_, index) => {
      const userId = `${run}-${index}`;
      return [
        {
          type: 'identify',
          userId,
          messageId: `${userId}-i`,
          traits: { email: `${userId}@faults.example`, run },
        },
        { type: 'page', userId, messageId: `${userId}-p`, name: 'Home' },
      ];
    }).flat();
    for (let start = 0; start < events.length; start += 50) {
      const answer = await postBatch(stack().api, stack().writeKey, events.slice(start, start + 50), 5);
      expect(answer.rejected).toEqual([]);
    }
    const segment = `${run}-segment`;
    const saved = await admin(`/admin/segments/${segment}`, {
      method: 'PUT',
      body: JSON.stringify({ name: run, condition: { trait: 'run', op: 'equals', value: run } }),
    });
    expect(saved.status).toBeLessThan(300);
    await local('/_local/idle');

    await local('/_local/faults', {
      method: 'PUT',
      body: JSON.stringify({ crash: { 'broadcast-after-state-write': 0.05, 'after-claim': 0.2 } }),
    });
    const id = `broadcast-${run}`;
    const since = Math.floor(Date.now() / 1000) - 1;
    // The admin API answers before the job's first chunks run: they run, and crash, behind it.
    const created = await admin('/admin/broadcasts', {
      method: 'POST',
      body: JSON.stringify({ id, name: 'Under crashes', segment, template: 'win-back' }),
    });
    expect(created.status, JSON.stringify(created.body)).toBe(202);

    // The minutely passes, on a clock moved past the stall time and the claims' leases.
    let entries: LedgerEntry[] = [];
    let rounds = 0;
    const failedPasses: string[] = [];
    for (let round = 1; round <= 20; round++) {
      rounds = round;
      await local('/_local/idle');
      entries = await ledgerOf(id);
      const job = await admin(`/admin/broadcasts/${id}`);
      const done = (job.body.progress as { done?: boolean } | null)?.done === true;
      if (done && entries.length === CUSTOMERS && entries.every((entry) => entry.status === 'sent')) break;
      await local('/_local/clock', {
        method: 'POST',
        body: JSON.stringify({ now: new Date(Date.now() + round * 10 * 60_000).toISOString() }),
      });
      // A pass may itself be crashed by the injector (starting a job writes): the next one goes on.
      for (const name of ['ResumeStalledJobs', 'Dispatch']) {
        const pass = await admin('/_local/schedules', { method: 'POST', body: JSON.stringify({ name }) });
        if (pass.status !== 200) failedPasses.push(`${name}: ${JSON.stringify(pass.body)}`);
      }
    }
    const report = (await local('/_local/faults')) as { crashes: Record<string, number> };
    await local('/_local/faults', { method: 'PUT', body: '{}' });
    await local('/_local/clock', { method: 'POST', body: '{}' });

    // The crashes happened, at both places.
    expect(report.crashes['broadcast-after-state-write'] ?? 0).toBeGreaterThan(0);
    expect(report.crashes['after-claim'] ?? 0).toBeGreaterThan(0);

    // One decision per member, each sent; one email per address, each with the broadcast's id.
    expect(entries.map((entry) => entry.customerId).sort()).toEqual(
      Array.from({ length: CUSTOMERS }, (_, index) => `${run}-${index}`).sort(),
    );
    expect(entries.filter((entry) => entry.status !== 'sent')).toEqual([]);
    const response = await fetch(`${stack().ses}/store?since=${since}`);
    const { emails } = (await response.json()) as { emails: StoredEmail[] };
    const perAddress = new Map<string, number>();
    for (const email of emails)
      for (const to of email.destination.to)
        if (to.includes(`${run}-`)) perAddress.set(to, (perAddress.get(to) ?? 0) + 1);
    expect(perAddress.size).toBe(CUSTOMERS);
    expect([...perAddress].filter(([, count]) => count !== 1)).toEqual([]);
    const view = await admin(`/admin/broadcasts/${id}`);
    console.info(
      JSON.stringify({ scenario: 'broadcast under crashes', crashes: report.crashes, rounds, failedPasses }),
    );
    expect(view.body.status).toBe('sent');
    expect(view.body.numbers).toMatchObject({ recipients: CUSTOMERS, sent: CUSTOMERS });
  }, 300_000);
});
