/**
 * Who the best customers are: the top tenth by predicted value (by historic value until a model
 * is fitted) against everyone else who bought: the traits they share more often, how often they
 * order and how much. Streams like the metrics: only a small record per buyer is kept.
 */
import { type FittedModel, predict } from './models/fitted.ts';
import { type PurchaseSummary, purchaseSummary } from './models/summary.ts';
import { type Profile, refundAmount, roundMoney } from './profile.ts';

/** Traits that identify a person say nothing about a segment and are never reported. */
const IDENTIFYING =
  /(^|[._])(e-?mail|name|first_?name|last_?name|phone|street|line[12]|password|token|birthday|ip|id|user_?id)$/i;
/** A trait with more distinct values than this (an id, a timestamp) is not a segment either. */
const MAX_VALUES_PER_TRAIT = 50;
/** A value fewer than this share of the best customers have is an anecdote, not a trait they share. */
const MIN_SHARE_OF_BEST = 0.05;
const DAY_MS = 86_400_000;

interface Buyer {
  value: number;
  orders: number;
  orderValue: number;
  /** Mean days between distinct purchase days; undefined for one-time buyers. */
  gapDays: number | undefined;
  traits: [string, string][];
}

export interface TraitLift {
  trait: string;
  value: string;
  /** Share of the best customers with this value. */
  topShare: number;
  restShare: number;
  /** topShare / restShare (null when no one else has it). */
  lift: number | null;
}

export interface GroupProfile {
  customers: number;
  meanValue: number;
  ordersPerCustomer: number;
  meanOrderValue: number;
  /** Median days between orders, among those who ordered more than once. */
  medianDaysBetweenOrders: number | null;
  repeatShare: number;
}

/** The insights as the nightly fit keeps them: as of a day, computed when its scan ended. */
export interface KeptInsights extends BestCustomers {
  asOf: string;
  computedAt: string;
}

export interface BestCustomers {
  basis: 'predicted-value' | 'historic-value';
  modelAsOf: string | null;
  /** The value at which the top tenth begins. */
  threshold: number | null;
  best: GroupProfile | null;
  rest: GroupProfile | null;
  traits: TraitLift[];
}

/** The traits worth comparing, flattened one level (`address.country`), as strings. */
export function segmentTraits(profile: Profile): [string, string][] {
  const pairs: [string, string][] = [];
  const visit = (key: string, value: unknown, depth: number) => {
    if (IDENTIFYING.test(key)) return;
    if (typeof value === 'string' && value.trim() && value.length <= 100) pairs.push([key, value.trim()]);
    else if (typeof value === 'boolean') pairs.push([key, String(value)]);
    else if (value && typeof value === 'object' && !Array.isArray(value) && depth === 0) {
      for (const [inner, innerValue] of Object.entries(value)) visit(`${key}.${inner}`, innerValue, 1);
    }
  };
  for (const [key, value] of Object.entries(profile.traits)) visit(key, value, 0);
  if (profile.timezone && !pairs.some(([key]) => key === 'timezone'))
    pairs.push(['timezone', profile.timezone]);
  return pairs;
}

/**
 * What one buyer contributes to the fit and to the insights, as of a day, without the model:
 * gathered chunk by chunk by the nightly job, then valued under the model it fits.
 */
export interface BuyerRecord {
  summary: PurchaseSummary;
  /** Revenue less refunds, the value when there is no model. */
  historicValue: number;
  orders: number;
  orderValue: number;
  /** Mean days between distinct purchase days; absent for one-time buyers. */
  gapDays?: number;
  traits: [string, string][];
}

/** The buyer's record as of the end of `asOf` (YYYY-MM-DD); undefined for a customer with no order by then. */
export function buyerRecordOf(profile: Profile, asOf: string): BuyerRecord | undefined {
  const end = new Date(Date.parse(asOf.slice(0, 10)) + DAY_MS).toISOString();
  const orders = profile.orders.filter((order) => order.at < end);
  const summary = purchaseSummary(orders, asOf);
  if (orders.length === 0 || !summary) return undefined;
  const revenue = orders.reduce((sum, order) => sum + order.revenue, 0);
  const refunds = profile.refunds.reduce((sum, refund) => sum + refundAmount(profile, refund), 0);
  const days = [...new Set(orders.map((order) => Math.floor(Date.parse(order.at) / DAY_MS)))].sort(
    (a, b) => a - b,
  );
  const first = days[0] ?? 0;
  const last = days.at(-1) ?? 0;
  return {
    summary,
    historicValue: revenue - refunds,
    orders: orders.length,
    orderValue: revenue / orders.length,
    ...(days.length > 1 ? { gapDays: (last - first) / (days.length - 1) } : {}),
    traits: segmentTraits(profile),
  };
}

export class BestCustomersAccumulator {
  private readonly buyers: Buyer[] = [];

  constructor(
    private readonly model: FittedModel | undefined,
    private readonly asOf: string,
  ) {}

  addProfile(profile: Profile) {
    const record = buyerRecordOf(profile, this.asOf);
    if (record) this.addRecord(record);
  }

  addRecord(record: BuyerRecord) {
    this.buyers.push({
      value: this.model ? predict(this.model, record.summary).predictedValue : record.historicValue,
      orders: record.orders,
      orderValue: record.orderValue,
      gapDays: record.gapDays,
      traits: record.traits,
    });
  }

  result(): BestCustomers {
    const basis = this.model ? 'predicted-value' : 'historic-value';
    const modelAsOf = this.model?.asOf ?? null;
    if (this.buyers.length === 0)
      return { basis, modelAsOf, threshold: null, best: null, rest: null, traits: [] };
    const sorted = [...this.buyers].sort((a, b) => b.value - a.value);
    const cut = Math.ceil(sorted.length / 10);
    const best = sorted.slice(0, cut);
    const rest = sorted.slice(cut);
    return {
      basis,
      modelAsOf,
      threshold: roundMoney(best.at(-1)?.value ?? 0),
      best: groupProfile(best),
      rest: rest.length > 0 ? groupProfile(rest) : null,
      traits: traitLifts(best, rest),
    };
  }
}

function groupProfile(group: Buyer[]): GroupProfile {
  const mean = (values: number[]) =>
    values.length > 0 ? values.reduce((sum, value) => sum + value, 0) / values.length : 0;
  const gaps = group
    .flatMap((buyer) => (buyer.gapDays === undefined ? [] : [buyer.gapDays]))
    .sort((a, b) => a - b);
  const middle = Math.floor(gaps.length / 2);
  const median =
    gaps.length === 0
      ? null
      : gaps.length % 2 === 1
        ? (gaps[middle] ?? 0)
        : ((gaps[middle - 1] ?? 0) + (gaps[middle] ?? 0)) / 2;
  return {
    customers: group.length,
    meanValue: roundMoney(mean(group.map((buyer) => buyer.value))),
    ordersPerCustomer: Math.round(mean(group.map((buyer) => buyer.orders)) * 100) / 100,
    meanOrderValue: roundMoney(mean(group.map((buyer) => buyer.orderValue))),
    medianDaysBetweenOrders: median === null ? null : Math.round(median * 10) / 10,
    repeatShare: Math.round((gaps.length / group.length) * 1000) / 1000,
  };
}

function traitLifts(best: Buyer[], rest: Buyer[]): TraitLift[] {
  const count = (group: Buyer[]) => {
    const counts = new Map<string, Map<string, number>>();
    for (const buyer of group) {
      for (const [trait, value] of buyer.traits) {
        const values = counts.get(trait) ?? new Map<string, number>();
        values.set(value, (values.get(value) ?? 0) + 1);
        counts.set(trait, values);
      }
    }
    return counts;
  };
  const top = count(best);
  const others = count(rest);
  const lifts: TraitLift[] = [];
  for (const [trait, values] of top) {
    const distinct = new Set([...values.keys(), ...(others.get(trait)?.keys() ?? [])]);
    if (distinct.size > MAX_VALUES_PER_TRAIT) continue;
    for (const [value, n] of values) {
      const topShare = n / best.length;
      const restShare = rest.length > 0 ? (others.get(trait)?.get(value) ?? 0) / rest.length : 0;
      lifts.push({
        trait,
        value,
        topShare: Math.round(topShare * 1000) / 1000,
        restShare: Math.round(restShare * 1000) / 1000,
        lift: restShare > 0 ? Math.round((topShare / restShare) * 100) / 100 : null,
      });
    }
  }
  // Most distinctive first: what the best share far more often than the rest (or alone).
  const liftOf = (lift: TraitLift) => lift.lift ?? Number.MAX_VALUE;
  return lifts
    .filter((lift) => lift.topShare >= MIN_SHARE_OF_BEST)
    .sort((a, b) => liftOf(b) - liftOf(a) || b.topShare - a.topShare)
    .slice(0, 25);
}
