import { describe, expect, it } from 'vitest';
import {
  correctedTimestamp,
  endpointKind,
  MAX_EVENT_BYTES,
  parseEvent,
} from '../../shared/domain/segment.ts';

const receivedAt = new Date('2026-05-01T12:00:00.000Z');
const parse = (raw: unknown, where = 'batch[0]') => parseEvent(raw, { index: 0, where, receivedAt });

describe('Segment event contract', () => {
  it('accepts a track call and stamps the receive time', () => {
    const result = parse({
      type: 'track',
      userId: 'u1',
      event: 'Order Completed',
      messageId: 'm1',
      properties: { revenue: 5 },
    });
    expect(result).toEqual({
      ok: true,
      event: expect.objectContaining({
        type: 'track',
        userId: 'u1',
        event: 'Order Completed',
        messageId: 'm1',
        receivedAt: receivedAt.toISOString(),
        timestamp: receivedAt.toISOString(),
        properties: { revenue: 5 },
      }),
    });
  });

  it('names the field when neither userId nor anonymousId is present', () => {
    const result = parse({ type: 'track', event: 'x' });
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.rejection.error).toBe('batch[0].userId: userId or anonymousId is required');
  });

  it('names the field of a wrong type', () => {
    const result = parse({ type: 'identify', userId: 'u1', traits: 'not an object' });
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.rejection.error).toMatch(/^batch\[0\]\.traits: /);
  });

  it('names the event field of a track without a name', () => {
    const result = parse({ type: 'track', userId: 'u1' }, '');
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.rejection.error).toMatch(/^event: /);
  });

  it('rejects an unknown type and says which types exist', () => {
    const result = parse({ type: 'purchase', userId: 'u1' });
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.rejection.error).toContain('identify, track, page, screen, group, alias');
  });

  it('turns numeric ids into strings, as Segment does', () => {
    const result = parse({ type: 'identify', userId: 42 });
    expect(result.ok && result.event.userId).toBe('42');
  });

  it('requires previousId and userId on alias', () => {
    const result = parse({ type: 'alias', userId: 'u1' });
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.rejection.error).toMatch(/previousId/);
  });

  it('rejects an event over 32 KB', () => {
    const result = parse({
      type: 'track',
      userId: 'u1',
      event: 'big',
      properties: { blob: 'x'.repeat(MAX_EVENT_BYTES) },
    });
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.rejection.error).toContain('larger than 32768 bytes');
  });

  it('derives the same messageId for the same payload when the client sends none', () => {
    const payload = { type: 'track', userId: 'u1', event: 'Signed Up', timestamp: '2026-05-01T11:00:00Z' };
    const first = parse(payload);
    const second = parse({ ...payload });
    const other = parse({ ...payload, event: 'Other' });
    expect(first.ok && second.ok && first.event.messageId === second.event.messageId).toBe(true);
    expect(first.ok && other.ok && first.event.messageId !== other.event.messageId).toBe(true);
  });

  it('merges batch context into each event and keeps the event values first', () => {
    const result = parseEvent(
      { type: 'page', anonymousId: 'a1', context: { locale: 'de-DE' } },
      { index: 3, where: 'batch[3]', receivedAt, envelope: { context: { locale: 'en-US', ip: '1.2.3.4' } } },
    );
    expect(result.ok && result.event.context).toEqual({ locale: 'de-DE', ip: '1.2.3.4' });
  });

  it('drops fields that are not part of the contract, such as the write key', () => {
    const result = parse({ type: 'track', userId: 'u1', event: 'x', writeKey: 'secret' });
    expect(result.ok && JSON.stringify(result.event)).not.toContain('secret');
  });

  it('maps analytics.js one-letter paths onto endpoints', () => {
    expect(['t', 'i', 'p', 's', 'g', 'a', 'b', 'batch', 'import'].map(endpointKind)).toEqual([
      'track',
      'identify',
      'page',
      'screen',
      'group',
      'alias',
      'batch',
      'batch',
      'batch',
    ]);
    expect(endpointKind('purchase')).toBeUndefined();
  });
});

describe('clock-skew correction', () => {
  it('shifts the timestamp by the difference between the client clock and ours', () => {
    // The client clock runs 10 minutes fast: it says it sent at 12:10, we received at 12:00.
    expect(correctedTimestamp('2026-05-01T11:40:00Z', '2026-05-01T12:10:00Z', receivedAt)).toBe(
      '2026-05-01T11:30:00.000Z',
    );
  });

  it('keeps a historical timestamp when no sentAt is given', () => {
    expect(correctedTimestamp('1997-03-01T00:00:00Z', undefined, receivedAt)).toBe(
      '1997-03-01T00:00:00.000Z',
    );
  });

  it('never lets an event happen after we received it', () => {
    expect(correctedTimestamp('2030-01-01T00:00:00Z', undefined, receivedAt)).toBe(receivedAt.toISOString());
  });

  it('uses the receive time when the client gave no time at all', () => {
    expect(correctedTimestamp(undefined, undefined, receivedAt)).toBe(receivedAt.toISOString());
  });
});
