/**
 * Templates as code: keeps a folder (`templates/<name>/`) in step with the template store, so a
 * team can review templates in git.
 *
 *   npm run templates -- pull [name ...]      write the latest version of each (all when none named)
 *   npm run templates -- push name [...] [--publish]   save a new version when the folder differs
 *   npm run templates -- preview name [--customer id] [--version n]
 *       render to preview.html: the folder's content (unsaved) if there is a folder, else (or with
 *       --version) a stored version: the one asked for, else the published one, else the newest saved
 *
 * Each folder holds subject.hbs, html.hbs, text.hbs (optional) and meta.json (description, variants).
 * The admin API is at API_URL (default http://127.0.0.1:$PORT) with ADMIN_TOKEN (default dev-admin-token).
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { adminApi } from './cli.ts';

interface Definition {
  subject: string;
  html: string;
  text?: string;
  description?: string;
  variants?: { name: string; subject?: string; html?: string; text?: string }[];
}

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    dir: { type: 'string', default: 'templates' },
    publish: { type: 'boolean', default: false },
    customer: { type: 'string' },
    version: { type: 'string' },
    api: { type: 'string', default: process.env.API_URL ?? `http://127.0.0.1:${process.env.PORT ?? 3000}` },
    token: { type: 'string', default: process.env.ADMIN_TOKEN ?? 'dev-admin-token' },
  },
});
const [command, ...names] = positionals;

const api = adminApi(values.api ?? '', values.token ?? '');

/** The latest version of a template (what a push is compared with). */
async function latest(name: string): Promise<{ version: number; definition: Definition }> {
  const current = await api('GET', `/admin/templates/${encodeURIComponent(name)}`);
  const wanted = Number(current.latest ?? 0);
  const found =
    wanted !== Number(current.version)
      ? await api('GET', `/admin/templates/${encodeURIComponent(name)}?version=${wanted}`)
      : current;
  return { version: Number(found.version), definition: definitionOf(found) };
}

function definitionOf(source: Record<string, unknown>): Definition {
  const definition: Definition = { subject: String(source.subject ?? ''), html: String(source.html ?? '') };
  if (typeof source.text === 'string' && source.text) definition.text = source.text;
  if (typeof source.description === 'string' && source.description)
    definition.description = source.description;
  if (Array.isArray(source.variants) && source.variants.length > 0)
    definition.variants = source.variants as Definition['variants'];
  return definition;
}

function folder(name: string) {
  return join(values.dir ?? 'templates', name);
}

function writeFolder(name: string, definition: Definition) {
  const dir = folder(name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'subject.hbs'), `${definition.subject}\n`);
  writeFileSync(join(dir, 'html.hbs'), `${definition.html}\n`);
  if (definition.text) writeFileSync(join(dir, 'text.hbs'), `${definition.text}\n`);
  const meta = {
    ...(definition.description ? { description: definition.description } : {}),
    ...(definition.variants ? { variants: definition.variants } : {}),
  };
  writeFileSync(join(dir, 'meta.json'), `${JSON.stringify(meta, null, 2)}\n`);
}

function readFolder(name: string): Definition {
  const dir = folder(name);
  if (!existsSync(dir)) throw new Error(`no folder ${dir}: pull it first`);
  // Files end with one newline that is not part of the template.
  const read = (file: string) =>
    existsSync(join(dir, file)) ? readFileSync(join(dir, file), 'utf8').replace(/\n$/, '') : undefined;
  const meta = existsSync(join(dir, 'meta.json'))
    ? (JSON.parse(readFileSync(join(dir, 'meta.json'), 'utf8')) as Partial<Definition>)
    : {};
  return definitionOf({
    subject: read('subject.hbs'),
    html: read('html.hbs'),
    text: read('text.hbs'),
    ...meta,
  });
}

function same(a: Definition, b: Definition) {
  return JSON.stringify(a) === JSON.stringify(b);
}

async function pull() {
  const wanted =
    names.length > 0
      ? names
      : ((await api('GET', '/admin/templates')).templates as { name: string }[]).map((t) => t.name);
  for (const name of wanted) {
    const { version, definition } = await latest(name);
    writeFolder(name, definition);
    console.log(`pulled ${name} version ${version} into ${folder(name)}`);
  }
}

async function push() {
  if (names.length === 0) throw new Error('push which template? npm run templates -- push <name>');
  for (const name of names) {
    const local = readFolder(name);
    const current = await latest(name).catch(() => undefined);
    let version = current?.version;
    if (current && same(local, current.definition)) {
      console.log(`${name}: unchanged (version ${current.version}), nothing saved`);
    } else {
      const saved = await api('PUT', `/admin/templates/${encodeURIComponent(name)}`, local);
      version = Number(saved.version);
      console.log(`${name}: saved version ${version}`);
    }
    if (values.publish && version) {
      await api('POST', `/admin/templates/${encodeURIComponent(name)}/publish`, { version });
      console.log(`${name}: published version ${version}`);
    }
  }
}

async function preview() {
  const [name] = names;
  if (!name) throw new Error('preview which template? npm run templates -- preview <name>');
  const fromFolder = values.version === undefined && existsSync(folder(name));
  const version = values.version === undefined ? undefined : Number(values.version);
  if (version !== undefined && !(Number.isInteger(version) && version >= 0))
    throw new Error(`--version ${values.version}: must be a version number (0 for the built-in one)`);
  const rendered = await api('POST', `/admin/templates/${encodeURIComponent(name)}/preview`, {
    ...(fromFolder ? { template: readFolder(name) } : {}),
    ...(version !== undefined ? { version } : {}),
    ...(values.customer ? { customerId: values.customer } : {}),
  });
  mkdirSync(folder(name), { recursive: true });
  const out = join(folder(name), 'preview.html');
  writeFileSync(out, String(rendered.html));
  const what = fromFolder
    ? `the folder ${folder(name)} (unsaved)`
    : rendered.version === 0
      ? 'the built-in version'
      : `version ${String(rendered.version)}`;
  console.log(
    `Rendered ${what}\nSubject: ${String(rendered.subject)}\n\n${String(rendered.text)}\n\nHTML written to ${out}`,
  );
}

const commands: Record<string, () => Promise<void>> = { pull, push, preview };
const run = command ? commands[command] : undefined;
if (!run) {
  console.error(
    'usage: npm run templates -- pull [name ...] | push <name ...> [--publish] | preview <name> [--customer id] [--version n]',
  );
  process.exit(2);
}
run().catch((error) => {
  console.error(error instanceof Error ? error.message : String(error));
  process.exit(1);
});
