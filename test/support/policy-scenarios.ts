/**
 * The contact policy through the real engine, apply, sweep and send: caps, quiet hours, the
 * cool-down, relationship preferences, holdouts, variants and offer codes. Each email not sent
 * is explained in the ledger. Runs on the in-memory store and on DynamoDB Local.
 */
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { holdoutBucket } from '../../shared/domain/contact-policy.ts';
import type { EngineSettings } from '../../shared/domain/rules.ts';
import type { CustomerEvent } from '../../shared/domain/segment.ts';
import { defaultSettings } from '../../shared/domain/settings.ts';
import { event, identify, order, visit } from './events.ts';
import { withJourney } from './journeys.ts';
import { day, type Scenario } from './scenario.ts';

function customer(traits: Record<string, unknown> = {}, id = `cust-${randomUUID().slice(0, 8)}`) {
  const fresh = (at: string, extra: Partial<CustomerEvent> = {}) => ({
    userId: id,
    receivedAt: at,
    ...extra,
  });
  return {
    id,
    email: `${id}@example.com`,
    identify: (at: string) =>
      identify({ email: `${id}@example.com`, firstName: 'Kim', ...traits }, { ...fresh(at), timestamp: at }),
    order: (orderId: string, at: string, extra: Partial<CustomerEvent> = {}) =>
      order(orderId, at, fresh(at, extra)),
    visit: (at: string) => visit(at, fresh(at)),
    refund: (orderId: string, at: string) =>
      event({
        type: 'track',
        event: 'Order Refunded',
        timestamp: at,
        properties: { order_id: orderId },
        ...fresh(at),
      }),
  };
}

/** A customer id whose holdout bucket for the campaign is below (or not below) `percent`. */
function customerInBucket(campaignId: 'welcome-kit', percent: number, heldOut: boolean) {
  for (;;) {
    const id = `cust-${randomUUID().slice(0, 8)}`;
    if (holdoutBucket(id, campaignId) < percent === heldOut) return id;
  }
}

const statusOf = async (world: Scenario, id: string, campaignId: string) =>
  (await world.ledger(id)).filter((entry) => entry.campaignId === campaignId);

export function contactPolicyScenarios(
  newScenario: (settings?: EngineSettings) => Promise<Scenario> | Scenario,
) {
  describe('contact policy scenarios', () => {
    it('frequency cap: a second marketing email the same day waits 24 hours, then goes', async () => {
      const world = await newScenario();
      world.settings = withJourney(world.settings, 'loyalty-reward', (journey) => ({
        ...journey,
        audience: { measure: 'orderCount', op: 'equals', value: 2 },
      }));
      const c = customer();
      await world.events(c.id, [c.identify(day(0)), c.order('o1', day(0))]);
      await world.events(c.id, [c.order('o2', day(0, 2))]);
      const [loyalty] = await statusOf(world, c.id, 'loyalty-reward');
      expect(loyalty).toMatchObject({
        status: 'deferred',
        sendAt: day(1),
        reason: 'frequency cap (1 a day, 3 a week)',
      });
      await world.sweep(day(1, 1));
      expect(await world.emails(c.id)).toEqual(['welcome-kit:sent', 'loyalty-reward:sent']);
      expect(world.mailer.sent.filter((email) => email.to === c.email)).toHaveLength(2);
    });

    it('committed customers get twice the caps', async () => {
      const world = await newScenario();
      world.settings = withJourney(world.settings, 'loyalty-reward', (journey) => ({
        ...journey,
        audience: { measure: 'orderCount', op: 'equals', value: 2 },
      }));
      const c = customer({ relationship: 'committed' });
      await world.events(c.id, [c.identify(day(0)), c.order('o1', day(0))]);
      await world.events(c.id, [c.order('o2', day(0, 2))]);
      expect(await world.emails(c.id)).toEqual(['welcome-kit:sent', 'loyalty-reward:sent']);
    });

    it('quiet hours: the nightly sweep at 03:00 UTC (22:00 in New York) holds a nudge until 08:00 there', async () => {
      const world = await newScenario();
      const c = customer({ timezone: 'America/New_York' });
      await world.events(c.id, [c.identify(day(0)), c.order('o1', day(0))]);
      const sweepAt = '2026-03-07T03:00:00.000Z'; // day 61 at 03:00 UTC: 22:00 EST on the 6th
      await world.sweep(sweepAt);
      const [nudge] = await statusOf(world, c.id, 'second-purchase-nudge');
      expect(nudge).toMatchObject({
        status: 'deferred',
        sendAt: '2026-03-07T13:00:00.000Z',
        reason: 'quiet hours (21:00-08:00 in America/New_York)',
      });
      expect(world.mailer.sent.map((email) => email.headers['X-Campaign-Id'])).toEqual(['welcome-kit']);
      await world.sweep('2026-03-07T13:15:00.000Z'); // the 15-minute dispatch after 08:00
      expect((await statusOf(world, c.id, 'second-purchase-nudge'))[0]?.status).toBe('sent');
    });

    it('an email answering what the customer just did goes at once, even at night; the device time zone counts', async () => {
      const world = await newScenario();
      const c = customer();
      const evening = '2026-01-15T21:30:00.000Z'; // 22:30 in Oslo
      await world.events(c.id, [
        identify(
          { email: c.email },
          { userId: c.id, timestamp: evening, receivedAt: evening, context: { timezone: 'Europe/Oslo' } },
        ),
        c.order('o1', evening),
      ]);
      expect(await world.emails(c.id)).toEqual(['welcome-kit:sent']);
      // The nudge falls due at night in Oslo: it waits for the morning there.
      await world.sweep('2026-03-17T05:00:00.000Z'); // 06:00 in Oslo
      expect((await statusOf(world, c.id, 'second-purchase-nudge'))[0]).toMatchObject({
        status: 'deferred',
        sendAt: '2026-03-17T07:00:00.000Z',
      });
    });

    it('impression balance: a refund outweighs a few orders, so the win-back waits at its email and is skipped with that reason once stale', async () => {
      const world = await newScenario();
      const held = customer();
      await world.events(held.id, [
        held.identify(day(0)),
        held.order('o1', day(0)),
        held.order('o2', day(0, 1)),
      ]);
      await world.events(held.id, [held.refund('o2', day(80))]);
      await world.sweep(day(91)); // win-back falls due at day 90: held, nothing decided yet
      expect(await statusOf(world, held.id, 'win-back')).toEqual([]);
      await world.sweep(day(98)); // stale after day 97 with the balance still negative
      const [winBack] = await statusOf(world, held.id, 'win-back');
      expect(winBack?.status).toBe('skipped');
      expect(winBack?.reason).toMatch(
        /^impression balance -10 \(1 bad, 0 good in 90 days; refund of order .* on /,
      );
    });

    it('cool-down, the minimum: with the balance positive, a promotional email still waits until it ends, or is dropped if it would be stale', async () => {
      // A year's window: the orders of day 0 still count at day 90.
      const settings = defaultSettings();
      settings.policy = { ...settings.policy, impressions: { windowDays: 365 } };
      const world = await newScenario(settings);
      // Eleven orders outweigh one refund (one bad impression weighs ten good ones).
      const orders = (who: ReturnType<typeof customer>) =>
        Array.from({ length: 11 }, (_, index) => who.order(`o${index + 1}`, day(0, index)));
      const waits = customer();
      await world.events(waits.id, [waits.identify(day(0)), ...orders(waits)]);
      await world.events(waits.id, [waits.refund('o2', day(80))]);
      await world.sweep(day(91)); // win-back falls due at day 90, inside the cool-down until day 94
      const [winBack] = await statusOf(world, waits.id, 'win-back');
      expect(winBack).toMatchObject({ status: 'deferred', sendAt: day(94) });
      expect(winBack?.reason).toMatch(/^cool-down after a refund or complaint until/);
      await world.sweep(day(94, 1));
      expect((await statusOf(world, waits.id, 'win-back'))[0]?.status).toBe('sent');

      const dropped = customer();
      await world.events(dropped.id, [dropped.identify(day(0)), ...orders(dropped)]);
      await world.events(dropped.id, [dropped.refund('o2', day(89))]);
      await world.sweep(day(91)); // the cool-down would hold it until day 103: 13 days after it fell due
      const [staleWinBack] = await statusOf(world, dropped.id, 'win-back');
      expect(staleWinBack?.status).toBe('skipped');
      expect(staleWinBack?.reason).toMatch(
        /^cool-down after a refund or complaint until .*: it would be the timer fired 12 days after it fell due/,
      );
    });

    it('a fling gets the welcome kit and service emails only; the ledger says why for the rest', async () => {
      const world = await newScenario();
      const c = customer({ relationship: 'fling' });
      await world.events(c.id, [c.identify(day(0)), c.order('o1', day(0))]);
      await world.events(c.id, [c.refund('o1', day(3))]);
      await world.sweep(day(61));
      expect(await world.emails(c.id)).toEqual([
        'welcome-kit:sent',
        'feedback-request:sent',
        'second-purchase-nudge:skipped',
      ]);
      expect((await statusOf(world, c.id, 'second-purchase-nudge'))[0]?.reason).toBe(
        'relationship "fling": only the journeys meant for flings (the welcome kit) and service emails',
      );
    });

    it('holdout: a stable share of customers is recorded as held out, not sent, and their conversions still count', async () => {
      const world = await newScenario();
      world.settings = withJourney(world.settings, 'welcome-kit', (journey) => ({
        ...journey,
        holdoutPercent: 50,
      }));
      const held = customer({}, customerInBucket('welcome-kit', 50, true));
      const treated = customer({}, customerInBucket('welcome-kit', 50, false));
      for (const c of [held, treated]) await world.events(c.id, [c.identify(day(0)), c.order('o1', day(0))]);
      expect(await world.emails(held.id)).toEqual(['welcome-kit:held-out']);
      expect((await statusOf(world, held.id, 'welcome-kit'))[0]?.reason).toBe(
        'holdout: 50% of customers do not receive this journey',
      );
      expect(await world.emails(treated.id)).toEqual(['welcome-kit:sent']);
      expect(world.mailer.sent.map((email) => email.to)).toEqual([treated.email]);
      await world.events(held.id, [held.order('o2', day(20))]);
      expect((await statusOf(world, held.id, 'welcome-kit'))[0]?.convertedAt).toBe(day(20));
    });

    it('variants: a customer never gets the same variant of a campaign twice in a row', async () => {
      const world = await newScenario();
      world.templates.set('re-engagement', {
        subject: 'What is new, {{firstName}}',
        html: '<p>New things</p>',
        variants: [{ name: 'curious', subject: 'Guess what changed, {{firstName}}' }],
      });
      const c = customer();
      await world.events(c.id, [c.identify(day(0)), c.visit(day(0)), c.visit(day(2)), c.visit(day(4))]);
      await world.sweep(day(12));
      await world.events(c.id, [c.visit(day(20))]);
      await world.sweep(day(28));
      await world.events(c.id, [c.visit(day(36))]);
      // Visit days 0, 2, 4, 20, 36: the median gap is 9 days, so this lapse starts after 27 quiet days.
      await world.sweep(day(64));
      const variants = (await statusOf(world, c.id, 're-engagement')).map((entry) => entry.variant);
      expect(variants).toHaveLength(3);
      expect(variants[0]).not.toBe(variants[1]);
      expect(variants[1]).not.toBe(variants[2]);
      const subjects = world.mailer.sent
        .filter((email) => email.to === c.email)
        .map((email) => email.subject);
      expect(new Set(subjects).size).toBe(2);
    });

    it('offer codes: unique per customer, in the email, and a coupon attributes the conversion', async () => {
      const world = await newScenario();
      const a = customer();
      const b = customer();
      for (const c of [a, b]) await world.events(c.id, [c.identify(day(0)), c.order('o1', day(0))]);
      const [kitA] = await statusOf(world, a.id, 'welcome-kit');
      const [kitB] = await statusOf(world, b.id, 'welcome-kit');
      expect(kitA?.offerCode).toMatch(/^THANKS-[0-9A-Z]{10}$/);
      expect(kitA?.offerCode).not.toBe(kitB?.offerCode);
      const email = world.mailer.sent.find((sent) => sent.to === a.email);
      expect(email?.html).toContain(kitA?.offerCode);
      expect(email?.text).toContain('10% off your second order');
      // The nudge's code, used long after its 14-day window, still attributes that order to it.
      await world.sweep(day(61));
      const [nudge] = await statusOf(world, a.id, 'second-purchase-nudge');
      await world.events(a.id, [
        a.order('o2', day(85), {
          properties: { order_id: 'o2', revenue: 30, coupon: nudge?.offerCode?.toLowerCase() },
        }),
      ]);
      expect((await statusOf(world, a.id, 'second-purchase-nudge'))[0]).toMatchObject({
        convertedAt: day(85),
      });
    });
  });
}
