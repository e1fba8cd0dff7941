/**
 * What must wake someone up: SES reputation (bounce and complaint rates, before SES or the
 * mailbox providers act), anything in a dead-letter queue, customer inputs waiting too long,
 * failed runs of whole-base jobs, function errors, and SES rendering failures. Every alarm notifies one SNS topic (subscribe an address with `-c alarmEmail=...`).
 */
import { Duration } from 'aws-cdk-lib';
import { Alarm, ComparisonOperator, Metric, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import { Alias } from 'aws-cdk-lib/aws-kms';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { FilterPattern, type ILogGroup, MetricFilter } from 'aws-cdk-lib/aws-logs';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import type { IStateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';

export interface AlarmsProps {
  functions: Map<string, IFunction>;
  deadLetterQueues: Map<string, IQueue>;
  /** The queue apply-event takes customers' inputs from: its oldest message says how far behind it is. */
  customerInputs: IQueue;
  /** The state machine of whole-base jobs: a failed run stalls a job until the minutely pass resumes it. */
  jobs: IStateMachine;
  /** The ses-feedback function's log group, where rendering failures are logged. */
  feedbackLogs: ILogGroup | undefined;
  email?: string;
}

/** SES reviews an account at a 5% bounce rate and 0.1% complaint rate; Gmail wants under 0.3%. */
export const REPUTATION_THRESHOLDS = { bounceRate: 0.04, complaintRate: 0.001 } as const;

export class Alarms extends Construct {
  readonly topic: Topic;

  constructor(scope: Construct, id: string, props: AlarmsProps) {
    super(scope, id);
    this.topic = new Topic(this, 'Topic', {
      displayName: 'Lifecycle pipeline alarms',
      masterKey: Alias.fromAliasName(this, 'SnsKey', 'alias/aws/sns'),
      enforceSSL: true,
    });
    if (props.email) this.topic.addSubscription(new EmailSubscription(props.email));
    const notify = new SnsAction(this.topic);
    const alarm = (name: string, metric: Metric, threshold: number, description: string) => {
      new Alarm(this, name, {
        metric,
        threshold,
        evaluationPeriods: 1,
        comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: TreatMissingData.NOT_BREACHING,
        alarmDescription: description,
      }).addAlarmAction(notify);
    };

    const reputation = (metricName: string) =>
      new Metric({ namespace: 'AWS/SES', metricName, statistic: 'Maximum', period: Duration.hours(1) });
    alarm(
      'BounceRate',
      reputation('Reputation.BounceRate'),
      REPUTATION_THRESHOLDS.bounceRate,
      'SES bounce rate is nearing the 5% at which SES reviews the account',
    );
    alarm(
      'ComplaintRate',
      reputation('Reputation.ComplaintRate'),
      REPUTATION_THRESHOLDS.complaintRate,
      'SES complaint rate is at 0.1%: SES reviews the account, and Gmail and Yahoo block senders above 0.3%',
    );

    for (const [name, queue] of props.deadLetterQueues) {
      const metric = queue.metricApproximateNumberOfMessagesVisible({
        period: Duration.minutes(5),
        statistic: 'Maximum',
      }) as Metric;
      alarm(
        `${pascal(name)}DeadLetters`,
        metric,
        1,
        `${name}: events or sends gave up and wait in the dead-letter queue`,
      );
    }
    alarm(
      'CustomerInputsBehind',
      props.customerInputs.metricApproximateAgeOfOldestMessage({
        period: Duration.minutes(5),
        statistic: 'Maximum',
      }) as Metric,
      300,
      'Customer inputs have waited over 5 minutes for apply-event: events and timers are applied late',
    );
    alarm(
      'JobRunsFailed',
      props.jobs.metricFailed({ period: Duration.minutes(5), statistic: 'Sum' }) as Metric,
      1,
      'A whole-base job’s run failed after its retries (the minutely pass resumes it 15 minutes later): look at the jobs function’s errors',
    );
    for (const [name, fn] of props.functions) {
      alarm(
        `${pascal(name)}Errors`,
        fn.metricErrors({ period: Duration.minutes(5), statistic: 'Sum' }) as Metric,
        1,
        `${name} is failing`,
      );
    }
    if (props.feedbackLogs) {
      const filter = new MetricFilter(this, 'RenderingFailures', {
        logGroup: props.feedbackLogs,
        filterPattern: FilterPattern.stringValue('$.message', '=', 'SES rendering failure'),
        metricNamespace: 'LifecyclePipeline',
        metricName: 'SesRenderingFailures',
        metricValue: '1',
      });
      alarm(
        'RenderingFailure',
        filter.metric({ period: Duration.minutes(5), statistic: 'Sum' }),
        1,
        'SES could not render an email',
      );
    }
  }
}

function pascal(name: string) {
  return name.replace(/(^|-)(\w)/g, (_match, _dash, letter: string) => letter.toUpperCase());
}
