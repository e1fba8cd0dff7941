/**
 * The web console in a real browser (Debian's Chromium, driven headless by playwright-core)
 * against the local stack: sign in, edit a template and watch the preview, publish, point a
 * journey at it, place an order as a website would and find the email and the customer's
 * timeline, build a journey with the flow editor, try it on a made-up customer and backtest it
 * over stored events, and an unauthenticated visit that sees nothing. Screenshots of every page are written to
 * test-results/screenshots/ for a person to look at.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { createTransport } from 'nodemailer';
import { type Browser, chromium, type Locator, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SIGNATURE_HEADER, verifySignature } from '../../shared/domain/webhooks.ts';
import {
  admin,
  emailsTo,
  eventually,
  idle,
  post,
  restoreJourney,
  type StoredEmail,
  stack,
  uniqueId,
} from '../support/stack.ts';

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

describe('the console’s two-way pages in Chromium', () => {
  const rater = uniqueId('console-rater');
  const raterEmail = `${rater}@example.com`;
  const hook = uniqueId('console-hook');
  const received: { headers: IncomingHttpHeaders; body: string }[] = [];
  const receiver = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk) => {
      body += String(chunk);
    });
    request.on('end', () => {
      received.push({ headers: request.headers, body });
      response.end('ok');
    });
  });
  let receiverUrl = '';

  beforeAll(async () => {
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks/console`;
    await page.setViewportSize({ width: 1366, height: 900 });
  });
  afterAll(async () => {
    // Deleted in the test; here too if it stopped before (nothing more is sent to the receiver).
    await admin(`/admin/webhooks/${hook}`, { method: 'DELETE' });
    await new Promise<void>((resolve) => receiver.close(() => resolve()));
  });

  /** The rating links of an email's HTML, in the order the row shows them. */
  const ratingLinksOf = (email: StoredEmail | undefined) =>
    [...(email?.body.html ?? '').matchAll(/href="([^"]*\/f\/[A-Za-z0-9_-]+)"/g)].map(
      (match) => match[1] ?? '',
    );

  it('a customer’s page shows the impression balance, a rating while it settles and once given, and a reply', async () => {
    // An order, then its refund: the service asks what went wrong, with a row of scores.
    const sent = await post('/v1/batch', {
      batch: [
        { type: 'identify', userId: rater, traits: { email: raterEmail, firstName: 'Rita' } },
        {
          type: 'track',
          userId: rater,
          event: 'Order Completed',
          properties: { order_id: `${rater}-1`, revenue: 40 },
        },
        { type: 'track', userId: rater, event: 'Order Refunded', properties: { order_id: `${rater}-1` } },
      ],
    });
    expect(sent.status).toBe(200);
    const emails = await eventually(
      () => emailsTo(raterEmail),
      (found) => found.some((email) => email.subject.startsWith('What went wrong')),
      15_000,
    );
    const request = emails.find((email) => email.subject.startsWith('What went wrong'));
    const [lowest] = ratingLinksOf(request);
    expect(lowest).toMatch(/\/f\//);

    // One click from the inbox: kept, and settles once its minute passes without a scanner's burst.
    expect((await fetch(lowest ?? '')).status).toBe(200);
    await page.goto(`${consoleUrl()}#/customers/${rater}`);
    const ratings = page.getByRole('region', { name: 'Ratings' });
    await ratings.getByText('Waiting a minute: link scanners click every link.').waitFor();
    expect(await ratings.getByRole('rowheader').first().innerText()).toBe('Feedback request #1');

    // The thank-you page's comment answers at once; the customer replies to the email too.
    const comment = await fetch(lowest ?? '', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ comment: 'The box arrived crushed.' }).toString(),
    });
    expect(comment.status).toBe(200);
    const replyTo = (request as StoredEmail & { replyTo?: string[] }).replyTo?.[0] ?? '';
    expect(replyTo).toMatch(/^reply\+/);
    await createTransport({
      host: '127.0.0.1',
      port: stack().smtpPort,
      secure: false,
      ignoreTLS: true,
    }).sendMail({
      from: raterEmail,
      to: replyTo,
      subject: `Re: ${request?.subject}`,
      text: 'It was the second time.\nPlease call me.',
    });
    // On unsubscribing, the preference page (every email links to it) asks why: too many emails.
    const preferences = request?.body.html?.match(/href="([^"]*\/u\/[A-Za-z0-9_-]+)"/)?.[1];
    expect(preferences).toMatch(/\/u\//);
    const why = await fetch(preferences ?? '', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ choice: 'reason', reason: '0' }).toString(),
    });
    expect(why.status).toBe(200);
    await idle();
    await eventually(
      async () =>
        (await admin(`/admin/customers/${rater}`)).body as {
          replies: unknown[];
          feedback: { answer: unknown }[];
        },
      (view) => view.replies.length > 0 && view.feedback[0]?.answer !== null,
      15_000,
    );
    await page.reload();
    await ratings.getByText('1 of 5', { exact: true }).waitFor();
    await ratings.locator('blockquote').getByText('The box arrived crushed.').waitFor();
    expect(await ratings.getByText(/Waiting a minute/).count()).toBe(0);
    const reason = ratings.getByRole('row', { name: /^Preference page/ });
    await reason.getByText('Why they left', { exact: true }).waitFor();
    await reason.getByText('Too many emails', { exact: true }).waitFor();

    const replies = page.getByRole('region', { name: 'Replies' });
    expect(await replies.locator('blockquote').innerText()).toBe('It was the second time.\nPlease call me.');
    await replies.getByText(/to Feedback request #1/).waitFor();

    // A refund and a low rating: bad impressions, each outweighing the order.
    const balance = page.getByRole('region', { name: 'Impression balance' });
    await balance.getByText(/^Negative: marketing email waits/).waitFor();
    await balance
      .getByText(/^1 good, [2-9] bad in the last 90 days; one bad impression weighs 10 good\.$/)
      .waitFor();
    await balance.getByText(/^Recovers at \d{4}-\d{2}-\d{2}/).waitFor();
    const recent = balance.getByRole('list');
    await recent.getByRole('listitem').filter({ hasText: '− Bad' }).first().waitFor();
    await recent.getByRole('listitem').filter({ hasText: '+ Good' }).first().waitFor();

    const journeys = page.getByRole('region', { name: 'Journeys' });
    await journeys.getByRole('link', { name: 'Feedback request' }).waitFor();
    // The timeline's feedback entries carry what the customer wrote.
    const timeline = page.locator('.timeline');
    await timeline.getByText(/^Feedback Given on feedback-request #1: CSAT 1 of 5/).waitFor();
    await timeline
      .locator('.timeline-feedback .timeline-detail')
      .getByText('The box arrived crushed.')
      .waitFor();
    await timeline
      .locator('.timeline-feedback .timeline-detail')
      .getByText(/It was the second time/)
      .waitFor();
    await shot('18-customer-feedback');
  });

  it('the dashboard says what customers tell us, and so when nobody has yet', async () => {
    await page.getByRole('link', { name: 'Dashboard' }).click();
    const section = page.getByRole('region', { name: 'What customers tell us' });
    await section.waitFor();
    const figure = (term: string) =>
      section
        .locator('.kpis > div')
        .filter({ has: page.getByRole('term').getByText(term, { exact: true }) })
        .getByRole('definition');
    // The rating above counts (its counters move as it settles): a CSAT of 1 is not satisfied.
    await eventually(
      async () => {
        await page.reload();
        return section
          .getByRole('table', { name: 'By journey' })
          .getByRole('row', { name: /Feedback request/ })
          .count();
      },
      (found) => found === 1,
      15_000,
    );
    expect(await figure('Satisfied (CSAT)').innerText()).toMatch(
      /^\d+(\.\d)?%\n\d+ of \d+ answers? gave 4 or 5 of 5$/,
    );
    expect(await figure('Response rate').innerText()).toMatch(/answers? to \d+ emails? that asked/);
    await section.getByRole('table', { name: 'By stage (when they answered)' }).waitFor();
    await section.getByRole('heading', { name: 'Why customers left' }).waitFor();
    const reasons = section.getByRole('table', { name: 'Why customers left' });
    expect(
      Number(
        await reasons
          .getByRole('row', { name: /Too many emails/ })
          .getByRole('cell')
          .first()
          .innerText(),
      ),
    ).toBeGreaterThan(0);
    await shot('19-dashboard-satisfaction');

    // A window long before this stack: the friendly words instead of empty tables.
    await page.getByLabel('From', { exact: true }).fill('2001-01-01');
    await page.getByLabel('To', { exact: true }).fill('2001-01-31');
    await page.getByRole('button', { name: 'Show' }).click();
    await section.getByText(/^No ratings yet in this window\./).waitFor();
    await section.getByText('Nobody left in this window, and nobody told us why they would.').waitFor();
    expect(await figure('Satisfied (CSAT)').innerText()).toBe('—\nno answers yet');
    expect(await section.getByRole('table').count()).toBe(0);
  });

  it('fits the model from the dashboard and follows the fit job until it is done', async () => {
    await page.getByRole('link', { name: 'Dashboard' }).click();
    const card = page.getByRole('region', { name: 'Prediction model' });
    await card.getByRole('button', { name: 'Fit now' }).click();
    // This stack's orders are all from today, after the day a fit is made as of: nothing to fit,
    // said in words once the job has read every customer.
    await card
      .getByText(
        /^(Fitted on [\d,]+ buyers\.|No customer has an order on or before \d{4}-\d{2}-\d{2}: nothing to fit\.)/,
      )
      .waitFor({ timeout: 20_000 });
    expect(await card.getByRole('button', { name: 'Fit now' }).isEnabled()).toBe(true);
    await shot('28-dashboard-fit');
  });

  it('the audit log shows the fit just started, by whom, and the signed-in role', async () => {
    await page.getByText('admin token · admin').waitFor();
    await page.getByRole('link', { name: 'Audit log' }).click();
    await page.getByRole('heading', { name: 'Audit log', level: 1 }).waitFor();
    await page.getByLabel('What').fill('/admin/model');
    await page.getByRole('button', { name: 'Show' }).click();
    const row = page.getByRole('row', { name: /POST \/admin\/model\/fit/ }).first();
    await row.waitFor();
    expect(await row.innerText()).toMatch(/admin token[\s\S]*admin[\s\S]*Done \(202\)/);
    await shot('29-audit-log');
  });

  it('signed in with a read-only token, shows only what it may read and no button to change it', async () => {
    const made = await admin('/admin/tokens', {
      method: 'POST',
      body: JSON.stringify({
        name: 'console read-only',
        scopes: ['metrics:read', 'definitions:read', 'templates:read'],
        expiresInDays: 1,
      }),
    });
    expect(made.status).toBe(201);
    const reader = await browser.newPage({ viewport: { width: 1366, height: 900 } });
    reader.setDefaultTimeout(10_000);
    try {
      await reader.goto(consoleUrl());
      await reader.getByLabel('Admin token').fill(String(made.body.token));
      await reader.getByRole('button', { name: 'Sign in' }).click();
      await reader.getByRole('heading', { name: 'Customers per stage' }).waitFor();
      const nav = reader.getByRole('navigation', { name: 'Main' });
      await nav.getByRole('link', { name: 'Journeys' }).waitFor();
      for (const hidden of ['Customers', 'Sources', 'Webhooks', 'Audit log', 'Dead letters'])
        expect(await nav.getByRole('link', { name: hidden }).count()).toBe(0);
      expect(await reader.getByRole('button', { name: 'Fit now' }).count()).toBe(0);
      await nav.getByRole('link', { name: 'Lifecycle rules' }).click();
      await reader.getByText(/can read the stage rules, not change it/).waitFor();
      expect(await reader.getByRole('button', { name: 'Save stage rules' }).count()).toBe(0);
      await reader.screenshot({ path: `${SHOTS}/30-read-only-lifecycle.png`, fullPage: true });
      await nav.getByRole('link', { name: 'Broadcasts' }).click();
      await reader.getByText(/can read broadcasts, not change it/).waitFor();
      expect(await reader.getByRole('link', { name: 'New broadcast' }).count()).toBe(0);
    } finally {
      await reader.close();
      await admin(`/admin/tokens/${made.body.id}`, { method: 'DELETE' });
    }
  });

  it('lists a dead letter with its queue, customer and reason, and redrives it', async () => {
    // A request send-message can never take (no campaign): three tries, then its dead-letter queue.
    const poison = `dead-${Date.now().toString(36)}`;
    const bus = new EventBridgeClient({
      endpoint: stack().eventBridge,
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
    await bus.send(
      new PutEventsCommand({
        Entries: [
          {
            EventBusName: 'lifecycle',
            Source: 'lifecycle.engine',
            DetailType: 'Message Requested',
            Detail: JSON.stringify({ version: 1, customerId: poison }),
          },
        ],
      }),
    );
    bus.destroy();
    await expect
      .poll(
        async () => JSON.stringify((await admin('/admin/dead-letters')).body.letters ?? []).includes(poison),
        { timeout: 10_000 },
      )
      .toBe(true);
    const nav = page.getByRole('navigation', { name: 'Main' });
    await nav.getByRole('link', { name: 'Dead letters' }).click();
    await page.getByRole('heading', { name: 'Dead letters', level: 1 }).waitFor();
    const row = page.getByRole('row', { name: new RegExp(poison) });
    await row.waitFor();
    expect(await row.innerText()).toMatch(/send-message[\s\S]*Message Requested[\s\S]*ZodError/);
    await shot('32-dead-letters');
    await row.getByRole('button', { name: /^Redrive Message Requested of dead-/ }).click();
    await page.getByText(/^Sent back: 1\./).waitFor();
  });

  it('reads the API reference: the routes by group, found by path, one route’s body, access and answers', async () => {
    const nav = page.getByRole('navigation', { name: 'Main' });
    await nav.getByRole('link', { name: 'API', exact: true }).click();
    await page.getByRole('heading', { name: 'API reference', level: 1 }).waitFor();
    await page.getByRole('heading', { name: 'Tracking API', level: 2 }).waitFor();
    await page.getByLabel('Find a route').fill('dead-letters/redrive');
    const route = page.locator('details.operation', { hasText: '/admin/dead-letters/redrive' });
    await route.locator('summary').click();
    await route.getByText('Request body (application/json)').waitFor();
    expect(await route.innerText()).toMatch(/operations:write[\s\S]*ids[\s\S]*404/);
    expect(await page.locator('section[aria-labelledby^="tag-"] details.operation').count()).toBe(1);
    await shot('31-api-reference');
  });

  it('makes a webhook: problems next to their fields, the secret once, a test delivered, rotated, deleted', async () => {
    await page.getByRole('link', { name: 'Webhooks' }).click();
    await page.getByRole('heading', { name: 'Webhooks', level: 1 }).waitFor();
    await page.getByRole('link', { name: 'New webhook' }).click();
    await page.getByRole('heading', { name: 'New webhook', level: 1 }).waitFor();
    await page.getByLabel('Id', { exact: true }).fill(hook);
    await page.getByLabel('URL', { exact: true }).fill('not a url');
    await page.getByRole('button', { name: 'Create webhook' }).click();
    // The API's words next to the URL and the events; the focus on the first.
    await page.locator('#url-error').getByText('must not contain spaces or control characters').waitFor();
    await page
      .locator('#events-error')
      .getByText(/must list at least one event type/)
      .waitFor();
    const url = page.getByLabel('URL', { exact: true });
    expect(await url.getAttribute('aria-invalid')).toBe('true');
    expect(await url.getAttribute('aria-describedby')).toContain('url-error');
    await expect.poll(() => page.evaluate('document.activeElement?.id')).toBe('url');
    await page.getByRole('alert').getByText('Not saved: 2 problems, shown next to their fields.').waitFor();
    await shot('20-webhook-problems');

    await url.fill(receiverUrl);
    await page.getByLabel('All events (also the types added later)').check();
    expect(await page.getByLabel('Stage Changed').isDisabled()).toBe(true);
    expect(await page.getByLabel('Stage Changed').isChecked()).toBe(true);
    await page.getByLabel('Description (optional)').fill('Console test receiver');
    await page.getByRole('button', { name: 'Create webhook' }).click();

    // Its page, with the secret in a box of its own, this once.
    await page.getByRole('heading', { name: hook, level: 1 }).waitFor();
    const box = page.getByRole('region', { name: 'The webhook’s signing secret' });
    await box.getByText('Copy it now: it will not be shown again.').waitFor();
    const secret = await box.getByLabel('Signing secret').inputValue();
    expect(secret).toMatch(/^whsec_/);
    await expect.poll(() => page.evaluate('document.activeElement?.id')).toBe('secret-title');
    expect(JSON.stringify((await admin(`/admin/webhooks/${hook}`)).body)).not.toContain(secret);
    await page
      .getByRole('region', { name: 'Deliveries' })
      .getByText(/^Nothing sent yet/)
      .waitFor();
    await shot('21-webhook-secret');

    // A test event: its outcome in words, and in the log.
    const before = received.length;
    await page.getByRole('button', { name: 'Send a test event' }).click();
    await page
      .getByRole('status')
      .getByText(/^Test delivered: HTTP 200 in \d+ ms\.$/)
      .waitFor();
    const log = page.getByRole('region', { name: 'Deliveries' });
    const row = log.getByRole('row', { name: /Webhook Test/ });
    await row.getByText('Delivered', { exact: true }).waitFor();
    await row.getByText(/: HTTP 200/).waitFor();
    const delivery = received.slice(before).find((candidate) => candidate.body.includes('Webhook Test'));
    const signature = String(delivery?.headers[SIGNATURE_HEADER.toLowerCase()] ?? '');
    expect(verifySignature(secret, signature, delivery?.body ?? '', Math.floor(Date.now() / 1000))).toBe(
      true,
    );
    await row.getByText('Body').click();
    await row
      .locator('pre')
      .getByText(/"type": "Webhook Test"/)
      .waitFor();
    await shot('22-webhook-delivered');

    // Shown once: opened again, the page has no secret.
    await page.reload();
    await page.getByRole('heading', { name: hook, level: 1 }).waitFor();
    expect(await page.getByLabel('Signing secret').count()).toBe(0);

    // Rotating asks first, then shows the new secret once.
    await page.getByRole('button', { name: 'Rotate secret…' }).click();
    const rotate = page.getByRole('alertdialog');
    await rotate.getByRole('heading', { name: `Rotate the signing secret of ${hook}?` }).waitFor();
    await rotate.getByLabel('Type rotate to confirm').fill('rotate');
    await rotate.getByRole('button', { name: 'Rotate secret' }).click();
    const rotated = page.getByRole('region', { name: 'The new signing secret' });
    const newSecret = await rotated.getByLabel('Signing secret').inputValue();
    expect(newSecret).toMatch(/^whsec_/);
    expect(newSecret).not.toBe(secret);
    await rotated.getByRole('button', { name: 'I have stored it' }).click();
    expect(await page.getByLabel('Signing secret').count()).toBe(0);

    // A change of settings is saved in place.
    await page.getByLabel('Enabled: send it events (a paused webhook keeps its settings and log)').uncheck();
    await page.getByRole('button', { name: 'Save changes' }).click();
    await page.getByRole('status').getByText('Saved.', { exact: true }).waitFor();
    await page.locator('.lead').getByText('Paused', { exact: true }).waitFor();
    expect((await admin(`/admin/webhooks/${hook}`)).body).toMatchObject({ enabled: false, events: ['*'] });

    // The list shows it; deleting asks for its id.
    await page.getByRole('link', { name: '← All webhooks' }).click();
    await page
      .getByRole('row', { name: new RegExp(hook) })
      .getByText('Paused')
      .waitFor();
    await shot('23-webhooks');
    await page.getByRole('link', { name: hook, exact: true }).click();
    await page.getByRole('button', { name: 'Delete webhook…' }).click();
    const remove = page.getByRole('alertdialog');
    expect(await remove.getByRole('button', { name: 'Delete for good' }).isDisabled()).toBe(true);
    await remove.getByLabel(`Type ${hook} to confirm`).fill(hook);
    await remove.getByRole('button', { name: 'Delete for good' }).click();
    await page.getByText(`Deleted the webhook ${hook}: nothing more is sent to it.`).waitFor();
    expect((await admin(`/admin/webhooks/${hook}`)).status).toBe(404);
  });

  it('the new pages label every field and fit a tablet; they read at phone width', async () => {
    const kept = uniqueId('console-kept');
    const saved = await admin(`/admin/webhooks/${kept}`, {
      method: 'PUT',
      body: JSON.stringify({ url: receiverUrl, events: ['Stage Changed'], enabled: false }),
    });
    expect(saved.status).toBe(201);
    await admin(`/admin/webhooks/${kept}/test`, { method: 'POST', body: '{}' });
    try {
      await page.setViewportSize({ width: 820, height: 1180 });
      for (const route of [
        '#/',
        '#/webhooks',
        '#/webhooks/new',
        `#/webhooks/${kept}`,
        `#/customers/${rater}`,
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
        const overflow = await page.evaluate('document.documentElement.scrollWidth - window.innerWidth');
        expect({ route, overflow }).toEqual({ route, overflow: 0 });
      }
      await shot('24-webhook-tablet');
      await page.setViewportSize({ width: 390, height: 844 });
      for (const route of ['#/webhooks/new', `#/webhooks/${kept}`, `#/customers/${rater}`]) {
        await page.goto(`${consoleUrl()}${route}`);
        await page.locator('main h1').first().waitFor();
        await page.waitForLoadState('networkidle');
        const overflow = await page.evaluate('document.documentElement.scrollWidth - window.innerWidth');
        expect({ route, overflow }).toEqual({ route, overflow: 0 });
      }
      await page.goto(`${consoleUrl()}#/webhooks/${kept}`);
      await page.getByRole('region', { name: 'Deliveries' }).getByRole('table').waitFor();
      await shot('25-webhook-phone');
      await page.goto(`${consoleUrl()}#/customers/${rater}`);
      await page.getByRole('region', { name: 'Replies' }).locator('blockquote').waitFor();
      await shot('26-customer-phone');
      await page.goto(consoleUrl());
      await page.getByRole('region', { name: 'What customers tell us' }).getByRole('table').first().waitFor();
      await shot('27-dashboard-phone');
    } finally {
      await page.setViewportSize({ width: 1366, height: 900 });
      await admin(`/admin/webhooks/${kept}`, { method: 'DELETE' });
    }
  });
});

describe('the console’s Sources page in Chromium', () => {
  const run = uniqueId('console-src');
  const segmentName = `Landing pages ${run}`;
  const shopName = `Main Street ${run}`;
  const shopSecret = 'shpss_console_test_secret';
  let segmentId = '';
  let shopId = '';
  const keys: string[] = [];

  /** One Segment call, as a site's server sends it: Basic auth with the key as the user name. */
  const track = (key: string, body: Record<string, unknown> = { userId: `${run}-visitor` }) =>
    fetch(`${stack().api}/v1/track`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        authorization: `Basic ${Buffer.from(`${key}:`).toString('base64')}`,
      },
      body: JSON.stringify({ event: 'Product Viewed', properties: { product_id: 'p1' }, ...body }),
    });
  /** A Shopify delivery, signed as Shopify signs it (base64 HMAC-SHA256 of the raw body). */
  const deliver = async (topic: string, body: string, secret = shopSecret) => {
    const { createHmac } = await import('node:crypto');
    return fetch(`${stack().api}/webhooks/shopify/${shopId}`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-shopify-topic': topic,
        'x-shopify-webhook-id': uniqueId('delivery'),
        'x-shopify-hmac-sha256': createHmac('sha256', secret).update(body).digest('base64'),
      },
      body,
    });
  };
  /** A figure of a source's page (Accepted, Rejected, ...). */
  const figure = (term: string) =>
    page
      .locator('.source-numbers > div')
      .filter({ has: page.getByRole('term').getByText(term, { exact: true }) })
      .getByRole('definition');
  const listRow = (name: string) =>
    page.locator('tr', { has: page.getByRole('link', { name, exact: true }) });
  const idFromUrl = () => decodeURIComponent(page.url().split('#/sources/')[1] ?? '');

  beforeAll(async () => {
    await page.setViewportSize({ width: 1366, height: 900 });
    await page.goto(consoleUrl());
    await page.locator('main h1').first().waitFor();
    // Signed in by the tests above; on its own (vitest -t), this signs in.
    if ((await page.getByLabel('Admin token').count()) > 0) {
      await page.getByLabel('Admin token').fill(stack().adminToken);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.getByRole('navigation', { name: 'Main' }).waitFor();
    }
  });

  it('creates a Segment source: a problem next to its field, the write key once, gone after reload', async () => {
    await page.getByRole('link', { name: 'Sources', exact: true }).click();
    await page.getByRole('heading', { name: 'Sources', level: 1 }).waitFor();
    await listRow('Website (the installed write key)').waitFor();
    await page.getByRole('link', { name: 'New source' }).click();
    await page.getByRole('heading', { name: 'New source', level: 1 }).waitFor();
    // Only a platform asks when orders count and for its secret.
    expect(await page.getByLabel('Signing secret (optional)').count()).toBe(0);
    expect(await page.getByRole('group', { name: 'An order counts' }).count()).toBe(0);
    await page.getByRole('button', { name: 'Create source' }).click();
    await page.locator('#name-error').getByText('must name the source').waitFor();
    const name = page.getByLabel('Name', { exact: true });
    expect(await name.getAttribute('aria-invalid')).toBe('true');
    expect(await name.getAttribute('aria-describedby')).toContain('name-error');
    // The focus goes to the field named (after the page has drawn the errors).
    await expect.poll(() => page.evaluate('document.activeElement?.id')).toBe('name');
    await page.getByRole('alert').getByText('Not created: a problem, shown next to its field.').waitFor();

    await name.fill(segmentName);
    await page.getByRole('button', { name: 'Create source' }).click();
    await page.getByRole('heading', { name: segmentName, level: 1 }).waitFor();
    segmentId = idFromUrl();
    expect(segmentId).toMatch(/^landing-pages-console-src-/);
    const box = page.getByRole('region', { name: 'The source’s write key' });
    await box.getByText('Copy it now: it will not be shown again.').waitFor();
    const key = await box.getByLabel('Write key', { exact: true }).inputValue();
    expect(key).toMatch(/^wk_/);
    keys.push(key);
    await expect.poll(() => page.evaluate('document.activeElement?.id')).toBe('key-title');
    // How to use it: the Segment libraries with this key and the tracking API's host.
    expect(await box.locator('pre').innerText()).toContain(`writeKey: '${key}', host: '${stack().api}'`);
    expect(JSON.stringify((await admin(`/admin/sources/${segmentId}`)).body)).not.toContain(key);
    await shot('29-source-key');

    // Events sent with it count on today's numbers; one refused names why.
    expect((await track(key)).status).toBe(200);
    expect((await track(key, {})).status).toBe(400);
    // Shown once: opened again, the page has no key.
    await page.reload();
    await page.getByRole('heading', { name: segmentName, level: 1 }).waitFor();
    expect(await page.getByLabel('Write key', { exact: true }).count()).toBe(0);
    await shows(figure('Accepted'), '1');
    await shows(figure('Rejected'), '1');
    await page
      .getByRole('region', { name: 'Today' })
      .getByText(/userId or anonymousId is required/)
      .waitFor();

    await page.getByRole('link', { name: '← All sources' }).click();
    const row = listRow(segmentName);
    await row.waitFor();
    const cells = await row.getByRole('cell').allInnerTexts();
    expect(cells.slice(0, 2)).toEqual(['Segment (a website or server)', 'Active']);
    expect(cells[2]).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC$/);
    expect(cells.slice(3, 6)).toEqual(['1', '1', '0']);
    expect(cells[6]).toMatch(/userId or anonymousId is required/);
    await shot('28-sources');
  });

  it('rotates the write key with a grace: asked first, the new key once, both keys work meanwhile', async () => {
    await page.getByRole('link', { name: segmentName, exact: true }).click();
    await page.getByRole('heading', { name: segmentName, level: 1 }).waitFor();
    const grace = page.getByLabel('Grace (hours)');
    await grace.fill('800');
    await page.getByRole('button', { name: 'Rotate write key…' }).click();
    await page
      .locator('#grace-hours-error')
      .getByText('must be a whole number of hours from 0 to 720')
      .waitFor();
    expect(await grace.getAttribute('aria-invalid')).toBe('true');
    expect(await page.getByRole('alertdialog').count()).toBe(0);

    await grace.fill('2');
    expect(await grace.getAttribute('aria-invalid')).toBeNull();
    await page.getByRole('button', { name: 'Rotate write key…' }).click();
    const dialog = page.getByRole('alertdialog');
    await dialog.getByRole('heading', { name: `Rotate the write key of ${segmentName}?` }).waitFor();
    await dialog.getByText(/the old one keeps working for 2 hours, then stops/).waitFor();
    expect(await dialog.getByRole('button', { name: 'Rotate write key' }).isDisabled()).toBe(true);
    await dialog.getByLabel('Type rotate to confirm').fill('rotate');
    await dialog.getByRole('button', { name: 'Rotate write key' }).click();

    const rotated = page.getByRole('region', { name: 'The new write key' });
    const key = await rotated.getByLabel('Write key', { exact: true }).inputValue();
    expect(key).toMatch(/^wk_/);
    expect(keys).not.toContain(key);
    keys.push(key);
    await page
      .getByRole('status')
      .getByText('Rotated: the new key is shown above, this once; the old key works for 2 hours more.')
      .waitFor();
    // The keys with their dates: the old one retires in two hours.
    const table = page.getByRole('table', { name: /^2 write keys, the oldest first/ });
    const rows = table.locator('tbody tr');
    await rows.nth(1).waitFor();
    const view = (await admin(`/admin/sources/${segmentId}`)).body as {
      credentials: { createdAt: string; retiresAt?: string; active: boolean }[];
    };
    const [old, fresh] = view.credentials;
    expect(Date.parse(old?.retiresAt ?? '') - Date.parse(fresh?.createdAt ?? '')).toBe(2 * 3_600_000);
    const utc = (iso: string | undefined) => `${(iso ?? '').slice(0, 16).replace('T', ' ')} UTC`;
    expect(await rows.nth(0).getByRole('cell').allInnerTexts()).toEqual([
      utc(old?.createdAt),
      utc(old?.retiresAt),
      'Works until it retires',
    ]);
    expect(await rows.nth(1).getByRole('cell').allInnerTexts()).toEqual([
      utc(fresh?.createdAt),
      '—',
      'Active',
    ]);
    for (const each of keys) expect((await track(each)).status).toBe(200);
    await shot('31-source-rotated');
    await rotated.getByRole('button', { name: 'I have stored it' }).click();
    expect(await page.getByLabel('Write key', { exact: true }).count()).toBe(0);
  });

  it('creates a Shopify source: the webhook URL to paste, the topics to tick, then its signing secret', async () => {
    const { SHOPIFY_TOPICS } = await import('../../shared/domain/sources/shopify.ts');
    await page.getByRole('link', { name: '← All sources' }).click();
    await page.getByRole('link', { name: 'New source' }).click();
    await page.getByLabel('Kind', { exact: true }).selectOption('shopify');
    expect(await page.getByLabel('When it is paid (recommended)').isChecked()).toBe(true);
    await page.getByLabel('Name', { exact: true }).fill(shopName);
    const secret = page.getByLabel('Signing secret (optional)');
    await secret.fill('short');
    await page.getByRole('button', { name: 'Create source' }).click();
    await page.locator('#signingSecret-error').getByText('must be the platform’s signing secret').waitFor();
    expect(await secret.getAttribute('aria-invalid')).toBe('true');
    await expect.poll(() => page.evaluate('document.activeElement?.id')).toBe('signingSecret');
    await shot('30a-source-new-problem');
    // Left empty: set on the source's page once Shopify shows it.
    await secret.fill('');
    await page.getByRole('button', { name: 'Create source' }).click();
    await page.getByRole('heading', { name: shopName, level: 1 }).waitFor();
    shopId = idFromUrl();
    expect(await page.getByLabel('Write key', { exact: true }).count()).toBe(0);

    const connect = page.getByRole('region', { name: 'Connect Shopify' });
    const url = `${stack().api}/webhooks/shopify/${shopId}`;
    expect(await connect.getByLabel('Webhook URL').inputValue()).toBe(url);
    // Orders count once paid: every topic the mapper takes but orders/create.
    const topics = await connect
      .getByRole('list', { name: 'Topics to tick' })
      .locator('code')
      .allInnerTexts();
    expect([...topics].sort()).toEqual(SHOPIFY_TOPICS.filter((topic) => topic !== 'orders/create').sort());
    await connect.getByText(/docs\/shopify\.md/).waitFor();
    await page.context().grantPermissions(['clipboard-read', 'clipboard-write'], { origin: stack().api });
    await connect.getByRole('button', { name: 'Copy the URL' }).click();
    await connect.getByRole('status').getByText('Copied to the clipboard.').waitFor();
    expect(await page.evaluate('navigator.clipboard.readText()')).toBe(url);
    await page.locator('.lead').getByText('Active, no signing secret yet: deliveries are refused').waitFor();
    await shot('30-source-platform');

    // Until the secret is set, deliveries are refused; then they are taken, and counted.
    expect((await deliver('customers/create', '{}')).status).toBe(401);
    await page.getByLabel('Signing secret', { exact: true }).fill(shopSecret);
    await page.getByRole('button', { name: 'Save signing secret' }).click();
    await page
      .getByRole('status')
      .getByText('Signing secret saved: deliveries signed with it are taken.')
      .waitFor();
    await page.getByRole('heading', { name: 'Rotate the signing secret' }).waitFor();
    await page.locator('.lead').getByText('Active', { exact: true }).waitFor();
    const customer = JSON.stringify({
      id: Date.now(),
      email: `${run}@example.com`,
      first_name: 'Ada',
      updated_at: new Date().toISOString(),
      email_marketing_consent: { state: 'subscribed' },
    });
    expect((await deliver('customers/create', customer)).status).toBe(200);
    expect((await deliver('app/uninstalled', '{}')).status).toBe(200);
    expect((await deliver('customers/update', customer, 'not-the-secret')).status).toBe(401);
    await page.reload();
    await page.getByRole('heading', { name: shopName, level: 1 }).waitFor();
    await shows(figure('Accepted'), '1');
    await shows(figure('Ignored'), '1');
    await shows(figure('Rejected'), '2');
    await page
      .getByRole('region', { name: 'Today' })
      .getByText('signature: does not match (X-Shopify-Hmac-Sha256)')
      .waitFor();
    const secrets = page.getByRole('table', { name: /^1 signing secret, the oldest first/ });
    expect(await secrets.locator('tbody tr').getByRole('cell').last().innerText()).toBe('Active');

    // A platform's rotation needs the new secret the platform shows.
    await page.getByRole('button', { name: 'Rotate signing secret…' }).click();
    await page
      .locator('#new-secret-error')
      .getByText('must be the signing secret Shopify shows you (at least 8 characters)')
      .waitFor();
    expect(await page.getByLabel('New signing secret').getAttribute('aria-invalid')).toBe('true');
    expect(await page.getByRole('alertdialog').count()).toBe(0);
  });

  it('revokes a source once its id is typed: its keys stop at once', async () => {
    await page.goto(`${consoleUrl()}#/sources/${segmentId}`);
    await page.getByRole('heading', { name: segmentName, level: 1 }).waitFor();
    await page.getByRole('button', { name: 'Revoke source…' }).click();
    const dialog = page.getByRole('alertdialog');
    await dialog.getByRole('heading', { name: `Revoke the source ${segmentName}?` }).waitFor();
    // The focus is in the dialog; Escape backs out, and nothing changes.
    await expect.poll(() => page.evaluate('document.activeElement?.id')).toBe('confirm-word');
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });
    expect((await admin(`/admin/sources/${segmentId}`)).body).toMatchObject({ status: 'active' });
    await page.getByRole('button', { name: 'Revoke source…' }).click();
    const revoke = dialog.getByRole('button', { name: 'Revoke for good' });
    expect(await revoke.isDisabled()).toBe(true);
    await dialog.getByLabel(`Type ${segmentId} to confirm`).fill('revoke');
    expect(await revoke.isDisabled()).toBe(true);
    await dialog.getByLabel(`Type ${segmentId} to confirm`).fill(segmentId);
    await revoke.click();
    await page.getByText(`Revoked the source ${segmentId}: its key is refused from now on.`).waitFor();
    const status = listRow(segmentName).getByRole('cell').nth(1);
    expect(await status.innerText()).toMatch(/^Revoked \d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC$/);
    // Both keys, the one still in its grace too.
    for (const key of keys) expect((await track(key)).status).toBe(401);
    expect((await admin(`/admin/sources/${segmentId}`)).body).toMatchObject({ status: 'revoked' });
    await page.getByRole('link', { name: segmentName, exact: true }).click();
    await page.getByRole('heading', { name: 'Revoked', level: 2 }).waitFor();
    expect(await page.getByRole('button', { name: /Rotate|Revoke/ }).count()).toBe(0);
  });

  it('the Sources pages label every field and fit a tablet; they read at phone width', async () => {
    try {
      for (const width of [820, 390]) {
        await page.setViewportSize({ width, height: width === 390 ? 844 : 1180 });
        for (const route of ['#/sources', '#/sources/new', `#/sources/${shopId}`, `#/sources/${segmentId}`]) {
          await page.goto(`${consoleUrl()}${route}`);
          await page.locator('main h1').first().waitFor();
          await page.waitForLoadState('networkidle');
          if (route === '#/sources/new')
            await page.getByLabel('Kind', { exact: true }).selectOption('shopify');
          const unlabelled = await page.evaluate(
            `[...document.querySelectorAll('input, select, textarea')]
              .filter((field) => field.labels.length === 0)
              .map((field) => field.id || field.outerHTML)`,
          );
          expect({ width, route, unlabelled }).toEqual({ width, route, unlabelled: [] });
          const overflow = await page.evaluate('document.documentElement.scrollWidth - window.innerWidth');
          expect({ width, route, overflow }).toEqual({ width, route, overflow: 0 });
        }
      }
      await page.goto(`${consoleUrl()}#/sources`);
      await listRow(shopName).waitFor();
      await shot('32-sources-phone');
      await page.goto(`${consoleUrl()}#/sources/${shopId}`);
      await page.getByRole('region', { name: 'Connect Shopify' }).waitFor();
      await shot('33-source-platform-phone');
    } finally {
      await page.setViewportSize({ width: 1366, height: 900 });
    }
  });
});
