/**
 * The web console in a real browser (Debian's Chromium, driven headless by playwright-core)
 * against the local stack: sign in, edit a template and watch the preview, publish, point a
 * journey at it, place an order as a website would and find the email and the customer's
 * timeline, build a journey with the flow editor, try it on a made-up customer and backtest it
 * over stored events, and an unauthenticated visit that sees nothing. Screenshots of every page are written to
 * test-results/screenshots/ for a person to look at.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { type Browser, chromium, type Locator, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { admin, emailsTo, eventually, post, restoreJourney, stack, uniqueId } from '../support/stack.ts';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const SHOTS = 'test-results/screenshots';
const template = uniqueId('console-kit');
const shopper = uniqueId('shopper');
const shopperEmail = `${shopper}@example.com`;
const segment = uniqueId('console-pro');
const journey = uniqueId('console-cart');

let browser: Browser;
let page: Page;

/** Waits until the element's whole text is `text` (the preview renders a moment after typing). */
const shows = (locator: Locator, text: string) =>
  locator.filter({ hasText: new RegExp(`^${text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`) }).waitFor();

const consoleUrl = () => `${stack().api}/console/`;
const shot = async (name: string) => {
  // From the top, as a person opens the page: sticky bars sit where they belong.
  await page.evaluate('window.scrollTo(0, 0)');
  await page.screenshot({ path: `${SHOTS}/${name}.png`, fullPage: true });
};

beforeAll(async () => {
  if (!existsSync(CHROMIUM))
    throw new Error(
      `Chromium is not at ${CHROMIUM}: install it (apt-get install chromium) or set CHROMIUM_PATH`,
    );
  mkdirSync(SHOTS, { recursive: true });
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    // Without these, Chromium reaches for Google's services at start, which this network refuses.
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  page = await browser.newPage({ viewport: { width: 1366, height: 900 } });
  // Fail with the locator's own message well before the test's time is up.
  page.setDefaultTimeout(10_000);
});

afterAll(async () => {
  // Put the shared stack back as the other tests expect it.
  await restoreJourney('welcome-kit');
  await admin(`/admin/journeys/${journey}`, { method: 'DELETE' });
  await admin(`/admin/templates/${template}`, { method: 'DELETE' });
  await admin(`/admin/segments/${segment}`, { method: 'DELETE' });
  await browser?.close();
});

describe('the console in Chromium', () => {
  it('shows nothing but the sign-in to a visitor without the token, and refuses a wrong one', async () => {
    await page.goto(`${consoleUrl()}#/customers/anyone`);
    await page.getByLabel('Admin token').waitFor();
    expect(await page.getByRole('navigation').count()).toBe(0);
    expect(await page.locator('main').innerText()).not.toMatch(/Customers per stage|Timeline|Journeys/);
    // The API behind it answers nothing without the token either.
    const status = await page.evaluate(async () => (await fetch('/admin/metrics')).status);
    expect(status).toBe(401);
    await page.getByLabel('Admin token').fill('not-the-token');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByText('That token was not accepted.').waitFor();
    expect(await page.getByLabel('Admin token').getAttribute('aria-invalid')).toBe('true');
    await shot('0-sign-in');
  });

  it('signs in with the admin token and opens on the lifecycle dashboard', async () => {
    await page.goto(consoleUrl());
    await page.getByLabel('Admin token').fill(stack().adminToken);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Customers per stage' }).waitFor();
    await page.getByRole('heading', { name: 'Emails per campaign' }).waitFor();
    expect(await page.getByRole('link', { name: 'Dashboard' }).getAttribute('aria-current')).toBe('page');
    expect(await page.locator('.funnel li').count()).toBe(5);
    await shot('1-dashboard');
  });

  it('edits a new template with a live preview, shows mistakes inline, saves and publishes it', async () => {
    await page.getByRole('link', { name: 'Templates' }).click();
    await page.getByLabel('New template name').fill(template);
    await page.getByRole('button', { name: 'Create' }).click();
    await page.getByRole('heading', { name: `Template ${template}` }).waitFor();

    await page.getByLabel('Subject').fill('Hello {{firstName}}, from the console');
    await page
      .getByLabel('HTML', { exact: true })
      .fill('<p>Dear {{firstName}}, thank you for your order.</p>');
    const subject = page.getByTestId('preview-subject');
    await shows(subject, 'Hello Ada, from the console');
    const frame = page.frameLocator('iframe[title="Rendered email"]');
    await frame.getByText('Dear Ada, thank you for your order.').waitFor();

    await page.getByLabel('Subject').fill('Thank you, {{firstName}}! (console)');
    await shows(subject, 'Thank you, Ada! (console)');

    // A variable no customer has, and a broken block: named inline, and saving waits.
    await page.getByLabel('HTML', { exact: true }).fill('<p>{{favouriteColour}}</p>{{#if firstName}}');
    await page
      .getByText(/unknown variable \{\{favouriteColour\}\}|syntax error/)
      .first()
      .waitFor();
    expect(await page.getByLabel('HTML', { exact: true }).getAttribute('aria-invalid')).toBe('true');
    expect(await page.getByRole('button', { name: 'Save as a new version' }).isDisabled()).toBe(true);
    await shot('2-template-problems');

    await page
      .getByLabel('HTML', { exact: true })
      .fill('<p>Dear {{firstName}}, thank you for your order.</p>');
    await page.getByRole('button', { name: 'Save as a new version' }).and(page.locator(':enabled')).waitFor();
    await page.getByRole('button', { name: 'Save as a new version' }).click();
    await page.getByText('Saved as version 1. Publish it to send it.').waitFor();
    await page.getByRole('button', { name: 'Publish version 1' }).click();
    await page.getByText(`Published version 1: campaigns using ${template} send it now.`).waitFor();
    await shot('3-template-editor');
    const stored = await admin(`/admin/templates/${template}`);
    expect(stored.body).toMatchObject({ published: 1, subject: 'Thank you, {{firstName}}! (console)' });
  });

  it('changes a journey: a bad value is refused next to its field, a good one is saved and published', async () => {
    await page.getByRole('link', { name: 'Journeys', exact: true }).click();
    await page.getByRole('heading', { name: 'Journeys', exact: true }).waitFor();
    await page
      .getByRole('row', { name: /Welcome kit/ })
      .getByText('On', { exact: true })
      .waitFor();
    await shot('4-journeys');
    await page.getByRole('link', { name: 'Welcome kit', exact: true }).click();
    await page.getByRole('heading', { name: 'Welcome kit', level: 1 }).waitFor();
    const holdout = page.getByLabel('Holdout (% of customers)');
    await holdout.fill('80');
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    await page.locator('#holdoutPercent-error').getByText('must be between 0 and 50').waitFor();
    expect(await holdout.getAttribute('aria-invalid')).toBe('true');
    expect(await holdout.getAttribute('aria-describedby')).toContain('holdoutPercent-error');

    await holdout.fill('0');
    await page.locator('#steps-0-send-template').selectOption(template);
    await page.getByRole('heading', { name: `Send ${template} with an offer code` }).waitFor();
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    const saved = page.getByText(/^Saved as version \d+\. Publish it to make it live\.$/);
    await saved.waitFor();
    const version = Number((await saved.innerText()).match(/version (\d+)/)?.[1]);
    expect(await holdout.getAttribute('aria-invalid')).toBeNull();
    await page.getByRole('button', { name: `Publish version ${version}` }).click();
    await page
      .getByText(
        `Published version ${version}: new entrants go through it; customers inside finish on the version they entered.`,
      )
      .waitFor();
    await page.getByRole('button', { name: `Publish version ${version}` }).waitFor({ state: 'detached' });
    await page.getByText(`live: version ${version}`).waitFor();
    await shot('4-journey-editor');
    const stored = await admin('/admin/journeys/welcome-kit');
    expect(stored.body).toMatchObject({
      published: version,
      enabled: true,
      definition: { holdoutPercent: 0, steps: [{ send: { template } }] },
    });
  });

  it('an order sends the new welcome kit, and the customer’s page shows the email and the timeline', async () => {
    await post('/v1/batch', {
      batch: [
        {
          type: 'identify',
          userId: shopper,
          traits: { email: shopperEmail, firstName: 'Grace', plan: 'pro' },
        },
        {
          type: 'track',
          userId: shopper,
          event: 'Order Completed',
          properties: { order_id: `${shopper}-1`, revenue: 64 },
        },
      ],
    });
    const [email] = await eventually(
      () => emailsTo(shopperEmail),
      (found) => found.length > 0,
    );
    expect(email?.subject).toBe('Thank you, Grace! (console)');

    await page.getByRole('link', { name: 'Customers' }).click();
    await page.getByLabel('Email or name starts with').fill(shopperEmail.slice(0, 12));
    await page.getByRole('button', { name: 'Search' }).click();
    await page.getByRole('link', { name: shopper, exact: true }).click();
    await page.getByRole('heading', { name: new RegExp(shopper) }).waitFor();
    const emails = page.locator('section', { has: page.getByRole('heading', { name: 'Emails' }) });
    await emails.getByRole('cell', { name: 'sent', exact: true }).waitFor();
    const timeline = page.locator('.timeline');
    await timeline.getByText('welcome-kit #1: sent').waitFor();
    await timeline.getByText('Order Completed').waitFor();
    await timeline.getByText('acquaintance → buildup').waitFor();
    await page.getByText('plan', { exact: true }).waitFor();
    await timeline.getByText('traits: email, firstName, plan').waitFor();
    await shot('5-customer');

    // Erasing asks for the id to be typed first; Escape backs out and nothing is erased.
    await page.getByRole('button', { name: 'Erase customer…' }).click();
    const dialog = page.getByRole('alertdialog');
    await dialog.waitFor();
    expect(await dialog.getByRole('button', { name: 'Erase for good' }).isDisabled()).toBe(true);
    await shot('6-erase-confirmation');
    await page.keyboard.press('Escape');
    expect(await page.getByRole('alertdialog').count()).toBe(0);
    expect((await admin(`/admin/customers/${shopper}`)).status).toBe(200);
  });

  it('builds a segment with fields, shows a mistake next to its field, the estimate, and the members', async () => {
    await page.getByRole('link', { name: 'Segments' }).click();
    await page.getByRole('heading', { name: 'Segments', exact: true }).waitFor();
    await page.getByRole('row', { name: /One-time buyers/ }).waitFor();
    await shot('8-segments');
    await page.getByRole('link', { name: 'New segment' }).click();
    await page.getByLabel('Id', { exact: true }).fill(segment);
    await page.getByLabel('Name').fill('Pro buyers');
    // The first condition of the group: the plan trait.
    await page.locator('#condition-all-0-kind').selectOption('trait');
    await page.locator('#condition-all-0-trait').fill('plan');
    await page.locator('#condition-all-0-value').fill('pro');
    // A second: bought in the last ... 400 days, which is over the limit.
    await page.getByRole('button', { name: 'Add a condition' }).click();
    await page.locator('#condition-all-1-kind').selectOption('performed');
    await page.locator('#condition-all-1-performed').fill('Order Completed');
    await page.locator('#condition-all-1-withinDays').fill('400');
    await page.getByText('must be a whole number of days from 1 to 365').waitFor();
    expect(await page.locator('#condition-all-1-withinDays').getAttribute('aria-invalid')).toBe('true');
    await shot('9-segment-problem');
    await page.locator('#condition-all-1-withinDays').fill('30');
    await page.getByText(/1 of \d+ customers match now|About \d+ of/).waitFor();
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByRole('heading', { name: 'Pro buyers' }).waitFor();
    const members = page.locator('section', { has: page.getByRole('heading', { name: 'Members' }) });
    await eventually(
      async () => {
        await page.reload();
        return members.getByRole('link', { name: shopper }).count();
      },
      (found) => found === 1,
      15_000,
    );
    await members.getByRole('link', { name: shopper }).waitFor();
    await shot('10-segment-editor');
    // The JSON view shows the same condition the fields built.
    await page.getByRole('button', { name: 'Show as JSON' }).click();
    const json = JSON.parse(await page.getByLabel('Condition (JSON)').inputValue()) as unknown;
    expect(json).toEqual({
      all: [
        { trait: 'plan', op: 'equals', value: 'pro' },
        { performed: 'Order Completed', withinDays: 30 },
      ],
    });
    expect((await admin(`/admin/segments/${segment}`)).body).toMatchObject({ name: 'Pro buyers', count: 1 });
  });

  it('shows the live numbers on each step of a journey', async () => {
    // The order above went through the welcome kit version published in the console.
    await page.goto(`${consoleUrl()}#/journeys/welcome-kit`);
    const numbers = page.locator('#steps-0-numbers');
    await eventually(
      async () => {
        await page.reload();
        await page.getByRole('heading', { name: 'Welcome kit', level: 1 }).waitFor();
        return numbers.innerText();
      },
      (text) => /\b\d+ sent\b/.test(text),
      15_000,
    );
    expect(await numbers.innerText()).toMatch(/\d+ passed · \d+ sent|\d+ sent/);
    expect(await page.locator('.journey-totals').innerText()).toMatch(/Emails sent\s+[1-9]/);
    await shot('11-journey-numbers');
  });

  it('builds an abandoned-checkout journey with the flow editor, without JSON, and tests it', async () => {
    await page.getByRole('link', { name: 'Journeys', exact: true }).click();
    await page.getByLabel('New journey id').fill(journey);
    await page.getByRole('button', { name: 'New journey' }).click();
    await page.getByLabel('Starts when', { exact: true }).waitFor();
    await page.getByLabel('Name', { exact: true }).fill('Console abandoned checkout');
    await page.getByLabel('Event', { exact: true }).fill('Checkout Started');

    // Before the blank journey's send: wait up to an hour for the order.
    await page.getByRole('button', { name: 'Add a step at the start of the journey' }).click();
    await page.getByRole('button', { name: 'Wait for an event' }).click();
    await page.locator('#steps-0-waitFor-event').fill('Order Completed');
    await page.locator('#steps-0-waitFor-timeout-unit').selectOption('hours');
    await page.locator('#steps-0-waitFor-timeout-hours').fill('1');
    await page.getByRole('heading', { name: 'Wait up to 1 hour for Order Completed' }).waitFor();
    // If it does not come: the reminder, in the right-hand column.
    const timedOut = page.getByRole('region', { name: 'If not within 1 hour' });
    await timedOut.getByRole('button', { name: /^Add a step at the start of/ }).click();
    await timedOut.getByRole('button', { name: 'Send an email' }).click();
    await page.locator('#steps-0-waitFor-timedOut-0-send-template').selectOption('abandoned-checkout');
    await timedOut.getByRole('heading', { name: 'Send abandoned-checkout' }).waitFor();
    // The blank's own send, now after the wait, goes.
    await page.getByRole('button', { name: 'Remove: Send (no template chosen)' }).click();

    await page.getByRole('button', { name: 'Save', exact: true }).click();
    await page.getByText('Saved as version 1. Publish it to make it live.').waitFor();
    await page.getByRole('button', { name: 'Publish version 1' }).waitFor();
    await shot('12-journey-flow');
    expect((await admin(`/admin/journeys/${journey}`)).body).toMatchObject({
      published: null,
      latest: 1,
      definition: {
        name: 'Console abandoned checkout',
        entry: { event: 'Checkout Started' },
        steps: [
          {
            waitFor: {
              event: 'Order Completed',
              timeout: { hours: 1 },
              timedOut: [{ send: { template: 'abandoned-checkout' } }],
            },
          },
        ],
      },
    });

    // The test panel: JSON that does not parse is named; a checkout with no order gets the reminder.
    const events = page.getByLabel('Events (JSON)');
    await events.fill('[{"event": "Checkout Started",');
    await page.getByRole('button', { name: 'Run test' }).click();
    await page
      .locator('#test-events-error')
      .getByText(/^Not JSON/)
      .waitFor();
    expect(await events.getAttribute('aria-invalid')).toBe('true');
    await events.fill(
      JSON.stringify([{ event: 'Checkout Started', properties: { checkout_id: 'c-1', value: 42 } }]),
    );
    await page.getByRole('button', { name: 'Run test' }).click();
    const timeline = page.locator('table.test-timeline');
    await timeline.getByRole('cell', { name: 'Email abandoned-checkout' }).waitFor();
    await timeline.getByRole('cell', { name: 'Event Checkout Started' }).waitFor();
    await timeline.getByRole('cell', { name: 'Entered the journey' }).waitFor();
    expect(await events.getAttribute('aria-invalid')).toBeNull();
    await shot('13-journey-test');
  });

  it('backtests the saved journey over the stored history: in words, by step and on the steps', async () => {
    // Three shoppers started a checkout three days ago (with an event of this run alone): one ordered
    // within the hour, one two hours later (after the reminder: a conversion), one never did.
    const startEvent = `Checkout Started ${uniqueId('backtest')}`;
    const started = Date.now() - 3 * 86_400_000;
    const at = (minutes: number) => new Date(started + minutes * 60_000).toISOString();
    const [prompt, late, never] = ['prompt', 'late', 'never'].map((name) => uniqueId(`backtest-${name}`));
    const order = (userId: string | undefined, minutes: number) => ({
      type: 'track',
      userId,
      event: 'Order Completed',
      timestamp: at(minutes),
      properties: { order_id: `${userId}-1`, revenue: 30 },
    });
    const sent = await post('/v1/batch', {
      batch: [
        ...[prompt, late, never].flatMap((userId) => [
          { type: 'identify', userId, traits: { email: `${userId}@example.com` }, timestamp: at(0) },
          { type: 'track', userId, event: startEvent, timestamp: at(0) },
        ]),
        order(prompt, 20),
        order(late, 120),
      ],
    });
    expect(sent.status).toBe(200);
    await fetch(`${stack().api}/_local/idle`);

    await page.goto(`${consoleUrl()}#/journeys/${journey}`);
    await page.getByRole('heading', { name: 'Console abandoned checkout', level: 1 }).waitFor();
    const panel = page.getByRole('region', { name: 'Backtest', exact: true });
    const run = panel.getByRole('button', { name: 'Run backtest' });
    // The changed draft is not what was saved: the backtest asks for a save first.
    await page.getByLabel('Event', { exact: true }).fill(startEvent);
    await page.getByLabel('Count an event after an email as its conversion').check();
    await run.click();
    await panel
      .getByRole('alert')
      .getByText(/unsaved changes: save it first/)
      .waitFor();
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    await page.getByText('Saved as version 2. Publish it to make it live.').waitFor();
    await panel.getByText('Runs version 2, as saved.').waitFor();

    // A window that ends before it starts: the API's word, next to To.
    const day = (ago: number) => new Date(Date.now() - ago * 86_400_000).toISOString().slice(0, 10);
    const from = panel.getByLabel('From', { exact: true });
    const to = panel.getByLabel('To', { exact: true });
    expect([await from.inputValue(), await to.inputValue()]).toEqual([day(29), day(0)]);
    await from.fill(day(1));
    await to.fill(day(5));
    await run.click();
    await page.locator('#backtest-to-error').getByText('must not be before from').waitFor();
    expect(await to.getAttribute('aria-invalid')).toBe('true');
    expect(await to.getAttribute('aria-describedby')).toBe('backtest-to-error');
    expect(await from.getAttribute('aria-invalid')).toBeNull();
    await shot('13b-journey-backtest-problem');

    await from.fill(day(10));
    await to.fill(day(0));
    await run.click();
    await panel
      .getByRole('status')
      .getByText(/^Backtest done: evaluated \d+ customers\.$/)
      .waitFor({ timeout: 30_000 });
    expect(await to.getAttribute('aria-invalid')).toBeNull();
    expect(await panel.getByRole('heading', { level: 3 }).innerText()).toBe(
      `Version 2, ${day(10)} to ${day(0)}`,
    );
    expect(await panel.locator('.backtest-results li').allInnerTexts()).toEqual([
      '3 customers would have entered the journey.',
      '2 emails would have gone out.',
      '1 conversion after an email.',
      'Nobody would have left early by the exit rule.',
    ]);
    const reminder = panel.getByRole('row', { name: /Send abandoned-checkout/ });
    expect(await reminder.getByRole('rowheader').innerText()).toMatch(
      /step 1 › If not within 1 hour › step 1/,
    );
    expect(await reminder.getByRole('cell').innerText()).toBe('2');
    // The reminder's card says it too.
    expect(await page.locator('#steps-0-waitFor-timedOut-0-backtest').innerText()).toBe('backtest: 2 emails');
    await shot('13c-journey-backtest');
  }, 60_000);

  it('composes a broadcast with its reach in words, refuses a bad holdout next to it, sends it once', async () => {
    // Three customers of this run: two seen today, one last seen 200 days ago (the drop-in guard's).
    const run = uniqueId('console-bc');
    const longAgo = new Date(Date.now() - 200 * 86_400_000).toISOString();
    const [visitor, reader, dormant] = ['visitor', 'reader', 'dormant'].map((name) => `${run}-${name}`);
    const sent = await post('/v1/batch', {
      batch: [
        ...[visitor, reader].flatMap((userId) => [
          { type: 'identify', userId, traits: { email: `${userId}@example.com`, firstName: 'Ada', run } },
          { type: 'page', userId, name: 'Home' },
        ]),
        {
          type: 'identify',
          userId: dormant,
          traits: { email: `${dormant}@example.com`, run },
          timestamp: longAgo,
        },
        { type: 'page', userId: dormant, name: 'Home', timestamp: longAgo },
      ],
    });
    expect(sent.status).toBe(200);
    await fetch(`${stack().api}/_local/idle`);
    const audience = `${run}-segment`;
    const saved = await admin(`/admin/segments/${audience}`, {
      method: 'PUT',
      body: JSON.stringify({ name: `Run ${run}`, condition: { trait: 'run', op: 'equals', value: run } }),
    });
    expect(saved.status, JSON.stringify(saved.body)).toBeLessThan(300);
    const built = await eventually(
      () => admin(`/admin/segments/${audience}`),
      (found) => found.body.status === 'ready' && found.body.count === 3,
      15_000,
    );
    expect(built.body).toMatchObject({ status: 'ready', count: 3 });

    await page.getByRole('link', { name: 'Broadcasts', exact: true }).click();
    await page.getByRole('heading', { name: 'Broadcasts', exact: true }).waitFor();
    await page.getByRole('link', { name: 'New broadcast' }).click();
    await page.getByRole('heading', { name: 'New broadcast' }).waitFor();
    const name = `Spring collection ${run}`;
    await page.getByLabel('Name', { exact: true }).fill(name);
    await page.getByLabel('Segment', { exact: true }).selectOption(audience);
    expect(await page.getByLabel('Segment', { exact: true }).locator('option:checked').innerText()).toBe(
      `Run ${run} (3 customers)`,
    );
    await page.getByLabel('Template', { exact: true }).selectOption('win-back');
    await page.frameLocator('iframe[title="Rendered email"]').locator('body').waitFor();
    const reach = page.locator('.reach');
    await reach.getByText('2 will receive it', { exact: true }).waitFor();
    await reach.getByText('1 left out by the drop-in guard', { exact: true }).waitFor();
    expect(await page.getByLabel('Leave them out').isChecked()).toBe(true);

    // A holdout over 50: named next to the field, and nothing is sent.
    const holdout = page.getByLabel('Holdout (% of customers)');
    await holdout.fill('60');
    await page.getByRole('button', { name: 'Send now…' }).click();
    await page.locator('#holdoutPercent-error').getByText('must be between 0 and 50').waitFor();
    expect(await holdout.getAttribute('aria-invalid')).toBe('true');
    expect(await holdout.getAttribute('aria-describedby')).toContain('holdoutPercent-error');
    expect(await page.getByRole('alertdialog').count()).toBe(0);
    await holdout.fill('0');
    await reach.getByText('2 will receive it', { exact: true }).waitFor();
    expect(await holdout.getAttribute('aria-invalid')).toBeNull();
    await shot('16-broadcast-compose');

    // Sending asks first, with the count.
    await page.getByRole('button', { name: 'Send now…' }).click();
    const dialog = page.getByRole('alertdialog');
    await dialog.getByRole('heading', { name: 'Send to 2 customers now?' }).waitFor();
    await dialog.getByLabel('Type send to confirm').fill('send');
    await dialog.getByRole('button', { name: 'Send now' }).click();
    await page.getByRole('heading', { name, level: 1 }).waitFor();
    const id = decodeURIComponent(page.url().split('#/broadcasts/')[1] ?? '');
    expect(id).toMatch(/^broadcast-spring-collection-console-bc-[a-z0-9-]+-[a-z0-9]{6}$/);
    await page
      .getByTestId('broadcast-status')
      .getByText('Sent', { exact: true })
      .waitFor({ timeout: 20_000 });
    const figure = (term: string) =>
      page
        .locator('.broadcast-numbers > div')
        .filter({ has: page.getByRole('term').getByText(term, { exact: true }) })
        .getByRole('definition');
    await shows(figure('Sent'), '2');
    await shows(figure('Waiting'), '0');
    await page.getByText('1 left out by the drop-in guard', { exact: true }).waitFor();
    await shot('17-broadcast-sent');
    expect((await admin(`/admin/broadcasts/${id}`)).body).toMatchObject({
      name,
      status: 'sent',
      holdoutPercent: 0,
      numbers: { recipients: 3, sent: 2, skipped: { dropInGuard: 1 } },
    });
    // The list shows it, linked to its page.
    await page.getByRole('link', { name: 'Broadcasts', exact: true }).click();
    await page
      .getByRole('row', { name: new RegExp(name) })
      .getByText('Sent', { exact: true })
      .waitFor();
    await admin(`/admin/segments/${audience}`, { method: 'DELETE' });
  }, 60_000);

  it('refuses a bad lifecycle rule next to its field', async () => {
    await page.getByRole('link', { name: 'Lifecycle rules' }).click();
    await page.getByRole('heading', { name: 'Lifecycle rules', exact: true }).waitFor();
    const afterDays = page.getByLabel('At risk after (quiet days)');
    await afterDays.fill('0');
    await page.getByRole('button', { name: 'Save stage rules' }).click();
    await page.locator('#atRisk-afterDays-error').getByText('must be at least 1 day').waitFor();
    expect(await afterDays.getAttribute('aria-invalid')).toBe('true');
    await shot('14-lifecycle');
  });

  it('is usable by keyboard and at tablet width, with every field labelled', async () => {
    await page.setViewportSize({ width: 820, height: 1180 });
    await page.goto(consoleUrl());
    // A fresh load of a signed-in tab goes straight to the dashboard.
    await page.getByRole('heading', { name: 'Customers per stage' }).waitFor();
    await page.keyboard.press('Tab');
    expect(await page.evaluate('document.activeElement.textContent')).toBe('Skip to content');
    for (const route of [
      '#/',
      '#/journeys',
      '#/journeys/welcome-kit',
      `#/journeys/${journey}`,
      '#/lifecycle',
      `#/templates/${template}`,
      '#/segments',
      '#/segments/new',
      `#/segments/${segment}`,
      '#/customers',
    ]) {
      await page.goto(`${consoleUrl()}${route}`);
      await page.locator('main h1').first().waitFor();
      await page.waitForLoadState('networkidle');
      const unlabelled = await page.evaluate(
        `[...document.querySelectorAll('input, select, textarea')]
          .filter((field) => field.labels.length === 0)
          .map((field) => field.id || field.outerHTML)`,
      );
      expect({ route, unlabelled }).toEqual({ route, unlabelled: [] });
      // Nothing wider than the screen but the tables, which scroll in their own box.
      const overflow = await page.evaluate('document.documentElement.scrollWidth - window.innerWidth');
      expect({ route, overflow }).toEqual({ route, overflow: 0 });
    }
    await page.goto(`${consoleUrl()}#/journeys/${journey}`);
    await page.getByRole('region', { name: 'If not within 1 hour' }).waitFor();
    await shot('15-journey-tablet');
    await page.goto(consoleUrl());
    await page.getByRole('heading', { name: 'Customers per stage' }).waitFor();
    await shot('7-dashboard-tablet');
  });
});
