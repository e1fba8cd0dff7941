/**
 * Definitions as code: keeps a folder (`definitions/segments/<id>.yaml`,
 * `definitions/journeys/<id>.yaml`) in step with the admin API, so a team can review segments
 * and journeys in git and push them from CI, and tests journeys offline.
 *
 *   npm run definitions -- pull [--dir definitions]   write every segment and journey (built-in ones too)
 *   npm run definitions -- diff                       what push would change, and nothing else
 *   npm run definitions -- push [--prune]             save what differs (journeys: a new version,
 *                                                     published); --prune deletes what has no file
 *   npm run definitions -- test [journey ...]         run definitions/journeys/<id>.test.yaml through
 *                                                     the engine, offline; exit 1 if any scenario fails
 *
 * A file holds what a marketer writes at PUT /admin/segments/{id} or PUT /admin/journeys/{id}.
 * pull then push changes nothing. `--only segments|journeys` limits pull, diff and push to one
 * kind. The admin API is at API_URL (default http://127.0.0.1:$PORT) with ADMIN_TOKEN (default
 * dev-admin-token).
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { parse, stringify } from 'yaml';
import * as z from 'zod';
import { builtInJourney } from '../shared/domain/journey-set.ts';
import {
  differences,
  expectationSchema,
  parseSimulation,
  settingsWith,
  simulate,
  simulationSchema,
} from '../shared/domain/journey-simulation.ts';
import { parseJourney } from '../shared/domain/journeys.ts';
import { parseSegment, type SegmentDefinition } from '../shared/domain/segments.ts';
import { defaultSettings, problemsOf, segmentsOf } from '../shared/domain/settings.ts';
import { adminApi } from './cli.ts';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    dir: { type: 'string', default: 'definitions' },
    prune: { type: 'boolean', default: false },
    only: { type: 'string' },
    api: { type: 'string', default: process.env.API_URL ?? `http://127.0.0.1:${process.env.PORT ?? 3000}` },
    token: { type: 'string', default: process.env.ADMIN_TOKEN ?? 'dev-admin-token' },
  },
});
const [command, ...names] = positionals;
const root = values.dir ?? 'definitions';
const api = adminApi(values.api ?? '', values.token ?? '');

type Definition = Record<string, unknown>;
interface Remote {
  definition: Definition;
  /** What an edit starts from (409 if someone saved since). */
  version: number;
  builtIn: boolean;
}

/** A kind of definition: where its files live and how the admin API reads and writes it. */
interface Kind {
  name: 'segments' | 'journeys';
  /** The fields a file holds, from what the API answers. */
  definitionOf(source: Definition): Definition;
  remote(): Promise<Map<string, Remote>>;
  save(id: string, definition: Definition, version: number | undefined): Promise<string>;
  remove(id: string): Promise<void>;
}

const segments: Kind = {
  name: 'segments',
  definitionOf: (source) => ({
    name: String(source.name ?? ''),
    ...(source.description ? { description: source.description } : {}),
    condition: source.condition,
  }),
  async remote() {
    const { segments: list } = (await api('GET', '/admin/segments')) as {
      segments: (Definition & { id: string; version: number; builtIn?: boolean })[];
    };
    return new Map(
      list.map((segment) => [
        segment.id,
        { definition: segments.definitionOf(segment), version: segment.version, builtIn: !!segment.builtIn },
      ]),
    );
  },
  async save(id, definition, version) {
    const saved = await api('PUT', `/admin/segments/${id}`, {
      ...definition,
      ...(version !== undefined ? { version } : {}),
    });
    return `version ${String(saved.version)} (building)`;
  },
  async remove(id) {
    await api('DELETE', `/admin/segments/${id}`);
  },
};

/** What a journey file holds: the definition as PUT /admin/journeys/{id} takes it. */
const journeys: Kind = {
  name: 'journeys',
  definitionOf: (source) => source,
  async remote() {
    const { journeys: list } = (await api('GET', '/admin/journeys')) as {
      journeys: { id: string; published: number | null; latest: number; builtIn: boolean }[];
    };
    const found = new Map<string, Remote>();
    for (const journey of list) {
      // The published version is what runs; a journey never published is known by its latest draft.
      const version = journey.published ?? journey.latest;
      const read = (await api('GET', `/admin/journeys/${journey.id}?version=${version}`)) as {
        definition: Definition;
      };
      found.set(journey.id, {
        definition: read.definition,
        version: journey.latest,
        builtIn: journey.builtIn,
      });
    }
    return found;
  },
  async save(id, definition, version) {
    const saved = await api('PUT', `/admin/journeys/${id}`, {
      ...definition,
      ...(version !== undefined ? { version } : {}),
    });
    await api('POST', `/admin/journeys/${id}/publish`, { version: saved.version });
    return `version ${String(saved.version)}, published`;
  },
  async remove(id) {
    await api('DELETE', `/admin/journeys/${id}`);
  },
};

const kinds = [segments, journeys].filter((kind) => !values.only || kind.name === values.only);

/** The same definition, whatever the order of keys. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, inner: unknown) =>
    inner && typeof inner === 'object' && !Array.isArray(inner)
      ? Object.fromEntries(Object.entries(inner).sort(([x], [y]) => (x < y ? -1 : 1)))
      : inner,
  );
}

function readYaml(path: string): unknown {
  try {
    return parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new Error(
      `${path}: not YAML this tool can read (${error instanceof Error ? error.message : String(error)})`,
    );
  }
}

/** The definitions in a kind's folder, by id (scenario files `<id>.test.yaml` are not definitions). */
function local(kind: Pick<Kind, 'name' | 'definitionOf'>): Map<string, Definition> {
  const folder = join(root, kind.name);
  const found = new Map<string, Definition>();
  if (!existsSync(folder)) return found;
  for (const file of readdirSync(folder)
    .filter((name) => name.endsWith('.yaml') && !name.endsWith('.test.yaml'))
    .sort()) {
    found.set(file.slice(0, -'.yaml'.length), kind.definitionOf(readYaml(join(folder, file)) as Definition));
  }
  return found;
}

async function pull() {
  for (const kind of kinds) {
    const folder = join(root, kind.name);
    mkdirSync(folder, { recursive: true });
    const remote = await kind.remote();
    for (const file of readdirSync(folder).filter(
      (name) => name.endsWith('.yaml') && !name.endsWith('.test.yaml'),
    )) {
      if (!remote.has(file.slice(0, -'.yaml'.length))) unlinkSync(join(folder, file));
    }
    for (const [id, found] of remote) writeFileSync(join(folder, `${id}.yaml`), stringify(found.definition));
    console.log(`pulled ${remote.size} ${kind.name} into ${folder}`);
  }
}

type Step = {
  kind: Kind;
  id: string;
  action: 'create' | 'change' | 'delete' | 'same';
  definition?: Definition;
  version?: number;
};

/** What push would do: create, change, delete (with --prune; never a built-in journey), or leave each one. */
async function plan(): Promise<Step[]> {
  const steps: Step[] = [];
  for (const kind of kinds) {
    const [mine, theirs] = [local(kind), await kind.remote()];
    for (const [id, definition] of mine) {
      const current = theirs.get(id);
      if (!current) steps.push({ kind, id, action: 'create', definition });
      else if (canonical(definition) !== canonical(kind.definitionOf(current.definition)))
        steps.push({ kind, id, action: 'change', definition, version: current.version });
      else steps.push({ kind, id, action: 'same' });
    }
    for (const [id, current] of theirs) {
      if (mine.has(id)) continue;
      const deletable = values.prune && !(kind.name === 'journeys' && current.builtIn);
      steps.push({ kind, id, action: deletable ? 'delete' : 'same' });
    }
  }
  return steps.sort((a, b) => (a.kind.name + a.id < b.kind.name + b.id ? -1 : 1));
}

async function diff() {
  const steps = await plan();
  for (const step of steps)
    if (step.action !== 'same') console.log(`${step.action.padEnd(7)} ${step.kind.name}/${step.id}`);
  const changes = steps.filter((step) => step.action !== 'same').length;
  console.log(changes === 0 ? 'no changes' : `${changes} to push`);
}

async function push() {
  // Segments first: a journey may start from or branch on a segment the same push creates.
  for (const step of await plan()) {
    if (step.action === 'same') continue;
    if (step.action === 'delete') {
      await step.kind.remove(step.id);
      console.log(`deleted ${step.kind.name}/${step.id}`);
      continue;
    }
    const outcome = await step.kind.save(step.id, step.definition ?? {}, step.version);
    console.log(`${step.action === 'create' ? 'created' : 'saved'} ${step.kind.name}/${step.id} ${outcome}`);
  }
  console.log('push done');
}

const scenarioFile = z.strictObject({
  scenarios: z
    .array(
      simulationSchema.extend({
        name: z.string().min(1),
        expect: expectationSchema,
      }),
    )
    .min(1),
});

/**
 * Runs each journey's scenario file through the engine, offline: the journey from its file (else
 * the built-in one of that id), the segments from the folder's files on top of the built-in ones.
 */
async function test() {
  const folder = join(root, 'journeys');
  const files = existsSync(folder)
    ? readdirSync(folder)
        .filter((name) => name.endsWith('.test.yaml'))
        .sort()
    : [];
  const wanted = files.filter(
    (file) => names.length === 0 || names.includes(file.slice(0, -'.test.yaml'.length)),
  );
  if (wanted.length === 0) {
    console.log(`no scenario files (${join(folder, '<journey>.test.yaml')})`);
    return;
  }
  const ownSegments = [...local(segments)].map(([id, raw]) => {
    const parsed = parseSegment(id, raw, new Map());
    if (!parsed.ok)
      throw new Error(
        `${join(root, 'segments', `${id}.yaml`)}: ${parsed.problems.map((p) => `${p.field}: ${p.message}`).join('; ')}`,
      );
    return { id, ...parsed.value, version: 1, updatedAt: '' } as SegmentDefinition;
  });
  const segmentDefinitions = [
    ...segmentsOf({}).filter((segment) => !ownSegments.some((own) => own.id === segment.id)),
    ...ownSegments,
  ];
  const mine = local(journeys);
  let failed = 0;
  let passed = 0;
  for (const file of wanted) {
    const id = file.slice(0, -'.test.yaml'.length);
    const raw = mine.get(id) ?? builtInJourney(id);
    if (!raw) throw new Error(`${join(folder, file)}: no journey ${id} (no ${id}.yaml, and no built-in one)`);
    const parsed = parseJourney(
      Object.fromEntries(
        Object.entries(raw).filter(([key]) => !['id', 'version', 'updatedAt', 'builtIn'].includes(key)),
      ),
    );
    if (!parsed.ok)
      throw new Error(`${id}: ${parsed.problems.map((p) => `${p.field}: ${p.message}`).join('; ')}`);
    const journey = { ...parsed.value, id, version: 1, updatedAt: '' };
    const content = scenarioFile.safeParse(readYaml(join(folder, file)));
    if (!content.success)
      throw new Error(
        `${join(folder, file)}: ${problemsOf(content.error)
          .map((p) => `${p.field}: ${p.message}`)
          .join('; ')}`,
      );
    for (const scenario of content.data.scenarios) {
      const settings = settingsWith(journey, segmentDefinitions, defaultSettings(), {
        holdout: scenario.holdout,
      });
      const { name, expect, ...request } = scenario;
      const events = parseSimulation(request);
      if (!events.ok)
        throw new Error(
          `${join(folder, file)}, "${name}": ${events.problems.map((p) => `${p.field}: ${p.message}`).join('; ')}`,
        );
      const simulation = simulate(
        journey,
        events.events,
        {
          ...(request.traits ? { traits: request.traits } : {}),
          ...(request.until ? { until: request.until } : {}),
        },
        settings,
      );
      const start = events.events.map((event) => event.timestamp).sort()[0] ?? '';
      const problems = differences(simulation, expect, start);
      if (problems.length === 0) {
        passed++;
        console.log(`ok     ${id}: ${name}`);
      } else {
        failed++;
        console.log(`FAILED ${id}: ${name}`);
        for (const problem of problems) console.log(`         ${problem}`);
      }
    }
  }
  console.log(`${passed} passed, ${failed} failed`);
  if (failed > 0) process.exitCode = 1;
}

const commands: Record<string, () => Promise<void>> = { pull, push, diff, test };
const run = command ? commands[command] : undefined;
if (!run) {
  console.error(
    'usage: npm run definitions -- pull | diff | push [--prune] | test [journey ...]  [--only segments|journeys] [--dir definitions] [--api URL] [--token T]',
  );
  process.exit(2);
}
run().catch((error) => {
  console.error(error instanceof Error ? error.message : String(error));
  process.exit(1);
});
