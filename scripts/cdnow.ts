/**
 * The raw CDNOW transactions (`../shared/data/cdnow/CDNOW_sample.txt`: master id, sample id,
 * YYYYMMDD, CDs, dollars) as the pipeline stores orders: by sample id, at noon UTC on their day,
 * an order id per line. Used by the model benchmark and tests.
 */
import { readFileSync } from 'node:fs';
import type { OrderFact } from '../shared/domain/profile.ts';

export const CDNOW_RAW = '../shared/data/cdnow/CDNOW_sample.txt';

export interface CdnowTransaction {
  line: number;
  customer: number;
  day: string;
  at: string;
  amount: number;
}

export function cdnowTransactions(path = CDNOW_RAW): CdnowTransaction[] {
  return readFileSync(path, 'utf8')
    .trim()
    .split(/\r?\n/)
    .map((text, index) => {
      const [, id = '', day = '', , amount = '0'] = text.trim().split(/\s+/);
      const at = `${day.slice(0, 4)}-${day.slice(4, 6)}-${day.slice(6, 8)}T12:00:00.000Z`;
      return { line: index + 1, customer: Number(id), day, at, amount: Number(amount) };
    });
}

/** Each customer's orders, by sample id. */
export function cdnowOrders(path = CDNOW_RAW): Map<number, OrderFact[]> {
  const byCustomer = new Map<number, OrderFact[]>();
  for (const { line, customer, at, amount } of cdnowTransactions(path)) {
    const orders = byCustomer.get(customer) ?? [];
    orders.push({ orderId: `line-${line}`, at, revenue: amount });
    byCustomer.set(customer, orders);
  }
  return byCustomer;
}
