/**
 * `npm run bench:bundle -- --runs 5`
 *
 * Each function bundled as `cdk deploy` bundles it (esbuild, minified, CommonJS, the AWS SDK left
 * to the runtime), its size, and the time a fresh Node process takes to load it: `require` of the
 * bundle, which runs its module scope (configuration, clients) and loads the SDK packages it uses,
 * as a Lambda cold start does before the first event. Prints one JSON line; the load time is the
 * median of `runs` fresh processes.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { BUNDLE_LEAVES_OUT, REPOSITORY_ROOT } from '../infra/cdk/lifecycle-function.ts';
import { FUNCTIONS } from '../infra/topology.ts';
import { machine, options } from './cli.ts';

const args = options({ runs: 5 });

/** What each function reads at cold start; placeholders, as nothing is called while loading. */
const ENVIRONMENT = {
  TABLE_NAME: 'lifecycle',
  EVENT_BUS_NAME: 'lifecycle',
  WRITE_KEY: 'bench-write-key',
  ADMIN_TOKEN: 'bench-admin-token',
  MAIL_FROM: 'hello@shop.example',
  BRAND_NAME: 'Shop',
  POSTAL_ADDRESS: '1 Main St',
  OFFER_SECRET: 'bench-offer-secret',
  UNSUBSCRIBE_SECRET: 'bench-unsubscribe-secret',
  PUBLIC_URL: 'https://shop.example',
  JOB_STATE_MACHINE_ARN: 'arn:aws:states:us-east-1:000000000000:stateMachine:lifecycle-whole-base-jobs',
  AWS_REGION: 'us-east-1',
  AWS_ACCESS_KEY_ID: 'bench',
  AWS_SECRET_ACCESS_KEY: 'bench',
};

/**
 * Outside the repository, beside a node_modules that holds only the AWS SDK, as the Lambda
 * runtime has it: a bundle that needed anything else would fail to load here.
 */
const OUT = join(tmpdir(), `bench-bundle-${process.pid}`);

/**
 * Loads the SDK packages the bundle imports, then the bundle: the first figure is what the SDK
 * costs, the second what our code costs on top (its module scope runs: configuration, clients).
 */
const LOADER = `
const [file, ...sdk] = process.argv.slice(1);
const started = process.hrtime.bigint();
for (const name of sdk) require(name);
const sdkLoaded = process.hrtime.bigint();
require(file);
const done = process.hrtime.bigint();
process.stdout.write(JSON.stringify([Number(sdkLoaded - started) / 1e6, Number(done - sdkLoaded) / 1e6]));
`;

function median(values: number[]) {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[middle] ?? 0) : ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2;
}

async function main() {
  rmSync(OUT, { recursive: true, force: true });
  mkdirSync(join(OUT, 'node_modules'), { recursive: true });
  symlinkSync(join(REPOSITORY_ROOT, 'node_modules', '@aws-sdk'), join(OUT, 'node_modules', '@aws-sdk'));
  const functions = [];
  for (const spec of FUNCTIONS) {
    const file = join(OUT, `${spec.name}.cjs`);
    const { metafile } = await build({
      entryPoints: [join(REPOSITORY_ROOT, spec.entry)],
      outfile: file,
      bundle: true,
      minify: true,
      platform: 'node',
      target: 'node20',
      format: 'cjs',
      external: ['@aws-sdk/*', ...BUNDLE_LEAVES_OUT],
      metafile: true,
      logLevel: 'error',
    });
    const sdk = [
      ...new Set(
        Object.values(metafile.outputs)
          .flatMap((output) => output.imports)
          .filter((imported) => imported.external && imported.path.startsWith('@aws-sdk/'))
          .map((imported) => imported.path),
      ),
    ].sort();
    const runs: { sdk: number; own: number }[] = [];
    for (let run = 0; run < args.runs; run++) {
      const result = spawnSync(process.execPath, ['-e', LOADER, file, ...sdk], {
        cwd: OUT,
        env: { PATH: process.env.PATH, ...ENVIRONMENT },
        encoding: 'utf8',
      });
      if (result.status !== 0) throw new Error(`${spec.name} did not load: ${result.stderr}`);
      const [sdkMs = 0, ownMs = 0] = JSON.parse(result.stdout) as number[];
      runs.push({ sdk: sdkMs, own: ownMs });
    }
    const round = (value: number) => Math.round(value * 10) / 10;
    functions.push({
      name: spec.name,
      kb: round(statSync(file).size / 1024),
      loadMs: round(median(runs.map((run) => run.sdk + run.own))),
      ownMs: round(median(runs.map((run) => run.own))),
      sdkMs: round(median(runs.map((run) => run.sdk))),
      sdk: sdk.map((name) => name.replace('@aws-sdk/', '')),
    });
  }
  rmSync(OUT, { recursive: true, force: true });
  console.log(
    JSON.stringify({
      benchmark: 'bundle',
      runs: args.runs,
      functions,
      largestKb: Math.max(...functions.map((fn) => fn.kb)),
      slowestLoadMs: Math.max(...functions.map((fn) => fn.loadMs)),
      slowestOwnMs: Math.max(...functions.map((fn) => fn.ownMs)),
      machine: machine(),
    }),
  );
}

main().catch((error) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
