/**
 * Timelines for single customers: every row of the lifecycle table, conversions, re-activation,
 * the once-per-lapse rule and the stale-timer policy. The same suite runs against the in-memory
 * store (unit) and DynamoDB Local (integration), so the fake cannot drift from the real thing.
 */
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { summarize } from '../../shared/domain/profile.ts';
import type { CustomerEvent } from '../../shared/domain/segment.ts';
import { event, identify, order, visit } from './events.ts';
import { day, type Scenario } from './scenario.ts';

/** Events of one customer, each received when it happened (fresh) unless `receivedAt` is given. */
export function customer() {
  const userId = `cust-${randomUUID().slice(0, 8)}`;
  const fresh = (at: string, extra: Partial<CustomerEvent> = {}) => ({ userId, receivedAt: at, ...extra });
  return {
    id: userId,
    identify: (at: string) =>
      identify({ email: `${userId}@example.com`, firstName: 'Kim' }, { ...fresh(at), timestamp: at }),
    order: (orderId: string, at: string, extra: Partial<CustomerEvent> = {}) =>
      order(orderId, at, fresh(at, extra)),
    visit: (at: string, extra: Partial<CustomerEvent> = {}) => visit(at, fresh(at, extra)),
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

export function lifecycleScenarios(newScenario: () => Promise<Scenario> | Scenario) {
  describe('lifecycle scenarios', () => {
    it('welcome kit: the first order sends it and moves the customer to buildup', async () => {
      const world = await newScenario();
      const c = customer();
      await world.events(c.id, [c.identify(day(0)), c.order('o1', day(0, 1))]);
      expect(await world.emails(c.id)).toEqual(['welcome-kit:sent']);
      expect((await world.profile(c.id)).stage).toBe('buildup');
    });

    it('second-purchase nudge: 60 days after a single order, once', async () => {
      const world = await newScenario();
      const c = customer();
      await world.events(c.id, [c.identify(day(0)), c.order('o1', day(0))]);
      await world.sweep(day(59));
      expect(await world.emails(c.id)).toEqual(['welcome-kit:sent']);
      await world.sweep(day(61));
      expect(await world.emails(c.id)).toEqual(['welcome-kit:sent', 'second-purchase-nudge:sent']);
      expect((await world.profile(c.id)).stage).toBe('buildup');
      const again = await world.sweep(day(61));
      expect(again.due).toBe(0);
      expect(await world.emails(c.id)).toHaveLength(2);
    });

    it('no nudge after a second order, which converts the welcome kit', async () => {
      const world = await newScenario();
      const c = customer();
      await world.events(c.id, [c.identify(day(0)), c.order('o1', day(0))]);
      await world.events(c.id, [c.order('o2', day(30))]);
      await world.sweep(day(61));
      expect(await world.emails(c.id)).toEqual(['welcome-kit:sent']);
      const [welcome] = await world.ledger(c.id);
      expect(welcome?.convertedAt).toBe(day(30));
      expect((await world.profile(c.id)).stage).toBe('continuation');
    });

    it('an order within 14 days converts the nudge; a later one would not', async () => {
      const world = await newScenario();
      const c = customer();
      await world.events(c.id, [c.identify(day(0)), c.order('o1', day(0))]);
      await world.sweep(day(61));
      await world.events(c.id, [c.order('o2', day(70))]);
      const nudge = (await world.ledger(c.id)).find((entry) => entry.campaignId === 'second-purchase-nudge');
      expect(nudge?.convertedAt).toBe(day(70));
      const late = customer();
      await world.events(late.id, [late.identify(day(0)), late.order('o1', day(0))]);
      await world.sweep(day(61));
      await world.events(late.id, [late.order('o2', day(80))]);
      const lateNudge = (await world.ledger(late.id)).find(
        (entry) => entry.campaignId === 'second-purchase-nudge',
      );
      expect(lateNudge?.convertedAt).toBeUndefined();
    });

    it('loyalty reward on the 5th order, and only then; the customer stays in continuation', async () => {
      const world = await newScenario();
      const c = customer();
      await world.events(c.id, [c.identify(day(0))]);
      for (const [index, at] of [0, 10, 20, 30].entries())
        await world.events(c.id, [c.order(`o${index}`, day(at))]);
      expect(await world.emails(c.id)).toEqual(['welcome-kit:sent']);
      await world.events(c.id, [c.order('o4', day(40))]);
      await world.events(c.id, [c.order('o5', day(50))]);
      expect(await world.emails(c.id)).toEqual(['welcome-kit:sent', 'loyalty-reward:sent']);
      expect((await world.profile(c.id)).stage).toBe('continuation');
    });

    it('feedback request after a refund', async () => {
      const world = await newScenario();
      const c = customer();
      await world.events(c.id, [c.identify(day(0)), c.order('o1', day(0))]);
      await world.events(c.id, [c.refund('o1', day(3))]);
      expect(await world.emails(c.id)).toEqual(['welcome-kit:sent', 'feedback-request:sent']);
      expect(summarize(await world.profile(c.id))).toMatchObject({ refundCount: 1, refundTotal: 25 });
    });

    it('re-engagement: a regular visitor stops coming; once per lapse; a visit converts and starts a new lapse', async () => {
      const world = await newScenario();
      const c = customer();
      await world.events(c.id, [c.identify(day(0)), c.visit(day(0)), c.visit(day(2)), c.visit(day(4))]);
      await world.sweep(day(10));
      expect(await world.emails(c.id)).toEqual([]);
      await world.sweep(day(12)); // quiet for max(7 days, 3 x median gap of 2 days) after day 4
      expect(await world.emails(c.id)).toEqual(['re-engagement:sent']);
      await world.sweep(day(18));
      expect(await world.emails(c.id)).toEqual(['re-engagement:sent']);
      await world.events(c.id, [c.visit(day(20))]);
      expect((await world.ledger(c.id))[0]?.convertedAt).toBe(day(20));
      await world.sweep(day(28));
      expect(await world.emails(c.id)).toEqual(['re-engagement:sent', 're-engagement:sent']);
    });

    it('re-engagement needs three visit days and no orders', async () => {
      const world = await newScenario();
      const twoDays = customer();
      await world.events(twoDays.id, [
        twoDays.identify(day(0)),
        twoDays.visit(day(0)),
        twoDays.visit(day(1)),
        twoDays.visit(day(1, 2)),
      ]);
      const buyer = customer();
      await world.events(buyer.id, [
        buyer.identify(day(0)),
        buyer.visit(day(0)),
        buyer.visit(day(2)),
        buyer.visit(day(4)),
        buyer.order('o', day(4)),
      ]);
      await world.sweep(day(30));
      expect(await world.emails(twoDays.id)).toEqual([]);
      expect(await world.emails(buyer.id)).toEqual(['welcome-kit:sent']);
    });

    it('win-back after 90 quiet days (deterioration), farewell 30 days later (termination)', async () => {
      const world = await newScenario();
      const c = customer();
      await world.events(c.id, [c.identify(day(0)), c.order('o1', day(0))]);
      await world.sweep(day(61));
      await world.sweep(day(91));
      expect(await world.emails(c.id)).toEqual([
        'welcome-kit:sent',
        'second-purchase-nudge:sent',
        'win-back:sent',
      ]);
      expect(await world.profile(c.id)).toMatchObject({ stage: 'deterioration', stageChangedAt: day(90) });
      await world.sweep(day(122));
      expect(await world.emails(c.id)).toEqual([
        'welcome-kit:sent',
        'second-purchase-nudge:sent',
        'win-back:sent',
        'farewell:sent',
      ]);
      expect(await world.profile(c.id)).toMatchObject({ stage: 'termination', stageChangedAt: day(120) });
    });

    it('a visit keeps the win-back away', async () => {
      const world = await newScenario();
      const c = customer();
      await world.events(c.id, [c.identify(day(0)), c.order('o1', day(0)), c.order('o2', day(1))]);
      await world.events(c.id, [c.visit(day(80))]);
      await world.sweep(day(91));
      expect(await world.emails(c.id)).toEqual(['welcome-kit:sent']);
      await world.sweep(day(171));
      expect(await world.emails(c.id)).toEqual(['welcome-kit:sent', 'win-back:sent']);
    });

    it('an order from deterioration or termination brings the customer back and converts the win-back', async () => {
      const world = await newScenario();
      const back = customer();
      await world.events(back.id, [
        back.identify(day(0)),
        back.order('o1', day(0)),
        back.order('o2', day(1)),
      ]);
      await world.sweep(day(92));
      await world.events(back.id, [back.order('o3', day(100))]);
      expect(await world.profile(back.id)).toMatchObject({ stage: 'continuation', stageChangedAt: day(100) });
      expect(
        (await world.ledger(back.id)).find((entry) => entry.campaignId === 'win-back')?.convertedAt,
      ).toBe(day(100));
      // And the next lapse gets its own win-back.
      await world.sweep(day(191));
      expect(await world.emails(back.id)).toEqual(['welcome-kit:sent', 'win-back:sent', 'win-back:sent']);

      const ended = customer();
      await world.events(ended.id, [
        ended.identify(day(0)),
        ended.order('o1', day(0)),
        ended.order('o2', day(1)),
      ]);
      await world.sweep(day(92));
      await world.sweep(day(123));
      expect((await world.profile(ended.id)).stage).toBe('termination');
      await world.events(ended.id, [ended.order('o3', day(130))]);
      expect((await world.profile(ended.id)).stage).toBe('continuation');
      expect(
        (await world.ledger(ended.id)).find((entry) => entry.campaignId === 'win-back')?.convertedAt,
      ).toBe(day(130));
    });

    it('stale timers after an outage change the stage but send nothing, and no farewell follows an unsent win-back', async () => {
      const world = await newScenario();
      const c = customer();
      await world.events(c.id, [c.identify(day(0)), c.order('o1', day(0))]);
      await world.sweep(day(100)); // the first sweep in 100 days
      const ledger = await world.ledger(c.id);
      expect(ledger.map((entry) => [entry.campaignId, entry.status, entry.reason])).toEqual([
        ['welcome-kit', 'sent', undefined],
        ['second-purchase-nudge', 'skipped', 'stale: the timer fired 40 days after it fell due (limit 7)'],
        ['win-back', 'skipped', 'stale: the timer fired 10 days after it fell due (limit 7)'],
      ]);
      expect(await world.profile(c.id)).toMatchObject({ stage: 'deterioration', stageChangedAt: day(90) });
      await world.sweep(day(125));
      // The farewell's audience asks for a win-back that was sent: nothing is decided for it.
      expect((await world.ledger(c.id)).map((entry) => entry.campaignId)).not.toContain('farewell');
      expect((await world.profile(c.id)).stage).toBe('termination');
    });

    it('a backfill of old history sends nothing, now or at the next sweep', async () => {
      const world = await newScenario();
      const c = customer();
      const now = day(400);
      const old = (at: string) => ({ receivedAt: now, timestamp: at });
      await world.events(c.id, [
        identify({ email: `${c.id}@example.com` }, { userId: c.id, ...old(day(0)) }),
        order('o1', day(0), { userId: c.id, receivedAt: now }),
        visit(day(5), { userId: c.id, receivedAt: now }),
      ]);
      await world.sweep(now);
      await world.sweep(day(431));
      const ledger = await world.ledger(c.id);
      expect(ledger.length).toBeGreaterThan(0);
      expect(ledger.filter((entry) => entry.status !== 'skipped')).toEqual([]);
      expect((await world.profile(c.id)).stage).toBe('termination');
    });

    it('a customer who matches no rule receives nothing', async () => {
      const world = await newScenario();
      const c = customer();
      await world.events(c.id, [c.identify(day(0)), c.visit(day(0))]);
      for (const at of [8, 61, 91, 122, 300]) await world.sweep(day(at));
      expect(await world.emails(c.id)).toEqual([]);
      expect((await world.profile(c.id)).stage).toBe('acquaintance');
    });
  });
}
