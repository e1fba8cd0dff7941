/**
 * Runs the very same handler modules the CDK app deploys, in this process, with a Lambda-like
 * context and the function's timeout.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';
import { pathToFileURL } from 'node:url';
import type { Context } from 'aws-lambda';
import type { ClientHook } from '../../shared/adapters/client-hooks.ts';
import type { FunctionSpec } from '../topology.ts';

type Handler = (event: unknown, context: Context) => Promise<unknown>;

export interface LocalFunction {
  spec: FunctionSpec;
  invoke(event: unknown): Promise<unknown>;
  /** What Lambda would bill: invocations, and their duration rounded up to the millisecond. */
  usage: { invocations: number; billedMs: number };
}

export class FunctionTimeoutError extends Error {
  override name = 'FunctionTimeoutError';
}

/** The invocation was killed on purpose (the fault injector's crash points). */
export class InvocationCrashedError extends Error {
  override name = 'InvocationCrashedError';
}

export interface Invocation {
  functionName: string;
  /**
   * Ends the invocation now, as if the process died: it fails at once, and whatever the handler
   * still awaits never resumes (the caller must leave its promise pending forever).
   */
  crash(reason: string): void;
  /** Why the invocation is over for its caller (it timed out or crashed), once it is. */
  ended?: string;
}

const invocations = new AsyncLocalStorage<Invocation>();

/** Runs code as the given invocation: what it calls sees it as `currentInvocation()`. */
export function asInvocation<T>(invocation: Invocation, run: () => T): T {
  return invocations.run(invocation, run);
}

/** The invocation whose code is running, if any (seen from inside an SDK middleware). */
export function currentInvocation(): Invocation | undefined {
  return invocations.getStore();
}

type Next = (args: unknown) => Promise<unknown>;

/**
 * A client hook: once its invocation has ended (timed out or crashed), an AWS call neither goes
 * out nor answers. In Lambda that code would not run at all (the environment is stopped); here the
 * handler's promise cannot be stopped, so what it still does must not reach the services: a
 * handler that timed out while about to send an email must not send it after its retry has begun.
 */
export const inertAfterEnd: ClientHook = (client) => {
  const stack = client.middlewareStack as unknown as {
    add(middleware: (next: Next) => Next, options: Record<string, unknown>): void;
  };
  const never = () => new Promise<never>(() => {});
  stack.add(
    (next) => async (args) => {
      const invocation = currentInvocation();
      if (invocation?.ended) return never();
      const result = await next(args);
      return invocation?.ended ? never() : result;
    },
    { step: 'initialize', priority: 'high', name: 'localInertAfterEnd' },
  );
};

export async function loadFunction(spec: FunctionSpec, repositoryRoot: string): Promise<LocalFunction> {
  const module = (await import(pathToFileURL(`${repositoryRoot}/${spec.entry}`).href)) as {
    handler?: Handler;
  };
  const handler = module.handler;
  if (typeof handler !== 'function') throw new Error(`${spec.entry} does not export a handler`);
  const usage = { invocations: 0, billedMs: 0 };
  return {
    spec,
    usage,
    async invoke(event) {
      const started = Date.now();
      const startedPrecisely = performance.now();
      usage.invocations++;
      const deadline = started + spec.timeoutSeconds * 1000;
      const context = lambdaContext(spec, deadline);
      let end: (error: Error) => void = () => {};
      const ended = new Promise<never>((_, reject) => {
        end = reject;
      });
      const invocation: Invocation = { functionName: spec.name, crash: () => {} };
      const finish = (error: Error) => {
        invocation.ended ??= error.message;
        end(error);
      };
      invocation.crash = (reason) => finish(new InvocationCrashedError(`${spec.name} crashed ${reason}`));
      const timer = setTimeout(
        () => finish(new FunctionTimeoutError(`${spec.name} timed out after ${spec.timeoutSeconds} s`)),
        spec.timeoutSeconds * 1000,
      );
      try {
        return await Promise.race([asInvocation(invocation, () => handler(event, context)), ended]);
      } finally {
        clearTimeout(timer);
        usage.billedMs += Math.ceil(performance.now() - startedPrecisely);
      }
    },
  };
}

function lambdaContext(spec: FunctionSpec, deadline: number): Context {
  const fail = () => {
    throw new Error('callback-style completion is not supported: return a promise');
  };
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName: spec.name,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:local:000000000000:function:${spec.name}`,
    memoryLimitInMB: String(spec.memoryMb),
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${spec.name}`,
    logStreamName: 'local',
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: fail,
    fail,
    succeed: fail,
  };
}
