/** Small helpers shared by the command-line scripts (demo, benchmarks, tools). */
import { cpus } from 'node:os';
import { parseArgs } from 'node:util';

/** Parses `--name value` options into numbers and strings, with defaults and a clear error. */
export function options<T extends Record<string, string | number>>(
  defaults: T,
  argv = process.argv.slice(2),
): T {
  const { values } = parseArgs({
    args: argv,
    options: Object.fromEntries(Object.keys(defaults).map((name) => [name, { type: 'string' as const }])),
    strict: true,
  });
  const result: Record<string, string | number> = { ...defaults };
  for (const [name, raw] of Object.entries(values)) {
    if (typeof raw !== 'string') continue;
    if (typeof defaults[name] === 'number') {
      const value = Number(raw);
      if (!Number.isFinite(value)) throw new Error(`--${name} must be a number, not ${raw}`);
      result[name] = value;
    } else {
      result[name] = raw;
    }
  }
  return result as T;
}

/** A one-line progress bar on stderr (stdout stays clean for JSON). */
export class ProgressBar {
  private last = 0;

  constructor(
    private readonly total: number,
    private readonly label: string,
  ) {}

  update(done: number, detail = '') {
    const now = Date.now();
    if (now - this.last < 100 && done < this.total) return;
    this.last = now;
    const width = 30;
    const filled = Math.round((done / this.total) * width);
    const percent = Math.floor((done / this.total) * 100);
    process.stderr.write(
      `\r${this.label} [${'#'.repeat(filled)}${' '.repeat(width - filled)}] ${percent}% ${detail}   `,
    );
  }

  finish(detail = '') {
    this.update(this.total, detail);
    process.stderr.write('\n');
  }
}

export function formatNumber(value: number) {
  return value.toLocaleString('en-US');
}

/** A deterministic pseudo-random stream in [0, 1) (mulberry32), so a run can be repeated exactly. */
export function random(seed: number) {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** Shuffles in place (Fisher-Yates) with a seeded generator, so a run can be repeated exactly. */
export function shuffle<T>(list: T[], next: () => number): T[] {
  for (let index = list.length - 1; index > 0; index--) {
    const other = Math.floor(next() * (index + 1));
    [list[index], list[other]] = [list[other] as T, list[index] as T];
  }
  return list;
}

/** Runs `work(i)` for i in [0, count) with `concurrency` in flight; answers the seconds it took. */
export async function pool(
  count: number,
  concurrency: number,
  work: (index: number) => Promise<void>,
  bar?: ProgressBar,
) {
  let next = 0;
  let done = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) {
        const index = next++;
        await work(index);
        bar?.update(++done);
      }
    }),
  );
  return (performance.now() - started) / 1000;
}

/** The machine a figure was taken on, for the benchmarks' JSON lines. */
export function machine() {
  return { node: process.version, cpu: cpus()[0]?.model ?? 'unknown', cpus: cpus().length };
}

/**
 * A caller of the admin API for the command-line tools: JSON in and out, and an error that names
 * the route, the status and every problem the API named.
 */
export function adminApi(base: string, token: string) {
  return async (method: string, path: string, body?: unknown): Promise<Record<string, unknown>> => {
    const response = await fetch(`${base}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const payload = (await response.json().catch(() => ({}))) as Record<string, unknown>;
    if (!response.ok) {
      const problems = Array.isArray(payload.problems)
        ? (payload.problems as { field: string; message: string }[])
            .map((problem) => `\n  ${problem.field}: ${problem.message}`)
            .join('')
        : '';
      throw new Error(`${method} ${path}: ${response.status} ${String(payload.error ?? '')}${problems}`);
    }
    return payload;
  };
}
