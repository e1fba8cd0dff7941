/**
 * A local Step Functions for the jobs state machine, behind an endpoint that the real
 * `@aws-sdk/client-sfn` talks to (StartExecution, DescribeExecution). It runs what topology.ts's
 * WHOLE_BASE_JOB describes and the CDK app builds as a Distributed Map: the run's items side by
 * side (at most `maxConcurrency`), each a loop of chunks until the chunk answers `done`, every
 * call tried again as the state machine's Retry says (with the local stack's short delays), then
 * the finish step once. A run whose call fails every try fails, as an execution does, and the
 * job's minutely pass resumes it. It counts the state transitions Step Functions would bill.
 */
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { WHOLE_BASE_JOB } from '../topology.ts';
import { closed, endpointServer, listening, readBody } from './http-server.ts';
import type { LocalFunction } from './lambda-runtime.ts';
import { ACCOUNT } from './sqs.ts';

interface RunInput {
  jobId: string;
  /** Each part's first request to the chunk function. */
  items: Record<string, unknown>[];
}

interface Execution {
  arn: string;
  name: string;
  input: string;
  status: 'RUNNING' | 'SUCCEEDED' | 'FAILED';
  startDate: number;
  stopDate?: number;
  error?: string;
}

export interface LocalStepFunctionsOptions {
  region: string;
  /** Delays before a failed call is tried again, by try (the last one repeats). */
  retryDelaysMs: number[];
  onFailed?: (execution: { name: string; error: string }) => void;
}

class StatesError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

const NAME = /^[A-Za-z0-9_-]{1,80}$/;

export class LocalStepFunctions {
  private server: Server | undefined;
  private target: Pick<LocalFunction, 'invoke'> | undefined;
  private readonly executions = new Map<string, Execution>();
  private readonly inFlight = new Set<Promise<void>>();
  endpoint = '';
  readonly counters = { executions: 0, failedExecutions: 0, transitions: 0, retries: 0, chunks: 0 };

  constructor(private readonly options: LocalStepFunctionsOptions) {}

  get stateMachineArn() {
    return `arn:aws:states:${this.options.region}:${ACCOUNT}:stateMachine:${WHOLE_BASE_JOB.stateMachineName}`;
  }

  /** The chunk function (the functions are loaded after the endpoints they are told about). */
  setTarget(target: Pick<LocalFunction, 'invoke'>) {
    this.target = target;
  }

  /** Waits until no execution runs (one may start another: a fit starts the evaluation after it). */
  async idle(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }

  isIdle() {
    return this.inFlight.size === 0;
  }

  async listen(port: number, host = '127.0.0.1'): Promise<void> {
    this.server = endpointServer((request, response) => {
      this.handle(request, response).catch((error) =>
        reply(response, 500, { __type: 'InternalFailure', message: String(error) }),
      );
    });
    this.endpoint = await listening(this.server, port, host);
  }

  async close(): Promise<void> {
    await closed(this.server);
  }

  private async handle(request: IncomingMessage, response: ServerResponse) {
    const body = await readBody(request, 256 * 1024 * 2);
    const action = String(request.headers['x-amz-target'] ?? '').replace(/^AWSStepFunctions\./, '');
    let input: Record<string, unknown>;
    try {
      input = JSON.parse(body.toString('utf8') || '{}') as Record<string, unknown>;
    } catch {
      return reply(response, 400, { __type: 'SerializationException', message: 'the body is not JSON' });
    }
    try {
      if (action === 'StartExecution') return reply(response, 200, this.startExecution(input));
      if (action === 'DescribeExecution') return reply(response, 200, this.describe(input));
      throw new StatesError('UnknownOperationException', `${action || '(no action)'} is not supported here`);
    } catch (error) {
      if (!(error instanceof StatesError)) throw error;
      reply(response, 400, { __type: error.code, message: error.message });
    }
  }

  private startExecution(request: Record<string, unknown>) {
    if (request.stateMachineArn !== this.stateMachineArn)
      throw new StatesError(
        'StateMachineDoesNotExist',
        `State Machine Does Not Exist: '${request.stateMachineArn}'`,
      );
    const name = String(request.name ?? '');
    if (!NAME.test(name)) throw new StatesError('InvalidName', `Invalid Name: '${name}'`);
    const input = String(request.input ?? '{}');
    const existing = this.executions.get(name);
    if (existing) {
      // As Step Functions: the same name and input while it runs is the same execution.
      if (existing.status === 'RUNNING' && existing.input === input)
        return { executionArn: existing.arn, startDate: existing.startDate };
      throw new StatesError('ExecutionAlreadyExists', `Execution Already Exists: '${existing.arn}'`);
    }
    let run: RunInput;
    try {
      run = JSON.parse(input) as RunInput;
      if (typeof run.jobId !== 'string' || !Array.isArray(run.items)) throw new Error('shape');
    } catch {
      throw new StatesError(
        'InvalidExecutionInput',
        'the input must be { jobId, items: [{ jobId, part, cursor? }] }',
      );
    }
    const execution: Execution = {
      arn: `arn:aws:states:${this.options.region}:${ACCOUNT}:execution:${WHOLE_BASE_JOB.stateMachineName}:${name}`,
      name,
      input,
      status: 'RUNNING',
      startDate: Date.now() / 1000,
    };
    this.executions.set(name, execution);
    this.counters.executions++;
    const running = this.run(execution, run).finally(() => this.inFlight.delete(running));
    this.inFlight.add(running);
    return { executionArn: execution.arn, startDate: execution.startDate };
  }

  private describe(request: Record<string, unknown>) {
    const execution = [...this.executions.values()].find(
      (candidate) => candidate.arn === request.executionArn,
    );
    if (!execution)
      throw new StatesError('ExecutionDoesNotExist', `Execution Does Not Exist: '${request.executionArn}'`);
    return {
      executionArn: execution.arn,
      stateMachineArn: this.stateMachineArn,
      name: execution.name,
      status: execution.status,
      startDate: execution.startDate,
      input: execution.input,
      ...(execution.stopDate ? { stopDate: execution.stopDate } : {}),
      ...(execution.error ? { error: 'States.TaskFailed', cause: execution.error } : {}),
    };
  }

  /** The state machine: Map (each item a loop of Chunk and Done?), then Finish. */
  private async run(execution: Execution, input: RunInput) {
    // The execution's start, the Map state and, per item, its child execution's start.
    this.counters.transitions += 2 + input.items.length;
    try {
      const queue = [...input.items];
      const worker = async () => {
        for (let item = queue.shift(); item; item = queue.shift()) {
          // The chunk's answer is the next chunk's request, until it says the part is done.
          let request: unknown = item;
          for (;;) {
            const outcome = (await this.call(request)) as { done?: unknown } | null;
            this.counters.chunks++;
            // The Chunk task and the PartDone choice.
            this.counters.transitions += 2;
            if (typeof outcome?.done !== 'boolean') throw new Error('the chunk answered no `done`');
            if (outcome.done) break;
            request = outcome;
          }
        }
      };
      await Promise.all(
        Array.from({ length: Math.min(WHOLE_BASE_JOB.maxConcurrency, queue.length) }, worker),
      );
      await this.call({ jobId: input.jobId, finish: true });
      // The Finish task and the end.
      this.counters.transitions += 2;
      execution.status = 'SUCCEEDED';
    } catch (error) {
      execution.status = 'FAILED';
      execution.error = error instanceof Error ? error.message : String(error);
      this.counters.failedExecutions++;
      this.options.onFailed?.({ name: execution.name, error: execution.error });
    } finally {
      execution.stopDate = Date.now() / 1000;
    }
  }

  /** A task with the state machine's Retry: tried up to maxAttempts more times after it fails. */
  private async call(payload: unknown): Promise<unknown> {
    const target = this.target;
    if (!target) throw new Error('the jobs function is not loaded');
    const delays = this.options.retryDelaysMs;
    for (let attempt = 0; ; attempt++) {
      try {
        return await target.invoke(payload);
      } catch (error) {
        if (attempt >= WHOLE_BASE_JOB.retry.maxAttempts) throw error;
        this.counters.retries++;
        this.counters.transitions++;
        const delay = delays[Math.min(attempt, delays.length - 1)] ?? 1000;
        await new Promise((resolve) => setTimeout(resolve, delay));
      }
    }
  }
}

function reply(response: ServerResponse, status: number, body: unknown) {
  response.writeHead(status, { 'content-type': 'application/x-amz-json-1.0' });
  response.end(JSON.stringify(body));
}
