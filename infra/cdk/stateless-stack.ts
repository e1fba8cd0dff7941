/**
 * What can be replaced at any time: the HTTP API, the functions, the rules. Built entry by entry
 * from infra/topology.ts, each function granted exactly what its entry says it may touch.
 */
import {
  type CfnResource,
  Duration,
  RemovalPolicy,
  Stack,
  type StackProps,
  TimeZone,
  Validations,
} from 'aws-cdk-lib';
import {
  CorsHttpMethod,
  HttpApi,
  HttpMethod,
  HttpStage,
  LogGroupLogDestination,
} from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import type { UserPool } from 'aws-cdk-lib/aws-cognito';
import type { Table } from 'aws-cdk-lib/aws-dynamodb';
import { EventBus, type EventPattern, Rule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { StartingPosition } from 'aws-cdk-lib/aws-lambda';
import { SqsDestination } from 'aws-cdk-lib/aws-lambda-destinations';
import { DynamoEventSource, SqsDlq, SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Bucket } from 'aws-cdk-lib/aws-s3';
import { Schedule, ScheduleExpression, ScheduleTargetInput } from 'aws-cdk-lib/aws-scheduler';
import { LambdaInvoke } from 'aws-cdk-lib/aws-scheduler-targets';
import type { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import {
  ConfigurationSet,
  EmailSendingEvent,
  EventDestination,
  ReceiptRuleSet,
  SuppressionReasons,
  TlsPolicy,
} from 'aws-cdk-lib/aws-ses';
import { Lambda as LambdaAction, LambdaInvocationType, S3 } from 'aws-cdk-lib/aws-ses-actions';
import type { Topic } from 'aws-cdk-lib/aws-sns';
import { DeduplicationScope, FifoThroughputLimit, Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import type { StateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import type { Construct } from 'constructs';
import { INBOUND_PREFIX } from '../../functions/inbound/inbound.ts';
import { DUE_INDEX } from '../../shared/adapters/dynamodb/table.ts';
import {
  ADMIN_API_FUNCTIONS,
  CUSTOMER_INPUTS_QUEUE,
  FUNCTIONS,
  type FunctionSpec,
  parseTimeOfDay,
  redrivesToFunction,
  WHOLE_BASE_JOB,
} from '../topology.ts';
import { Alarms } from './alarms.ts';
import { ConsoleSite } from './console-site.ts';
import { LifecycleFunction } from './lifecycle-function.ts';
import { inboundBucketName, pascal } from './stateful-stack.ts';
import { jobStateMachineArn, WholeBaseJobs } from './whole-base-jobs.ts';

export interface SenderSettings {
  mailFrom: string;
  /** The SES identity (domain or address) the product sends as. */
  sesIdentity: string;
  brandName: string;
  postalAddress: string;
}

export interface StatelessStackProps extends StackProps {
  table: Table;
  bus: EventBus;
  writeKey: Secret;
  adminToken: Secret;
  offerSecret: Secret;
  unsubscribeSecret: Secret;
  sender: SenderSettings;
  /** Marketers who may sign in to the console. */
  userPool: UserPool;
  /** The console's sign-in page prefix (`<prefix>.auth.<region>.amazoncognito.com`); default `lifecycle-<account>`. */
  signInDomainPrefix?: string;
  /** A daily schedule's time (`HH:MM` UTC) by schedule name, instead of the topology's. */
  scheduleAtUtc?: Record<string, string | undefined>;
  /** Who gets the alarms by email (none: subscribe to the topic yourself). */
  alarmEmail?: string;
  /** Where SES stores received replies. */
  inboundMail: Bucket;
  /** The domain replies come to (its MX points at SES receiving); unset, emails carry no Reply-To of ours. */
  inboundDomain?: string;
  /** The shop's support mailbox, which gets a copy of every reply. */
  supportAddress?: string;
}

export class StatelessStack extends Stack {
  readonly api: HttpApi;
  readonly functions = new Map<string, LifecycleFunction>();
  /** One dead-letter queue per event-driven function: what its rule or its retries gave up on. */
  readonly deadLetterQueues = new Map<string, Queue>();
  /** Customer inputs (events, timers due) on their way to apply-event, in order per customer. */
  readonly customerInputs: Queue;
  readonly configurationSet: ConfigurationSet;
  /** Runs whole-base jobs in chunks. */
  readonly jobs: StateMachine;
  readonly alarmsTopic: Topic;
  readonly console: ConsoleSite;

  constructor(scope: Construct, id: string, props: StatelessStackProps) {
    super(scope, id, props);

    this.api = new HttpApi(this, 'Api', {
      description: 'Segment-compatible tracking API and the admin API',
      createDefaultStage: false,
      // Browsers running analytics.js post from the customer's site: any origin may send events.
      corsPreflight: {
        allowOrigins: ['*'],
        allowMethods: [CorsHttpMethod.GET, CorsHttpMethod.POST, CorsHttpMethod.PUT, CorsHttpMethod.DELETE],
        allowHeaders: ['authorization', 'content-type', 'content-encoding'],
        maxAge: Duration.minutes(10),
      },
    });
    const accessLogs = new LogGroup(this, 'ApiAccessLogs', { retention: RetentionDays.ONE_MONTH });
    new HttpStage(this, 'DefaultStage', {
      httpApi: this.api,
      stageName: '$default',
      autoDeploy: true,
      accessLogSettings: { destination: new LogGroupLogDestination(accessLogs) },
      throttle: { rateLimit: 2000, burstLimit: 5000 },
    });

    // Every email goes through this configuration set: SES publishes what happens to it (delivery,
    // bounce, complaint, open, click, ...) to the default bus, where ses-feedback listens.
    this.configurationSet = new ConfigurationSet(this, 'EmailConfiguration', {
      reputationMetrics: true,
      sendingEnabled: true,
      suppressionReasons: SuppressionReasons.BOUNCES_AND_COMPLAINTS,
    });
    const defaultBus = EventBus.fromEventBusName(this, 'DefaultBus', 'default');
    this.configurationSet.addEventDestination('ToEventBridge', {
      destination: EventDestination.eventBus(defaultBus),
      events: [
        EmailSendingEvent.SEND,
        EmailSendingEvent.DELIVERY,
        EmailSendingEvent.BOUNCE,
        EmailSendingEvent.COMPLAINT,
        EmailSendingEvent.REJECT,
        EmailSendingEvent.OPEN,
        EmailSendingEvent.CLICK,
        EmailSendingEvent.RENDERING_FAILURE,
        EmailSendingEvent.DELIVERY_DELAY,
      ],
    });

    this.customerInputs = this.customerInputsQueue();

    for (const spec of FUNCTIONS) {
      const fn = new LifecycleFunction(this, pascal(spec.name), {
        spec,
        environment: this.environmentFor(spec, props),
      });
      grant(fn, spec, props, this.configurationSet.configurationSetName);
      if (spec.access.sendCustomerInputs) this.customerInputs.grantSendMessages(fn);
      if (spec.access.startJobs)
        fn.addToRolePolicy(
          new PolicyStatement({ actions: ['states:StartExecution'], resources: [jobStateMachineArn(this)] }),
        );
      this.functions.set(spec.name, fn);
      acknowledgeFunctionFindings(fn, spec);

      if (spec.routes.length > 0) {
        const integration = new HttpLambdaIntegration(`${pascal(spec.name)}Integration`, fn);
        for (const routeKey of spec.routes) {
          const [method, path] = routeKey.split(' ') as [keyof typeof HttpMethod, string];
          const [route] = this.api.addRoutes({ path, methods: [HttpMethod[method]], integration });
          if (route)
            Validations.of(route).acknowledge({
              id: 'AwsSolutions-APIG4',
              reason: ROUTE_AUTHORIZATION[spec.name] ?? '',
            });
        }
      }

      for (const trigger of spec.schedules ?? []) {
        let schedule: ScheduleExpression;
        let when: string;
        if ('dailyAtUtc' in trigger) {
          const at = props.scheduleAtUtc?.[trigger.name] ?? trigger.dailyAtUtc;
          const { hour, minute } = parseTimeOfDay(at);
          schedule = ScheduleExpression.cron({
            hour: String(hour),
            minute: String(minute),
            timeZone: TimeZone.ETC_UTC,
          });
          when = `daily at ${at} UTC`;
        } else {
          schedule = ScheduleExpression.rate(Duration.minutes(trigger.everyMinutes));
          when = `every ${trigger.everyMinutes} minutes`;
        }
        new Schedule(this, trigger.name, {
          description: `${trigger.name} -> ${spec.name}, ${when}`,
          schedule,
          target: new LambdaInvoke(fn, {
            retryAttempts: 2,
            deadLetterQueue: this.deadLetterQueue(spec),
            input: ScheduleTargetInput.fromObject(trigger.input ?? {}),
          }),
        });
      }
      if (spec.schedules?.length) this.acknowledgeSchedulerRole(fn);

      if (spec.inboundMail && props.inboundDomain) this.receiveReplies(fn, props);

      if (spec.customerInputs) {
        // Each record's failure reported alone: the rest of the batch is deleted, not retried.
        fn.addEventSource(
          new SqsEventSource(this.customerInputs, {
            batchSize: spec.customerInputs.batchSize,
            reportBatchItemFailures: true,
          }),
        );
      }

      if (spec.stream) {
        fn.addEventSource(
          new DynamoEventSource(props.table, {
            startingPosition: StartingPosition.TRIM_HORIZON,
            batchSize: spec.stream.batchSize,
            maxBatchingWindow: Duration.seconds(spec.stream.maxBatchingWindowSeconds),
            // A batch is retried whole (its counters' idempotency tokens make a retry count once,
            // for 10 minutes), never split; one that still fails is set aside, not counted twice.
            bisectBatchOnError: false,
            retryAttempts: 20,
            maxRecordAge: Duration.minutes(9),
            onFailure: new SqsDlq(this.deadLetterQueue(spec)),
          }),
        );
      }

      if (spec.events.length > 0 || (spec.schedules?.length ?? 0) > 0)
        // Bus rules and schedules invoke asynchronously: a failure inside the function (after
        // Lambda's own retries) lands in its dead-letter queue with the error and the input.
        fn.configureAsyncInvoke({
          retryAttempts: 2,
          onFailure: new SqsDestination(this.deadLetterQueue(spec)),
        });
      if (spec.events.length > 0) {
        const deadLetters = this.deadLetterQueue(spec);
        for (const trigger of spec.events) {
          new Rule(this, trigger.rule, {
            eventBus: trigger.bus === 'default' ? defaultBus : props.bus,
            description: `${trigger.rule} -> ${spec.name}`,
            eventPattern: cdkPattern(trigger.pattern),
            // Failures to deliver at all (throttling, missing permissions) land in the same queue.
            targets: [
              new LambdaFunction(fn, {
                deadLetterQueue: deadLetters,
                retryAttempts: trigger.retryAttempts,
                maxEventAge: Duration.hours(6),
              }),
            ],
          });
        }
      }
    }
    const chunkFunction = this.functions.get(WHOLE_BASE_JOB.chunkFunction);
    if (!chunkFunction)
      throw new Error(`the topology has no ${WHOLE_BASE_JOB.chunkFunction} function for jobs`);
    this.jobs = new WholeBaseJobs(this, 'WholeBaseJobs', { chunkFunction }).stateMachine;
    this.alarmsTopic = this.alarms(props.alarmEmail).topic;
    for (const spec of FUNCTIONS) if (spec.access.deadLetters) this.redriveFrom(spec);

    const adminApi = ADMIN_API_FUNCTIONS.map((name) => {
      const fn = this.functions.get(name);
      if (!fn) throw new Error(`the topology has no ${name} function for the console`);
      return fn;
    });
    this.console = new ConsoleSite(this, 'Console', {
      api: this.api,
      userPool: props.userPool,
      adminApi,
      signInDomainPrefix: props.signInDomainPrefix ?? `lifecycle-${this.account}`,
    });
    this.acknowledgeCdkCustomResources();
  }

  /**
   * SES receiving for the inbound domain: the raw message to S3 first, then the function (which
   * reads it there). SES allows one active rule set per region: activate this one (console or
   * `aws ses set-active-receipt-rule-set`), or add the rule to the set you have.
   */
  private receiveReplies(fn: LifecycleFunction, props: StatelessStackProps) {
    new ReceiptRuleSet(this, 'InboundRules', {
      rules: [
        {
          recipients: [props.inboundDomain ?? ''],
          scanEnabled: true,
          tlsPolicy: TlsPolicy.REQUIRE,
          actions: [
            new S3({ bucket: props.inboundMail, objectKeyPrefix: INBOUND_PREFIX }),
            new LambdaAction({ function: fn, invocationType: LambdaInvocationType.EVENT }),
          ],
        },
      ],
    });
  }

  /** The function CDK adds to copy the console's files into its bucket and invalidate the distribution. */
  private acknowledgeCdkCustomResources() {
    const bucket = this.getLogicalId(this.console.bucket.node.defaultChild as CfnResource);
    const copying =
      'CDK’s bucket deployment reads its asset from the CDK assets bucket, replaces every file under console/ in the console bucket, and invalidates the distribution (CloudFront invalidations have no resource-level permissions).';
    for (const child of this.node.children) {
      if (!child.node.id.startsWith('Custom::CDKBucketDeployment')) continue;
      Validations.of(child).acknowledge(
        {
          id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
          reason: 'A CDK-provided custom resource function, with the basic execution role CDK gives it.',
        },
        ...[
          'Action::s3:GetObject*',
          'Action::s3:GetBucket*',
          'Action::s3:List*',
          'Action::s3:DeleteObject*',
          'Action::s3:Abort*',
          'Resource::arn:<AWS::Partition>:s3:::cdk-hnb659fds-assets-<AWS::AccountId>-<AWS::Region>/*',
          `Resource::<${bucket}.Arn>/*`,
          'Resource::*',
        ].map((finding) => ({ id: `AwsSolutions-IAM5[${finding}]`, reason: copying })),
        {
          id: 'AwsSolutions-L1',
          reason: 'The runtime of CDK-provided custom resource functions is chosen by aws-cdk-lib.',
        },
      );
    }
  }

  /**
   * A function that reads every dead-letter queue and sends letters back: the queues' URLs and
   * where each goes back to (DEAD_LETTER_QUEUES), consuming them, sending to the customer-inputs
   * queue, and invoking the functions whose letters they are (those functions only, no versions).
   */
  private redriveFrom(spec: FunctionSpec) {
    const fn = this.functions.get(spec.name);
    if (!fn) return;
    const sources: {
      name: string;
      url: string;
      redrive?: { queueUrl: string } | { functionName: string };
    }[] = [];
    for (const [name, queue] of this.deadLetterQueues) {
      queue.grantConsumeMessages(fn);
      const target = FUNCTIONS.find((candidate) => candidate.name === name);
      const targetFn = this.functions.get(name);
      if (name === 'customer-inputs') {
        this.customerInputs.grantSendMessages(fn);
        sources.push({ name, url: queue.queueUrl, redrive: { queueUrl: this.customerInputs.queueUrl } });
      } else if (target && targetFn && redrivesToFunction(target)) {
        fn.addToRolePolicy(
          new PolicyStatement({ actions: ['lambda:InvokeFunction'], resources: [targetFn.functionArn] }),
        );
        sources.push({ name, url: queue.queueUrl, redrive: { functionName: targetFn.functionName } });
      } else sources.push({ name, url: queue.queueUrl });
    }
    fn.addEnvironment('DEAD_LETTER_QUEUES', this.toJsonString(sources));
  }

  /** What must wake someone up: reputation, dead letters, errors, rendering failures. */
  private alarms(email: string | undefined) {
    return new Alarms(this, 'Alarms', {
      functions: this.functions,
      deadLetterQueues: this.deadLetterQueues,
      customerInputs: this.customerInputs,
      jobs: this.jobs,
      feedbackLogs: this.functions.get('ses-feedback')?.logGroup,
      ...(email ? { email } : {}),
    });
  }

  /** The role CDK makes for the scheduler may invoke the function and its versions (`<arn>:*`). */
  private acknowledgeSchedulerRole(fn: LifecycleFunction) {
    const functionId = this.getLogicalId(fn.node.defaultChild as CfnResource);
    for (const child of this.node.children) {
      if (!child.node.id.startsWith('SchedulerRoleForTarget')) continue;
      const policy = child.node.tryFindChild('DefaultPolicy');
      if (!policy) continue;
      Validations.of(policy).acknowledge({
        id: `AwsSolutions-IAM5[Resource::<${functionId}.Arn>:*]`,
        reason: 'The scheduler may invoke only this function; the :* suffix covers its versions and aliases.',
      });
    }
  }

  private environmentFor(spec: FunctionSpec, props: StatelessStackProps): Record<string, string> {
    const environment: Record<string, string> = {};
    if (spec.access.table || spec.access.dueIndex || spec.access.sources)
      environment.TABLE_NAME = props.table.tableName;
    if (spec.access.publishToBus) environment.EVENT_BUS_NAME = props.bus.eventBusName;
    if (spec.access.startJobs) environment.JOB_STATE_MACHINE_ARN = jobStateMachineArn(this);
    if (spec.access.sendCustomerInputs) {
      environment.EVENT_BUS_NAME = props.bus.eventBusName;
      environment.CUSTOMER_INPUTS_QUEUE_URL = this.customerInputs.queueUrl;
    }
    for (const name of spec.access.secrets ?? []) {
      const { secret, variable } = secretsOf(props)[name];
      environment[variable] = secret.secretArn;
    }
    if (spec.access.sender || spec.access.sendEmail) {
      environment.MAIL_FROM = props.sender.mailFrom;
      environment.BRAND_NAME = props.sender.brandName;
      environment.POSTAL_ADDRESS = props.sender.postalAddress;
    }
    if (spec.access.readInboundMail) environment.INBOUND_BUCKET = inboundBucketName(this);
    if (spec.inboundMail && props.supportAddress) environment.SUPPORT_ADDRESS = props.supportAddress;
    // Links in emails and the webhook URLs of sources name the API's public address.
    if (spec.access.sendEmail || spec.routes.length > 0) environment.PUBLIC_URL = this.api.apiEndpoint;
    if (spec.access.sendEmail) {
      if (props.inboundDomain) environment.INBOUND_DOMAIN = props.inboundDomain;
      environment.SES_CONFIGURATION_SET = this.configurationSet.configurationSetName;
      if (spec.access.concurrency) environment.SEND_RATE_SHARE = String(spec.access.concurrency);
    }
    return environment;
  }

  /**
   * FIFO, high-throughput mode: the customer is the message group, so throughput and
   * deduplication are per customer. A message is invisible for six times apply-event's timeout
   * (AWS's advice for Lambda), and a dead letter after its third receive.
   */
  private customerInputsQueue() {
    const consumer = FUNCTIONS.find((spec) => spec.customerInputs);
    const dead = new Queue(this, 'CustomerInputsDeadLetters', {
      fifo: true,
      retentionPeriod: Duration.days(CUSTOMER_INPUTS_QUEUE.deadLetterRetentionDays),
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    Validations.of(dead).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason: 'This queue is itself the dead-letter queue of the customer inputs; it needs none of its own.',
    });
    this.deadLetterQueues.set('customer-inputs', dead);
    return new Queue(this, 'CustomerInputs', {
      fifo: true,
      deduplicationScope: DeduplicationScope.MESSAGE_GROUP,
      fifoThroughputLimit: FifoThroughputLimit.PER_MESSAGE_GROUP_ID,
      visibilityTimeout: Duration.seconds(6 * (consumer?.timeoutSeconds ?? 30)),
      retentionPeriod: Duration.days(4),
      deadLetterQueue: { queue: dead, maxReceiveCount: CUSTOMER_INPUTS_QUEUE.maxReceiveCount },
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
  }

  private deadLetterQueue(spec: FunctionSpec) {
    const existing = this.deadLetterQueues.get(spec.name);
    if (existing) return existing;
    const queue = new Queue(this, `${pascal(spec.name)}DeadLetters`, {
      retentionPeriod: Duration.days(14),
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    Validations.of(queue).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason: 'This queue is itself the dead-letter queue of the function; it needs none of its own.',
    });
    this.deadLetterQueues.set(spec.name, queue);
    return queue;
  }
}

/** Secrets by the name the topology uses, and the variable that carries each one's id. */
/** How each public route is authenticated, as cdk-nag asks (API Gateway authorizers are not used). */
const ROUTE_AUTHORIZATION: Record<string, string> = {
  ingest:
    'The Segment protocol authenticates with the write key (Basic auth or body), checked by the function against a hashed key in constant time.',
  admin:
    'Admin routes check, in the function, a bearer token: the admin token from Secrets Manager (constant time) or a marketer’s Cognito access token (signature and claims).',
  unsubscribe:
    'RFC 8058 one-click unsubscribe must work without a login: the link carries an encrypted token signed with HMAC, checked by the function.',
  'api-description':
    'The API’s OpenAPI description is public, as an API’s description is: it holds the routes’ shapes and no data.',
};

function secretsOf(props: StatelessStackProps) {
  return {
    writeKey: { secret: props.writeKey, variable: 'WRITE_KEY_SECRET_ID' },
    adminToken: { secret: props.adminToken, variable: 'ADMIN_TOKEN_SECRET_ID' },
    offerSecret: { secret: props.offerSecret, variable: 'OFFER_SECRET_ID' },
    unsubscribeSecret: { secret: props.unsubscribeSecret, variable: 'UNSUBSCRIBE_SECRET_ID' },
  } as const;
}

function grant(
  fn: LifecycleFunction,
  spec: FunctionSpec,
  props: StatelessStackProps,
  configurationSetName: string,
) {
  // Named actions on the table, rather than CDK's grantReadData (which adds Scan and every
  // index): only the functions whose entry says so scan the table (the nightly model fit and the
  // admin API's metrics), and only the sweep reads the due index.
  if (spec.access.table) {
    const read = [
      'dynamodb:GetItem',
      'dynamodb:BatchGetItem',
      'dynamodb:Query',
      'dynamodb:ConditionCheckItem',
    ];
    const write = [
      'dynamodb:PutItem',
      'dynamodb:UpdateItem',
      'dynamodb:DeleteItem',
      'dynamodb:BatchWriteItem',
    ];
    fn.addToRolePolicy(
      new PolicyStatement({
        actions: spec.access.table === 'readWrite' ? [...read, ...write] : read,
        resources: [props.table.tableArn],
      }),
    );
  }
  if (spec.access.sources) {
    // Only the sources' partition (their keys, their numbers by day), and for the platforms'
    // webhooks the deliveries they took (`SEEN#<source>#<delivery>`).
    const deliveries = spec.access.sources === 'deliveries';
    fn.addToRolePolicy(
      new PolicyStatement({
        actions: [
          'dynamodb:Query',
          'dynamodb:GetItem',
          'dynamodb:UpdateItem',
          ...(deliveries ? ['dynamodb:PutItem'] : []),
        ],
        resources: [props.table.tableArn],
        conditions: {
          'ForAllValues:StringLike': {
            'dynamodb:LeadingKeys': deliveries ? ['SOURCES', 'SEEN#*'] : ['SOURCES'],
          },
        },
      }),
    );
  }
  if (spec.access.scan) {
    fn.addToRolePolicy(
      new PolicyStatement({ actions: ['dynamodb:Scan'], resources: [props.table.tableArn] }),
    );
  }
  if (spec.access.dueIndex) {
    fn.addToRolePolicy(
      new PolicyStatement({
        actions: ['dynamodb:Query'],
        resources: [`${props.table.tableArn}/index/${DUE_INDEX.name}`],
      }),
    );
  }
  if (spec.access.publishToBus) props.bus.grantPutEventsTo(fn);
  if (spec.access.readInboundMail) {
    fn.addToRolePolicy(
      new PolicyStatement({
        actions: ['s3:GetObject'],
        resources: [
          `arn:${Stack.of(fn).partition}:s3:::${inboundBucketName(Stack.of(fn))}/${INBOUND_PREFIX}*`,
        ],
      }),
    );
  }
  for (const name of spec.access.secrets ?? []) secretsOf(props)[name].secret.grantRead(fn);
  if (spec.access.sendEmail) {
    const { region, account } = Stack.of(fn);
    fn.addToRolePolicy(
      new PolicyStatement({
        actions: ['ses:SendEmail'],
        resources: [
          `arn:aws:ses:${region}:${account}:identity/${props.sender.sesIdentity}`,
          `arn:aws:ses:${region}:${account}:configuration-set/${configurationSetName}`,
        ],
      }),
    );
  }
  if (spec.access.sendEmail || spec.access.sendQuota) {
    // GetAccount reads the sending quota, to pace sends; it has no resource to name.
    fn.addToRolePolicy(
      new PolicyStatement({
        actions: ['ses:GetAccount'],
        resources: ['*'],
      }),
    );
  }
}

function acknowledgeFunctionFindings(fn: LifecycleFunction, spec: FunctionSpec) {
  const policy = fn.role?.node.tryFindChild('DefaultPolicy');
  if (!policy) return;
  if (spec.access.readInboundMail) {
    Validations.of(policy).acknowledge({
      id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:s3:::lifecycle-inbound-<AWS::AccountId>-<AWS::Region>/${INBOUND_PREFIX}*]`,
      reason:
        'Each received message is a new object named by SES (its message id): the function reads objects under the inbound prefix only, never lists or writes.',
    });
  }
  Validations.of(policy).acknowledge({
    id: 'AwsSolutions-IAM5[Resource::*]',
    reason:
      'Only X-Ray tracing (xray:PutTraceSegments, PutTelemetryRecords) and SES GetAccount (the sending quota) are granted on "*": neither has resource-level permissions.',
  });
}

/** The topology speaks EventBridge's JSON; CDK wants its camel-cased keys. */
function cdkPattern(pattern: Record<string, unknown>): EventPattern {
  const { 'detail-type': detailType, ...rest } = pattern;
  return { ...rest, ...(detailType ? { detailType: detailType as string[] } : {}) } as EventPattern;
}
