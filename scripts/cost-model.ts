/**
 * What a measured use of the pipeline costs in AWS: usage counted by the local stack (Lambda
 * invocations and billed duration, DynamoDB units, bus events, queue requests, emails, log
 * bytes, ...) times the list prices in `prices.json` (region and date inside). Every line says
 * its quantity, its unit price and its cost, so a total can be recomputed from its parts.
 */
import prices from './prices.json' with { type: 'json' };

export type PriceKey = keyof typeof prices.aws;

export interface Usage {
  /** Per function: invocations, billed milliseconds, and its configured memory. */
  lambda: Record<string, { invocations: number; billedMs: number; memoryMb: number }>;
  dynamodbReadUnits: number;
  dynamodbWriteUnits: number;
  /** Events the product put on its bus (AWS services' own events are free). */
  busEvents: number;
  sqsRequests: number;
  emails: number;
  apiRequests: number;
  /** Bytes of log lines: the functions' own, EMF metrics, and Lambda's START/END/REPORT lines. */
  logBytes: number;
  /** X-Ray traces recorded (Lambda's active tracing samples requests). */
  traces: number;
  stepFunctionsTransitions: number;
}

export interface LineItem {
  item: string;
  quantity: number;
  unit: string;
  usdEach: number;
  usd: number;
}

export const EMPTY_USAGE: Usage = {
  lambda: {},
  dynamodbReadUnits: 0,
  dynamodbWriteUnits: 0,
  busEvents: 0,
  sqsRequests: 0,
  emails: 0,
  apiRequests: 0,
  logBytes: 0,
  traces: 0,
  stepFunctionsTransitions: 0,
};

const GB = 1024 ** 3;

export function price(key: PriceKey): number {
  return prices.aws[key].usd;
}

function line(item: string, quantity: number, unit: string, usdEach: number): LineItem {
  return { item, quantity: round(quantity, 2), unit, usdEach, usd: round(quantity * usdEach, 4) };
}

/** The cost of a usage, line by line, largest first. */
export function costOf(usage: Usage): { usd: number; items: LineItem[] } {
  const functions = Object.values(usage.lambda);
  const invocations = functions.reduce((sum, fn) => sum + fn.invocations, 0);
  const gbSeconds = functions.reduce((sum, fn) => sum + (fn.billedMs / 1000) * (fn.memoryMb / 1024), 0);
  const items = [
    line('Lambda requests', invocations, 'requests', price('lambdaRequests')),
    line('Lambda duration (arm64)', gbSeconds, 'GB-seconds', price('lambdaGbSecondArm')),
    line(
      'DynamoDB writes (on demand)',
      usage.dynamodbWriteUnits,
      'write units',
      price('dynamodbWriteRequestUnit'),
    ),
    line(
      'DynamoDB reads (on demand)',
      usage.dynamodbReadUnits,
      'read units',
      price('dynamodbReadRequestUnit'),
    ),
    line('EventBridge custom events', usage.busEvents, 'events', price('eventbridgeCustomEvent')),
    line('SQS FIFO requests', usage.sqsRequests, 'requests', price('sqsFifoRequest')),
    line('SES emails', usage.emails, 'emails', price('sesEmail')),
    line('API Gateway HTTP API', usage.apiRequests, 'requests', price('apiGatewayHttpRequest')),
    line('CloudWatch Logs ingestion', usage.logBytes / GB, 'GB', price('cloudwatchLogsIngestGb')),
    line('X-Ray traces', usage.traces, 'traces', price('xrayTraceRecorded')),
    line(
      'Step Functions transitions',
      usage.stepFunctionsTransitions,
      'transitions',
      price('stepFunctionsStandardTransition'),
    ),
  ];
  return total(items);
}

export function total(items: LineItem[]): { usd: number; items: LineItem[] } {
  const sorted = [...items].sort((a, b) => b.usd - a.usd);
  return {
    usd: round(
      sorted.reduce((sum, item) => sum + item.usd, 0),
      2,
    ),
    items: sorted,
  };
}

/** `after - before`: what happened in between. */
export function difference(after: Usage, before: Usage): Usage {
  return combine(after, before, (a, b) => a - b);
}

export function scaled(usage: Usage, factor: number): Usage {
  return combine(usage, usage, (a) => a * factor);
}

export function sum(a: Usage, b: Usage): Usage {
  return combine(a, b, (x, y) => x + y);
}

function combine(a: Usage, b: Usage, op: (x: number, y: number) => number): Usage {
  const lambda: Usage['lambda'] = {};
  for (const name of new Set([...Object.keys(a.lambda), ...Object.keys(b.lambda)])) {
    const x = a.lambda[name] ?? { invocations: 0, billedMs: 0, memoryMb: b.lambda[name]?.memoryMb ?? 0 };
    const y = b.lambda[name] ?? { invocations: 0, billedMs: 0, memoryMb: x.memoryMb };
    lambda[name] = {
      invocations: op(x.invocations, y.invocations),
      billedMs: op(x.billedMs, y.billedMs),
      memoryMb: x.memoryMb,
    };
  }
  const result = { ...EMPTY_USAGE, lambda };
  for (const key of Object.keys(EMPTY_USAGE) as (keyof Usage)[]) {
    if (key === 'lambda') continue;
    result[key] = op(a[key], b[key]);
  }
  return result;
}

export function round(value: number, digits: number) {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}

export const PRICES = { region: prices.region, checkedOn: prices.checkedOn, saas: prices.saas };
