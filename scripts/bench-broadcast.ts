/**
 * `npm run bench:broadcast -- --recipients 50000`
 *
 * A broadcast to N customers on the local stack, against the limit of the machine: first the SES
 * emulator's own SendEmail rate at send-message's concurrency (the most any sender could do
 * here), then N customers loaded straight into the table (active, with an address, in one
 * segment), then the broadcast, timed from its start to the last email in the emulator's store.
 * The account's send rate is set far above both, so the pipeline, not the pacing, is measured
 * (the pacing itself is tested). Prints one JSON line: seconds, emails a second, the limit, their
 * ratio, whether every recipient got exactly one email, and the stack's memory along the way.
 */
import { SESv2Client, SendEmailCommand } from '@aws-sdk/client-sesv2';
import { BatchWriteCommand } from '@aws-sdk/lib-dynamodb';
import { localDocumentClient } from '../infra/local/dynamodb-local.ts';
import { FUNCTIONS, RESOURCE_NAMES } from '../infra/topology.ts';
import { profileItem } from '../shared/adapters/dynamodb/customer-store.ts';
import { newProfile } from '../shared/domain/profile.ts';
import { adminApi, machine, options, ProgressBar, pool } from './cli.ts';
import { attachOrStart, STACK_OPTIONS } from './local-stack.ts';

const args = options({ recipients: 50_000, 'limit-emails': 3_000, concurrency: 16, ...STACK_OPTIONS });
const SENDERS = FUNCTIONS.find((spec) => spec.name === 'send-message')?.access.concurrency ?? 1;

interface StoredEmail {
  destination: { to: string[] };
  headers?: { name: string; value: string }[];
  at: number;
}

/** The emulator's own SendEmail rate with SENDERS calls in flight: the limit. */
async function emulatorRate(endpoint: string, run: string) {
  const ses = new SESv2Client({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
  });
  const seconds = await pool(args['limit-emails'], SENDERS, async (index) => {
    await ses.send(
      new SendEmailCommand({
        FromEmailAddress: 'shop@example.com',
        Destination: { ToAddresses: [`limit-${run}-${index}@bench.example`] },
        Content: {
          Simple: {
            Subject: { Data: 'New in: the winter collection' },
            Body: { Html: { Data: '<p>Hello, the winter collection is in.</p>' }, Text: { Data: 'Hello.' } },
          },
        },
      }),
    );
  });
  ses.destroy();
  return args['limit-emails'] / seconds;
}

async function load(dynamodb: string, run: string, segment: string) {
  const db = localDocumentClient(dynamodb);
  const now = new Date().toISOString();
  const visited = new Date(Date.now() - 86_400_000).toISOString();
  const bar = new ProgressBar(args.recipients, 'loading');
  const batches = Math.ceil(args.recipients / 25);
  await pool(
    batches,
    args.concurrency,
    async (batch) => {
      const items = [];
      for (let index = batch * 25; index < Math.min(args.recipients, (batch + 1) * 25); index++) {
        const id = `bc-${run}-${index}`;
        items.push({
          PutRequest: {
            Item: profileItem({
              ...newProfile(id, visited),
              // As if written once by the engine (a version-0 profile is one that does not exist yet).
              version: 1,
              email: `${id}@bench.example`,
              traits: { email: `${id}@bench.example`, run },
              lastVisitAt: visited,
              visitCount: 1,
              segments: { [segment]: now },
            }),
          },
        });
      }
      let pending = items;
      while (pending.length > 0) {
        const result = await db.send(
          new BatchWriteCommand({ RequestItems: { [RESOURCE_NAMES.table]: pending } }),
        );
        pending = (result.UnprocessedItems?.[RESOURCE_NAMES.table] as typeof items | undefined) ?? [];
      }
    },
    bar,
  );
  bar.finish();
  db.destroy();
}

async function main() {
  const stack = await attachOrStart(args, { SES_MAX_SEND_RATE: '100000' });
  const admin = adminApi(stack.urls.api, args['admin-token']);
  const local = (path: string) =>
    fetch(`${stack.urls.api}${path}`, { headers: { authorization: `Bearer ${args['admin-token']}` } }).then(
      (response) => response.json() as Promise<Record<string, unknown>>,
    );
  try {
    const run = Date.now().toString(36);
    const limit = await emulatorRate(stack.urls.inbox, run);

    const segment = `bench-${run}`;
    await admin('PUT', `/admin/segments/${segment}`, {
      name: `Bench ${run}`,
      condition: { trait: 'run', op: 'equals', value: run },
    });
    await load(stack.urls.dynamodb, run, segment);
    await local('/_local/idle');

    const memory: number[] = [];
    const sample = async () =>
      memory.push(((await local('/_local/metrics')).memory as { rss: number }).rss / 1_048_576);
    await sample();
    const sampler = setInterval(() => void sample(), 2_000);
    const since = Math.floor(Date.now() / 1000) - 1;
    const started = Date.now();
    const created = await admin('POST', '/admin/broadcasts', {
      name: `Bench ${run}`,
      segment,
      template: 'win-back',
    });
    const id = String(created.id);
    const bar = new ProgressBar(args.recipients, 'sending');
    let view: Record<string, unknown> = created;
    let decided: number | undefined;
    for (;;) {
      view = await admin('GET', `/admin/broadcasts/${id}`);
      if (decided === undefined && (view.progress as { done?: boolean } | null)?.done) decided = Date.now();
      const numbers = view.numbers as { sent: number; recipients: number };
      bar.update(numbers.sent);
      if (view.status === 'sent') break;
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    bar.finish();
    clearInterval(sampler);
    await sample();

    const store = (await (await fetch(`${stack.urls.inbox}/store?since=${since}`)).json()) as {
      emails: StoredEmail[];
    };
    const perAddress = new Map<string, number>();
    let last = started;
    for (const email of store.emails) {
      const campaign = email.headers?.find((header) => header.name.toLowerCase() === 'x-campaign-id')?.value;
      if (campaign !== id) continue;
      for (const to of email.destination.to) perAddress.set(to, (perAddress.get(to) ?? 0) + 1);
      // The emulator stamps an email in seconds (or milliseconds, in some versions).
      last = Math.max(last, email.at > 1e12 ? email.at : email.at * 1000);
    }
    const seconds = (last - started) / 1000;
    const rate = perAddress.size / seconds;
    const round = (value: number, places = 1) => Math.round(value * 10 ** places) / 10 ** places;
    console.log(
      JSON.stringify({
        benchmark: 'broadcast',
        recipients: args.recipients,
        emails: [...perAddress.values()].reduce((sum, count) => sum + count, 0),
        exactlyOnce:
          perAddress.size === args.recipients && [...perAddress.values()].every((count) => count === 1),
        seconds: round(seconds),
        // When every recipient's email was decided (the send job done); the rest is sending.
        decidedSeconds: decided === undefined ? null : round((decided - started) / 1000),
        emailsPerSecond: round(rate),
        limitEmailsPerSecond: round(limit),
        senders: SENDERS,
        ratio: round(rate / limit, 2),
        goal: 0.5,
        numbers: view.numbers,
        stackRssMb: {
          first: round(memory[0] ?? 0),
          last: round(memory.at(-1) ?? 0),
          max: round(Math.max(...memory)),
        },
        machine: machine(),
      }),
    );
  } finally {
    await stack.stop();
  }
}

main().catch((error) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
