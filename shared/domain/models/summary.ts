/**
 * A customer's purchase history as the models read it, computed from the orders the pipeline
 * stored: purchases on the same calendar day (UTC) count as one, x is the number of distinct
 * purchase days minus one, t_x and T are in weeks from the first purchase day, as of a date.
 * Done this way, the raw CDNOW transactions give exactly the published summary.
 */
import type { OrderFact } from '../profile.ts';
import type { CustomerSummary } from './bgnbd.ts';
import type { SpendSummary } from './gamma-gamma.ts';

const DAY_MS = 86_400_000;

export interface PurchaseSummary extends CustomerSummary {
  /** The first purchase day (UTC midnight). */
  firstPurchase: string;
  /** The repeat purchase days' mean value (Gamma-Gamma's input). */
  spend: SpendSummary;
  /** All purchase days' mean value, for customers without repeat purchases. */
  meanValue: number;
}

/** The summary as of the end of `asOf` (YYYY-MM-DD or a time); undefined before the first purchase. */
export function purchaseSummary(orders: readonly OrderFact[], asOf: string): PurchaseSummary | undefined {
  const asOfDay = Math.floor(Date.parse(asOf.length === 10 ? `${asOf}T00:00:00.000Z` : asOf) / DAY_MS);
  const valueByDay = new Map<number, number>();
  for (const order of orders) {
    const day = Math.floor(Date.parse(order.at) / DAY_MS);
    if (day > asOfDay) continue;
    valueByDay.set(day, (valueByDay.get(day) ?? 0) + order.revenue);
  }
  const days = [...valueByDay.keys()].sort((a, b) => a - b);
  const first = days[0];
  const last = days.at(-1);
  if (first === undefined || last === undefined) return undefined;
  const repeatValues = days.slice(1).map((day) => valueByDay.get(day) ?? 0);
  const allValues = days.map((day) => valueByDay.get(day) ?? 0);
  const mean = (values: number[]) =>
    values.length > 0 ? values.reduce((sum, value) => sum + value, 0) / values.length : 0;
  return {
    x: days.length - 1,
    tx: (last - first) / 7,
    T: (asOfDay - first) / 7,
    firstPurchase: new Date(first * DAY_MS).toISOString(),
    spend: { x: repeatValues.length, mean: mean(repeatValues) },
    meanValue: mean(allValues),
  };
}
