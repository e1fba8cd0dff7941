/** Helpers for tests that talk to the running local stack over HTTP, as a website or marketer would. */
import { randomUUID } from 'node:crypto';
import { Analytics } from '@segment/analytics-node';
import { inject } from 'vitest';
import { checkAnswer } from './openapi.ts';

export interface StackInfo {
  api: string;
  ses: string;
  dynamodb: string;
  eventBridge: string;
  /** The local SQS endpoint (the customer-inputs queue). */
  sqs: string;
  /** The local SMTP server that takes replies. */
  smtpPort: number;
  writeKey: string;
  adminToken: string;
}

declare module 'vitest' {
  export interface ProvidedContext {
    stack: StackInfo;
  }
}

export function stack(): StackInfo {
  return inject('stack');
}

/** A fresh id per test, so tests sharing the stack never see each other's customers. */
export function uniqueId(prefix: string) {
  return `${prefix}-${randomUUID().slice(0, 8)}`;
}

export function basicAuth(writeKey = stack().writeKey) {
  return `Basic ${Buffer.from(`${writeKey}:`).toString('base64')}`;
}

export async function post(path: string, body: unknown, headers: Record<string, string> = {}) {
  const response = await fetch(`${stack().api}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: basicAuth(), ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return described('POST', path, response);
}

export async function admin(path: string, init: RequestInit = {}) {
  const response = await fetch(`${stack().api}${path}`, {
    ...init,
    headers: {
      authorization: `Bearer ${stack().adminToken}`,
      'content-type': 'application/json',
      ...init.headers,
    },
  });
  return described(init.method ?? 'GET', path, response);
}

/** The answer's status and JSON body, once checked against the API's description (`/openapi.json`). */
async function described(method: string, path: string, response: Response) {
  const body = (await response.json().catch(() => undefined)) as Record<string, unknown>;
  await checkAnswer(stack().api, {
    method,
    path,
    status: response.status,
    contentType: response.headers.get('content-type'),
    body,
  });
  return { status: response.status, body };
}

/** A call the test needs to succeed (the local stack's own routes, a setup step): its body, or an error naming it. */
export async function local(path: string, init: RequestInit = {}): Promise<unknown> {
  const answer = await admin(path, init);
  if (answer.status >= 300)
    throw new Error(`${path} answered ${answer.status}: ${JSON.stringify(answer.body)}`);
  return answer.body;
}

type Definition = Record<string, unknown> & { steps: Record<string, unknown>[] };

/**
 * Publishes a new version of a journey made by `change` from its latest one, as a marketer would
 * through the admin API (save, then publish); answers the publish (or the refused save).
 */
export async function changeJourney(id: string, change: (definition: Definition) => Definition) {
  const current = await admin(`/admin/journeys/${id}`);
  const definition = change(structuredClone(current.body.definition as Definition));
  const saved = await admin(`/admin/journeys/${id}`, {
    method: 'PUT',
    body: JSON.stringify({ ...definition, version: current.body.latest }),
  });
  if (saved.status >= 300) return saved;
  return admin(`/admin/journeys/${id}/publish`, {
    method: 'POST',
    body: JSON.stringify({ version: saved.body.version }),
  });
}

/** Puts a built-in journey back as it ships (its version 0, on or off as it says). */
export async function restoreJourney(id: string) {
  return admin(`/admin/journeys/${id}/publish`, { method: 'POST', body: JSON.stringify({ version: 0 }) });
}

export interface StoredEmail {
  messageId: string;
  from: string;
  destination: { to: string[] };
  subject: string;
  body: { html?: string; text?: string };
  headers?: { name: string; value: string }[];
  at: number;
}

/** Waits until the stack has delivered everything in flight (and its consequences). */
export async function idle() {
  await fetch(`${stack().api}/_local/idle`);
}

/** Sends calls the way a site's server does, through Segment's own Node library (flushed, errors thrown). */
export async function sendThroughSegment(calls: (analytics: Analytics) => void) {
  const analytics = new Analytics({
    writeKey: stack().writeKey,
    host: stack().api,
    flushAt: 50,
    maxRetries: 1,
  });
  const errors: unknown[] = [];
  analytics.on('error', (error) => errors.push(error));
  calls(analytics);
  await analytics.closeAndFlush();
  if (errors.length > 0) throw new Error(`the Segment client reported: ${errors.map(String).join('; ')}`);
}

/** The same, then waits until the stack has done everything the calls caused. */
export async function sendWithSegment(calls: (analytics: Analytics) => void) {
  await sendThroughSegment(calls);
  await idle();
}

export async function emailsTo(address: string): Promise<StoredEmail[]> {
  const response = await fetch(`${stack().ses}/store`);
  const store = (await response.json()) as { emails: StoredEmail[] };
  return store.emails.filter((email) => email.destination.to.some((to) => to.includes(address)));
}

export function header(email: StoredEmail, name: string) {
  return email.headers?.find((candidate) => candidate.name.toLowerCase() === name.toLowerCase())?.value;
}

/** Polls until `probe` returns a value that passes `done`, or fails after `timeoutMs`. */
export async function eventually<T>(
  probe: () => Promise<T>,
  done: (value: T) => boolean,
  timeoutMs = 5000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T = await probe();
  while (!done(last)) {
    if (Date.now() > deadline) return last;
    await new Promise((resolve) => setTimeout(resolve, 50));
    last = await probe();
  }
  return last;
}

export function sleep(ms: number) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** A fixed-offset time zone where it is early afternoon right now (Etc/GMT-3 is UTC+3). */
export function daytimeZone(now = new Date()): string {
  let offset = 13 - now.getUTCHours();
  if (offset > 14) offset -= 24;
  if (offset < -12) offset += 24;
  return offset >= 0 ? `Etc/GMT-${offset}` : `Etc/GMT+${-offset}`;
}

/** A fixed-offset time zone where it is late evening right now (inside the default quiet hours). */
export function nightZone(now = new Date()): string {
  let offset = 23 - now.getUTCHours();
  if (offset > 14) offset -= 24;
  if (offset < -12) offset += 24;
  return offset >= 0 ? `Etc/GMT-${offset}` : `Etc/GMT+${-offset}`;
}

/** A fresh table on the stack's DynamoDB Local, shaped like the product's, for adapter tests. */
export async function freshTable(prefix: string) {
  const { DynamoDBDocumentClient } = await import('@aws-sdk/lib-dynamodb');
  const { ensureTable } = await import('../../shared/adapters/dynamodb/create-table.ts');
  const { localDynamoClient } = await import('../../infra/local/dynamodb-local.ts');
  const tableName = uniqueId(prefix);
  const client = localDynamoClient(stack().dynamodb);
  const created = await ensureTable(client, tableName);
  const db = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
  return { client, db, tableName, created };
}
