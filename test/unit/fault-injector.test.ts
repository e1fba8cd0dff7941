import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { FaultInjector, faultPlan } from '../../infra/local/faults.ts';
import { asInvocation } from '../../infra/local/lambda-runtime.ts';

type Handler = (args: { input: Record<string, unknown> }) => Promise<unknown>;
type Middleware = (next: Handler, context: { commandName?: string }) => Handler;

/** A client whose middleware stack records what the injector adds, by step. */
function hookedClient(injector: FaultInjector, service: 'dynamodb' | 'eventbridge' | 'ses') {
  const added = new Map<string, Middleware>();
  injector.hook(
    {
      middlewareStack: {
        add: ((middleware: Middleware, options: { step: string }) =>
          added.set(options.step, middleware)) as never,
      },
    },
    service,
  );
  return {
    around: (commandName: string, next: Handler) =>
      added.get('initialize')?.(next, { commandName }) as Handler,
    wire: (next: Handler) => added.get('deserialize')?.(next, {}) as Handler,
  };
}

/** Answers the given numbers in turn, as the injector's random source. */
const sequence =
  (...values: number[]) =>
  () =>
    values.shift() ?? 0.99;

describe('the local fault injector', () => {
  it('refuses some entries of a PutEvents, forwards only the others, and merges the answer in order', async () => {
    // The draw (refuse some), then one draw per entry: under 0.5 is refused.
    const injector = new FaultInjector(sequence(0, 0.1, 0.9, 0.2, 0.9));
    injector.configure({ eventbridge: { rate: 1, kinds: ['partial-failure'] } });
    const forwarded: unknown[] = [];
    const client = hookedClient(injector, 'eventbridge');
    const call = client.around('PutEventsCommand', async (args) => {
      forwarded.push(...(args.input.Entries as unknown[]));
      return { output: { FailedEntryCount: 0, Entries: [{ EventId: 'b' }, { EventId: 'd' }] } };
    });
    const result = (await call({ input: { Entries: ['A', 'B', 'C', 'D'] } })) as {
      output: { FailedEntryCount: number; Entries: Record<string, string>[] };
    };
    expect(forwarded).toEqual(['B', 'D']);
    expect(result.output.FailedEntryCount).toBe(2);
    expect(result.output.Entries.map((entry) => entry.EventId ?? entry.ErrorCode)).toEqual([
      'InternalFailure',
      'b',
      'InternalFailure',
      'd',
    ]);
    expect(injector.report()).toMatchObject({
      refusedEntries: 2,
      injected: { 'eventbridge:partial-failure': 1 },
    });
  });

  it('answers a throttled DynamoDB call on the wire, without making it', async () => {
    const injector = new FaultInjector(sequence(0, 0));
    injector.configure({ dynamodb: { rate: 1, kinds: ['throughput-exceeded'] } });
    let made = 0;
    const answer = (await hookedClient(injector, 'dynamodb').wire(async () => {
      made++;
      return { response: { statusCode: 200, headers: {}, body: Buffer.from('{}') } };
    })({ input: {} })) as { response: { statusCode: number; body: Buffer } };
    expect(made).toBe(0);
    expect(answer.response.statusCode).toBe(400);
    expect(JSON.parse(answer.response.body.toString()).__type).toMatch(
      /#ProvisionedThroughputExceededException$/,
    );
  });

  it('makes the call and then answers 500 for a fault "after": the write happened, the answer is lost', async () => {
    const injector = new FaultInjector(sequence(0, 0));
    injector.configure({ ses: { rate: 1, kinds: ['server-error-after'] } });
    let made = 0;
    const answer = (await hookedClient(injector, 'ses').wire(async () => {
      made++;
      return { response: { statusCode: 200, headers: {}, body: Buffer.from('{"MessageId":"m"}') } };
    })({ input: {} })) as { response: { statusCode: number } };
    expect(made).toBe(1);
    expect(answer.response.statusCode).toBe(500);
  });

  it('kills an invocation right after the step at a crash point, and says what it struck', async () => {
    const injector = new FaultInjector(sequence(0));
    injector.configure({ crash: { 'after-ses': 1 } });
    const crashed: string[] = [];
    let sent = 0;
    const call = hookedClient(injector, 'ses').around('SendEmailCommand', async () => {
      sent++;
      return { output: { MessageId: 'm' } };
    });
    const input = { Destination: { ToAddresses: ['ann@example.com'] } };
    const answer = asInvocation({ functionName: 'send-message', crash: (point) => crashed.push(point) }, () =>
      call({ input }),
    );
    const settled = await Promise.race([answer.then(() => 'answered'), sleep(20).then(() => 'pending')]);
    // SES took it; the invocation died there; the handler never hears back.
    expect({ sent, crashed, settled }).toEqual({ sent: 1, crashed: ['after-ses'], settled: 'pending' });
    expect(injector.report()).toMatchObject({
      crashes: { 'after-ses': 1 },
      crashedOn: [{ point: 'after-ses', subject: 'ann@example.com' }],
    });
    // Outside an invocation, or in another function, nothing crashes.
    await expect(call({ input })).resolves.toEqual({ output: { MessageId: 'm' } });
  });

  it('lets every call through when no plan is set', async () => {
    const injector = new FaultInjector(sequence(0, 0, 0));
    const answer = await hookedClient(injector, 'dynamodb').wire(async () => ({
      response: { statusCode: 200 },
    }))({
      input: {},
    });
    expect(answer).toEqual({ response: { statusCode: 200 } });
    expect(injector.report()).toMatchObject({ injected: {}, calls: { dynamodb: 1 } });
  });

  it('refuses a plan it cannot follow, naming the field', () => {
    const refused = faultPlan.safeParse({
      ses: { rate: 0.1, kinds: ['bounce'] },
      crash: { 'after-lunch': 1 },
    });
    expect(refused.success).toBe(false);
    const problems = refused.error?.issues ?? [];
    expect(problems.map((issue) => issue.path.join('.')).sort()).toEqual(['crash', 'ses.kinds.0']);
    expect(JSON.stringify(problems)).toContain('after-lunch');
  });
});
