import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import {
  asInvocation,
  FunctionTimeoutError,
  type Invocation,
  inertAfterEnd,
  loadFunction,
} from '../../infra/local/lambda-runtime.ts';
import type { FunctionSpec } from '../../infra/topology.ts';

type Next = (args: unknown) => Promise<unknown>;

/** A client with only a middleware stack: the hook's middleware in front of `service`. */
function hookedService(service: Next) {
  let middleware: ((next: Next) => Next) | undefined;
  inertAfterEnd(
    { middlewareStack: { add: ((added: (next: Next) => Next) => (middleware = added)) as never } },
    'dynamodb',
  );
  if (!middleware) throw new Error('the hook added no middleware');
  return middleware(service);
}

const settledWithin = (promise: Promise<unknown>, ms: number) =>
  Promise.race([promise.then(() => 'answered'), sleep(ms).then(() => 'pending')]);

describe('the local Lambda runtime', () => {
  it('lets an ended invocation reach no AWS service, and gives it no answer to a call in flight', async () => {
    const made: string[] = [];
    const call = hookedService(async (args) => {
      made.push(String(args));
      await sleep(10);
      return 'answer';
    });
    const invocation: Invocation = { functionName: 'send-message', crash: () => {} };

    await expect(asInvocation(invocation, () => call('before'))).resolves.toBe('answer');
    const inFlight = asInvocation(invocation, () => call('in flight'));
    invocation.ended = 'send-message timed out after 30 s';
    const afterwards = asInvocation(invocation, () => call('after'));

    expect(await settledWithin(inFlight, 40)).toBe('pending');
    expect(await settledWithin(afterwards, 40)).toBe('pending');
    // The call in flight went out (it cannot be taken back); the one after the end did not.
    expect(made).toEqual(['before', 'in flight']);
    // Outside any invocation (the stack's own calls), nothing changes.
    await expect(call('outside')).resolves.toBe('answer');
  });

  it('fails an invocation that runs past its timeout, without waiting for its handler', async () => {
    const directory = mkdtempSync(join(tmpdir(), 'runtime-'));
    writeFileSync(
      join(directory, 'slow.mjs'),
      'export const handler = () => new Promise((resolve) => setTimeout(() => resolve("late"), 500));',
    );
    const spec = { name: 'slow', entry: 'slow.mjs', timeoutSeconds: 0.05, memoryMb: 128 } as FunctionSpec;
    const slow = await loadFunction(spec, directory);
    const outcome = await slow.invoke({}).catch((error: unknown) => error);
    expect(outcome).toBeInstanceOf(FunctionTimeoutError);
    expect((outcome as Error).message).toBe('slow timed out after 0.05 s');
  });
});
