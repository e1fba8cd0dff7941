/**
 * Segments on the running local stack, as a shop would use them: events from Segment's own Node
 * library, segments written through the admin API, exact membership right after the events and
 * as time passes (sweeps), a segment saved after its events came, counts from the counters.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Analytics } from '@segment/analytics-node';
import { describe, expect, it } from 'vitest';
import { admin, eventually, idle, sendWithSegment, stack, uniqueId } from '../support/stack.ts';

const DAY = 86_400_000;
const daysAgo = (days: number) => new Date(Date.now() - days * DAY);

async function put(id: string, body: unknown) {
  return admin(`/admin/segments/${id}`, { method: 'PUT', body: JSON.stringify(body) });
}

async function ready(id: string) {
  const segment = await eventually(
    () => admin(`/admin/segments/${id}`),
    (found) => found.body?.status === 'ready',
    20_000,
  );
  expect(segment.body.status).toBe('ready');
  await idle();
  return (await admin(`/admin/segments/${id}`)).body;
}

async function members(id: string) {
  const ids: string[] = [];
  let cursor: string | undefined;
  do {
    const page = await admin(`/admin/segments/${id}/members?limit=200${cursor ? `&cursor=${cursor}` : ''}`);
    expect(page.status).toBe(200);
    ids.push(...(page.body.members as { id: string }[]).map((member) => member.id));
    cursor = page.body.cursor as string | undefined;
  } while (cursor);
  return ids.sort();
}

async function segmentsOf(customerId: string) {
  const customer = await admin(`/admin/customers/${customerId}`);
  return (customer.body.segments as { id: string }[]).map((segment) => segment.id).sort();
}

describe('segments over events from a real Segment client', () => {
  it('"in Germany, bought twice, not in the last 30 days": exact at once, and as time passes', async () => {
    const run = uniqueId('de');
    const lapsed = `${run}-lapsed`;
    const recent = `${run}-recent`;
    const once = `${run}-once`;
    const french = `${run}-french`;
    const segment = uniqueId('german-lapsed');
    expect(
      (
        await put(segment, {
          name: 'German repeat buyers gone quiet',
          condition: {
            all: [
              { trait: 'run', op: 'equals', value: run },
              { trait: 'address.country', op: 'equals', value: 'DE' },
              { measure: 'orderCount', op: 'gte', value: 2 },
              { measure: 'orderCount', op: 'equals', value: 0, withinDays: 30 },
            ],
          },
        })
      ).status,
    ).toBe(201);
    await ready(segment);

    await sendWithSegment((analytics) => {
      for (const [userId, country] of [
        [lapsed, 'DE'],
        [recent, 'DE'],
        [once, 'DE'],
        [french, 'FR'],
      ] as const)
        analytics.identify({ userId, traits: { email: `${userId}@example.com`, run, address: { country } } });
      const order = (userId: string, days: number, n: number) =>
        analytics.track({
          userId,
          event: 'Order Completed',
          timestamp: daysAgo(days),
          properties: { order_id: `${userId}-${n}`, revenue: 30 },
        });
      order(lapsed, 60, 1);
      order(lapsed, 45, 2);
      order(recent, 60, 1);
      order(recent, 10, 2);
      order(once, 45, 1);
      order(french, 60, 1);
      order(french, 45, 2);
    });
    expect(await members(segment)).toEqual([lapsed]);
    expect((await admin(`/admin/segments/${segment}`)).body.count).toBe(1);
    expect(await segmentsOf(lapsed)).toContain(segment);

    // 21 days on, the recent buyer's last order is 31 days old: they enter at the due time.
    const sweep = await admin('/admin/sweep', {
      method: 'POST',
      body: JSON.stringify({ now: new Date(Date.now() + 21 * DAY).toISOString() }),
    });
    expect(sweep.status).toBe(200);
    await idle();
    expect(await members(segment)).toEqual([lapsed, recent].sort());
    expect((await admin(`/admin/segments/${segment}`)).body.count).toBe(2);
    // An order now takes the lapsed customer out at once.
    await sendWithSegment((analytics) =>
      analytics.track({
        userId: lapsed,
        event: 'Order Completed',
        properties: { order_id: `${lapsed}-3`, revenue: 5 },
      }),
    );
    expect(await members(segment)).toEqual([recent]);
    const timeline = (await admin(`/admin/customers/${lapsed}`)).body.timeline as { title: string }[];
    expect(timeline.map((entry) => entry.title)).toEqual(
      expect.arrayContaining([`Entered segment ${segment}`, `Left segment ${segment}`]),
    );
  });

  it('a segment saved after the events came is right when its build finishes: shoes viewed 3 times this week', async () => {
    const run = uniqueId('shoes');
    const fan = `${run}-fan`;
    const browser = `${run}-browser`;
    const old = `${run}-old`;
    const view = (analytics: Analytics, userId: string, days: number, category: string) =>
      analytics.track({
        userId,
        event: 'Product Viewed',
        timestamp: daysAgo(days),
        properties: { category, run },
      });
    await sendWithSegment((analytics) => {
      for (const userId of [fan, browser, old])
        analytics.identify({ userId, traits: { email: `${userId}@example.com` } });
      for (const days of [1, 2, 3]) view(analytics, fan, days, 'shoes');
      for (const days of [1, 2]) view(analytics, browser, days, 'shoes');
      view(analytics, browser, 2, 'hats');
      for (const days of [20, 21, 22]) view(analytics, old, days, 'shoes');
    });
    const segment = uniqueId('shoe-fans');
    const saved = await put(segment, {
      name: 'Viewed shoes three times this week',
      condition: {
        performed: 'Product Viewed',
        where: [
          { property: 'category', op: 'equals', value: 'shoes' },
          { property: 'run', op: 'equals', value: run },
        ],
        times: { atLeast: 3 },
        withinDays: 7,
      },
    });
    expect(saved.status).toBe(201);
    expect(saved.body.status).toBe('building');
    const built = await ready(segment);
    expect(built.count).toBe(1);
    expect(await members(segment)).toEqual([fan]);

    // One more view: the browser enters with it, in the same decision.
    await sendWithSegment((analytics) => view(analytics, browser, 0, 'shoes'));
    expect(await members(segment)).toEqual([browser, fan].sort());
    // Four days on, the fan's oldest view has left the window (the dispatcher's due time).
    await admin('/admin/sweep', {
      method: 'POST',
      body: JSON.stringify({ now: new Date(Date.now() + 4 * DAY).toISOString() }),
    });
    await idle();
    expect(await members(segment)).toEqual([browser]);

    // A new version: the build runs again and the members follow it.
    const changed = await put(segment, {
      version: built.version,
      name: 'Viewed shoes twice this month',
      condition: {
        performed: 'Product Viewed',
        where: [
          { property: 'category', op: 'equals', value: 'shoes' },
          { property: 'run', op: 'equals', value: run },
        ],
        times: { atLeast: 2 },
        withinDays: 30,
      },
    });
    expect(changed.status).toBe(200);
    expect((await ready(segment)).version).toBe(Number(built.version) + 1);
    expect(await members(segment)).toEqual([browser, fan, old].sort());
  });

  it('previews a condition before it is saved, and lists customers by segment, by stage and by the start of an email', async () => {
    const run = uniqueId('preview');
    const buyers = Array.from({ length: 5 }, (_, index) => `${run}-buyer-${index}`);
    const visitor = `${run}-visitor`;
    await sendWithSegment((analytics) => {
      for (const userId of [...buyers, visitor])
        analytics.identify({
          userId,
          traits: { email: `${userId}@example.com`, name: `Zed ${userId}`, run },
        });
      for (const userId of buyers)
        analytics.track({
          userId,
          event: 'Order Completed',
          properties: { order_id: `${userId}-1`, revenue: 10 },
        });
    });
    const condition = {
      all: [{ trait: 'run', op: 'equals', value: run }, { stage: ['buildup'] }],
    };
    const preview = await admin('/admin/segments/preview', {
      method: 'POST',
      body: JSON.stringify({ condition }),
    });
    expect(preview.status).toBe(200);
    expect(preview.body.matched).toBe(5);
    expect((preview.body.sample as string[]).sort()).toEqual([...buyers].sort());

    const found = await admin(`/admin/customers?q=${encodeURIComponent(`${run}-buyer-1`)}`);
    expect((found.body.customers as { id: string }[]).map((customer) => customer.id)).toEqual([
      `${run}-buyer-1`,
    ]);
    const byName = await admin(`/admin/customers?q=${encodeURIComponent(`zed ${run}-vis`)}`);
    expect((byName.body.customers as { id: string; stage: string }[]).map((c) => [c.id, c.stage])).toEqual([
      [visitor, 'acquaintance'],
    ]);

    const segment = uniqueId('preview-buyers');
    await put(segment, { name: 'Buyers of this run', condition });
    await ready(segment);
    const listed: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await admin(
        `/admin/customers?segment=${segment}&stage=buildup&limit=2${cursor ? `&cursor=${cursor}` : ''}`,
      );
      expect(page.status).toBe(200);
      listed.push(...(page.body.customers as { id: string }[]).map((customer) => customer.id));
      cursor = page.body.cursor as string | undefined;
    } while (cursor);
    expect(listed.sort()).toEqual([...buyers].sort());
    expect((await admin('/admin/customers?stage=nowhere')).status).toBe(400);
  });

  it('refuses bad definitions with the field path and stores nothing; a segment in use cannot be deleted', async () => {
    const id = uniqueId('bad');
    const cases: [unknown, string][] = [
      [{ name: 'x', condition: { trait: 'plan', op: 'like', value: 'x' } }, 'condition.op'],
      [
        { name: 'x', condition: { all: [{ performed: 'A', withinDays: 400 }] } },
        'condition.all[0].withinDays',
      ],
      [{ name: 'x', condition: { measure: 'orderCount', op: 'gte', value: 'two' } }, 'condition.value'],
      [{ name: 'x', condition: { segment: 'no-such-segment' } }, 'condition'],
      [{ name: 'x', condition: { segment: id } }, 'condition'],
      [{ condition: { stage: ['buildup'] } }, 'name'],
    ];
    for (const [body, field] of cases) {
      const answer = await put(id, body);
      expect(answer.status, JSON.stringify(body)).toBe(400);
      expect((answer.body.problems as { field: string }[]).map((problem) => problem.field)).toContain(field);
    }
    expect((await admin(`/admin/segments/${id}`)).status).toBe(404);

    const base = uniqueId('base');
    const user = uniqueId('user');
    expect((await put(base, { name: 'Base', condition: { stage: ['buildup'] } })).status).toBe(201);
    expect((await put(user, { name: 'User', condition: { not: { segment: base } } })).status).toBe(201);
    // A cycle through the two is refused.
    const cycle = await put(base, { name: 'Base', condition: { segment: user } });
    expect(cycle.status).toBe(400);
    expect(cycle.body.error).toMatch(/cycle/);
    const blocked = await admin(`/admin/segments/${base}`, { method: 'DELETE' });
    expect(blocked.status).toBe(409);
    expect(blocked.body.error).toContain(`segment ${user}`);
    expect((await admin(`/admin/segments/${user}`, { method: 'DELETE' })).status).toBe(200);
    expect((await admin(`/admin/segments/${base}`, { method: 'DELETE' })).status).toBe(200);
    const list = await admin('/admin/segments');
    const ids = (list.body.segments as { id: string }[]).map((segment) => segment.id);
    expect(ids).not.toContain(base);
    expect(ids).toEqual(expect.arrayContaining(['one-time-buyers', 'at-risk', 'subscribers-never-bought']));
  });
});

describe('segments as code', () => {
  it('pull writes YAML, pull then push changes nothing, and a changed file is pushed as a new version', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'definitions-'));
    const run = (...args: string[]) =>
      spawnSync(
        'npm',
        [
          'run',
          '--silent',
          'definitions',
          '--',
          ...args,
          '--dir',
          dir,
          '--api',
          stack().api,
          '--token',
          stack().adminToken,
        ],
        {
          encoding: 'utf8',
        },
      );
    const id = uniqueId('as-code');
    await put(id, { name: 'As code', condition: { measure: 'orderCount', op: 'gte', value: 3 } });
    const pulled = run('pull');
    expect(pulled.stderr).toBe('');
    expect(pulled.status).toBe(0);
    const file = join(dir, 'segments', `${id}.yaml`);
    expect(readFileSync(file, 'utf8')).toContain('measure: orderCount');
    expect(readFileSync(join(dir, 'segments', 'one-time-buyers.yaml'), 'utf8')).toContain(
      'name: One-time buyers',
    );
    expect(run('diff').stdout).toContain('no changes');
    const before = (await admin(`/admin/segments/${id}`)).body.version;
    expect(run('push').stdout).not.toContain('saved');
    expect((await admin(`/admin/segments/${id}`)).body.version).toBe(before);

    writeFileSync(file, readFileSync(file, 'utf8').replace('value: 3', 'value: 4'));
    expect(run('diff').stdout).toContain(`change  segments/${id}`);
    expect(run('push').stdout).toContain(`saved segments/${id} version ${Number(before) + 1}`);
    expect((await admin(`/admin/segments/${id}`)).body.condition).toEqual({
      measure: 'orderCount',
      op: 'gte',
      value: 4,
    });
    writeFileSync(file, 'name: [unclosed');
    const broken = run('push');
    expect(broken.status).toBe(1);
    expect(broken.stderr).toContain(`${id}.yaml`);
    await admin(`/admin/segments/${id}`, { method: 'DELETE' });
  });
});
