/**
 * The state machine that runs whole-base jobs (topology.ts, WHOLE_BASE_JOB): a Distributed Map
 * over the run's parts, each a loop of the jobs function's chunks until the chunk answers `done`,
 * then the job's finish step. A failed chunk is tried again with backoff; every chunk is
 * idempotent (functions/jobs/jobs.ts), so a retry changes nothing twice.
 */
import { ArnFormat, type CfnResource, Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import {
  Choice,
  Condition,
  DefinitionBody,
  DistributedMap,
  Errors,
  JsonPath,
  LogLevel,
  type RetryProps,
  StateMachine,
  StateMachineType,
  Succeed,
  TaskInput,
} from 'aws-cdk-lib/aws-stepfunctions';
import { LambdaInvoke } from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import { WHOLE_BASE_JOB } from '../topology.ts';

/**
 * The state machine's ARN, made from its fixed name: the functions that start runs know it
 * without referring to the state machine, which refers to one of them (no dependency cycle).
 */
export function jobStateMachineArn(scope: Construct): string {
  return Stack.of(scope).formatArn({
    service: 'states',
    resource: 'stateMachine',
    resourceName: WHOLE_BASE_JOB.stateMachineName,
    arnFormat: ArnFormat.COLON_RESOURCE_NAME,
  });
}

export class WholeBaseJobs extends Construct {
  readonly stateMachine: StateMachine;

  constructor(scope: Construct, id: string, props: { chunkFunction: IFunction }) {
    super(scope, id);
    const { retry } = WHOLE_BASE_JOB;
    const retryProps: RetryProps = {
      errors: [Errors.ALL],
      interval: Duration.seconds(retry.intervalSeconds),
      backoffRate: retry.backoffRate,
      maxAttempts: retry.maxAttempts,
    };
    // The chunk's answer ({ jobId, part, cursor, done, ... }) is the next chunk's request.
    const chunk = new LambdaInvoke(this, 'Chunk', {
      lambdaFunction: props.chunkFunction,
      payloadResponseOnly: true,
      retryOnServiceExceptions: false,
    }).addRetry(retryProps);
    const part = chunk.next(
      new Choice(this, 'PartDone')
        .when(Condition.booleanEquals('$.done', true), new Succeed(this, 'PartFinished'))
        .otherwise(chunk),
    );
    const parts = new DistributedMap(this, 'Parts', {
      itemsPath: JsonPath.stringAt('$.items'),
      maxConcurrency: WHOLE_BASE_JOB.maxConcurrency,
      mapExecutionType: StateMachineType.STANDARD,
      resultPath: JsonPath.DISCARD,
    }).itemProcessor(part);
    const finish = new LambdaInvoke(this, 'Finish', {
      lambdaFunction: props.chunkFunction,
      payload: TaskInput.fromObject({ jobId: JsonPath.stringAt('$.jobId'), finish: true }),
      payloadResponseOnly: true,
      retryOnServiceExceptions: false,
    }).addRetry(retryProps);

    const logs = new LogGroup(this, 'Logs', {
      retention: RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.stateMachine = new StateMachine(this, 'StateMachine', {
      stateMachineName: WHOLE_BASE_JOB.stateMachineName,
      comment: 'Whole-base jobs: each part a loop of chunks, the parts side by side, then the finish step',
      definitionBody: DefinitionBody.fromChainable(parts.next(finish)),
      logs: { destination: logs, level: LogLevel.ERROR, includeExecutionData: false },
      tracingEnabled: true,
    });
    Validations.of(this.stateMachine).acknowledge({
      id: 'AwsSolutions-SF1',
      reason:
        'Errors only: a job of 10 million customers is 200,000 chunks, and logging every state of each would cost more than running them; each chunk logs its own outcome (Powertools Logger).',
    });
    const executions = `arn:<AWS::Partition>:states:<AWS::Region>:<AWS::AccountId>:execution:{"Fn::Select":[6,{"Fn::Split":[":",{"Ref":"${Stack.of(this).getLogicalId(this.stateMachine.node.defaultChild as CfnResource)}"}]}]}`;
    Validations.of(this).acknowledge(
      {
        id: `AwsSolutions-IAM5[Resource::<${Stack.of(this).getLogicalId(props.chunkFunction.node.defaultChild as CfnResource)}.Arn>:*]`,
        reason:
          'CDK grants the Lambda task the function and its versions (`<arn>:*`): the chunk function only.',
      },
      {
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason:
          'X-Ray tracing and the delivery of errors to CloudWatch Logs (logs:CreateLogDelivery and the like) take no resource-level permissions.',
      },
      ...[`${executions}:*`, `${executions}/*:*`].map((finding) => ({
        id: `AwsSolutions-IAM5[Resource::${finding}]`,
        reason:
          'The Distributed Map starts, describes and stops the child executions of this state machine only, whose names it makes.',
      })),
    );
  }
}
