/**
 * Marketers in control, through the admin API on the local stack: save, refuse, preview, publish,
 * send with the published version, test-send, and templates as code.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  admin,
  changeJourney,
  emailsTo,
  eventually,
  post,
  restoreJourney,
  stack,
  uniqueId,
} from '../support/stack.ts';

const SCRIPT = '<script>alert(1)</script>';

async function customerWithOrder(firstName: string) {
  const userId = uniqueId('tpl');
  const email = `${userId}@example.com`;
  await post('/v1/batch', {
    batch: [
      { type: 'identify', userId, traits: { email, firstName } },
      {
        type: 'track',
        userId,
        event: 'Order Completed',
        properties: { order_id: `${userId}-1`, revenue: 20 },
      },
    ],
  });
  return { userId, email };
}

describe('templates through the admin API', () => {
  afterAll(async () => {
    // Back to the built-in welcome kit for whatever runs next.
    await admin('/admin/templates/welcome-kit', { method: 'DELETE' });
  });

  it('saves, refuses an unknown variable, escapes customer data, publishes, and sends what was published', async () => {
    const saved = await admin('/admin/templates/welcome-kit', {
      method: 'PUT',
      body: JSON.stringify({
        subject: 'Welcome aboard, {{firstName}}',
        html: '<h1>Hello {{firstName}}</h1><p>Version one. Your code: {{offer.code}}</p>',
        description: 'first try',
      }),
    });
    expect(saved.status).toBe(201);
    const first = Number(saved.body.version);

    const refused = await admin('/admin/templates/welcome-kit', {
      method: 'PUT',
      body: JSON.stringify({ subject: 'Hi', html: '<p>{{favoriteColor}}</p>' }),
    });
    expect(refused.status).toBe(400);
    expect(refused.body.error).toMatch(/^html: unknown variable \{\{favoriteColor\}\}/);

    // A customer whose first name is a script: escaped in the preview's HTML, as typed in its text.
    const { userId: scripted } = await customerWithOrder(SCRIPT);
    await eventually(
      () => admin(`/admin/customers/${scripted}`),
      (found) => found.status === 200,
    );
    const preview = await admin('/admin/templates/welcome-kit/preview', {
      method: 'POST',
      body: JSON.stringify({ customerId: scripted, version: first }),
    });
    expect(preview.status).toBe(200);
    expect(preview.body.html).toContain('Hello &lt;script&gt;alert(1)&lt;/script&gt;');
    expect(preview.body.html).not.toContain(SCRIPT);
    expect(preview.body.text).toContain(SCRIPT);
    expect(preview.body.html).toMatch(/Your code: THANKS-[0-9A-Z]{10}/);

    expect(
      (
        await admin('/admin/templates/welcome-kit/publish', {
          method: 'POST',
          body: JSON.stringify({ version: first }),
        })
      ).body,
    ).toEqual({
      name: 'welcome-kit',
      published: first,
    });
    const one = await customerWithOrder(SCRIPT);
    const [sent] = await eventually(
      () => emailsTo(one.email),
      (found) => found.length > 0,
    );
    expect(sent?.subject).toBe(`Welcome aboard, ${SCRIPT}`);
    expect(sent?.body.html).toContain('Hello &lt;script&gt;alert(1)&lt;/script&gt;');
    expect(sent?.body.html).not.toContain(SCRIPT);
    const ledger = await admin(`/admin/customers/${one.userId}`);
    expect(ledger.body.messages).toEqual([
      expect.objectContaining({ template: { name: 'welcome-kit', version: first } }),
    ]);

    // A new version, published: the next send uses it and records it.
    const second = await admin('/admin/templates/welcome-kit', {
      method: 'PUT',
      body: JSON.stringify({ subject: 'Welcome, {{firstName}}', html: '<p>Version two</p>' }),
    });
    expect(second.status).toBe(201);
    await admin('/admin/templates/welcome-kit/publish', { method: 'POST', body: '{}' });
    const two = await customerWithOrder('Bo');
    const [next] = await eventually(
      () => emailsTo(two.email),
      (found) => found.length > 0,
    );
    expect(next?.body.html).toContain('Version two');
    const secondLedger = await admin(`/admin/customers/${two.userId}`);
    expect(secondLedger.body.messages).toEqual([
      expect.objectContaining({ template: { name: 'welcome-kit', version: Number(second.body.version) } }),
    ]);

    // Older versions stay readable.
    const old = await admin(`/admin/templates/welcome-kit?version=${first}`);
    expect(old.body).toMatchObject({
      version: first,
      subject: 'Welcome aboard, {{firstName}}',
      description: 'first try',
    });
  });

  it('sends a test that reaches the inbox and counts nowhere', async () => {
    const { userId } = await customerWithOrder('Tess');
    const before = await eventually(
      () => admin(`/admin/customers/${userId}`),
      // Delivered too: SES's delivery event must not land between the two looks.
      (found) => {
        const [kit] = (found.body?.messages as { status: string; deliveredAt?: string }[] | undefined) ?? [];
        return kit?.status === 'sent' && !!kit.deliveredAt;
      },
    );
    const to = `${uniqueId('tester')}@example.com`;
    const result = await admin('/admin/templates/win-back/test', {
      method: 'POST',
      body: JSON.stringify({ to, customerId: userId }),
    });
    expect(result.status).toBe(200);
    const [test] = await eventually(
      () => emailsTo(to),
      (found) => found.length > 0,
    );
    expect(test?.subject).toBe('[Test] We miss you, Tess');
    expect(test?.headers?.find((header) => header.name === 'X-Lifecycle-Test')?.value).toBe('true');
    const after = await admin(`/admin/customers/${userId}`);
    expect(after.body.messages).toEqual(before.body.messages);
    expect(after.body.orderCount).toBe(before.body.orderCount);
  });

  it('previews and test-sends a saved draft before it is published, and says which version it rendered', async () => {
    const name = uniqueId('draft');
    const missing = await admin(`/admin/templates/${name}/preview`, { method: 'POST', body: '{}' });
    expect(missing.status).toBe(404);
    expect(missing.body.error).toBe(
      `no template named ${name}: nothing is saved under that name and it is not a built-in template`,
    );
    const saved = await admin(`/admin/templates/${name}`, {
      method: 'PUT',
      body: JSON.stringify({ subject: 'Draft for {{firstName}}', html: '<p>First draft</p>' }),
    });
    expect(saved).toMatchObject({ status: 201, body: { version: 1, published: false } });
    const preview = await admin(`/admin/templates/${name}/preview`, { method: 'POST', body: '{}' });
    expect(preview.status).toBe(200);
    expect(preview.body).toMatchObject({ subject: 'Draft for Ada', version: 1 });
    expect(preview.body.html).toContain('First draft');

    const to = `${uniqueId('draft-test')}@example.com`;
    const test = await admin(`/admin/templates/${name}/test`, {
      method: 'POST',
      body: JSON.stringify({ to }),
    });
    expect(test).toMatchObject({ status: 200, body: { sent: true, version: 1 } });
    const [email] = await eventually(
      () => emailsTo(to),
      (found) => found.length > 0,
    );
    expect(email?.subject).toBe('[Test] Draft for Ada');

    // A second draft: the newest is previewed until one is published; then the published one is.
    await admin(`/admin/templates/${name}`, {
      method: 'PUT',
      body: JSON.stringify({ subject: 'Second {{firstName}}', html: '<p>Second draft</p>' }),
    });
    const newest = await admin(`/admin/templates/${name}/preview`, { method: 'POST', body: '{}' });
    expect(newest.body).toMatchObject({ subject: 'Second Ada', version: 2 });
    await admin(`/admin/templates/${name}/publish`, { method: 'POST', body: JSON.stringify({ version: 1 }) });
    const published = await admin(`/admin/templates/${name}/preview`, { method: 'POST', body: '{}' });
    expect(published.body).toMatchObject({ subject: 'Draft for Ada', version: 1 });
    const asked = await admin(`/admin/templates/${name}/preview`, {
      method: 'POST',
      body: JSON.stringify({ version: 2 }),
    });
    expect(asked.body).toMatchObject({ subject: 'Second Ada', version: 2 });
    const absent = await admin(`/admin/templates/${name}/preview`, {
      method: 'POST',
      body: JSON.stringify({ version: 9 }),
    });
    expect(absent).toEqual({
      status: 404,
      body: { success: false, error: `template ${name} has no version 9 (its versions are 1 to 2)` },
    });
    expect((await admin(`/admin/templates/${name}`, { method: 'DELETE' })).status).toBe(200);
  });

  it('lists every template with the campaigns that use it, and refuses to delete one in use', async () => {
    const list = await admin('/admin/templates');
    const names = (list.body.templates as { name: string; usedBy: string[] }[]).map(
      (template) => template.name,
    );
    expect(names).toEqual(expect.arrayContaining(['welcome-kit', 'win-back', 'farewell']));
    const custom = uniqueId('custom');
    await admin(`/admin/templates/${custom}`, {
      method: 'PUT',
      body: JSON.stringify({ subject: 's', html: '<p>{{firstName}}</p>' }),
    });
    await admin(`/admin/templates/${custom}/publish`, { method: 'POST', body: '{}' });
    const sendsCustom = await changeJourney('farewell', (journey) => ({
      ...journey,
      steps: [{ send: { template: custom } }],
    }));
    expect(sendsCustom.status).toBe(200);
    const blocked = await admin(`/admin/templates/${custom}`, { method: 'DELETE' });
    expect(blocked.status).toBe(409);
    await restoreJourney('farewell');
    expect((await admin(`/admin/templates/${custom}`, { method: 'DELETE' })).status).toBe(200);
  });

  it('keeps a templates folder in step with the store: pull then push is a no-op', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'templates-'));
    const run = (...args: string[]) =>
      spawnSync(
        'npm',
        [
          'run',
          '--silent',
          'templates',
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
    const before = await admin('/admin/templates/welcome-kit');
    const pulled = run('pull', 'welcome-kit', 'farewell');
    expect(pulled.status).toBe(0);
    expect(readFileSync(join(dir, 'farewell', 'subject.hbs'), 'utf8')).toBe(
      'Thank you for everything{{#if firstName}}, {{firstName}}{{/if}}\n',
    );
    const pushed = run('push', 'welcome-kit', 'farewell');
    expect(pushed.stdout).toContain('welcome-kit: unchanged');
    expect(pushed.stdout).toContain('farewell: unchanged');
    expect((await admin('/admin/templates/welcome-kit')).body.latest).toBe(before.body.latest);

    // A template saved but never published, with no folder: its newest version is previewed.
    const draft = uniqueId('cli-draft');
    await admin(`/admin/templates/${draft}`, {
      method: 'PUT',
      body: JSON.stringify({ subject: 'CLI draft', html: '<p>Unpublished</p>' }),
    });
    const previewed = run('preview', draft);
    expect(previewed.stderr).toBe('');
    expect(previewed.stdout).toContain('Rendered version 1');
    expect(readFileSync(join(dir, draft, 'preview.html'), 'utf8')).toContain('Unpublished');
    const folderPreview = run('preview', 'farewell');
    expect(folderPreview.stdout).toContain(`Rendered the folder ${join(dir, 'farewell')} (unsaved)`);
    await admin(`/admin/templates/${draft}`, { method: 'DELETE' });
  });
});

describe('journeys and stage rules through the admin API', () => {
  it('lists the journeys, and refuses a broken definition naming the field, without storing it', async () => {
    const list = await admin('/admin/journeys');
    const ids = (list.body.journeys as { id: string }[]).map((journey) => journey.id);
    expect(ids).toEqual(
      expect.arrayContaining(['welcome-kit', 'welcome-series', 'win-back', 'abandoned-checkout']),
    );
    const before = await admin('/admin/journeys/win-back');
    const refused = await changeJourney('win-back', (journey) => ({
      ...journey,
      steps: [{ wait: { days: -3 } }, ...journey.steps],
    }));
    expect(refused.status).toBe(400);
    expect(refused.body.problems).toEqual([
      { field: 'steps[0].wait.days', message: 'must be a whole number of days from 1 to 365' },
    ]);
    const missing = await changeJourney('win-back', (journey) => ({
      ...journey,
      steps: [{ send: { template: 'no-such-template' } }],
    }));
    expect(missing.body.problems).toEqual([
      { field: 'steps[0].send.template', message: 'no published template named no-such-template' },
    ]);
    expect((await admin('/admin/journeys/win-back')).body.latest).toBe(before.body.latest);
    expect((await admin('/admin/journeys/no-such-journey')).status).toBe(404);
    const rules = await admin('/admin/lifecycle', {
      method: 'PUT',
      body: JSON.stringify({ atRisk: { afterDays: -3 } }),
    });
    expect(rules).toMatchObject({
      status: 400,
      body: { problems: [{ field: 'atRisk.afterDays', message: 'must be at least 1 day' }] },
    });
    expect((await admin('/admin/lifecycle')).body).toMatchObject({
      atRisk: { afterDays: 90 },
      ended: { afterDays: 30 },
    });
  });

  it('applies a switch to the next decision: with the welcome kit off, an order starts nobody on it', async () => {
    expect((await admin('/admin/journeys/welcome-kit/disable', { method: 'POST' })).status).toBe(200);
    try {
      const { userId, email } = await customerWithOrder('Dee');
      const view = await eventually(
        () => admin(`/admin/customers/${userId}`),
        (found) => found.body?.stage === 'buildup',
      );
      expect(view.body.messages).toEqual([]);
      expect(await emailsTo(email)).toEqual([]);
    } finally {
      await restoreJourney('welcome-kit');
    }
  });
});
