/**
 * Past orders from a CSV file, as Segment events: the pure part of `npm run import`.
 *
 * Columns (a header row names them, in any order; without one they are taken in this order):
 * customer id, timestamp, revenue, order id, and optionally email, name and currency. A date
 * without a time (`YYYY-MM-DD` or `YYYYMMDD`) is taken as noon UTC, so no time zone moves it to
 * another day. Message ids are derived from the order id (and the customer's traits), so
 * importing the same file again is recognised as the same events and changes nothing.
 */
import { createHash } from 'node:crypto';

export interface HistoryRow {
  line: number;
  customerId: string;
  at: string;
  revenue: number;
  orderId: string;
  email?: string;
  name?: string;
  currency?: string;
}

export interface RowProblem {
  line: number;
  error: string;
}

const COLUMNS = {
  customerId: ['customer_id', 'customerid', 'customer', 'user_id', 'userid'],
  timestamp: ['timestamp', 'date', 'time', 'order_date', 'created_at', 'ordered_at'],
  revenue: ['revenue', 'amount', 'total', 'value'],
  orderId: ['order_id', 'orderid', 'order'],
  email: ['email', 'e-mail'],
  name: ['name', 'first_name', 'firstname'],
  currency: ['currency'],
} as const;
type Column = keyof typeof COLUMNS;
const POSITIONAL: Column[] = ['customerId', 'timestamp', 'revenue', 'orderId', 'email', 'name', 'currency'];

/** Splits CSV text into records (RFC 4180: quoted fields may hold commas, quotes and newlines). */
export function csvRecords(text: string): { line: number; fields: string[] }[] {
  const records: { line: number; fields: string[] }[] = [];
  let fields: string[] = [];
  let field = '';
  let quoted = false;
  let line = 1;
  let recordLine = 1;
  const endRecord = () => {
    fields.push(field);
    if (fields.length > 1 || fields[0]?.trim()) records.push({ line: recordLine, fields });
    fields = [];
    field = '';
  };
  for (let index = 0; index < text.length; index++) {
    const char = text[index];
    if (quoted) {
      if (char === '"' && text[index + 1] === '"') {
        field += '"';
        index++;
      } else if (char === '"') {
        quoted = false;
      } else {
        if (char === '\n') line++;
        field += char;
      }
    } else if (char === '"') {
      quoted = true;
    } else if (char === ',') {
      fields.push(field);
      field = '';
    } else if (char === '\n' || char === '\r') {
      if (char === '\r' && text[index + 1] === '\n') index++;
      endRecord();
      line++;
      recordLine = line;
    } else {
      field += char;
    }
  }
  if (field || fields.length > 0) endRecord();
  return records;
}

/** The rows of the file, and a problem (with its line) for each row that cannot be imported. */
export function historyRows(text: string): { rows: HistoryRow[]; problems: RowProblem[] } {
  const records = csvRecords(text.replace(/^\uFEFF/, ''));
  const first = records[0];
  const header = first ? headerOf(first.fields) : undefined;
  const columns = header ?? POSITIONAL;
  const rows: HistoryRow[] = [];
  const problems: RowProblem[] = [];
  const seenOrders = new Map<string, number>();
  for (const { line, fields } of header ? records.slice(1) : records) {
    const value = (column: Column) => {
      const index = columns.indexOf(column);
      return index >= 0 ? (fields[index] ?? '').trim() : '';
    };
    const result = rowOf(line, value);
    if ('error' in result) {
      problems.push(result);
      continue;
    }
    const earlier = seenOrders.get(result.orderId);
    if (earlier !== undefined) {
      problems.push({ line, error: `order id ${result.orderId} repeats line ${earlier}` });
      continue;
    }
    seenOrders.set(result.orderId, line);
    rows.push(result);
  }
  return { rows, problems };
}

function headerOf(fields: string[]): Column[] | undefined {
  const names = fields.map((field) => field.trim().toLowerCase());
  const columns = names.map((name) =>
    (Object.keys(COLUMNS) as Column[]).find((column) =>
      (COLUMNS[column] as readonly string[]).includes(name),
    ),
  );
  if (!columns.includes('customerId')) return undefined;
  const missing = (['timestamp', 'revenue', 'orderId'] as const).filter(
    (column) => !columns.includes(column),
  );
  if (missing.length > 0) throw new Error(`the header names no column for: ${missing.join(', ')}`);
  return columns.map((column) => column ?? ('ignored' as Column));
}

function rowOf(line: number, value: (column: Column) => string): HistoryRow | RowProblem {
  const customerId = value('customerId');
  if (!customerId) return { line, error: 'customer id is empty' };
  const at = timeOf(value('timestamp'));
  if (!at)
    return { line, error: `timestamp must be an ISO-8601 time or a date, not "${value('timestamp')}"` };
  const rawRevenue = value('revenue').replace(/^\$/, '');
  const revenue = Number(rawRevenue);
  if (!rawRevenue || !Number.isFinite(revenue))
    return { line, error: `revenue must be a number, not "${value('revenue')}"` };
  const orderId = value('orderId');
  if (!orderId) return { line, error: 'order id is empty (it is what makes a re-import change nothing)' };
  const row: HistoryRow = { line, customerId, at, revenue, orderId };
  const email = value('email');
  if (email) {
    if (!/^[^\s@]+@[^\s@]+$/.test(email)) return { line, error: `email is not an address: "${email}"` };
    row.email = email;
  }
  const name = value('name');
  if (name) row.name = name;
  const currency = value('currency');
  if (currency) row.currency = currency.toUpperCase();
  return row;
}

/** ISO-8601 times as given; dates (YYYY-MM-DD, YYYYMMDD) at noon UTC. */
export function timeOf(raw: string): string | undefined {
  const compact = /^(\d{4})(\d{2})(\d{2})$/.exec(raw);
  const date = compact ? `${compact[1]}-${compact[2]}-${compact[3]}` : raw;
  if (/^\d{4}-\d{2}-\d{2}$/.test(date)) {
    const time = Date.parse(`${date}T12:00:00.000Z`);
    return Number.isNaN(time) || new Date(time).toISOString().slice(0, 10) !== date
      ? undefined
      : new Date(time).toISOString();
  }
  if (!/^\d{4}-\d{2}-\d{2}T/.test(raw)) return undefined;
  const time = Date.parse(raw);
  return Number.isNaN(time) ? undefined : new Date(time).toISOString();
}

export type SegmentEvent = Record<string, unknown> & { messageId: string; userId: string };

/**
 * Each customer's events, customers one after another (so a batch holds whole customers and they
 * are applied together): an identify with the traits the file gives, at their first order, then
 * their orders in time order.
 */
export function historyEvents(rows: HistoryRow[]): SegmentEvent[] {
  const byCustomer = new Map<string, HistoryRow[]>();
  for (const row of rows) {
    const orders = byCustomer.get(row.customerId);
    if (orders) orders.push(row);
    else byCustomer.set(row.customerId, [row]);
  }
  const events: SegmentEvent[] = [];
  for (const [userId, orders] of byCustomer) {
    orders.sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0));
    const traits: Record<string, string> = {};
    for (const row of orders) {
      if (row.email) traits.email = row.email;
      if (row.name) traits.name = row.name;
    }
    if (Object.keys(traits).length > 0) {
      const digest = createHash('sha256').update(JSON.stringify(traits)).digest('hex').slice(0, 16);
      events.push({
        type: 'identify',
        messageId: `import-identify-${userId}-${digest}`,
        userId,
        timestamp: orders[0]?.at,
        traits,
      });
    }
    for (const row of orders) {
      events.push({
        type: 'track',
        event: 'Order Completed',
        messageId: `import-order-${row.orderId}`,
        userId,
        timestamp: row.at,
        properties: {
          order_id: row.orderId,
          revenue: row.revenue,
          ...(row.currency ? { currency: row.currency } : {}),
        },
      });
    }
  }
  return events;
}

/** Events in batches of at most `maxEvents`, never splitting a customer unless they alone exceed it. */
export function batchesOf(events: SegmentEvent[], maxEvents = 100): SegmentEvent[][] {
  const batches: SegmentEvent[][] = [];
  let batch: SegmentEvent[] = [];
  let index = 0;
  while (index < events.length) {
    const userId = events[index]?.userId;
    let end = index;
    while (end < events.length && events[end]?.userId === userId) end++;
    const customer = events.slice(index, end);
    if (batch.length > 0 && batch.length + customer.length > maxEvents) {
      batches.push(batch);
      batch = [];
    }
    for (let start = 0; start < customer.length; start += maxEvents) {
      const piece = customer.slice(start, start + maxEvents);
      if (batch.length + piece.length > maxEvents) {
        batches.push(batch);
        batch = [];
      }
      batch.push(...piece);
    }
    index = end;
  }
  if (batch.length > 0) batches.push(batch);
  return batches;
}
