/** The history import's file reading: rows, problems with their line, stable events, batches. */
import { describe, expect, it } from 'vitest';
import { batchesOf, csvRecords, historyEvents, historyRows, timeOf } from '../../scripts/history-csv.ts';

describe('reading a history file', () => {
  it('reads a header in any order, with quoted fields and optional columns', () => {
    const { rows, problems } = historyRows(
      [
        'order_id,customer_id,amount,date,email,name',
        'o1,c1,29.33,1997-01-01,ada@example.com,"Lovelace, Ada"',
        'o2,c1,"1,000",19970118,,',
        'o3,c2,$12.50,2026-03-01T09:30:00+01:00,,',
      ].join('\r\n'),
    );
    expect(problems).toEqual([{ line: 3, error: 'revenue must be a number, not "1,000"' }]);
    expect(rows).toEqual([
      {
        line: 2,
        customerId: 'c1',
        at: '1997-01-01T12:00:00.000Z',
        revenue: 29.33,
        orderId: 'o1',
        email: 'ada@example.com',
        name: 'Lovelace, Ada',
      },
      { line: 4, customerId: 'c2', at: '2026-03-01T08:30:00.000Z', revenue: 12.5, orderId: 'o3' },
    ]);
  });

  it('without a header takes customer, timestamp, revenue, order id in that order', () => {
    const { rows } = historyRows('c9,2026-01-02,10,o9\n');
    expect(rows).toEqual([
      { line: 1, customerId: 'c9', at: '2026-01-02T12:00:00.000Z', revenue: 10, orderId: 'o9' },
    ]);
  });

  it('names each bad row and its line, and keeps the good ones', () => {
    const { rows, problems } = historyRows(
      [
        'customer_id,timestamp,revenue,order_id,email',
        ',2026-01-01,1,o1,',
        'c1,2026-02-30,1,o2,',
        'c1,soon,1,o3,',
        'c1,2026-01-01,1,,',
        'c1,2026-01-01,1,o4,not-an-address',
        'c1,2026-01-01,1,o5,',
        'c2,2026-01-02,1,o5,',
      ].join('\n'),
    );
    expect(problems).toEqual([
      { line: 2, error: 'customer id is empty' },
      { line: 3, error: 'timestamp must be an ISO-8601 time or a date, not "2026-02-30"' },
      { line: 4, error: 'timestamp must be an ISO-8601 time or a date, not "soon"' },
      { line: 5, error: 'order id is empty (it is what makes a re-import change nothing)' },
      { line: 6, error: 'email is not an address: "not-an-address"' },
      { line: 8, error: 'order id o5 repeats line 7' },
    ]);
    expect(rows.map((row) => row.orderId)).toEqual(['o5']);
  });

  it('refuses a header that lacks a required column', () => {
    expect(() => historyRows('customer_id,date,order_id\nc1,2026-01-01,o1')).toThrow(
      /no column for: revenue/,
    );
  });

  it('parses quotes, escaped quotes and newlines inside quotes', () => {
    expect(csvRecords('a,"b ""x"", y",c\n"multi\nline",2\n')).toEqual([
      { line: 1, fields: ['a', 'b "x", y', 'c'] },
      { line: 2, fields: ['multi\nline', '2'] },
    ]);
    expect(timeOf('20260101')).toBe('2026-01-01T12:00:00.000Z');
    expect(timeOf('2026-13-01')).toBeUndefined();
  });
});

describe('events and batches', () => {
  const file = [
    'customer_id,timestamp,revenue,order_id,email',
    'c1,2026-01-05,10,o2,c1@example.com',
    'c1,2026-01-01,20,o1,',
    'c2,2026-01-03,30,o3,',
  ].join('\n');
  const { rows } = historyRows(file);

  it('gives each customer an identify (when the file has traits) and their orders in time order', () => {
    const events = historyEvents(rows);
    expect(events.map((event) => `${event.userId}:${event.type}:${event.timestamp}`)).toEqual([
      'c1:identify:2026-01-01T12:00:00.000Z',
      'c1:track:2026-01-01T12:00:00.000Z',
      'c1:track:2026-01-05T12:00:00.000Z',
      'c2:track:2026-01-03T12:00:00.000Z',
    ]);
    expect(events[1]).toMatchObject({
      event: 'Order Completed',
      messageId: 'import-order-o1',
      properties: { order_id: 'o1', revenue: 20 },
    });
  });

  it('derives message ids from the file alone: the same file gives the same ids', () => {
    const ids = (list: ReturnType<typeof historyEvents>) => list.map((event) => event.messageId);
    expect(ids(historyEvents(historyRows(file).rows))).toEqual(ids(historyEvents(rows)));
    expect(new Set(ids(historyEvents(rows))).size).toBe(4);
    const changedEmail = historyEvents(
      rows.map((row) => (row.email ? { ...row, email: 'new@example.com' } : row)),
    );
    expect(changedEmail[0]?.messageId).not.toBe(historyEvents(rows)[0]?.messageId);
  });

  it('batches whole customers together, up to the limit', () => {
    const many = historyEvents(
      Array.from({ length: 7 }, (_, index) => ({
        line: index,
        customerId: `c${Math.floor(index / 3)}`,
        at: `2026-01-0${(index % 3) + 1}T12:00:00.000Z`,
        revenue: 1,
        orderId: `o${index}`,
      })),
    );
    const batches = batchesOf(many, 4);
    expect(batches.map((batch) => batch.map((event) => event.userId).join(','))).toEqual([
      'c0,c0,c0',
      'c1,c1,c1,c2',
    ]);
    expect(batchesOf(many, 2).flat()).toHaveLength(7);
  });
});
