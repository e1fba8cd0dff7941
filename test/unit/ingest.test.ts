import { describe, expect, it } from 'vitest';
import { busEntriesFor, ingest } from '../../functions/ingest/ingest.ts';
import type { CustomerEvent } from '../../shared/domain/segment.ts';
import { sha256 } from '../../shared/security.ts';
import { RecordingPublisher } from '../support/fakes.ts';

const KEY = 'test-write-key';
const basic = (key: string) => `Basic ${Buffer.from(`${key}:`).toString('base64')}`;

function setup() {
  const publisher = new RecordingPublisher();
  const deps = {
    publisher,
    writeKeyDigests: async () => [sha256(KEY)],
    sources: async () => [],
    record: async () => {},
    now: () => new Date('2026-05-01T12:00:00.000Z'),
  };
  const call = (endpoint: string, body: unknown, authorization: string | null = basic(KEY)) =>
    ingest(
      {
        endpoint,
        body: Buffer.isBuffer(body)
          ? body
          : Buffer.from(typeof body === 'string' ? body : JSON.stringify(body)),
        ...(authorization ? { authorization } : {}),
      },
      deps,
    );
  const events = () =>
    publisher.published.flatMap((entry) => (entry.detail as { events: CustomerEvent[] }).events);
  return { publisher, call, events };
}

describe('ingest: authentication', () => {
  it('accepts the write key as the Basic auth user name', async () => {
    const { call, events } = setup();
    const result = await call('track', { userId: 'u1', event: 'Signed Up' });
    expect(result).toEqual({ status: 200, body: { success: true } });
    expect(events()).toHaveLength(1);
  });

  it('accepts the write key in the body, as analytics.js sends it', async () => {
    const { call, events } = setup();
    const result = await call('t', { userId: 'u1', event: 'Signed Up', writeKey: KEY }, null);
    expect(result.status).toBe(200);
    expect(events()[0]).toMatchObject({ type: 'track', event: 'Signed Up' });
  });

  it.each([
    ['a wrong key', basic('nope')],
    ['a bearer token', 'Bearer test-write-key'],
  ])('answers 401 to %s and publishes nothing', async (_label, authorization) => {
    const { call, publisher } = setup();
    const result = await call('track', { userId: 'u1', event: 'x' }, authorization);
    expect(result.status).toBe(401);
    expect(publisher.published).toEqual([]);
  });

  it('answers 401 when no key is given at all', async () => {
    const { call } = setup();
    expect((await call('track', { userId: 'u1', event: 'x' }, null)).status).toBe(401);
  });
});

describe('ingest: bad input', () => {
  it('answers 400 to invalid JSON', async () => {
    const { call, publisher } = setup();
    expect(await call('track', '{"userId": ')).toEqual({
      status: 400,
      body: { success: false, error: 'body: invalid JSON' },
    });
    expect(publisher.published).toEqual([]);
  });

  it('answers 400 naming the field when both ids are missing', async () => {
    const { call } = setup();
    const result = await call('identify', { traits: { email: 'a@b.co' } });
    expect(result).toEqual({
      status: 400,
      body: { success: false, error: 'userId: userId or anonymousId is required' },
    });
  });

  it('answers 400 naming the field of a wrong type', async () => {
    const { call } = setup();
    const result = await call('track', { userId: 'u1', event: 'x', properties: [1, 2] });
    expect(result.status).toBe(400);
    expect(result.body.error).toMatch(/^properties: /);
  });

  it('answers 413 to a single call over 32 KB and to a batch over 500 KB', async () => {
    const { call, publisher } = setup();
    const big = 'x'.repeat(33 * 1024);
    expect((await call('track', { userId: 'u1', event: 'x', properties: { big } })).status).toBe(413);
    const batch = {
      batch: Array.from({ length: 20 }, () => ({
        type: 'track',
        userId: 'u1',
        event: 'x',
        properties: { blob: 'y'.repeat(30 * 1024) },
      })),
    };
    expect((await call('batch', batch)).status).toBe(413);
    expect(publisher.published).toEqual([]);
  });

  it('answers 404 to an endpoint Segment does not have', async () => {
    const { call } = setup();
    expect((await call('purchase', { userId: 'u1' })).status).toBe(404);
  });

  it('accepts the valid events of a batch and names the rejected one', async () => {
    const { call, events } = setup();
    const result = await call('batch', {
      batch: [
        { type: 'track', userId: 'u1', event: 'A', messageId: 'a' },
        { type: 'track', event: 'B', messageId: 'b' },
        { type: 'identify', userId: 'u2', messageId: 'c' },
      ],
    });
    expect(result).toEqual({
      status: 200,
      body: {
        success: true,
        accepted: 2,
        rejected: [{ index: 1, messageId: 'b', error: 'batch[1].userId: userId or anonymousId is required' }],
      },
    });
    expect(events().map((event) => event.messageId)).toEqual(['a', 'c']);
  });

  it('answers 400 when every event of a batch is invalid, and publishes nothing', async () => {
    const { call, publisher } = setup();
    const result = await call('batch', { batch: [{ type: 'track', event: 'x' }] });
    expect(result.status).toBe(400);
    expect(result.body.rejected).toHaveLength(1);
    expect(publisher.published).toEqual([]);
  });

  it('answers 400 when batch is not an array', async () => {
    const { call } = setup();
    expect((await call('batch', { batch: {} })).body.error).toBe('batch: must be an array of events');
  });
});

describe('ingest: publishing', () => {
  it('groups a request by customer, keeping each customer’s events in order', async () => {
    const { call, publisher } = setup();
    await call('batch', {
      sentAt: '2026-05-01T12:00:00.000Z',
      batch: [
        { type: 'identify', userId: 'u1', messageId: '1' },
        { type: 'track', userId: 'u2', event: 'x', messageId: '2' },
        { type: 'track', userId: 'u1', event: 'y', messageId: '3' },
      ],
    });
    expect(publisher.published.map((entry) => entry.detail)).toEqual([
      expect.objectContaining({
        customerKey: 'u1',
        events: [expect.objectContaining({ messageId: '1' }), expect.objectContaining({ messageId: '3' })],
      }),
      expect.objectContaining({ customerKey: 'u2', events: [expect.objectContaining({ messageId: '2' })] }),
    ]);
  });

  it('splits one customer’s events over several bus entries when they would not fit one', () => {
    const events = Array.from({ length: 20 }, (_, index) => ({
      type: 'track' as const,
      messageId: `m${index}`,
      userId: 'u1',
      event: 'x',
      timestamp: '2026-05-01T12:00:00.000Z',
      receivedAt: '2026-05-01T12:00:00.000Z',
      properties: { blob: 'z'.repeat(30 * 1024) },
    }));
    const entries = busEntriesFor(events);
    expect(entries.length).toBeGreaterThan(1);
    for (const entry of entries) expect(JSON.stringify(entry.detail).length).toBeLessThan(256 * 1024);
    expect(entries.flatMap((entry) => (entry.detail as { events: unknown[] }).events)).toHaveLength(20);
  });

  it('fails the request when the bus cannot take the events, so the client retries', async () => {
    const { call, publisher } = setup();
    publisher.failNext = 1;
    await expect(call('track', { userId: 'u1', event: 'x' })).rejects.toThrow('bus unavailable');
  });
});
