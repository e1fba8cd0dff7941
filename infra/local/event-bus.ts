/**
 * A local EventBridge (the product's bus and the default bus): accepts PutEvents from the real `@aws-sdk/client-eventbridge` client over
 * HTTP, routes each event by the rule patterns in the topology, invokes the target functions
 * asynchronously with retries (as Lambda's async invocation does), and writes what still fails
 * to a dead-letter file with the reason.
 */
import { randomUUID } from 'node:crypto';
import { appendFileSync } from 'node:fs';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { EventTrigger } from '../topology.ts';
import { matchesPattern } from './event-pattern.ts';
import { closed, endpointServer, listening, readBody } from './http-server.ts';
import type { LocalFunction } from './lambda-runtime.ts';

export interface BusEvent {
  version: '0';
  id: string;
  'detail-type': string;
  source: string;
  account: string;
  time: string;
  region: string;
  resources: string[];
  detail: unknown;
}

export interface DeadLetter {
  at: string;
  rule: string;
  target: string;
  attempts: number;
  reason: string;
  event: BusEvent;
}

interface Route {
  trigger: EventTrigger;
  target: LocalFunction;
}

export interface LocalEventBusOptions {
  busName: string;
  region: string;
  /** Delays before each retry; Lambda waits minutes, locally a second or two is enough. */
  retryDelaysMs?: number[];
  /** At most this many invocations in flight per function, like reserved concurrency. */
  concurrency?: number;
  /** A function's own ceiling, when it has one (its reserved concurrency in AWS). */
  concurrencyOf?: (functionName: string) => number | undefined;
  deadLetterFile?: string;
  /** Called as a delivery is given up on (the local stack puts it in the function's dead-letter queue). */
  onDeadLetter?: (letter: DeadLetter) => void;
}

const MAX_REQUEST_BYTES = 256 * 1024;

export class LocalEventBus {
  private readonly routes: Route[] = [];
  private server: Server | undefined;
  private inFlight = 0;
  private readonly idleWaiters: (() => void)[] = [];
  private readonly running = new Map<string, number>();
  private readonly waiting = new Map<string, (() => void)[]>();
  readonly deadLetters: DeadLetter[] = [];
  readonly counters = {
    received: 0,
    /** Events the product published (EventBridge bills these; AWS services' own events are free). */
    custom: 0,
    delivered: 0,
    failedAttempts: 0,
    deadLettered: 0,
    /** Failed attempts by function and error (a timeout, a crash, an error the handler threw). */
    failures: {} as Record<string, number>,
  };

  constructor(private readonly options: LocalEventBusOptions) {}

  subscribe(trigger: EventTrigger, target: LocalFunction) {
    this.routes.push({ trigger, target });
  }

  async listen(port: number, host = '127.0.0.1'): Promise<void> {
    this.server = endpointServer((request, response) => {
      this.handle(request, response).catch((error) => {
        response.writeHead(500, { 'content-type': 'application/x-amz-json-1.1' });
        response.end(JSON.stringify({ __type: 'InternalException', message: String(error) }));
      });
    });
    await listening(this.server, port, host);
  }

  /** Stops taking events, then lets what is in flight finish (for a few seconds at most). */
  async close(drainMs = 5_000): Promise<void> {
    this.server?.closeAllConnections();
    await Promise.race([this.idle(), new Promise((resolve) => setTimeout(resolve, drainMs).unref())]);
    await closed(this.server);
  }

  /** Deliveries so far, and what is in flight now. */
  metrics() {
    return {
      ...this.counters,
      failures: { ...this.counters.failures },
      inFlight: this.inFlight,
      deadLetters: this.deadLetters.length,
    };
  }

  /** Resolves once no delivery is in flight or waiting for a retry. */
  idle(): Promise<void> {
    if (this.inFlight === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /**
   * An asynchronous invocation of `target` with `payload`, as Lambda's `Invoke` with the `Event`
   * type: retried as a bus delivery is, and dead-lettered the same way when every try fails.
   */
  invokeAsync(target: LocalFunction, payload: unknown) {
    const trigger: EventTrigger = { rule: 'Invoke', bus: 'product', pattern: {}, retryAttempts: 2 };
    this.deliver({ trigger, target }, payload as BusEvent);
  }

  /** Publishes from inside this process (the local scheduler uses it). */
  put(entries: { Source?: string; DetailType?: string; Detail?: string; EventBusName?: string }[]) {
    return entries.map((entry) => this.accept(entry));
  }

  private async handle(request: IncomingMessage, response: ServerResponse) {
    const body = await readBody(request, MAX_REQUEST_BYTES * 2);
    const target = String(request.headers['x-amz-target'] ?? '');
    const reply = (status: number, payload: unknown) => {
      response.writeHead(status, { 'content-type': 'application/x-amz-json-1.1' });
      response.end(JSON.stringify(payload));
    };
    if (target !== 'AWSEvents.PutEvents') {
      return reply(400, {
        __type: 'UnknownOperationException',
        message: `the local bus implements PutEvents only, not ${target}`,
      });
    }
    let input: { Entries?: unknown };
    try {
      input = JSON.parse(body.toString('utf8'));
    } catch {
      return reply(400, { __type: 'SerializationException', message: 'request body is not JSON' });
    }
    const entries = Array.isArray(input.Entries) ? input.Entries : [];
    if (entries.length === 0 || entries.length > 10) {
      return reply(400, { __type: 'ValidationException', message: 'Entries must hold 1 to 10 entries' });
    }
    if (body.length > MAX_REQUEST_BYTES + 4096) {
      return reply(400, {
        __type: 'ValidationException',
        message: 'Total size of the entries in the request is over the limit.',
      });
    }
    const results = this.put(entries as { Source?: string; DetailType?: string; Detail?: string }[]);
    reply(200, {
      FailedEntryCount: results.filter((result) => 'ErrorCode' in result).length,
      Entries: results,
    });
  }

  private accept(entry: { Source?: string; DetailType?: string; Detail?: string; EventBusName?: string }) {
    // A bus is named, or given by its ARN; without one, PutEvents goes to the default bus.
    const bus = entry.EventBusName ? (entry.EventBusName.split('/').at(-1) ?? '') : 'default';
    if (bus !== this.options.busName && bus !== 'default') {
      return {
        ErrorCode: 'ResourceNotFoundException',
        ErrorMessage: `Event bus ${entry.EventBusName} does not exist.`,
      };
    }
    if (!entry.Source || !entry.DetailType) {
      return { ErrorCode: 'InvalidArgument', ErrorMessage: 'Source and DetailType are required.' };
    }
    let detail: unknown;
    try {
      detail = JSON.parse(entry.Detail ?? '{}');
    } catch {
      return { ErrorCode: 'MalformedDetail', ErrorMessage: 'Detail is malformed.' };
    }
    if (!detail || typeof detail !== 'object' || Array.isArray(detail)) {
      return { ErrorCode: 'MalformedDetail', ErrorMessage: 'Detail must be a JSON object.' };
    }
    const event: BusEvent = {
      version: '0',
      id: randomUUID(),
      'detail-type': entry.DetailType,
      source: entry.Source,
      account: '000000000000',
      time: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
      region: this.options.region,
      resources: [],
      detail,
    };
    this.counters.received++;
    if (!event.source.startsWith('aws.')) this.counters.custom++;
    for (const route of this.routes) {
      const routeBus = route.trigger.bus === 'default' ? 'default' : this.options.busName;
      if (routeBus === bus && matchesPattern(route.trigger.pattern, event)) this.deliver(route, event);
    }
    return { EventId: event.id };
  }

  private deliver(route: Route, event: BusEvent) {
    this.inFlight++;
    void this.attempt(route, event).finally(() => {
      this.inFlight--;
      if (this.inFlight === 0) for (const resolve of this.idleWaiters.splice(0)) resolve();
    });
  }

  private async attempt(route: Route, event: BusEvent) {
    const delays = this.options.retryDelaysMs ?? [500, 2000];
    const attempts = Math.min(route.trigger.retryAttempts, delays.length) + 1;
    let lastError: unknown;
    for (let attempt = 1; attempt <= attempts; attempt++) {
      if (attempt > 1) await sleep(delays[attempt - 2] ?? 1000);
      const release = await this.slot(route.target.spec.name);
      try {
        await route.target.invoke(event);
        this.counters.delivered++;
        return;
      } catch (error) {
        lastError = error;
        this.counters.failedAttempts++;
        const failure = `${route.target.spec.name}: ${error instanceof Error ? error.name : 'Error'}`;
        this.counters.failures[failure] = (this.counters.failures[failure] ?? 0) + 1;
      } finally {
        release();
      }
    }
    const letter: DeadLetter = {
      at: new Date().toISOString(),
      rule: route.trigger.rule,
      target: route.target.spec.name,
      attempts,
      reason: lastError instanceof Error ? `${lastError.name}: ${lastError.message}` : String(lastError),
      event,
    };
    this.counters.deadLettered++;
    this.deadLetters.push(letter);
    console.error(
      `dead letter: ${letter.target} gave up on ${event['detail-type'] ?? 'an invocation'} ${event.id ?? ''}: ${letter.reason}`,
    );
    this.options.onDeadLetter?.(letter);
    if (this.options.deadLetterFile)
      appendFileSync(this.options.deadLetterFile, `${JSON.stringify(letter)}\n`);
  }

  /** A per-function semaphore, so a burst does not start thousands of invocations at once. */
  private async slot(name: string): Promise<() => void> {
    const limit = this.options.concurrencyOf?.(name) ?? this.options.concurrency ?? 32;
    const queue = this.waiting.get(name) ?? [];
    this.waiting.set(name, queue);
    if ((this.running.get(name) ?? 0) < limit) this.running.set(name, (this.running.get(name) ?? 0) + 1);
    // A released slot is handed straight to the next waiter, so the count never overshoots.
    else await new Promise<void>((resolve) => queue.push(resolve));
    return () => {
      const next = queue.shift();
      if (next) next();
      else this.running.set(name, (this.running.get(name) ?? 1) - 1);
    };
  }
}

function sleep(ms: number) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
