/**
 * The fault injector of the local stack: an SDK middleware in front of every DynamoDB,
 * EventBridge, SES and SQS client the functions create, failing a given share of calls the way AWS
 * fails them, and crash points that kill an invocation between two of its steps.
 *
 * HTTP-level faults are answered below the SDK's retry layer, as wire responses the SDK's own
 * deserializer turns into its real exceptions: the SDK retries them exactly as it would in AWS.
 * Some are answered after the call was made ("-after"): the write happened, the answer was lost,
 * which is what a 500 or a timeout can mean in AWS. Crashes end the invocation right after a
 * step succeeded: nothing after it runs, and the bus retries the event as Lambda would.
 *
 * Off until a plan is set (`PUT /_local/faults`); nothing of this is deployed.
 */
import * as z from 'zod';
import type { AwsService, HookableClient } from '../../shared/adapters/client-hooks.ts';
import { currentInvocation } from './lambda-runtime.ts';

export const FAULT_KINDS = {
  dynamodb: ['throughput-exceeded', 'throttling', 'server-error', 'server-error-after'],
  eventbridge: ['throttling', 'partial-failure', 'server-error-after'],
  ses: ['max-send-rate', 'server-error-after'],
  sqs: ['throttling', 'server-error-after'],
} as const satisfies Record<AwsService, readonly string[]>;

export type FaultKind<S extends AwsService = AwsService> = (typeof FAULT_KINDS)[S][number];

/** Where an invocation can be killed: after this step succeeded, before the next one. */
export const CRASH_POINTS = {
  /** apply-event wrote the customer's state and has not published the emails it decided. */
  'after-state-write': { functionName: 'apply-event', command: /^(Put|TransactWrite)/ },
  /** send-message claimed the message and has not called SES. */
  'after-claim': { functionName: 'send-message', command: /^Update/, marker: /":status":(\{"S":)?"claimed"/ },
  /** A broadcast's send (the jobs function) wrote a recipient's decision and has not published it or moved on. */
  'broadcast-after-state-write': { functionName: 'jobs', command: /^(Put|TransactWrite)/ },
  /** A whole-base job's chunk moved its part's cursor and has not answered the runner (between two chunks). */
  'job-after-move': { functionName: 'jobs', command: /^Update/, marker: /cursors\[\d+\]\.movedAt/ },
  /** A fit's chunk kept its buyers' records and has not moved its part's cursor. */
  'job-after-records': { functionName: 'jobs', command: /^Put/, marker: /"entity":(\{"S":)?"job-records"/ },
  /** send-message called SES (which took the email) and has not recorded it. */
  'after-ses': { functionName: 'send-message', command: /^SendEmail/ },
} as const;

export type CrashPoint = keyof typeof CRASH_POINTS;

export interface FaultPlan {
  /** Per service: the share of calls that fail (0 to 1), drawn from these kinds (default all). */
  dynamodb?: { rate: number; kinds?: FaultKind<'dynamodb'>[] };
  eventbridge?: { rate: number; kinds?: FaultKind<'eventbridge'>[] };
  ses?: { rate: number; kinds?: FaultKind<'ses'>[] };
  sqs?: { rate: number; kinds?: FaultKind<'sqs'>[] };
  /** Per crash point: the share of the times it is reached that the invocation dies there. */
  crash?: Partial<Record<CrashPoint, number>>;
}

const rate = z.number().min(0, 'must be between 0 and 1').max(1, 'must be between 0 and 1');
const serviceRule = <S extends AwsService>(service: S) =>
  z.strictObject({ rate, kinds: z.array(z.enum(FAULT_KINDS[service])).optional() });

/** A plan as `PUT /_local/faults` takes it. */
export const faultPlan = z.strictObject({
  dynamodb: serviceRule('dynamodb').optional(),
  eventbridge: serviceRule('eventbridge').optional(),
  ses: serviceRule('ses').optional(),
  sqs: serviceRule('sqs').optional(),
  crash: z.partialRecord(z.enum(Object.keys(CRASH_POINTS) as [CrashPoint, ...CrashPoint[]]), rate).optional(),
}) satisfies z.ZodType<FaultPlan>;

/** A wire response, as the SDK's HTTP handler answers it. */
interface WireResponse {
  statusCode: number;
  reason?: string;
  headers: Record<string, string>;
  body: Uint8Array | { resume?: () => void };
}

type Next = (args: { input: Record<string, unknown> }) => Promise<{ output: unknown; response?: unknown }>;
type Middleware = (
  next: Next,
  context: { commandName?: string },
) => (args: { input: Record<string, unknown> }) => Promise<unknown>;

const json = (statusCode: number, headers: Record<string, string>, body: unknown): WireResponse => ({
  statusCode,
  headers: { 'content-type': 'application/x-amz-json-1.0', ...headers },
  body: Buffer.from(JSON.stringify(body)),
});

/** What AWS answers for each fault, on the wire (JSON protocols of DynamoDB, EventBridge and SQS, REST-JSON of SES). */
const WIRE: Record<string, () => WireResponse> = {
  'dynamodb:throughput-exceeded': () =>
    json(
      400,
      {},
      {
        __type: 'com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException',
        message: 'The level of configured provisioned throughput for the table was exceeded (injected)',
      },
    ),
  'dynamodb:throttling': () =>
    json(
      400,
      {},
      {
        __type: 'com.amazon.coral.availability#ThrottlingException',
        message: 'Rate of requests exceeds the allowed throughput (injected)',
      },
    ),
  'dynamodb:server-error': () =>
    json(500, {}, { __type: 'com.amazonaws.dynamodb.v20120810#InternalServerError', message: 'injected' }),
  'eventbridge:throttling': () =>
    json(400, {}, { __type: 'ThrottlingException', message: 'Rate exceeded (injected)' }),
  'eventbridge:server-error': () => json(500, {}, { __type: 'InternalException', message: 'injected' }),
  'ses:max-send-rate': () =>
    json(
      429,
      { 'x-amzn-errortype': 'TooManyRequestsException' },
      { message: 'Maximum sending rate exceeded.' },
    ),
  // SQS speaks JSON and names its errors as its query protocol did (awsQueryCompatible).
  'sqs:throttling': () =>
    json(
      400,
      { 'x-amzn-query-error': 'RequestThrottled;Sender' },
      { __type: 'com.amazonaws.sqs#RequestThrottled', message: 'Request is throttled (injected)' },
    ),
  'sqs:server-error': () =>
    json(
      500,
      { 'x-amzn-query-error': 'InternalError;Receiver' },
      { __type: 'com.amazonaws.sqs#InternalError', message: 'injected' },
    ),
  'ses:server-error': () =>
    json(500, { 'x-amzn-errortype': 'InternalFailure' }, { message: 'Internal failure (injected)' }),
};

export class FaultInjector {
  private plan: FaultPlan = {};
  readonly counters = {
    calls: { dynamodb: 0, eventbridge: 0, ses: 0, sqs: 0 } as Record<AwsService, number>,
    injected: {} as Record<string, number>,
    refusedEntries: 0,
    crashes: {} as Record<string, number>,
    /** What each crash struck (the first thousand): the email's address, or the item's key. */
    crashedOn: [] as { point: CrashPoint; subject: string }[],
  };

  constructor(private readonly random: () => number = Math.random) {}

  /** Replaces the plan (an empty plan turns everything off) and starts the counters again. */
  configure(plan: FaultPlan) {
    this.plan = structuredClone(plan);
    this.counters.calls = { dynamodb: 0, eventbridge: 0, ses: 0, sqs: 0 };
    this.counters.injected = {};
    this.counters.refusedEntries = 0;
    this.counters.crashes = {};
    this.counters.crashedOn = [];
  }

  report() {
    return { plan: this.plan, ...this.counters };
  }

  /** The client hook: puts the injector in front of one SDK client. */
  readonly hook = (client: HookableClient, service: AwsService) => {
    const stack = client.middlewareStack as unknown as {
      add(middleware: Middleware, options: Record<string, unknown>): void;
    };
    // Outermost, above the retries: crash points and EventBridge's partial failures (an answer
    // the SDK does not retry; the publisher does).
    stack.add((next, context) => (args) => this.aroundCall(service, context.commandName ?? '', args, next), {
      step: 'initialize',
      name: 'localFaultsAroundCall',
    });
    // Innermost, below the retries and the deserializer: wire-level faults.
    stack.add((next) => (args) => this.onTheWire(service, args, next), {
      step: 'deserialize',
      priority: 'low',
      name: 'localFaultsOnTheWire',
    });
  };

  private kindsOf<S extends AwsService>(service: S): readonly FaultKind<S>[] {
    const kinds = this.plan[service]?.kinds;
    return (kinds?.length ? kinds : FAULT_KINDS[service]) as readonly FaultKind<S>[];
  }

  /** A call fails at the service's rate, of one of its kinds picked at even odds. */
  private draw<S extends AwsService>(service: S): FaultKind<S> | undefined {
    const rule = this.plan[service];
    if (!rule || this.random() >= rule.rate) return undefined;
    const kinds = this.kindsOf(service);
    return kinds[Math.floor(this.random() * kinds.length)];
  }

  private count(service: AwsService, kind: string) {
    const key = `${service}:${kind}`;
    this.counters.injected[key] = (this.counters.injected[key] ?? 0) + 1;
  }

  private async onTheWire(service: AwsService, args: { input: Record<string, unknown> }, next: Next) {
    this.counters.calls[service]++;
    const kind = this.draw(service);
    if (!kind || kind === 'partial-failure') return next(args);
    this.count(service, kind);
    if (kind === 'server-error-after') {
      const result = (await next(args)) as { response: WireResponse };
      // Let the real answer go (its socket is freed), and say something failed instead.
      if (!(result.response.body instanceof Uint8Array)) result.response.body.resume?.();
      return { response: WIRE[`${service}:server-error`]?.() };
    }
    return { response: WIRE[`${service}:${kind}`]?.() };
  }

  private async aroundCall(
    service: AwsService,
    command: string,
    args: { input: Record<string, unknown> },
    next: Next,
  ) {
    const result =
      service === 'eventbridge' && command === 'PutEventsCommand'
        ? await this.maybeRefuseEntries(args, next)
        : await next(args);
    const invocation = currentInvocation();
    if (!invocation) return result;
    for (const [point, rate] of Object.entries(this.plan.crash ?? {}) as [CrashPoint, number][]) {
      const where: { functionName: string; command: RegExp; marker?: RegExp } = CRASH_POINTS[point];
      if (where.functionName !== invocation.functionName || !where.command.test(command)) continue;
      if (where.marker && !where.marker.test(JSON.stringify(args.input))) continue;
      if (this.random() >= rate) continue;
      this.counters.crashes[point] = (this.counters.crashes[point] ?? 0) + 1;
      if (this.counters.crashedOn.length < 1000)
        this.counters.crashedOn.push({ point, subject: subjectOf(args.input) });
      invocation.crash(point);
      // The handler never hears back: nothing after this step runs in this invocation.
      return new Promise<never>(() => {});
    }
    return result;
  }

  /** PutEvents that takes some entries and refuses others (FailedEntryCount > 0). */
  private async maybeRefuseEntries(args: { input: Record<string, unknown> }, next: Next) {
    const rule = this.plan.eventbridge;
    const entries = (args.input.Entries ?? []) as unknown[];
    const kinds = this.kindsOf('eventbridge');
    // Its share of the faults: the wire-level draw passes the calls it picks for this kind.
    const odds = kinds.includes('partial-failure') ? (rule?.rate ?? 0) / kinds.length : 0;
    if (entries.length === 0 || this.random() >= odds) return next(args);
    // Each entry refused at even odds, at least one.
    const refused = entries.map(() => this.random() < 0.5);
    if (!refused.includes(true)) refused[Math.floor(this.random() * entries.length)] = true;
    this.count('eventbridge', 'partial-failure');
    const taken = entries.filter((_, index) => !refused[index]);
    const answer =
      taken.length > 0
        ? await next({ ...args, input: { ...args.input, Entries: taken } })
        : { output: { $metadata: {}, FailedEntryCount: 0, Entries: [] } };
    const output = answer.output as { FailedEntryCount?: number; Entries?: Record<string, unknown>[] };
    const results = [...(output.Entries ?? [])];
    const merged = refused.map((isRefused) =>
      isRefused
        ? { ErrorCode: 'InternalFailure', ErrorMessage: 'The entry could not be put (injected)' }
        : (results.shift() ?? {}),
    );
    const failed = merged.filter((entry) => entry.ErrorCode).length;
    this.counters.refusedEntries += refused.filter(Boolean).length;
    return { ...answer, output: { ...output, Entries: merged, FailedEntryCount: failed } };
  }
}

/** What a call is about, in a few words: the addresses an email goes to, or the key of an item. */
function subjectOf(input: Record<string, unknown>): string {
  const destination = input.Destination as { ToAddresses?: string[] } | undefined;
  if (destination?.ToAddresses) return destination.ToAddresses.join(', ');
  return JSON.stringify(input.Key ?? input.Item ?? input.TransactItems ?? {}).slice(0, 300);
}
