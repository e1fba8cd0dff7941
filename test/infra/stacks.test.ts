/** The deployable app: the resources the product needs, least privilege, and cdk-nag clean. */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { Queue } from 'aws-cdk-lib/aws-sqs';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../infra/cdk/app.ts';
import { pascal } from '../../infra/cdk/stateful-stack.ts';
import {
  CUSTOMER_INPUTS_QUEUE,
  FUNCTIONS,
  hasDeadLetterQueue,
  redrivesToFunction,
  WHOLE_BASE_JOB,
} from '../../infra/topology.ts';

const cdkContext = JSON.parse(readFileSync('cdk.json', 'utf8')).context as Record<string, unknown>;
const newApp = () => new App({ context: cdkContext, outdir: mkdtempSync(join(tmpdir(), 'cdk-test-')) });

let stateful: Template;
let stateless: Template;
let statelessJson: string;

beforeAll(() => {
  const app = newApp();
  const stacks = buildApp(app);
  stateful = Template.fromStack(stacks.stateful);
  stateless = Template.fromStack(stacks.stateless);
  statelessJson = JSON.stringify(stateless.toJSON());
});

describe('stateful stack', () => {
  it('keeps customers in one encrypted table with point-in-time recovery, retained on delete', () => {
    stateful.hasResource('AWS::DynamoDB::Table', {
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
      Properties: Match.objectLike({
        BillingMode: 'PAY_PER_REQUEST',
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        SSESpecification: { SSEEnabled: true },
        KeySchema: [
          { AttributeName: 'PK', KeyType: 'HASH' },
          { AttributeName: 'SK', KeyType: 'RANGE' },
        ],
        GlobalSecondaryIndexes: [
          Match.objectLike({ IndexName: 'due', Projection: { ProjectionType: 'KEYS_ONLY' } }),
        ],
        // The projections follow every change; sealed event log pages expire on their own.
        StreamSpecification: { StreamViewType: 'NEW_AND_OLD_IMAGES' },
        TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
      }),
    });
  });

  it('feeds the table’s stream to the projections, retried whole and set aside after 9 minutes', () => {
    stateless.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      StartingPosition: 'TRIM_HORIZON',
      BatchSize: 500,
      BisectBatchOnFunctionError: false,
      MaximumRecordAgeInSeconds: 540,
      DestinationConfig: { OnFailure: { Destination: Match.anyValue() } },
    });
  });

  it('has the event bus with an archive, and generated secrets for the write key, admin token and offer codes', () => {
    stateful.resourceCountIs('AWS::Events::EventBus', 1);
    stateful.hasResourceProperties('AWS::Events::Archive', { RetentionDays: 90 });
    stateful.resourceCountIs('AWS::SecretsManager::Secret', 4);
    stateful.allResourcesProperties('AWS::SecretsManager::Secret', {
      GenerateSecretString: Match.objectLike({ ExcludePunctuation: true }),
    });
  });
});

describe('stateless stack', () => {
  it('runs every function on nodejs24.x, arm64, traced, with its own log group', () => {
    // Ours, that is: CDK brings its own functions to deploy the console's files.
    const names = FUNCTIONS.map((spec) => pascal(spec.name));
    const ours = Object.entries(stateless.findResources('AWS::Lambda::Function'))
      .filter(([id]) => names.some((name) => new RegExp(`^${name}[0-9A-F]{8}$`).test(id)))
      .map(([, fn]) => fn);
    expect(ours).toHaveLength(FUNCTIONS.length);
    for (const fn of ours) {
      expect(fn.Properties).toMatchObject({
        Runtime: 'nodejs24.x',
        Architectures: ['arm64'],
        TracingConfig: { Mode: 'Active' },
        LoggingConfig: { LogGroup: expect.anything() },
      });
    }
    stateless.allResourcesProperties('AWS::Logs::LogGroup', { RetentionInDays: 30 });
  });

  it('routes the Segment API and the admin API through one HTTP API with access logs', () => {
    stateless.hasResourceProperties('AWS::ApiGatewayV2::Api', {
      ProtocolType: 'HTTP',
      CorsConfiguration: Match.objectLike({ AllowOrigins: ['*'] }),
    });
    stateless.hasResourceProperties('AWS::ApiGatewayV2::Route', { RouteKey: 'POST /v1/{type}' });
    stateless.hasResourceProperties('AWS::ApiGatewayV2::Route', { RouteKey: 'GET /admin/customers/{id}' });
    stateless.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      StageName: '$default',
      AccessLogSettings: Match.objectLike({ DestinationArn: Match.anyValue() }),
    });
  });

  it('feeds apply-event from a FIFO queue per customer, in batches, each record failing alone', () => {
    const queues = stateless.findResources('AWS::SQS::Queue');
    const inputs = Object.entries(queues).find(
      ([id]) => id.startsWith('CustomerInputs') && !id.includes('Dead'),
    );
    expect(inputs?.[1].Properties).toMatchObject({
      FifoQueue: true,
      DeduplicationScope: 'messageGroup',
      FifoThroughputLimit: 'perMessageGroupId',
      VisibilityTimeout: 180,
      RedrivePolicy: {
        maxReceiveCount: CUSTOMER_INPUTS_QUEUE.maxReceiveCount,
        deadLetterTargetArn: expect.anything(),
      },
      SqsManagedSseEnabled: true,
    });
    const dead = Object.entries(queues).find(([id]) => id.startsWith('CustomerInputsDeadLetters'));
    expect(dead?.[1].Properties).toMatchObject({ FifoQueue: true, MessageRetentionPeriod: 14 * 86_400 });
    stateless.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      BatchSize: 10,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      EventSourceArn: { 'Fn::GetAtt': [inputs?.[0], 'Arn'] },
      FunctionName: Match.objectLike({ Ref: Match.stringLikeRegexp('^ApplyEvent') }),
    });
    // No bus rule carries customer inputs any more.
    const patterns = Object.values(stateless.findResources('AWS::Events::Rule')).map(
      (rule) => rule.Properties.EventPattern,
    );
    expect(patterns.flatMap((pattern) => pattern['detail-type'] ?? [])).not.toContain(
      'Customer Events Received',
    );
    expect(patterns.flatMap((pattern) => pattern['detail-type'] ?? [])).not.toContain('Timer Due');
  });

  it('feeds send-message and the others from bus rules with retries and a dead-letter queue', () => {
    const rules = stateless.findResources('AWS::Events::Rule');
    const patterns = Object.values(rules).map((rule) => rule.Properties.EventPattern);
    expect(patterns).toEqual(
      expect.arrayContaining([{ source: ['lifecycle.engine'], 'detail-type': ['Message Requested'] }]),
    );
    for (const rule of Object.values(rules)) {
      expect(rule.Properties.Targets[0]).toMatchObject({
        RetryPolicy: { MaximumRetryAttempts: 2 },
        DeadLetterConfig: { Arn: expect.anything() },
      });
    }
    stateless.resourceCountIs(
      'AWS::Lambda::EventInvokeConfig',
      // Bus rules and schedules invoke asynchronously: each such function's failures reach its queue.
      FUNCTIONS.filter((fn) => fn.events.length > 0 || (fn.schedules?.length ?? 0) > 0).length,
    );
    stateless.allResourcesProperties('AWS::Lambda::EventInvokeConfig', {
      MaximumRetryAttempts: 2,
      DestinationConfig: { OnFailure: { Destination: Match.anyValue() } },
    });
    stateless.allResources('AWS::SQS::Queue', { DeletionPolicy: 'Retain' });
  });

  it('runs the sweep nightly at 03:00 UTC with EventBridge Scheduler, retrying into a dead-letter queue', () => {
    stateless.hasResourceProperties('AWS::Scheduler::Schedule', {
      ScheduleExpression: 'cron(0 3 * * ? *)',
      ScheduleExpressionTimezone: 'Etc/UTC',
      Target: Match.objectLike({
        RetryPolicy: Match.objectLike({ MaximumRetryAttempts: 2 }),
        DeadLetterConfig: Match.anyValue(),
      }),
    });
    const sweep = Object.entries(stateless.findResources('AWS::IAM::Policy')).find(([id]) =>
      id.startsWith('SweepRole'),
    );
    const statements = sweep?.[1].Properties.PolicyDocument.Statement as {
      Action: string | string[];
      Resource: unknown;
    }[];
    expect(statements.find((statement) => statement.Action === 'dynamodb:Query')?.Resource).toEqual({
      'Fn::Join': ['', [expect.anything(), '/index/due']],
    });
  });

  it('fits the model nightly at 02:00 UTC, an hour before the sweep, as a job of the jobs function', () => {
    stateless.hasResourceProperties('AWS::Scheduler::Schedule', {
      ScheduleExpression: 'cron(0 2 * * ? *)',
      ScheduleExpressionTimezone: 'Etc/UTC',
      Description: Match.stringLikeRegexp('NightlyModelFit -> jobs'),
      Target: Match.objectLike({ Input: JSON.stringify({ nightly: true }) }),
    });
  });

  it('runs whole-base jobs on Step Functions: a Distributed Map of chunk loops, retried, then the finish step', () => {
    const machines = stateless.findResources('AWS::StepFunctions::StateMachine');
    expect(Object.keys(machines)).toHaveLength(1);
    const [machine = { Properties: {} }] = Object.values(machines) as {
      Properties: Record<string, unknown>;
    }[];
    expect(machine.Properties).toMatchObject({
      StateMachineName: WHOLE_BASE_JOB.stateMachineName,
      TracingConfiguration: { Enabled: true },
    });
    // The definition is a string joined with the function's ARN: read its states.
    const parts = (machine.Properties.DefinitionString as { 'Fn::Join': [string, unknown[]] })['Fn::Join'][1];
    const definition = JSON.parse(
      parts
        .map((part) => (typeof part === 'string' ? part : '"ARN"'))
        .join('')
        .replace(/""ARN""/g, '"ARN"'),
    ) as { StartAt: string; States: Record<string, Record<string, unknown>> };
    expect(definition.StartAt).toBe('Parts');
    const map = definition.States.Parts as {
      ItemProcessor: {
        ProcessorConfig: { Mode: string; ExecutionType: string };
        States: Record<string, Record<string, unknown>>;
      };
      MaxConcurrency: number;
      ItemsPath: string;
      Next: string;
    };
    expect(map).toMatchObject({
      ItemsPath: '$.items',
      MaxConcurrency: WHOLE_BASE_JOB.maxConcurrency,
      Next: 'Finish',
    });
    expect(map.ItemProcessor.ProcessorConfig).toEqual({ Mode: 'DISTRIBUTED', ExecutionType: 'STANDARD' });
    const { Chunk: chunk, PartDone: done } = map.ItemProcessor.States;
    expect(chunk).toMatchObject({
      Next: 'PartDone',
      Retry: [
        {
          ErrorEquals: ['States.ALL'],
          IntervalSeconds: WHOLE_BASE_JOB.retry.intervalSeconds,
          BackoffRate: WHOLE_BASE_JOB.retry.backoffRate,
          MaxAttempts: WHOLE_BASE_JOB.retry.maxAttempts,
        },
      ],
    });
    expect(done).toMatchObject({
      Type: 'Choice',
      Choices: [{ Variable: '$.done', BooleanEquals: true, Next: 'PartFinished' }],
      Default: 'Chunk',
    });
    expect(definition.States.Finish).toMatchObject({
      End: true,
      Resource: 'ARN',
      Parameters: { 'jobId.$': '$.jobId', finish: true },
    });
    // Who may start runs: the jobs function and the admin API, on this state machine only
    const { policies, actionsOf } = grants();
    const starters = [...new Set(policies.map(([id]) => id.replace(/Role.*$/, 'Role')))].filter((role) =>
      actionsOf(role).includes('states:StartExecution'),
    );
    // (and the state machine itself: its Distributed Map starts a child execution per part).
    expect(starters.sort()).toEqual([
      'AdminRole',
      'JobsRole',
      expect.stringMatching(/^WholeBaseJobsStateMachineDistributedMapPolicy/),
    ]);
    stateless.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'ExecutionsFailed',
      Namespace: 'AWS/States',
    });
  });

  it('sends every email through an SES configuration set whose events go to the default bus, to ses-feedback', () => {
    stateless.hasResourceProperties('AWS::SES::ConfigurationSet', {
      ReputationOptions: { ReputationMetricsEnabled: true },
      SuppressionOptions: { SuppressedReasons: ['BOUNCE', 'COMPLAINT'] },
    });
    const [destination] = Object.values(
      stateless.findResources('AWS::SES::ConfigurationSetEventDestination'),
    );
    expect(destination?.Properties.EventDestination.Enabled).toBe(true);
    expect(destination?.Properties.EventDestination.MatchingEventTypes).toEqual(
      expect.arrayContaining(['bounce', 'complaint', 'delivery', 'open', 'click', 'renderingFailure']),
    );
    expect(JSON.stringify(stateless.findResources('AWS::SES::ConfigurationSetEventDestination'))).toContain(
      ':event-bus/default',
    );
    const feedbackRule = Object.values(stateless.findResources('AWS::Events::Rule')).find(
      (rule) => rule.Properties.EventPattern.source?.[0] === 'aws.ses',
    );
    expect(feedbackRule?.Properties.EventBusName).toBe('default');
    expect(feedbackRule?.Properties.EventPattern['detail-type']).toEqual(
      expect.arrayContaining([
        'Email Bounced',
        'Email Complaint Received',
        'Email Delivered',
        'Email Opened',
        'Email Clicked',
      ]),
    );
    const sender = Object.values(stateless.findResources('AWS::Lambda::Function')).find(
      (fn) => fn.Properties.Environment?.Variables?.SEND_RATE_SHARE,
    );
    expect(sender?.Properties.ReservedConcurrentExecutions).toBe(5);
    expect(sender?.Properties.Environment.Variables.SEND_RATE_SHARE).toBe('5');
  });

  it('routes one-click unsubscribe and the preference page', () => {
    stateless.hasResourceProperties('AWS::ApiGatewayV2::Route', { RouteKey: 'POST /u/{token}' });
    stateless.hasResourceProperties('AWS::ApiGatewayV2::Route', { RouteKey: 'GET /u/{token}' });
  });

  it('alarms on bounce and complaint rates, dead letters, function errors and rendering failures', () => {
    const alarms = Object.values(stateless.findResources('AWS::CloudWatch::Alarm'));
    const named = (metric: string) => alarms.find((alarm) => alarm.Properties.MetricName === metric);
    expect(named('Reputation.BounceRate')?.Properties).toMatchObject({
      Namespace: 'AWS/SES',
      Threshold: 0.04,
    });
    expect(named('Reputation.ComplaintRate')?.Properties).toMatchObject({
      Namespace: 'AWS/SES',
      Threshold: 0.001,
    });
    expect(named('SesRenderingFailures')).toBeDefined();
    // Every queue but the customer inputs is a dead-letter queue: anything in one wakes someone.
    const queues = Object.keys(stateless.findResources('AWS::SQS::Queue')).length;
    expect(
      alarms.filter((alarm) => alarm.Properties.MetricName === 'ApproximateNumberOfMessagesVisible'),
    ).toHaveLength(queues - 1);
    expect(named('ApproximateAgeOfOldestMessage')?.Properties).toMatchObject({ Threshold: 300 });
    expect(alarms.filter((alarm) => alarm.Properties.MetricName === 'Errors')).toHaveLength(FUNCTIONS.length);
    for (const alarm of alarms) expect(alarm.Properties.AlarmActions).toHaveLength(1);
    stateless.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: Match.anyValue() });
  });

  it('takes the write key and admin token from Secrets Manager, never as plain text', () => {
    const functions = Object.values(stateless.findResources('AWS::Lambda::Function'));
    const variables = functions.map((fn) => fn.Properties.Environment?.Variables ?? {});
    expect(variables.some((env) => 'WRITE_KEY_SECRET_ID' in env)).toBe(true);
    expect(variables.some((env) => 'ADMIN_TOKEN_SECRET_ID' in env)).toBe(true);
    for (const env of variables) {
      expect(env).not.toHaveProperty('WRITE_KEY');
      expect(env).not.toHaveProperty('ADMIN_TOKEN');
    }
    expect(statelessJson).not.toContain('dev-write-key');
  });

  it('gives every function the environment its handler needs to start', () => {
    const functions = Object.values(stateless.findResources('AWS::Lambda::Function'));
    for (const spec of FUNCTIONS) {
      const deployed = functions.find((fn) => fn.Properties.Description === spec.description);
      const variables = Object.fromEntries(
        Object.entries((deployed?.Properties.Environment?.Variables ?? {}) as Record<string, unknown>).map(
          // A value CDK resolves at deploy time stands in as a URL (valid wherever any string is).
          ([name, value]) => [name, deployTimeValue(value, name)],
        ),
      );
      // Only what CDK sets, plus what Lambda itself provides: a missing variable fails the import.
      const result = spawnSync(
        process.execPath,
        ['--import', 'tsx', '-e', `await import('./${spec.entry}')`],
        {
          encoding: 'utf8',
          env: { PATH: process.env.PATH, AWS_REGION: 'us-east-1', ...variables },
        },
      );
      expect({
        fn: spec.name,
        status: result.status,
        error: result.status === 0 ? '' : result.stderr.split('\n').find((line) => line.startsWith('Error')),
      }).toEqual({
        fn: spec.name,
        status: 0,
        error: '',
      });
    }
  });

  it('grants each function only what its topology entry says', () => {
    const { policies, actionsOf } = grants();
    expect(actionsOf('IngestRole')).toEqual(
      expect.arrayContaining(['sqs:SendMessage', 'secretsmanager:GetSecretValue']),
    );
    // Ingest reads and counts the sources, and nothing else of the table: the SOURCES partition.
    const ingestTableStatements = policies
      .filter(([id]) => id.startsWith('IngestRole'))
      .flatMap(([, policy]) => policy.Properties.PolicyDocument.Statement)
      .filter((statement: { Action: string | string[] }) =>
        [statement.Action].flat().some((action) => action.startsWith('dynamodb:')),
      );
    expect(ingestTableStatements.length).toBeGreaterThan(0);
    for (const statement of ingestTableStatements)
      expect(statement.Condition).toEqual({
        'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['SOURCES'] },
      });
    expect(actionsOf('IngestRole')).not.toContain('dynamodb:Scan');
    expect(actionsOf('AdminRole')).toEqual(expect.arrayContaining(['dynamodb:GetItem', 'dynamodb:PutItem']));
    // Of the admin API, only the templates function sends email (the test sends).
    expect(actionsOf('AdminRole')).not.toContain('ses:SendEmail');
    expect(actionsOf('TemplatesRole')).toEqual(
      expect.arrayContaining(['dynamodb:GetItem', 'dynamodb:PutItem', 'ses:SendEmail']),
    );
    expect(actionsOf('TemplatesRole')).not.toContain('events:PutEvents');
    expect(
      actionsOf('SweepRole').some(
        (action: string) => action.startsWith('dynamodb:') && action !== 'dynamodb:Query',
      ),
    ).toBe(false);
    expect(actionsOf('SendMessageRole')).toContain('ses:SendEmail');
    expect(actionsOf('ApplyEventRole')).not.toContain('ses:SendEmail');
    // Customer inputs: sent by the tracking API, the platforms' webhooks, the sweep and the admin
    // API (a sweep by hand); taken only by apply-event.
    const inputsQueue = Object.keys(stateless.findResources('AWS::SQS::Queue')).find(
      (id) => id.startsWith('CustomerInputs') && !id.includes('Dead'),
    );
    const senders = [
      ...new Set(
        policies
          .filter(([, policy]) =>
            policy.Properties.PolicyDocument.Statement.some(
              (statement: { Action: string | string[]; Resource: unknown }) =>
                [statement.Action].flat().includes('sqs:SendMessage') &&
                JSON.stringify(statement.Resource).includes(`"${inputsQueue}"`),
            ),
          )
          .map(([id]) => id.replace(/Role.*$/, 'Role')),
      ),
    ];
    expect(senders.sort()).toEqual(['AdminRole', 'IngestRole', 'SourcesRole', 'SweepRole']);
    expect(actionsOf('IngestRole')).not.toContain('events:PutEvents');
    expect(actionsOf('ApplyEventRole')).toEqual(
      expect.arrayContaining(['sqs:ReceiveMessage', 'sqs:DeleteMessage']),
    );
    // Only the whole-base jobs' chunks read the whole table: no request, no event.
    const scanners = [...new Set(policies.map(([id]) => id.replace(/Role.*$/, 'Role')))].filter((role) =>
      actionsOf(role).includes('dynamodb:Scan'),
    );
    expect(scanners).toEqual(['JobsRole']);
    // Redriving dead letters: only the admin API reads the dead-letter queues and invokes functions,
    // and only the functions whose letters it sends back (their ARNs, no versions or wildcards).
    const invokers = [...new Set(policies.map(([id]) => id.replace(/Role.*$/, 'Role')))].filter((role) =>
      actionsOf(role).includes('lambda:InvokeFunction'),
    );
    // (The schedules and the state machine invoke their functions: that is their whole work.)
    expect(
      invokers.filter((role) => !['SchedulerRole', 'WholeBaseJobsStateMachineRole'].includes(role)),
    ).toEqual(['AdminRole']);
    const invoked = policies
      .filter(([id]) => id.startsWith('AdminRole'))
      .flatMap(([, policy]) => policy.Properties.PolicyDocument.Statement)
      .filter((statement: { Action: string | string[] }) =>
        [statement.Action].flat().includes('lambda:InvokeFunction'),
      )
      .flatMap((statement: { Resource: unknown }) => [statement.Resource].flat())
      .map((resource: unknown) => JSON.stringify(resource));
    const redriven = FUNCTIONS.filter(hasDeadLetterQueue).filter(redrivesToFunction);
    expect(invoked).toHaveLength(redriven.length);
    for (const resource of invoked) expect(resource).not.toContain('*');
    expect(actionsOf('AdminRole')).toEqual(
      expect.arrayContaining(['sqs:ReceiveMessage', 'sqs:ChangeMessageVisibility', 'sqs:DeleteMessage']),
    );
    const admin = Object.values(stateless.findResources('AWS::Lambda::Function')).find(
      (fn) => fn.Properties.Description === FUNCTIONS.find((spec) => spec.name === 'admin')?.description,
    );
    const queues = JSON.parse(
      deployTimeValue(admin?.Properties.Environment.Variables.DEAD_LETTER_QUEUES, 'q'),
    );
    expect(queues.map((queue: { name: string }) => queue.name).sort()).toEqual(
      ['customer-inputs', ...FUNCTIONS.filter(hasDeadLetterQueue).map((spec) => spec.name)].sort(),
    );
  });
});

/** The stateless stack's IAM policies, and the actions of a role's. */
function grants() {
  const policies = Object.entries(stateless.findResources('AWS::IAM::Policy'));
  const actionsOf = (role: string) =>
    policies
      .filter(([id]) => id.startsWith(role))
      .flatMap(([, policy]) =>
        policy.Properties.PolicyDocument.Statement.flatMap((s: { Action: string | string[] }) => s.Action),
      );
  return { policies, actionsOf };
}

describe('the web console', () => {
  it('serves the built console from a private bucket through CloudFront with origin access control', () => {
    stateless.hasResourceProperties('AWS::S3::Bucket', {
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
    });
    stateless.hasResourceProperties('AWS::CloudFront::OriginAccessControl', {
      OriginAccessControlConfig: Match.objectLike({
        OriginAccessControlOriginType: 's3',
        SigningBehavior: 'always',
      }),
    });
    stateless.hasResourceProperties('AWS::S3::BucketPolicy', {
      PolicyDocument: Match.objectLike({
        Statement: Match.arrayWith([
          Match.objectLike({ Principal: { Service: 'cloudfront.amazonaws.com' }, Action: 's3:GetObject' }),
        ]),
      }),
    });
    stateless.hasResourceProperties('Custom::CDKBucketDeployment', {
      DestinationBucketKeyPrefix: 'console/',
    });
    stateless.hasResourceProperties('AWS::CloudFront::Function', {
      FunctionCode: Match.stringLikeRegexp("request.uri \\+= 'index.html'"),
    });
  });

  it('forwards /admin/* on the same origin to the API, uncached, and sends a content security policy', () => {
    const distribution = Object.values(stateless.findResources('AWS::CloudFront::Distribution'))[0];
    const config = distribution?.Properties.DistributionConfig;
    const admin = config.CacheBehaviors.find(
      (behavior: { PathPattern: string }) => behavior.PathPattern === '/admin/*',
    );
    expect(admin).toMatchObject({
      CachePolicyId: '4135ea2d-6df8-44a3-9df3-4b5a84be39ad',
      AllowedMethods: expect.arrayContaining(['GET', 'POST', 'PUT', 'DELETE']),
      ViewerProtocolPolicy: 'https-only',
    });
    stateless.hasResourceProperties('AWS::CloudFront::ResponseHeadersPolicy', {
      ResponseHeadersPolicyConfig: Match.objectLike({
        SecurityHeadersConfig: Match.objectLike({
          ContentSecurityPolicy: {
            ContentSecurityPolicy: Match.stringLikeRegexp("script-src 'self'"),
            Override: true,
          },
          FrameOptions: { FrameOption: 'DENY', Override: true },
        }),
      }),
    });
  });

  it('gives marketers their role by Cognito group: admin, editor, viewer', () => {
    const groups = Object.values(stateful.findResources('AWS::Cognito::UserPoolGroup')).map(
      (group) => (group as { Properties: { GroupName: string } }).Properties.GroupName,
    );
    expect(groups.sort()).toEqual(['admin', 'editor', 'viewer']);
  });

  it('signs marketers in with Cognito: no self sign-up, MFA required, code flow with PKCE and no client secret', () => {
    stateful.hasResourceProperties('AWS::Cognito::UserPool', {
      AdminCreateUserConfig: { AllowAdminCreateUserOnly: true },
      MfaConfiguration: 'ON',
    });
    stateless.hasResourceProperties('AWS::Cognito::UserPoolClient', {
      AllowedOAuthFlows: ['code'],
      GenerateSecret: false,
      CallbackURLs: [Match.objectLike({ 'Fn::Join': Match.anyValue() })],
    });
    // Both functions of the admin API (admin, templates) trust the pool's tokens.
    const adminApi = Object.values(stateless.findResources('AWS::Lambda::Function')).filter(
      (fn) => fn.Properties.Environment?.Variables?.COGNITO_CLIENT_ID,
    );
    expect(adminApi).toHaveLength(2);
    for (const fn of adminApi)
      expect(fn.Properties.Environment.Variables).toMatchObject({
        COGNITO_USER_POOL_ID: expect.anything(),
        COGNITO_CLIENT_ID: expect.anything(),
        ADMIN_TOKEN_SECRET_ID: expect.anything(),
      });
    // config.json is written at deployment, with the client id and the sign-in domain filled in.
    const deployment = Object.values(stateless.findResources('Custom::CDKBucketDeployment'))[0];
    const markers = JSON.stringify(deployment?.Properties.SourceMarkers);
    expect(markers).toMatch(/ConsoleClient/);
    expect(markers).toMatch(/ConsoleSignIn/);
  });
});

describe('replies (SES receiving)', () => {
  const withInbound = () => {
    const app = new App({
      context: { ...cdkContext, inboundDomain: 'replies.shop.example', supportAddress: 'help@shop.example' },
      outdir: mkdtempSync(join(tmpdir(), 'cdk-test-')),
    });
    return { app, stacks: buildApp(app) };
  };

  it('stores received mail in S3 first, then invokes the inbound function, which reads only that prefix', () => {
    const { stacks } = withInbound();
    const template = Template.fromStack(stacks.stateless);
    template.hasResourceProperties('AWS::SES::ReceiptRule', {
      Rule: Match.objectLike({
        Recipients: ['replies.shop.example'],
        ScanEnabled: true,
        TlsPolicy: 'Require',
        Actions: [
          { S3Action: Match.objectLike({ ObjectKeyPrefix: 'inbound/' }) },
          { LambdaAction: Match.objectLike({ InvocationType: 'Event' }) },
        ],
      }),
    });
    const inbound = Object.values(template.findResources('AWS::Lambda::Function')).find((fn) =>
      JSON.stringify(fn).includes('INBOUND_BUCKET'),
    );
    expect(JSON.stringify(inbound)).toContain('"SUPPORT_ADDRESS":"help@shop.example"');
    const sender = Object.values(template.findResources('AWS::Lambda::Function')).filter((fn) =>
      JSON.stringify(fn).includes('"INBOUND_DOMAIN":"replies.shop.example"'),
    );
    expect(sender.length).toBeGreaterThan(0);
    expect(JSON.stringify(template.toJSON())).toMatch(/"s3:GetObject\*?".*"\/inbound\/\*"/);
    Template.fromStack(stacks.stateful).hasResourceProperties('AWS::S3::Bucket', {
      LifecycleConfiguration: { Rules: [Match.objectLike({ ExpirationInDays: 30, Status: 'Enabled' })] },
    });
  });

  it('stays cdk-nag clean with receiving on', () => {
    expect(() => withInbound().app.synth()).not.toThrow();
  });

  it('without an inbound domain, no receipt rule and no Reply-To domain', () => {
    stateless.resourceCountIs('AWS::SES::ReceiptRule', 0);
    expect(statelessJson).not.toContain('INBOUND_DOMAIN');
  });
});

describe('cdk-nag (AwsSolutions)', () => {
  it('passes: every finding is fixed or acknowledged with a reason', () => {
    const app = newApp();
    buildApp(app);
    expect(() => app.synth()).not.toThrow();
  });

  it('fails synth on an unacknowledged finding (the check is really running)', () => {
    const app = newApp();
    buildApp(app);
    const extra = new Stack(app, 'Careless');
    new Queue(extra, 'Unsafe');
    expect(() => app.synth()).toThrow(/AwsSolutions/);
  });

  it('`cdk synth` works offline from cdk.json, bundling with esbuild and no Docker', () => {
    const result = spawnSync(
      'npx',
      ['cdk', 'synth', '--quiet', '--output', mkdtempSync(join(tmpdir(), 'cdk-cli-'))],
      {
        encoding: 'utf8',
        env: { ...process.env, CDK_DISABLE_VERSION_CHECK: '1', DOCKER_HOST: 'unix:///nonexistent' },
      },
    );
    expect(`${result.stdout}${result.stderr}`).toMatch(/Successfully synthesized/);
    expect(result.status).toBe(0);
  });
});

/**
 * A CloudFormation value as a string: a reference resolved at deploy time stands in as a URL
 * (valid wherever any string is), a join of parts (JSON holding queue URLs) joined.
 */
function deployTimeValue(value: unknown, name: string): string {
  if (typeof value === 'string') return value;
  const join = (value as { 'Fn::Join'?: [string, unknown[]] })?.['Fn::Join'];
  if (join) return join[1].map((part, index) => deployTimeValue(part, `${name}-${index}`)).join(join[0]);
  return `https://deployed.example/${name.toLowerCase()}`;
}
