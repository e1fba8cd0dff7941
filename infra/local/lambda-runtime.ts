/**
 * Runs the very same handler modules the CDK app deploys, in this process, with a Lambda-like
 * context and the function's timeout.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';
import { pathToFileURL } from 'node:url';
import type { Context } from 'aws-lambda';
import type { FunctionSpec } from '../topology.ts';

type Handler = (event: unknown, context: Context) => Promise<unknown>;

export interface LocalFunction {
  spec: FunctionSpec;
  invoke(event: unknown): Promise<unknown>;
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
}

const invocations = new AsyncLocalStorage<Invocation>();

/** The invocation whose code is running, if any (seen from inside an SDK middleware). */
export function currentInvocation(): Invocation | undefined {
  return invocations.getStore();
}

export async function loadFunction(spec: FunctionSpec, repositoryRoot: string): Promise<LocalFunction> {
  const module = (await import(pathToFileURL(`${repositoryRoot}/${spec.entry}`).href)) as {
    handler?: Handler;
  };
  const handler = module.handler;
  if (typeof handler !== 'function') throw new Error(`${spec.entry} does not export a handler`);
  return {
    spec,
    async invoke(event) {
      const started = Date.now();
      const deadline = started + spec.timeoutSeconds * 1000;
      const context = lambdaContext(spec, deadline);
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new FunctionTimeoutError(`${spec.name} timed out after ${spec.timeoutSeconds} s`)),
          spec.timeoutSeconds * 1000,
        );
      });
      let crash: (reason: string) => void = () => {};
      const crashed = new Promise<never>((_, reject) => {
        crash = (reason) => reject(new InvocationCrashedError(`${spec.name} crashed ${reason}`));
      });
      try {
        const running = invocations.run({ functionName: spec.name, crash }, () => handler(event, context));
        return await Promise.race([running, timeout, crashed]);
      } finally {
        clearTimeout(timer);
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
