/**
 * Runs the very same handler modules the CDK app deploys, in this process, with a Lambda-like
 * context and the function's timeout.
 */
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
      try {
        return await Promise.race([handler(event, context), timeout]);
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
