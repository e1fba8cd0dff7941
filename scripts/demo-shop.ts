/**
 * The demo's synthetic shop, for the demo and the cost benchmark: one-time buyers, regulars,
 * visitors who drift away, refunders and window shoppers, lived through N simulated days against
 * a local stack. Each simulated day the local clock moves (POST /_local/clock), the nightly sweep
 * runs at 03:00, and the day's events arrive through the Segment API; some customers answer the
 * emails they get (an order, or a visit, in the days after).
 */
import { random as random01 } from './cli.ts';

const DAY = 86_400_000;
const HOUR = 3_600_000;

/** A small seeded generator, so a run can be repeated exactly. */
function seeded(seed: number) {
  const next = random01(seed);
  return {
    next,
    int: (min: number, max: number) => min + Math.floor(next() * (max - min + 1)),
    pick: <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)] as T,
  };
}

export const PERSONAS = ['one-time buyer', 'regular', 'drifter', 'refunder', 'window shopper'] as const;
export type Persona = (typeof PERSONAS)[number];
const MIX: [Persona, number][] = [
  ['one-time buyer', 0.3],
  ['regular', 0.2],
  ['drifter', 0.25],
  ['refunder', 0.1],
  ['window shopper', 0.15],
];
const NAMES = ['Ada', 'Grace', 'Alan', 'Edsger', 'Barbara', 'Ken', 'Margaret', 'Linus', 'Radia', 'Donald'];
const CITIES = ['Lisbon', 'Oslo', 'Austin', 'Osaka', 'Nairobi', 'Lyon'];
const SOURCES = ['search', 'social', 'newsletter', 'friend', 'ads'];

/** The persona whose slice of the mix `roll` (0..1) falls into. */
function pickPersona(roll: number): Persona {
  let cumulative = 0;
  for (const [persona, share] of MIX) {
    cumulative += share;
    if (roll < cumulative) return persona;
  }
  return 'window shopper';
}

type Planned = { day: number; event: Record<string, unknown> };

/** How likely a customer answers each email, with what, and within how many days. */
const RESPONSES: Record<string, { chance: number; answer: 'order' | 'visit'; withinDays: number }> = {
  'second-purchase-nudge': { chance: 0.25, answer: 'order', withinDays: 10 },
  'win-back': { chance: 0.2, answer: 'order', withinDays: 14 },
  're-engagement': { chance: 0.3, answer: 'visit', withinDays: 7 },
  'loyalty-reward': { chance: 0.4, answer: 'order', withinDays: 14 },
  farewell: { chance: 0.05, answer: 'order', withinDays: 20 },
};

export function plan(customers: number, days: number, seed: number, runId: string) {
  const rng = seeded(seed);
  const planned: Planned[] = [];
  const personas = new Map<string, Persona>();
  let orderNumber = 0;
  for (let index = 0; index < customers; index++) {
    const persona = pickPersona(rng.next());
    const userId = `demo-${runId}-${String(index).padStart(4, '0')}`;
    personas.set(userId, persona);
    const join = rng.int(0, Math.max(0, Math.floor(days * 0.66)));
    const at = (day: number, extra: Record<string, unknown>) => {
      if (day < days) planned.push({ day, event: { userId, ...extra } });
    };
    const visit = (day: number) =>
      at(day, { type: 'page', name: rng.pick(['Home', 'New arrivals', 'Sale', 'Product']) });
    const order = (day: number) =>
      at(day, {
        type: 'track',
        event: 'Order Completed',
        properties: { order_id: `${userId}-${++orderNumber}`, revenue: rng.int(15, 180), currency: 'USD' },
      });
    at(join, {
      type: 'identify',
      traits: {
        email: `${userId}@demo.example`,
        firstName: rng.pick(NAMES),
        city: rng.pick(CITIES),
        source: rng.pick(SOURCES),
      },
    });
    visit(join);
    switch (persona) {
      case 'one-time buyer': {
        const buy = join + rng.int(0, 3);
        visit(buy);
        order(buy);
        break;
      }
      case 'regular': {
        for (let day = join + rng.int(0, 2); day < days; day += rng.int(15, 45)) order(day);
        for (let day = join + 2; day < days; day += rng.int(3, 9)) visit(day);
        break;
      }
      case 'drifter': {
        const until = join + rng.int(10, 40);
        for (let day = join + 1; day < until; day += rng.int(1, 3)) visit(day);
        break;
      }
      case 'refunder': {
        const buy = join + rng.int(0, 2);
        const orderId = `${userId}-${++orderNumber}`;
        at(buy, {
          type: 'track',
          event: 'Order Completed',
          properties: { order_id: orderId, revenue: rng.int(30, 120) },
        });
        at(buy + rng.int(2, 6), {
          type: 'track',
          event: 'Order Refunded',
          properties: { order_id: orderId },
        });
        if (rng.next() < 0.5) order(buy + rng.int(20, 60));
        break;
      }
      case 'window shopper':
        if (rng.next() < 0.5) visit(join + rng.int(1, 20));
        break;
    }
  }
  return { planned, personas };
}

export interface ShopRun {
  customers: number;
  days: number;
  seed: number;
  api: string;
  inbox: string;
  writeKey: string;
  adminToken: string;
  /** Called as each simulated day ends. */
  onDay?: (day: number, eventsSent: number) => void;
}

/** Lives the shop through its days; answers who the customers were and what was sent. */
export async function liveShop(args: ShopRun) {
  const request = async (path: string, init: RequestInit & { auth?: 'admin' | 'write' } = {}) => {
    const authorization =
      init.auth === 'write'
        ? `Basic ${Buffer.from(`${args.writeKey}:`).toString('base64')}`
        : `Bearer ${args.adminToken}`;
    const response = await fetch(`${args.api}${path}`, {
      ...init,
      headers: { 'content-type': 'application/json', authorization, ...init.headers },
    });
    const body = (await response.json().catch(() => undefined)) as Record<string, unknown> | undefined;
    if (!response.ok)
      throw new Error(`${init.method ?? 'GET'} ${path}: ${response.status} ${JSON.stringify(body)}`);
    return body ?? {};
  };
  const runId = Date.now().toString(36).slice(-5);
  const { planned, personas } = plan(
    Math.floor(args.customers),
    Math.floor(args.days),
    Math.floor(args.seed),
    runId,
  );
  const byDay = new Map<number, Planned[]>();
  for (const item of planned) byDay.set(item.day, [...(byDay.get(item.day) ?? []), item]);

  const firstDay = Math.floor(Date.now() / DAY) * DAY - args.days * DAY;
  const rng = seeded(Math.floor(args.seed) + 1);
  let eventsSent = 0;
  let rejected = 0;
  let answers = 0;
  // Some customers answer the emails they get: an order, or a visit, in the days after.
  const respond = async (sinceSeconds: number, day: number) => {
    const store = (await fetch(`${args.inbox}/store?since=${sinceSeconds}`).then((response) =>
      response.json(),
    )) as {
      emails: { destination: { to: string[] }; headers?: { name: string; value: string }[] }[];
    };
    for (const email of store.emails) {
      const campaign = email.headers?.find((header) => header.name === 'X-Campaign-Id')?.value ?? '';
      const userId = email.destination.to[0]?.split('@')[0] ?? '';
      const response = RESPONSES[campaign];
      if (!response || !personas.has(userId) || rng.next() >= response.chance) continue;
      const when = day + 1 + rng.int(0, response.withinDays - 1);
      const event =
        response.answer === 'order'
          ? {
              type: 'track',
              event: 'Order Completed',
              properties: { order_id: `${userId}-answer-${++answers}`, revenue: rng.int(20, 90) },
            }
          : { type: 'page', name: 'New arrivals' };
      byDay.set(when, [...(byDay.get(when) ?? []), { day: when, event: { userId, ...event } }]);
    }
  };
  try {
    for (let day = 0; day < args.days; day++) {
      const dayStartedSeconds = Math.floor(Date.now() / 1000);
      const midnight = firstDay + day * DAY;
      // 03:00: the nightly sweep fires the timers due by the end of yesterday.
      await request('/_local/clock', {
        method: 'POST',
        body: JSON.stringify({ now: new Date(midnight + 3 * HOUR).toISOString() }),
      });
      await request('/admin/sweep', {
        method: 'POST',
        body: JSON.stringify({ now: new Date(midnight + 3 * HOUR).toISOString() }),
      });
      // The day's events happen between 08:00 and 21:00 and arrive as they happen (sent at 22:00).
      await request('/_local/clock', {
        method: 'POST',
        body: JSON.stringify({ now: new Date(midnight + 22 * HOUR).toISOString() }),
      });
      const events = (byDay.get(day) ?? []).map((item, index) => ({
        ...item.event,
        timestamp: new Date(midnight + 8 * HOUR + ((index * 7919) % (13 * HOUR))).toISOString(),
      }));
      for (let start = 0; start < events.length; start += 200) {
        const answer = await request('/v1/batch', {
          method: 'POST',
          auth: 'write',
          body: JSON.stringify({ batch: events.slice(start, start + 200) }),
        });
        rejected += Array.isArray(answer.rejected) ? answer.rejected.length : 0;
      }
      eventsSent += events.length;
      await request('/_local/idle');
      await respond(dayStartedSeconds, day);
      args.onDay?.(day, eventsSent);
    }
  } finally {
    await request('/_local/clock', { method: 'POST', body: '{}' }).catch(() => undefined);
  }

  return { personas, eventsSent, rejected, request };
}
