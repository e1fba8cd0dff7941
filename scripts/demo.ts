/**
 * `npm run demo -- --customers 1000 --days 180`
 *
 * A synthetic shop lived through N simulated days against the local stack: one-time buyers,
 * regulars, visitors who drift away, refunders and window shoppers. Each simulated day the
 * local clock moves (POST /_local/clock), the nightly sweep runs at 03:00, and the day's events
 * arrive through the Segment API. At the end: customers per stage, emails per campaign, and the
 * conversions, and where to read the emails.
 *
 * It uses the stack at --api when one is running (`npm start`), or starts one in memory.
 */
import { formatNumber, options, ProgressBar, random as random01 } from './cli.ts';
import { attachOrStart, STACK_OPTIONS } from './local-stack.ts';

const DAY = 86_400_000;
const HOUR = 3_600_000;

const args = options({
  customers: 1000,
  days: 180,
  seed: 7,
  ...STACK_OPTIONS,
});

/** A small seeded generator, so a run can be repeated exactly. */
function seeded(seed: number) {
  const next = random01(seed);
  return {
    next,
    int: (min: number, max: number) => min + Math.floor(next() * (max - min + 1)),
    pick: <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)] as T,
  };
}

const PERSONAS = ['one-time buyer', 'regular', 'drifter', 'refunder', 'window shopper'] as const;
type Persona = (typeof PERSONAS)[number];
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

function plan(customers: number, days: number, seed: number, runId: string) {
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

async function request(path: string, init: RequestInit & { auth?: 'admin' | 'write' } = {}) {
  const authorization =
    init.auth === 'write'
      ? `Basic ${Buffer.from(`${args['write-key']}:`).toString('base64')}`
      : `Bearer ${args['admin-token']}`;
  const response = await fetch(`${args.api}${path}`, {
    ...init,
    headers: { 'content-type': 'application/json', authorization, ...init.headers },
  });
  const body = (await response.json().catch(() => undefined)) as Record<string, unknown> | undefined;
  if (!response.ok)
    throw new Error(`${init.method ?? 'GET'} ${path}: ${response.status} ${JSON.stringify(body)}`);
  return body ?? {};
}

async function main() {
  const started = Date.now();
  const stack = await attachOrStart(args);
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
  const progress = new ProgressBar(args.days, 'living');
  const rng = seeded(Math.floor(args.seed) + 1);
  let eventsSent = 0;
  let rejected = 0;
  let answers = 0;
  // Some customers answer the emails they get: an order, or a visit, in the days after.
  const respond = async (sinceSeconds: number, day: number) => {
    const store = (await fetch(`${stack.urls.inbox}/store?since=${sinceSeconds}`).then((response) =>
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
      progress.update(day + 1, `day ${day + 1}/${args.days} · ${formatNumber(eventsSent)} events`);
    }
    progress.finish(`${formatNumber(eventsSent)} events`);
  } finally {
    await request('/_local/clock', { method: 'POST', body: '{}' }).catch(() => undefined);
  }

  const stages: Record<string, number> = {};
  const campaigns: Record<string, { sent: number; skipped: number; converted: number }> = {};
  const ids = [...personas.keys()];
  for (let start = 0; start < ids.length; start += 16) {
    const views = await Promise.all(
      ids.slice(start, start + 16).map((id) => request(`/admin/customers/${id}`)),
    );
    for (const view of views) {
      stages[String(view.stage)] = (stages[String(view.stage)] ?? 0) + 1;
      for (const message of view.messages as { campaignId: string; status: string; convertedAt?: string }[]) {
        const counts = campaigns[message.campaignId] ?? { sent: 0, skipped: 0, converted: 0 };
        if (message.status === 'sent') counts.sent++;
        else counts.skipped++;
        if (message.convertedAt && message.status === 'sent') counts.converted++;
        campaigns[message.campaignId] = counts;
      }
    }
  }

  const mix = Object.fromEntries(
    PERSONAS.map((persona) => [persona, [...personas.values()].filter((p) => p === persona).length]),
  );
  console.log(
    `\nA shop of ${formatNumber(ids.length)} customers lived through ${args.days} days (${formatNumber(eventsSent)} events, ${rejected} rejected) in ${((Date.now() - started) / 1000).toFixed(0)} s.`,
  );
  console.log(
    `Customers: ${Object.entries(mix)
      .map(([persona, count]) => `${count} ${persona}s`)
      .join(', ')}.\n`,
  );
  console.log('Customers per stage');
  for (const stage of ['acquaintance', 'buildup', 'continuation', 'deterioration', 'termination']) {
    console.log(`  ${stage.padEnd(14)} ${String(stages[stage] ?? 0).padStart(6)}`);
  }
  console.log('\nEmails per campaign            sent  not sent  converted');
  for (const [campaign, counts] of Object.entries(campaigns).sort()) {
    const rate = counts.sent > 0 ? ` (${Math.round((counts.converted / counts.sent) * 100)}%)` : '';
    console.log(
      `  ${campaign.padEnd(24)} ${String(counts.sent).padStart(6)} ${String(counts.skipped).padStart(9)} ${String(counts.converted).padStart(10)}${rate}`,
    );
  }
  const inbox = stack.urls.inbox;
  console.log(
    `\nRead the emails in the inbox: ${inbox}${stack.started ? ' (this in-memory stack stops now; run `npm start` first to keep it)' : ''}`,
  );
  console.log(
    `Look a customer up: curl -H 'authorization: Bearer ${args['admin-token']}' ${args.api}/admin/customers/${ids[0]}`,
  );
  await stack.stop();
}

main().catch((error) => {
  console.error(`\ndemo failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
