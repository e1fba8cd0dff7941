/**
 * Journeys as data: the format's checks, the interpreter step by step (through `decide`, on a
 * made-up customer), the shipped journeys and examples, versions and switches, and the rule that
 * no engine or handler code names a journey.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { journeyMovesAdded, profileContributions } from '../../shared/domain/counters.ts';
import { DEFAULT_JOURNEYS } from '../../shared/domain/defaults/journeys.ts';
import { DEFAULT_TEMPLATES } from '../../shared/domain/defaults/templates.ts';
import {
  BUILT_IN_JOURNEYS,
  compileJourneys,
  KEPT_VERSIONS,
  withPublished,
} from '../../shared/domain/journey-set.ts';
import {
  parseSimulation,
  type SimulationRequest,
  settingsWith,
  simulate,
  type TimelineEntry,
} from '../../shared/domain/journey-simulation.ts';
import { type JourneyDefinition, parseJourney } from '../../shared/domain/journeys.ts';
import { decide } from '../../shared/domain/lifecycle.ts';
import type { Profile } from '../../shared/domain/profile.ts';
import { renderEmail, templateData } from '../../shared/domain/render.ts';
import { defaultSettings, segmentsOf } from '../../shared/domain/settings.ts';
import { SEGMENT_TRAITS } from '../../shared/domain/templates.ts';
import { event as customerEvent, order } from '../support/events.ts';

const settings = defaultSettings();
const builtIn = (id: string) => BUILT_IN_JOURNEYS.find((journey) => journey.id === id) as JourneyDefinition;

function definition(body: Record<string, unknown>, id = 'custom', version = 1): JourneyDefinition {
  const parsed = parseJourney(body);
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems));
  return { ...parsed.value, id, version, updatedAt: '2026-01-01T00:00:00.000Z' };
}

function run(journey: JourneyDefinition, request: SimulationRequest) {
  const parsed = parseSimulation(request);
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems));
  return simulate(
    journey,
    parsed.events,
    {
      ...(request.traits ? { traits: request.traits } : {}),
      ...(request.until ? { until: request.until } : {}),
    },
    settingsWith(journey, segmentsOf({}), settings),
  );
}

const emails = (timeline: TimelineEntry[]) =>
  timeline.flatMap((entry) =>
    entry.kind === 'email' ? [`${entry.template}:${entry.status}@${entry.at}`] : [],
  );

const body = (steps: unknown[], extra: Record<string, unknown> = {}) => ({
  name: 'Custom',
  enabled: true,
  category: 'marketing',
  entry: { event: 'Checkout Started' },
  steps,
  ...extra,
});

describe('the journey format', () => {
  it('names the field of each problem, and stores nothing that is wrong', () => {
    const result = parseJourney(
      body([
        { wait: { days: 400 } },
        { waitFor: { event: 'Order Completed' } },
        { send: { template: 'Bad Name' } },
        { wait: { hours: 1, days: 1 } },
        { branch: { if: { measure: 'orderCount', op: 'gte', value: 'x' }, then: [{ jump: {} }] } },
      ]),
    );
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.problems).toEqual([
      { field: 'steps[0].wait.days', message: 'must be a whole number of days from 1 to 365' },
      {
        field: 'steps[1].waitFor.timeout',
        message: 'is required: a waitFor waits at most this long (minutes, hours or days)',
      },
      { field: 'steps[2].send.template', message: 'must be a template name (a-z, 0-9, -)' },
      { field: 'steps[3].wait', message: 'needs exactly one of minutes, hours or days (or untilLocalTime)' },
      expect.objectContaining({ field: 'steps[4].branch.then[0]' }),
      expect.objectContaining({ field: 'steps[4].branch.if.value' }),
    ]);
  });

  it('refuses an entry with two kinds, and a journey without steps', () => {
    const result = parseJourney({ ...body([]), entry: { event: 'A', stageEntered: 'buildup' } });
    expect(result.ok).toBe(false);
    if (!result.ok)
      expect(result.problems).toEqual([
        { field: 'entry', message: 'must have exactly one of event, segmentEntered, stageEntered, date' },
        { field: 'steps', message: 'needs at least one step' },
      ]);
  });

  it('ships every default and example as a valid definition, each email with a template', () => {
    expect(Object.keys(DEFAULT_JOURNEYS).sort()).toEqual([
      'abandoned-checkout',
      'birthday',
      'browse-abandonment',
      'farewell',
      'feedback-request',
      'loyalty-reward',
      'promise-kept',
      're-engagement',
      'review-request',
      'second-purchase-nudge',
      'service-follow-up',
      'welcome-kit',
      'welcome-series',
      'win-back',
    ]);
    const on = BUILT_IN_JOURNEYS.filter((journey) => journey.enabled).map((journey) => journey.id);
    expect(on.sort()).toEqual([
      'farewell',
      'feedback-request',
      'loyalty-reward',
      're-engagement',
      'second-purchase-nudge',
      'service-follow-up',
      'welcome-kit',
      'welcome-series',
      'win-back',
    ]);
    for (const journey of BUILT_IN_JOURNEYS) {
      const json = JSON.stringify(journey.steps);
      for (const [, template] of json.matchAll(/"template":"([^"]+)"/g))
        expect({
          journey: journey.id,
          template,
          known: !!DEFAULT_TEMPLATES[template as string],
        }).toMatchObject({ known: true });
    }
  });
});

describe('no engine or handler code names a journey', () => {
  it('leaves every journey id to the definitions (shared/domain/defaults)', () => {
    const files: string[] = [];
    const walk = (dir: string) => {
      for (const name of readdirSync(dir)) {
        const path = join(dir, name);
        if (statSync(path).isDirectory()) {
          if (path !== join('shared', 'domain', 'defaults')) walk(path);
        } else if (/\.tsx?$/.test(name)) files.push(path);
      }
    };
    walk('shared');
    walk('functions');
    const offenders = files.flatMap((file) => {
      const source = readFileSync(file, 'utf8');
      // (A journey named like a Segment trait, `birthday`, may still be named as the trait.)
      return Object.keys(DEFAULT_JOURNEYS)
        .filter((id) => !(SEGMENT_TRAITS as readonly string[]).includes(id))
        .filter((id) => source.includes(`'${id}'`) || source.includes(`"${id}"`))
        .map((id) => `${file}: ${id}`);
    });
    expect(files.length).toBeGreaterThan(50);
    expect(offenders).toEqual([]);
  });
});

describe('the welcome series (acquaintance)', () => {
  const series = builtIn('welcome-series');

  it('an identify alone starts nothing', () => {
    const result = run(series, { events: [{ type: 'identify', traits: { firstName: 'Ada' } }] });
    expect(emails(result.timeline)).toEqual([]);
  });

  it('a sign-up gets three emails over a week: no discount first, the offer only in the third', () => {
    const result = run(series, {
      events: [{ event: 'Signed Up', timestamp: '2026-01-05T09:00:00.000Z' }],
      traits: { timezone: 'Europe/Berlin' },
    });
    expect(emails(result.timeline)).toEqual([
      'welcome-series-1:queued@2026-01-05T09:00:00.000Z',
      // Two days, then 10:00 in Berlin (09:00 UTC): it is 10:00 there already.
      'welcome-series-2:queued@2026-01-07T09:00:00.000Z',
      'welcome-series-3:queued@2026-01-11T09:00:00.000Z',
    ]);
    const offers = result.timeline.filter((entry) => entry.kind === 'email' && entry.offerCode);
    expect(offers).toHaveLength(1);
    expect(offers[0]).toMatchObject({ template: 'welcome-series-3' });
  });

  it('an order in the middle takes them out: the welcome kit answers orders', () => {
    const result = run(series, {
      events: [
        { event: 'Newsletter Subscribed', timestamp: '2026-01-05T09:00:00.000Z' },
        { event: 'Order Completed', properties: { order_id: 'o1', revenue: 30 }, after: { days: 1 } },
      ],
    });
    expect(emails(result.timeline).map((email) => email.split('@')[0])).toEqual(['welcome-series-1:queued']);
    expect(result.timeline).toContainEqual(expect.objectContaining({ kind: 'left', because: 'exitWhen' }));
  });
});

describe('the examples', () => {
  it('abandoned checkout: a reminder with the cart after 4 hours, none when the order comes first', () => {
    const journey = { ...builtIn('abandoned-checkout'), holdoutPercent: 0 };
    const cart = {
      checkout_url: 'https://shop.example/cart/1',
      products: [
        { product_id: 'p1', name: 'Linen shirt', quantity: 1 },
        { product_id: 'p2', name: 'Canvas tote', quantity: 2 },
      ],
    };
    const abandoned = run(journey, {
      events: [{ event: 'Checkout Started', properties: cart, timestamp: '2026-01-05T09:00:00.000Z' }],
    });
    expect(emails(abandoned.timeline)).toEqual(['abandoned-checkout:queued@2026-01-05T13:00:00.000Z']);
    const bought = run(journey, {
      events: [
        { event: 'Checkout Started', properties: cart, timestamp: '2026-01-05T09:00:00.000Z' },
        { event: 'Order Completed', properties: { order_id: 'o1' }, after: { hours: 1 } },
      ],
    });
    expect(emails(bought.timeline)).toEqual([]);
  });

  it('its email shows the cart’s items, and a hostile or missing property renders safely', () => {
    const profile = {
      ...decide(undefined, 'c1', { kind: 'event', event: order('o1', '2026-01-01T00:00:00.000Z') }, settings)
        .profile,
    };
    const template = DEFAULT_TEMPLATES['abandoned-checkout'];
    if (!template) throw new Error('no template');
    const sender = { brandName: 'Shop', postalAddress: '1 Main St' };
    const withCart = renderEmail(
      template,
      templateData(profile, {
        event: {
          name: 'Checkout Started',
          properties: {
            checkout_url: 'javascript:alert(1)',
            products: [{ name: '<script>alert(1)</script>', quantity: 2 }, { product_id: 'p2' }],
          },
        },
      }),
      sender,
    );
    expect(withCart.html).toContain('&lt;script&gt;alert(1)&lt;/script&gt; × 2');
    expect(withCart.html).toContain('<li>p2</li>');
    expect(withCart.html).not.toContain('javascript:');
    expect(withCart.html).not.toContain('<script>');
    const without = renderEmail(
      template,
      templateData(profile, { event: { name: 'Checkout Started' } }),
      sender,
    );
    expect(without.html).toContain('You started a checkout');
    expect(without.html).not.toContain('<ul>');
  });

  it('promise kept: no shipment within 3 days brings an apology and pauses marketing', () => {
    const journey = { ...builtIn('promise-kept'), enabled: true };
    const late = run(journey, {
      events: [
        { event: 'Order Completed', properties: { order_id: 'o1' }, timestamp: '2026-01-05T09:00:00.000Z' },
      ],
    });
    expect(emails(late.timeline)).toEqual(['apology:queued@2026-01-08T09:00:00.000Z']);
    const shipped = run(journey, {
      events: [
        { event: 'Order Completed', properties: { order_id: 'o1' }, timestamp: '2026-01-05T09:00:00.000Z' },
        { event: 'Order Shipped', properties: { order_id: 'o1' }, after: { days: 2 } },
      ],
    });
    expect(emails(shipped.timeline)).toEqual([]);
    // The pause holds marketing: the second-purchase nudge of the same customer would wait.
    const profile = decide(
      undefined,
      'c1',
      { kind: 'event', event: order('o1', '2026-01-05T09:00:00.000Z') },
      {
        ...settings,
        journeys: compileJourneys({
          'promise-kept': { id: 'promise-kept', versions: {}, published: 0, enabled: true, updatedAt: '' },
        }),
      },
    ).profile;
    const paused = decide(
      profile,
      'c1',
      { kind: 'timers', messageId: 't', now: '2026-01-08T09:00:00.000Z' },
      {
        ...settings,
        journeys: compileJourneys({
          'promise-kept': { id: 'promise-kept', versions: {}, published: 0, enabled: true, updatedAt: '' },
        }),
      },
    ).profile;
    expect(paused.marketingPausedUntil).toBe('2026-01-22T09:00:00.000Z');
  });

  it('birthday: enters on the day (yearly), waits for 09:00 local, sends with a present', () => {
    const journey = { ...builtIn('birthday'), enabled: true };
    const result = run(journey, {
      traits: { birthday: '1990-03-15', timezone: 'America/New_York' },
      events: [{ type: 'page', timestamp: '2026-01-05T09:00:00.000Z' }],
      until: '2027-04-01T00:00:00.000Z',
    });
    expect(emails(result.timeline)).toEqual([
      'birthday:queued@2026-03-15T13:00:00.000Z',
      'birthday:queued@2027-03-15T13:00:00.000Z',
    ]);
  });
});

describe('the interpreter', () => {
  it('branches on a condition, splits stably, sets traits and exits', () => {
    const journey = definition(
      body([
        {
          branch: {
            if: { trait: 'plan', op: 'equals', value: 'pro' },
            then: [
              { setTrait: { name: 'tier', value: 'gold' } },
              { send: { template: 'welcome-kit' } },
              { exit: {} },
            ],
            else: [{ send: { template: 'win-back' } }],
          },
        },
        { send: { template: 'farewell' } },
      ]),
    );
    const pro = run(journey, { traits: { plan: 'pro' }, events: [{ event: 'Checkout Started' }] });
    expect(emails(pro.timeline).map((email) => email.split('@')[0])).toEqual(['welcome-kit:queued']);
    expect(pro.profile.traits.tier).toBe('gold');
    expect(pro.timeline).toContainEqual(expect.objectContaining({ kind: 'left', because: 'exit' }));
    // caps: two marketing emails at once, the second waits for the next day
    const free = run(journey, { traits: { plan: 'free' }, events: [{ event: 'Checkout Started' }] });
    expect(emails(free.timeline).map((email) => email.split(':')[0])).toEqual(['win-back', 'farewell']);
    const split = definition(
      body([
        {
          split: {
            percent: 50,
            then: [{ send: { template: 'welcome-kit' } }],
            else: [{ send: { template: 'win-back' } }],
          },
        },
      ]),
    );
    const first = emails(run(split, { events: [{ event: 'Checkout Started' }] }).timeline);
    expect(emails(run(split, { events: [{ event: 'Checkout Started' }] }).timeline)).toEqual(first);
  });

  it('waits for an event: the awaited event takes the "then" way at its own time', () => {
    const journey = definition(
      body([
        {
          waitFor: {
            event: 'Order Completed',
            where: [{ property: 'revenue', op: 'gte', value: 50 }],
            timeout: { days: 2 },
            then: [{ send: { template: 'welcome-kit' } }],
            timedOut: [{ send: { template: 'abandoned-checkout' } }],
          },
        },
      ]),
    );
    const small = run(journey, {
      events: [
        { event: 'Checkout Started', timestamp: '2026-01-05T09:00:00.000Z' },
        { event: 'Order Completed', properties: { order_id: 'o', revenue: 10 }, after: { hours: 1 } },
      ],
    });
    expect(emails(small.timeline)).toEqual(['abandoned-checkout:queued@2026-01-07T09:00:00.000Z']);
    const big = run(journey, {
      events: [
        { event: 'Checkout Started', timestamp: '2026-01-05T09:00:00.000Z' },
        { event: 'Order Completed', properties: { order_id: 'o', revenue: 80 }, after: { hours: 1 } },
      ],
    });
    expect(emails(big.timeline)).toEqual(['welcome-kit:queued@2026-01-05T10:00:00.000Z']);
  });

  it('re-entry: never, always, or after some days', () => {
    const twice = {
      events: [
        { event: 'Checkout Started', timestamp: '2026-01-05T09:00:00.000Z' },
        { event: 'Checkout Started', after: { days: 3 } },
        { event: 'Checkout Started', after: { days: 10 } },
      ],
    };
    const count = (reentry: unknown) =>
      emails(run(definition(body([{ send: { template: 'welcome-kit' } }], { reentry })), twice).timeline)
        .length;
    expect(count('never')).toBe(1);
    expect(count('always')).toBe(3);
    expect(count({ afterDays: 7 })).toBe(2);
  });
});

describe('versions and switches', () => {
  const v1 = definition(body([{ wait: { days: 10 } }, { send: { template: 'welcome-kit' } }]), 'promo', 1);
  const v2 = definition(body([{ wait: { days: 1 } }, { send: { template: 'win-back' } }]), 'promo', 2);
  const start = '2026-01-05T09:00:00.000Z';
  const enter = (journeys: ReturnType<typeof compileJourneys>) =>
    decide(
      undefined,
      'c1',
      {
        kind: 'event',
        event: customerEvent({
          type: 'track',
          event: 'Checkout Started',
          timestamp: start,
          receivedAt: start,
        }),
      },
      {
        ...settings,
        journeys,
      },
    ).profile;
  const sweep = (profile: Profile, journeys: ReturnType<typeof compileJourneys>, now: string) =>
    decide(profile, 'c1', { kind: 'timers', messageId: `t-${now}`, now }, { ...settings, journeys });
  const published = (record: Parameters<typeof withPublished>[0], version: JourneyDefinition) =>
    withPublished(record, version, start);

  it('a customer inside finishes on the version they entered; new entrants take the new one', () => {
    const first = published(undefined, v1);
    const inside = enter(compileJourneys({ promo: first }));
    const second = compileJourneys({ promo: published(first, v2) });
    const later = sweep(inside, second, '2026-01-15T09:00:00.000Z');
    expect(later.effects.find((effect) => effect.type === 'message')).toMatchObject({
      templateName: 'welcome-kit',
    });
    const newcomer = decide(
      undefined,
      'c2',
      {
        kind: 'event',
        event: customerEvent({
          type: 'track',
          event: 'Checkout Started',
          userId: 'c2',
          timestamp: start,
          receivedAt: start,
        }),
      },
      { ...settings, journeys: second },
    ).profile;
    expect(newcomer.journeys?.promo?.version).toBe(2);
  });

  it('keeps the last versions for those inside; one older than that ends their run', () => {
    let record = published(undefined, v1);
    const inside = enter(compileJourneys({ promo: record }));
    for (let version = 2; version <= KEPT_VERSIONS + 2; version++)
      record = published(record, { ...v2, version });
    expect(Object.keys(record.versions)).toHaveLength(KEPT_VERSIONS + 1);
    const after = sweep(inside, compileJourneys({ promo: record }), '2026-01-15T09:00:00.000Z');
    expect(after.profile.journeys?.promo).toMatchObject({ leftBecause: 'disabled' });
    expect(after.effects.filter((effect) => effect.type === 'message')).toEqual([]);
  });

  it('turned off: nobody new enters; those inside finish, or leave when the journey says so', () => {
    const record = published(undefined, v1);
    const inside = enter(compileJourneys({ promo: record }));
    const off = compileJourneys({ promo: { ...record, enabled: false } });
    const finish = sweep(inside, off, '2026-01-15T09:00:00.000Z');
    expect(finish.effects.find((effect) => effect.type === 'message')).toMatchObject({
      templateName: 'welcome-kit',
    });
    const exitOnDisable = { ...v1, onDisable: 'exit' as const };
    const insideExit = enter(compileJourneys({ promo: published(undefined, exitOnDisable) }));
    const leave = sweep(
      insideExit,
      compileJourneys({ promo: { ...published(undefined, exitOnDisable), enabled: false } }),
      '2026-01-06T09:00:00.000Z',
    );
    expect(leave.profile.journeys?.promo).toMatchObject({ leftBecause: 'disabled' });
    const nobody = decide(
      undefined,
      'c3',
      {
        kind: 'event',
        event: customerEvent({
          type: 'track',
          event: 'Checkout Started',
          userId: 'c3',
          timestamp: start,
          receivedAt: start,
        }),
      },
      { ...settings, journeys: off },
    ).profile;
    expect(nobody.journeys?.promo).toBeUndefined();
  });

  it('deleted: those inside leave at their next decision', () => {
    const record = published(undefined, v1);
    const inside = enter(compileJourneys({ promo: record }));
    const gone = sweep(
      inside,
      compileJourneys({ promo: { ...record, deleted: true } }),
      '2026-01-06T09:00:00.000Z',
    );
    expect(gone.profile.journeys?.promo).toMatchObject({ leftBecause: 'disabled' });
  });

  it('counts entries, steps passed, exits and who waits where', () => {
    const record = published(undefined, v1);
    const journeys = compileJourneys({ promo: record });
    const inside = enter(journeys);
    const entered = journeyMovesAdded(undefined, inside);
    expect(Object.fromEntries(entered)).toMatchObject({ 'GAUGES/journey:promo:v1:entered': 1 });
    expect(Object.fromEntries(profileContributions(inside))).toMatchObject({
      'GAUGES/journey:promo:v1:inside': 1,
      'GAUGES/journey:promo:v1:at:0': 1,
    });
    const done = sweep(inside, journeys, '2026-01-15T09:00:00.000Z').profile;
    expect(Object.fromEntries(journeyMovesAdded(inside, done))).toEqual({
      'GAUGES/journey:promo:v1:passed:0': 1,
      'GAUGES/journey:promo:v1:passed:1': 1,
      'GAUGES/journey:promo:v1:left:finished': 1,
    });
    expect([...journeyMovesAdded(done, done)]).toEqual([]);
  });
});

describe('simulation requests', () => {
  it('names the event at fault', () => {
    expect(parseSimulation({ events: [{ event: 'A' }, { type: 'track' }, { type: 'alias' }] })).toEqual({
      ok: false,
      problems: [{ field: 'events[2].type', message: expect.stringContaining('track') }],
    });
    expect(parseSimulation({ events: [{ event: 'A' }, { type: 'track' }] })).toEqual({
      ok: false,
      problems: [{ field: 'events[1].event', message: 'a track event needs its name' }],
    });
    expect(parseSimulation({ events: [] })).toMatchObject({ ok: false, problems: [{ field: 'events' }] });
  });
});

describe('npm run definitions -- test', () => {
  const runTest = (dir: string, ...args: string[]) =>
    spawnSync(
      process.execPath,
      ['--import', 'tsx', 'scripts/definitions.ts', 'test', '--dir', dir, ...args],
      {
        encoding: 'utf8',
      },
    );

  it('passes the scenarios shipped in definitions/journeys', () => {
    const result = runTest('definitions');
    expect(result.stdout).toContain(
      'ok     abandoned-checkout: a cart left alone gets one reminder, four hours later',
    );
    expect(result.stdout).toMatch(/^\d+ passed, 0 failed$/m);
    expect(result.status).toBe(0);
  }, 30_000);

  it('runs a shop’s own journey file, and fails with what differed', () => {
    const dir = mkdtempSync(join(tmpdir(), 'definitions-'));
    mkdirSync(join(dir, 'journeys'));
    writeFileSync(
      join(dir, 'journeys', 'cart-nudge.yaml'),
      stringify({
        name: 'Cart nudge',
        enabled: true,
        category: 'marketing',
        entry: { event: 'Product Added' },
        steps: [{ wait: { hours: 2 } }, { send: { template: 'browse-abandonment' } }],
      }),
    );
    writeFileSync(
      join(dir, 'journeys', 'cart-nudge.test.yaml'),
      stringify({
        scenarios: [
          {
            name: 'two hours later',
            events: [{ event: 'Product Added' }],
            expect: { emails: [{ template: 'browse-abandonment', after: { hours: 2 } }] },
          },
          {
            name: 'wrongly expects one hour',
            events: [{ event: 'Product Added' }],
            expect: { emails: [{ template: 'browse-abandonment', after: { hours: 1 } }] },
          },
        ],
      }),
    );
    const result = runTest(dir);
    expect(result.stdout).toContain('ok     cart-nudge: two hours later');
    expect(result.stdout).toContain('FAILED cart-nudge: wrongly expects one hour');
    expect(result.stdout).toContain(
      'email 1: expected at +60 min, got browse-abandonment (queued, +120 min)',
    );
    expect(result.stdout).toContain('1 passed, 1 failed');
    expect(result.status).toBe(1);
  }, 30_000);
});
