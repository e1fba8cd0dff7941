/**
 * `npm start`: the whole pipeline on this machine, in the foreground. Ctrl-C (or SIGTERM) stops
 * every part, DynamoDB Local's Java process included.
 */
import './defaults.ts';
import { JavaMissingError } from './dynamodb-local.ts';
import { settingsFromEnv, startLocalStack } from './stack.ts';

async function main() {
  const settings = settingsFromEnv();
  let stack: Awaited<ReturnType<typeof startLocalStack>>;
  try {
    stack = await startLocalStack(settings);
  } catch (error) {
    if (error instanceof JavaMissingError) {
      console.error(error.message);
    } else {
      console.error(
        `The local stack could not start: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
    process.exit(1);
  }

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`\n${signal}: stopping the local stack...`);
    await stack.stop();
    console.log('stopped.');
    process.exit(0);
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  // `npm start` puts a shell between npm and us that does not pass SIGTERM on; if whoever started
  // us goes away, we are re-parented, and we take that as the signal to stop.
  const parent = process.ppid;
  setInterval(() => {
    if (process.ppid !== parent) void shutdown('parent process exited');
  }, 500).unref();

  const { urls } = stack;
  console.log(`
Lifecycle pipeline running locally (ready in ${(stack.readyInMs / 1000).toFixed(1)} s)

  Console (marketers)      ${urls.api}/console/        sign in with the admin token
  Tracking API (Segment)   ${urls.api}/v1/batch        write key: ${settings.writeKey}
  Admin API                ${urls.api}/admin/...       token:     ${settings.adminToken}
  API description          ${urls.api}/openapi.json   (OpenAPI 3.1; the console's API page)
  Health                   ${urls.api}/health
  Inbox (SES emulator)     ${urls.inbox}
  Replies (SMTP, inbound)  ${urls.smtp}    reply to any email's Reply-To here
  DynamoDB Local           ${urls.dynamodb}
  EventBridge (local)      ${urls.eventBridge}
  SQS (local)              ${urls.sqs}    the customer-inputs queue, the dead letters
  Data                     ${settings.dataDir ?? 'in memory (IN_MEMORY=1): nothing is kept'}

Send a first event:
  curl -u ${settings.writeKey}: ${urls.api}/v1/track -H 'content-type: application/json' \\
    -d '{"userId":"u1","event":"Order Completed","properties":{"order_id":"o1","revenue":42},"context":{"traits":{"email":"ada@example.com","firstName":"Ada"}}}'

Then open the inbox for the welcome kit. Anything that failed for good: npm run dead-letters -- list

Press Ctrl-C to stop.
`);
}

void main();
