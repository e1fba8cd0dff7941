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
import { formatNumber, options, ProgressBar } from './cli.ts';
import { liveShop, PERSONAS } from './demo-shop.ts';
import { attachOrStart, STACK_OPTIONS } from './local-stack.ts';

const args = options({
  customers: 1000,
  days: 180,
  seed: 7,
  ...STACK_OPTIONS,
});

async function main() {
  const started = Date.now();
  const stack = await attachOrStart(args);
  const progress = new ProgressBar(args.days, 'living');
  const { personas, eventsSent, rejected, request } = await liveShop({
    customers: args.customers,
    days: args.days,
    seed: args.seed,
    api: args.api,
    inbox: stack.urls.inbox,
    writeKey: args['write-key'],
    adminToken: args['admin-token'],
    onDay: (day, sent) =>
      progress.update(day + 1, `day ${day + 1}/${args.days} · ${formatNumber(sent)} events`),
  });
  progress.finish(`${formatNumber(eventsSent)} events`);

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
