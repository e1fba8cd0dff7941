/**
 * The nightly fit as a whole-base job, in chunks of 40 items (this stack's JOB_CHUNK_ITEMS), with the
 * jobs function crashing between chunks (after a part's cursor moved, before it answered the
 * state machine) and inside them (after a chunk kept its buyers' records, before it moved on).
 * The state machine's retries and the chunks' idempotence must give exactly what one pass over
 * the table gives: the same fit to the last bit, the same insights, every customer counted once,
 * and one evaluation of everyone under the new model.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { fitOnHistory } from '../../functions/model/model.ts';
import { localDocumentClient } from '../../infra/local/dynamodb-local.ts';
import { RESOURCE_NAMES } from '../../infra/topology.ts';
import { postBatch } from '../../scripts/local-stack.ts';
import { DynamoCustomerBase } from '../../shared/adapters/dynamodb/customer-base.ts';
import { DynamoModelStore } from '../../shared/adapters/dynamodb/model-store.ts';
import { BestCustomersAccumulator } from '../../shared/domain/insights.ts';
import type { JobState } from '../../shared/ports.ts';
import { local, stack } from '../support/stack.ts';

const CUSTOMERS = 150;
const AS_OF = '2026-06-30';

afterAll(async () => {
  await local('/_local/faults', { method: 'PUT', body: '{}' });
  await local('/_local/clock', { method: 'POST', body: '{}' });
});

describe('the nightly fit under crashes between and inside its chunks', () => {
  it('fits, values and counts exactly what one pass over the table finds', async () => {
    const run = `fitfault-${Date.now().toString(36)}`;
    // Buyers with one to four orders in the first half of 2026, some with a later order the fit must not see.
    const events = Array.from({ length: CUSTOMERS }, (_, index) => {
      const userId = `${run}-${index}`;
      const orders = 1 + (index % 4);
      return [
        {
          type: 'identify',
          userId,
          messageId: `${userId}-i`,
          timestamp: '2026-01-02T10:00:00.000Z',
          traits: { email: `${userId}@faults.example`, tier: index % 3 === 0 ? 'gold' : 'plain' },
        },
        ...Array.from({ length: orders }, (_, n) => ({
          type: 'track',
          event: 'Order Completed',
          userId,
          messageId: `${userId}-o${n}`,
          timestamp: new Date(Date.UTC(2026, 0, 3 + ((index * 7 + n * 37) % 170))).toISOString(),
          properties: { order_id: `${userId}-o${n}`, revenue: 10 + ((index * 13 + n * 5) % 90) },
        })),
        ...(index % 5 === 0
          ? [
              {
                type: 'track',
                event: 'Order Completed',
                userId,
                messageId: `${userId}-late`,
                timestamp: '2026-08-01T10:00:00.000Z',
                properties: { order_id: `${userId}-late`, revenue: 500 },
              },
            ]
          : []),
      ];
    }).flat();
    for (let start = 0; start < events.length; start += 100) {
      const answer = await postBatch(stack().api, stack().writeKey, events.slice(start, start + 100), 5);
      expect(answer.rejected).toEqual([]);
    }
    await local('/_local/idle');

    // What one pass over the table finds (as `npm run model` fits), read before the job runs.
    const db = localDocumentClient(stack().dynamodb);
    const base = new DynamoCustomerBase(db, RESOURCE_NAMES.table);
    const expected = await fitOnHistory(AS_OF, { base, now: () => new Date() });
    let profiles = 0;
    for await (const page of base.scan()) profiles += page.profiles.length;

    await local('/_local/faults', {
      method: 'PUT',
      body: JSON.stringify({ crash: { 'job-after-move': 0.15, 'job-after-records': 0.15 } }),
    });
    const started = (await local('/admin/model/fit', {
      method: 'POST',
      body: JSON.stringify({ asOf: AS_OF }),
    })) as { job: string };
    await local('/_local/idle');
    // A call runs many chunks, so at these rates a run can spend its retries and fail, as an
    // execution would: the minutely pass resumes it once its parts have stood still for 15
    // minutes (the clock moved on here), from where they are, until the fit and the evaluation
    // after it are done.
    const evaluationOf = async () => {
      const current = await new DynamoModelStore(db, RESOURCE_NAMES.table).current();
      return current?.asOf === AS_OF
        ? ((await local(`/admin/jobs/${encodeURIComponent(`model-${AS_OF}-${current.fittedAt}`)}`).catch(
            () => undefined,
          )) as JobState | undefined)
        : undefined;
    };
    let rounds = 0;
    for (; rounds < 30; rounds++) {
      const fitJob = (await local(`/admin/jobs/${started.job}`)) as JobState;
      if (fitJob.status === 'done' && (await evaluationOf())?.status === 'done') break;
      await local('/_local/clock', {
        method: 'POST',
        body: JSON.stringify({ now: new Date(Date.now() + (rounds + 1) * 16 * 60_000).toISOString() }),
      });
      await local('/_local/schedules', {
        method: 'POST',
        body: JSON.stringify({ name: 'ResumeStalledJobs' }),
      }).catch(() => undefined);
      await local('/_local/idle');
    }
    const report = (await local('/_local/faults')) as { crashes: Record<string, number> };
    await local('/_local/faults', { method: 'PUT', body: '{}' });
    await local('/_local/clock', { method: 'POST', body: '{}' });
    console.info(
      JSON.stringify({ scenario: 'fit under crashes', crashes: report.crashes, resumptions: rounds }),
    );

    // The crashes happened, at both places.
    expect(report.crashes['job-after-move'] ?? 0).toBeGreaterThan(0);
    expect(report.crashes['job-after-records'] ?? 0).toBeGreaterThan(0);

    // Every customer read once in the counts, every buyer as of the day gathered once.
    const fit = (await local(`/admin/jobs/${started.job}`)) as JobState;
    expect(fit).toMatchObject({
      status: 'done',
      evaluated: profiles,
      results: { buyers: expected.customers },
    });

    // The same fit as one pass, to the last bit, kept as the current model.
    const model = (await local('/admin/model')) as { history: { fittedAt: string; logLikelihood: number }[] };
    const saved = model.history.find((entry) => entry.fittedAt === fit.finishedAt);
    expect(saved).toBeDefined();
    const current = await new DynamoModelStore(db, RESOURCE_NAMES.table).current();
    expect({ ...current, fittedAt: expected.fittedAt }).toEqual(expected);

    // The insights kept are those of one pass under that model.
    const best = new BestCustomersAccumulator(current, AS_OF);
    for await (const page of base.scan()) for (const profile of page.profiles) best.addProfile(profile);
    const insights = (await local(`/admin/insights/best-customers?asOf=${AS_OF}`)) as Record<string, unknown>;
    const { asOf, computedAt, ...kept } = insights;
    expect({ asOf, computedAt }).toEqual({ asOf: AS_OF, computedAt: fit.finishedAt });
    expect(kept).toEqual(JSON.parse(JSON.stringify(best.result())));

    // Then the evaluation of everyone under the new model (one job: its id is the fit's), done,
    // each customer counted once.
    const evaluation = (await local(
      `/admin/jobs/${encodeURIComponent(`model-${AS_OF}-${current?.fittedAt}`)}`,
    )) as JobState;
    expect(evaluation).toMatchObject({
      status: 'done',
      evaluated: profiles,
      reason: { kind: 'model-fitted' },
    });
    db.destroy();
  });
});
