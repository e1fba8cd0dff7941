import { createHash } from 'node:crypto';
import { ExecutionAlreadyExists, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import type { JobRun, JobRunner } from '../../ports.ts';

/**
 * Starts a whole-base job's run as an execution of the jobs state machine (topology.ts,
 * WHOLE_BASE_JOB). The execution's name is made from the run's, so starting the same run twice
 * is answered by Step Functions itself: the same execution while it runs, ExecutionAlreadyExists
 * once it has closed (also fine: that run happened).
 */
export class StepFunctionsJobRunner implements JobRunner {
  constructor(
    private readonly client: SFNClient,
    private readonly stateMachineArn: string,
  ) {}

  async start(run: JobRun): Promise<void> {
    try {
      await this.client.send(
        new StartExecutionCommand({
          stateMachineArn: this.stateMachineArn,
          name: executionName(run.name),
          // Each item is its part's first request to the chunk function, as the Map hands it on.
          input: JSON.stringify({
            jobId: run.jobId,
            items: run.items.map((item) => ({ jobId: run.jobId, ...item })),
          }),
        }),
      );
    } catch (error) {
      if (!(error instanceof ExecutionAlreadyExists)) throw error;
    }
  }
}

/**
 * Step Functions' names are at most 80 characters of letters, digits, '-' and '_': the run's name
 * made to fit, with a digest of the whole name so two long names never meet.
 */
export function executionName(name: string): string {
  const digest = createHash('sha256').update(name).digest('hex').slice(0, 16);
  return `${name.replace(/[^A-Za-z0-9_-]+/g, '-').slice(0, 63)}-${digest}`;
}

let client: SFNClient | undefined;
/** One client per container, made on first use (only the functions that start jobs need it). */
export function sfnClient(): SFNClient {
  client ??= new SFNClient({});
  return client;
}
