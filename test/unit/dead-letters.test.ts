import { describe, expect, it } from 'vitest';
import { redriveBody } from '../../functions/admin/dead-letters.ts';
import { type DeadLetterSource, readLetter, reasonLine } from '../../shared/domain/dead-letters.ts';

const sent = Date.parse('2026-11-30T10:00:00Z');
const functionQueue: DeadLetterSource = {
  name: 'send-message',
  url: 'https://sqs/dead',
  redrive: { functionName: 'lifecycle-SendMessage' },
};
const inputsQueue: DeadLetterSource = {
  name: 'customer-inputs',
  url: 'https://sqs/inputs-dead.fifo',
  redrive: { queueUrl: 'https://sqs/inputs.fifo' },
};
const event = {
  version: '0',
  id: 'e-1',
  'detail-type': 'Message Requested',
  source: 'lifecycle.engine',
  detail: { customerId: 'ada', email: 'ada@example.com' },
};

describe('a dead letter as each AWS service writes it', () => {
  it('reads Lambda’s invocation record: the input, the error, the tries; redriven to the function', () => {
    const { letter, plan } = readLetter(functionQueue, {
      id: 'm-1',
      body: JSON.stringify({
        version: '1.0',
        timestamp: '2026-11-30T10:00:00Z',
        requestContext: {
          requestId: 'r',
          functionArn: 'arn',
          condition: 'RetriesExhausted',
          approximateInvokeCount: 3,
        },
        requestPayload: event,
        responseContext: { statusCode: 200, functionError: 'Unhandled' },
        responsePayload: { errorType: 'ZodError', errorMessage: 'customerId: required' },
      }),
      attributes: { SentTimestamp: String(sent) },
      messageAttributes: {},
    });
    expect(letter).toEqual({
      id: 'm-1',
      queue: 'send-message',
      reason: 'ZodError: customerId: required',
      firstSeen: '2026-11-30T10:00:00.000Z',
      attempts: 3,
      summary: { type: 'Message Requested', customer: 'ada' },
      redrivable: true,
    });
    // The summary holds no personal data beyond the customer's key.
    expect(JSON.stringify(letter)).not.toContain('ada@example.com');
    expect(plan).toEqual({
      to: 'function',
      functionName: 'lifecycle-SendMessage',
      payload: JSON.stringify(event),
    });
  });

  it('reads EventBridge’s dead letter: the event as the body, the reason in message attributes', () => {
    const { letter, plan } = readLetter(functionQueue, {
      id: 'm-2',
      body: JSON.stringify(event),
      attributes: { SentTimestamp: String(sent) },
      messageAttributes: { ERROR_CODE: 'ThrottlingException', ERROR_MESSAGE: 'Rate exceeded' },
    });
    expect(letter.reason).toBe('ThrottlingException: Rate exceeded');
    expect(letter.summary).toEqual({ type: 'Message Requested', customer: 'ada' });
    expect(plan?.to).toBe('function');
  });

  it('reads a customer input with the reason apply-event noted, and sends it back to its message group', () => {
    const body = JSON.stringify({
      'detail-type': 'Customer Events Received',
      detail: { customerKey: 'bo', events: [] },
    });
    const read = readLetter(
      inputsQueue,
      {
        id: 'm-3',
        body,
        attributes: { SentTimestamp: String(sent), ApproximateReceiveCount: '1', MessageGroupId: 'g-bo' },
        messageAttributes: {},
      },
      'ZodError: events.0.messageId: required',
    );
    expect(read.letter).toMatchObject({
      reason: 'ZodError: events.0.messageId: required',
      summary: { type: 'Customer Events Received', customer: 'bo' },
      redrivable: true,
    });
    expect(read.letter.attempts).toBeUndefined();
    expect(read.plan).toEqual({ to: 'queue', queueUrl: 'https://sqs/inputs.fifo', group: 'g-bo', body });
    // Without a note (the invocation crashed), it says so rather than inventing a reason.
    const unnoted = readLetter(inputsQueue, {
      id: 'm-4',
      body,
      attributes: { SentTimestamp: String(sent), MessageGroupId: 'g-bo' },
      messageAttributes: {},
    });
    expect(unnoted.letter.reason).toMatch(/no reason was noted/);
  });

  it('lists a stream batch that kept failing but does not offer to redrive it', () => {
    const { letter, plan } = readLetter(
      { name: 'projections', url: 'https://sqs/p' },
      {
        id: 'm-5',
        body: JSON.stringify({
          requestContext: { condition: 'RetryAttemptsExhausted', approximateInvokeCount: 21 },
          responseContext: { functionError: 'Unhandled' },
          DDBStreamBatchInfo: {
            shardId: 's',
            batchSize: 500,
            startSequenceNumber: '1',
            endSequenceNumber: '9',
          },
        }),
        attributes: { SentTimestamp: String(sent) },
        messageAttributes: {},
      },
    );
    expect(letter).toMatchObject({
      redrivable: false,
      attempts: 21,
      summary: { type: 'stream batch of 500 records' },
    });
    expect(letter.why).toMatch(/stream/);
    expect(plan).toBeUndefined();
  });

  it('lists a body that is not JSON but does not send it to a function as its input', () => {
    const { letter, plan } = readLetter(functionQueue, {
      id: 'm-6',
      body: 'garbage',
      attributes: {},
      messageAttributes: {},
    });
    expect(letter.summary.type).toBe('text');
    expect(letter.firstSeen).toBe('1970-01-01T00:00:00.000Z');
    expect(letter).toMatchObject({ redrivable: false, why: expect.stringMatching(/not JSON/) });
    expect(plan).toBeUndefined();
  });

  it('does not resend a record whose input Lambda left out, nor take the record for the input', () => {
    const { letter, plan } = readLetter(functionQueue, {
      id: 'm-7',
      body: JSON.stringify({
        version: '1.0',
        requestContext: { functionArn: 'arn', condition: 'EventAgeExceeded', approximateInvokeCount: 0 },
        responseContext: { statusCode: 200 },
      }),
      attributes: { SentTimestamp: String(sent) },
      messageAttributes: {},
    });
    expect(letter).toMatchObject({
      reason: 'Lambda gave up on it (condition EventAgeExceeded)',
      summary: { type: 'invocation without its input' },
      redrivable: false,
      why: expect.stringMatching(/left the input out/),
    });
    expect(plan).toBeUndefined();
  });

  it('puts a reason on one bounded line for a table cell or a terminal', () => {
    expect(reasonLine('ZodError: [\n  {\n    "path": ["campaignId"]\n  }\n]', 80)).toBe(
      'ZodError: [ { "path": ["campaignId"] } ]',
    );
    expect(reasonLine('x'.repeat(300), 120)).toHaveLength(120);
    expect(reasonLine('x'.repeat(300), 120).endsWith('…')).toBe(true);
  });

  it('keeps a reason whole up to 2,000 characters', () => {
    const { letter } = readLetter(
      inputsQueue,
      {
        id: 'm-8',
        body: '{}',
        attributes: { MessageGroupId: 'g' },
        messageAttributes: {},
      },
      'x'.repeat(5000),
    );
    expect(letter.reason).toHaveLength(2000);
  });
});

describe('a redrive request', () => {
  it('takes {"all": true} or ids, never neither (an empty POST sends nothing), and names what is wrong', () => {
    expect(redriveBody.parse({ all: true })).toEqual({ all: true });
    expect(redriveBody.parse({ ids: ['a'] })).toEqual({ ids: ['a'] });
    expect(redriveBody.safeParse({}).error?.issues[0]?.message).toMatch(/"all": true/);
    expect(redriveBody.safeParse({ ids: ['a'], all: true }).success).toBe(false);
    expect(redriveBody.safeParse({ all: false }).success).toBe(false);
    expect(redriveBody.safeParse({ ids: [] }).error?.issues[0]?.message).toMatch(/at least one id/);
    expect(redriveBody.safeParse({ ids: Array.from({ length: 101 }, (_, i) => `m${i}`) }).success).toBe(
      false,
    );
  });
});
