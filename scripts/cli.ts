/** Small helpers shared by the command-line scripts (demo, benchmarks, tools). */
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
