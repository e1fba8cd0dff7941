/**
 * For scripts that run against the local stack (demo, benchmarks): use the one `npm start` runs
 * at `api`, or start one in memory in this process for the run.
 */
import { type LocalStack, settingsFromEnv, startLocalStack } from '../infra/local/stack.ts';

export interface StackUrls {
  api: string;
  dynamodb: string;
  inbox: string;
}

export async function attachOrStart(options: {
  api: string;
  writeKey: string;
  adminToken: string;
  /** Extra settings for a stack started here (`SES_MAX_SEND_RATE`, ...). */
  env?: Record<string, string>;
}): Promise<{ urls: StackUrls; started: boolean; stop: () => Promise<void> }> {
  const running = await fetch(`${options.api}/health`)
    .then((response) => response.ok)
    .catch(() => false);
  if (running) {
    return {
      urls: {
        api: options.api,
        dynamodb: `http://127.0.0.1:${process.env.DYNAMODB_PORT ?? 8000}`,
        inbox: `http://127.0.0.1:${process.env.SES_PORT ?? 8005}`,
      },
      started: false,
      stop: async () => {},
    };
  }
  console.error(`No local stack answers at ${options.api}: starting one in memory for this run.`);
  const url = new URL(options.api);
  process.env.LOG_LEVEL ??= 'warn';
  const stack: LocalStack = await startLocalStack({
    ...settingsFromEnv({
      ...process.env,
      ...options.env,
      IN_MEMORY: '1',
      PORT: url.port || '3000',
      SWEEP_AT_UTC: 'off',
      MODEL_AT_UTC: 'off',
    }),
    writeKey: options.writeKey,
    adminToken: options.adminToken,
  });
  return {
    urls: { api: options.api, dynamodb: stack.urls.dynamodb, inbox: stack.urls.inbox },
    started: true,
    stop: () => stack.stop(),
  };
}
