/**
 * Vitest global setup: starts the local stack exactly as a user does (`node --import tsx
 * infra/local/main.ts`), in memory and on free ports, waits for /health, and stops it after.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import type { TestProject } from 'vitest/node';
import { freePort } from '../../infra/local/free-port.ts';
import { daytimeZone, type StackInfo } from './stack.ts';

export default async function setup(project: TestProject) {
  const [port, dynamodbPort, sesPort, eventBridgePort, smtpPort, sqsPort] = [
    await freePort(),
    await freePort(),
    await freePort(),
    await freePort(),
    await freePort(),
    await freePort(),
  ];
  const info: StackInfo = {
    api: `http://127.0.0.1:${port}`,
    ses: `http://127.0.0.1:${sesPort}`,
    dynamodb: `http://127.0.0.1:${dynamodbPort}`,
    eventBridge: `http://127.0.0.1:${eventBridgePort}`,
    sqs: `http://127.0.0.1:${sqsPort}`,
    smtpPort,
    writeKey: 'test-write-key',
    adminToken: 'test-admin-token',
  };
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', 'infra/local/main.ts'], {
    env: {
      ...process.env,
      IN_MEMORY: '1',
      PORT: String(port),
      DYNAMODB_PORT: String(dynamodbPort),
      SES_PORT: String(sesPort),
      EVENTBRIDGE_PORT: String(eventBridgePort),
      SMTP_PORT: String(smtpPort),
      SQS_PORT: String(sqsPort),
      SUPPORT_ADDRESS: 'support@shop.example',
      WRITE_KEY: info.writeKey,
      ADMIN_TOKEN: info.adminToken,
      BUS_RETRY_DELAYS_MS: '200,400',
      SWEEP_AT_UTC: 'off',
      MODEL_AT_UTC: 'off',
      // Under faults, whole-base jobs go in tiny chunks: many moves between chunks to crash at.
      ...(project.name === 'faults' ? { JOB_CHUNK_ITEMS: '40' } : {}),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk) => {
    output += String(chunk);
  });
  child.stderr?.on('data', (chunk) => {
    output += String(chunk);
  });

  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the local stack exited during start:\n${output}`);
    const healthy = await fetch(`${info.api}/health`)
      .then((response) => response.ok)
      .catch(() => false);
    if (healthy) break;
    if (Date.now() > deadline) {
      child.kill('SIGTERM');
      throw new Error(`the local stack was not healthy within 60 s:\n${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  // Tests run at any hour; the quiet hours of the sender's default time zone must not decide
  // whether an email goes out now. Tests of quiet hours give their customers a time zone.
  const policy = await fetch(`${info.api}/admin/contact-policy`, {
    method: 'PUT',
    headers: { authorization: `Bearer ${info.adminToken}`, 'content-type': 'application/json' },
    body: JSON.stringify({ quietHours: { defaultTimezone: daytimeZone() } }),
  });
  if (!policy.ok)
    throw new Error(`could not set the contact policy: ${policy.status} ${await policy.text()}`);
  project.provide('stack', info);

  return async () => {
    if (child.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
    });
    if (process.env.SHOW_STACK_OUTPUT) console.log(output);
  };
}
