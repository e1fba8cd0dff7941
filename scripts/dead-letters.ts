/**
 * Dead letters from the command line, through the admin API (any deployment's, or the local
 * stack's):
 *
 *   npm run dead-letters -- list               every queue's count, then one line a letter
 *   npm run dead-letters -- list --json        the API's answer as it is
 *   npm run dead-letters -- redrive            send every letter back for another try
 *   npm run dead-letters -- redrive ID [ID ...]  only these (none is sent if one is unknown)
 *
 * The admin API is at API_URL (default http://127.0.0.1:$PORT) with ADMIN_TOKEN (default
 * dev-admin-token); an API token needs `operations:read` to list and `operations:write` to redrive.
 */
import { parseArgs } from 'node:util';
import { type DeadLetter, reasonLine } from '../shared/domain/dead-letters.ts';
import { adminApi } from './cli.ts';

const USAGE = 'usage: npm run dead-letters -- list [--json] | redrive [ID ...]';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    json: { type: 'boolean', default: false },
    api: { type: 'string', default: process.env.API_URL ?? `http://127.0.0.1:${process.env.PORT ?? 3000}` },
    token: { type: 'string', default: process.env.ADMIN_TOKEN ?? 'dev-admin-token' },
  },
});
const [command, ...ids] = positionals;
const api = adminApi(values.api ?? '', values.token ?? '');

async function list() {
  const answer = await api('GET', '/admin/dead-letters');
  if (values.json) return console.log(JSON.stringify(answer));
  const queues = answer.queues as { queue: string; count: number; listed: number }[];
  const letters = answer.letters as DeadLetter[];
  for (const { queue, count, listed } of queues)
    console.log(
      `${queue.padEnd(18)} ${count}${listed < count ? ` (${listed} listed: redrive them to see the rest)` : ''}`,
    );
  if (letters.length === 0) return console.log('no dead letters');
  console.log('');
  for (const letter of letters)
    console.log(
      [
        letter.id,
        letter.queue,
        letter.firstSeen,
        `${letter.summary.type}${letter.summary.customer ? ` (${letter.summary.customer})` : ''}`,
        letter.redrivable ? '' : '[cannot be redriven]',
        // One line a reason (a validation error's JSON spreads over many): the API has it whole.
        `\n    ${reasonLine(letter.reason, 240)}`,
      ]
        .filter(Boolean)
        .join('  '),
    );
}

async function redrive() {
  const answer = await api('POST', '/admin/dead-letters/redrive', ids.length > 0 ? { ids } : { all: true });
  const redriven = answer.redriven as string[];
  const skipped = answer.skipped as { id: string; why: string }[];
  const failed = answer.failed as { id: string; why: string }[];
  console.log(`redriven: ${redriven.length}${redriven.length ? ` (${redriven.join(', ')})` : ''}`);
  for (const { id, why } of skipped) console.log(`skipped ${id}: ${why}`);
  for (const { id, why } of failed) console.log(`failed ${id}: ${reasonLine(why, 240)}`);
  if (answer.more) console.log('more letters are left: run it again');
  if (failed.length > 0) process.exitCode = 1;
}

try {
  if (command === 'list' && ids.length === 0) await list();
  else if (command === 'redrive') await redrive();
  else {
    console.error(USAGE);
    process.exitCode = 2;
  }
} catch (error) {
  console.error(error instanceof Error ? error.message : String(error));
  process.exitCode = 1;
}
