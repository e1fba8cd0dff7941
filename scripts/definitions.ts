/**
 * Definitions as code: keeps a folder (`definitions/segments/<id>.yaml`) in step with the admin
 * API, so a team can review segments in git and push them from CI.
 *
 *   npm run definitions -- pull [--dir definitions]       write every segment (built-in ones too)
 *   npm run definitions -- diff                           what push would change, and nothing else
 *   npm run definitions -- push [--prune]                 save what differs (--prune: delete the
 *                                                         segments that have no file)
 *
 * A file holds what a marketer writes at PUT /admin/segments/{id}: name, description, condition.
 * pull then push changes nothing. The admin API is at API_URL (default http://127.0.0.1:$PORT)
 * with ADMIN_TOKEN (default dev-admin-token).
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { parse, stringify } from 'yaml';
import { adminApi } from './cli.ts';

interface Segment {
  id: string;
  name: string;
  description?: string;
  condition: unknown;
  version: number;
  builtIn?: boolean;
}

type Definition = Pick<Segment, 'name' | 'description' | 'condition'>;

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    dir: { type: 'string', default: 'definitions' },
    prune: { type: 'boolean', default: false },
    api: { type: 'string', default: process.env.API_URL ?? `http://127.0.0.1:${process.env.PORT ?? 3000}` },
    token: { type: 'string', default: process.env.ADMIN_TOKEN ?? 'dev-admin-token' },
  },
});
const [command] = positionals;
const folder = join(values.dir ?? 'definitions', 'segments');

const api = adminApi(values.api ?? '', values.token ?? '');

function definitionOf(source: Partial<Segment>): Definition {
  return {
    name: String(source.name ?? ''),
    ...(source.description ? { description: source.description } : {}),
    condition: source.condition,
  };
}

/** The same definition, whatever the order of keys. */
function same(a: Definition, b: Definition) {
  const canonical = (value: unknown): string =>
    JSON.stringify(value, (_key, inner: unknown) =>
      inner && typeof inner === 'object' && !Array.isArray(inner)
        ? Object.fromEntries(Object.entries(inner).sort(([x], [y]) => (x < y ? -1 : 1)))
        : inner,
    );
  return canonical(a) === canonical(b);
}

async function remote(): Promise<Map<string, Segment>> {
  const { segments } = (await api('GET', '/admin/segments')) as { segments: Segment[] };
  return new Map(segments.map((segment) => [segment.id, segment]));
}

function local(): Map<string, Definition> {
  const found = new Map<string, Definition>();
  if (!existsSync(folder)) return found;
  for (const file of readdirSync(folder)
    .filter((name) => name.endsWith('.yaml'))
    .sort()) {
    const id = file.slice(0, -'.yaml'.length);
    try {
      found.set(id, definitionOf(parse(readFileSync(join(folder, file), 'utf8')) as Partial<Segment>));
    } catch (error) {
      throw new Error(
        `${join(folder, file)}: not YAML this tool can read (${error instanceof Error ? error.message : String(error)})`,
      );
    }
  }
  return found;
}

async function pull() {
  mkdirSync(folder, { recursive: true });
  const segments = await remote();
  for (const file of readdirSync(folder).filter((name) => name.endsWith('.yaml'))) {
    if (!segments.has(file.slice(0, -'.yaml'.length))) unlinkSync(join(folder, file));
  }
  for (const [id, segment] of segments) {
    writeFileSync(join(folder, `${id}.yaml`), stringify(definitionOf(segment)));
  }
  console.log(`pulled ${segments.size} segments into ${folder}`);
}

/** What push would do: create, change, delete (with --prune), or leave each segment. */
async function plan() {
  const [mine, theirs] = [local(), await remote()];
  const steps: {
    id: string;
    action: 'create' | 'change' | 'delete' | 'same';
    definition?: Definition;
    version?: number;
  }[] = [];
  for (const [id, definition] of mine) {
    const current = theirs.get(id);
    if (!current) steps.push({ id, action: 'create', definition });
    else if (!same(definition, definitionOf(current)))
      steps.push({ id, action: 'change', definition, version: current.version });
    else steps.push({ id, action: 'same' });
  }
  for (const id of theirs.keys())
    if (!mine.has(id)) steps.push({ id, action: values.prune ? 'delete' : 'same' });
  return steps.sort((a, b) => (a.id < b.id ? -1 : 1));
}

async function diff() {
  const steps = await plan();
  for (const step of steps) if (step.action !== 'same') console.log(`${step.action.padEnd(7)} ${step.id}`);
  const changes = steps.filter((step) => step.action !== 'same').length;
  console.log(changes === 0 ? 'no changes' : `${changes} to push`);
}

async function push() {
  for (const step of await plan()) {
    if (step.action === 'same') continue;
    if (step.action === 'delete') {
      await api('DELETE', `/admin/segments/${step.id}`);
      console.log(`deleted ${step.id}`);
      continue;
    }
    const saved = await api('PUT', `/admin/segments/${step.id}`, {
      ...step.definition,
      ...(step.version !== undefined ? { version: step.version } : {}),
    });
    console.log(
      `${step.action === 'create' ? 'created' : 'saved'} ${step.id} version ${String(saved.version)} (building)`,
    );
  }
  console.log('push done');
}

const commands: Record<string, () => Promise<void>> = { pull, push, diff };
const run = command ? commands[command] : undefined;
if (!run) {
  console.error(
    'usage: npm run definitions -- pull | diff | push [--prune] [--dir definitions] [--api URL] [--token T]',
  );
  process.exit(2);
}
run().catch((error) => {
  console.error(error instanceof Error ? error.message : String(error));
  process.exit(1);
});
