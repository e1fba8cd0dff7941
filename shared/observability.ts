/**
 * Logs and metrics, with Powertools for AWS Lambda: structured JSON logs (one object a line, with
 * the function's request id once a handler is wrapped with `observed`), and CloudWatch metrics
 * written as Embedded Metric Format lines in the same log stream (no PutMetricData calls, no
 * extra latency). `POWERTOOLS_LOG_LEVEL` or `LOG_LEVEL` (debug, info, warn, error) sets how much
 * is logged; the local stack leaves metrics off unless `METRICS=1`.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type middy from '@middy/core';

export const SERVICE = 'lifecycle';
export const METRICS_NAMESPACE = 'LifecyclePipeline';

export const log = new Logger({ serviceName: SERVICE });
export const metrics = new Metrics({ namespace: METRICS_NAMESPACE, serviceName: SERVICE });
export { MetricUnit };

/**
 * A handler's middlewares: the request id (and cold start) on every log line, and the metrics it
 * added flushed once as it ends (nothing is written when it added none).
 */
export function observed<Event, Result>(): middy.MiddlewareObj<Event, Result>[] {
  // Flushed after the handler, and after an error too; a function that added none writes nothing
  // (Powertools' own middleware would warn on every such invocation).
  const flush = async () => {
    if (metrics.hasStoredMetrics()) metrics.publishStoredMetrics();
  };
  const flushMetrics: middy.MiddlewareObj<Event, Result> = { after: flush, onError: flush };
  // The local stack runs every function in one process, side by side, sharing this logger: the
  // context of one invocation would be stamped on another's lines. Only Lambda gets it.
  if (!process.env.AWS_LAMBDA_FUNCTION_NAME) return [flushMetrics];
  return [injectLambdaContext(log) as middy.MiddlewareObj<Event, Result>, flushMetrics];
}

type EventCounts = { accepted: number; rejected: number; ignored: number; reasons: string[] };

/** A source's numbers (the tracking API's, a platform's) recorded, and added as metrics too. */
export function countedAsMetrics(record: (id: string, at: string, counts: EventCounts) => Promise<void>) {
  return (id: string, at: string, counts: EventCounts) => {
    metrics.addMetric('EventsAccepted', MetricUnit.Count, counts.accepted);
    metrics.addMetric('EventsRejected', MetricUnit.Count, counts.rejected + counts.ignored);
    return record(id, at, counts);
  };
}
