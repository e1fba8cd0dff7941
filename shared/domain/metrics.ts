/**
 * The numbers that show what works, computed from profiles and ledger entries as they stream in
 * (a page at a time: the whole base never has to fit in memory). Pure: the admin API feeds it.
 *
 * Definitions (the README repeats them):
 * - window: `from` and `to` are UTC days, both included;
 * - retention rate: of the customers who had ordered before the window, the share who ordered
 *   again in it;
 * - repeat-purchase rate: of the customers with an order by the end of the window, the share with
 *   orders on at least two different days;
 * - historic value: revenue less refunds, all time; predicted value: expected purchases in the
 *   next 52 weeks times the expected order value, from the fitted model;
 * - per campaign, over the messages decided in the window: conversion rate of those sent and of
 *   those held out, and the uplift (the difference) with a 95% confidence interval by Newcombe's
 *   hybrid score method (Wilson intervals combined): unlike the textbook Wald interval it stays
 *   honest with small groups and rates near 0 or 1, where Wald claims certainty it does not have.
 */
import { CAMPAIGN_IDS, type CampaignId } from './campaigns.ts';
import type { LedgerEntry } from './ledger.ts';
import { type FittedModel, predict, trustworthy } from './models/fitted.ts';
import { purchaseSummary } from './models/summary.ts';
import { type Profile, refundAmount, roundMoney, STAGES, type Stage } from './profile.ts';

const DAY_MS = 86_400_000;
/** z for a two-sided 95% interval. */
const Z_95 = 1.959964;
export const PREDICTION_HORIZON_WEEKS = 52;

export interface MetricsWindow {
  from: string;
  to: string;
}

export interface Proportion {
  /** The difference of the two rates (sent minus held out). */
  uplift: number;
  low: number;
  high: number;
  /** The interval excludes zero. */
  significant: boolean;
}

export interface CampaignMetrics {
  decided: number;
  sent: number;
  delivered: number;
  opened: number;
  clicked: number;
  converted: number;
  heldOut: number;
  heldOutConverted: number;
  deferred: number;
  skipped: number;
  failed: number;
  conversionRate: number | null;
  heldOutConversionRate: number | null;
  /** Null until both groups have someone in them. */
  uplift: Proportion | null;
}

export interface Metrics {
  window: MetricsWindow;
  customers: { total: number; buyers: number; byStage: Record<Stage, number> };
  stageChanges: ({ date: string } & Record<Stage, number>)[];
  retention: { customersAtStart: number; orderedAgain: number; rate: number | null };
  repeatPurchase: { buyers: number; repeatBuyers: number; rate: number | null };
  value: {
    historic: { total: number; perBuyer: number | null; inWindow: number };
    predicted: {
      total: number;
      perBuyer: number | null;
      horizonWeeks: number;
      modelAsOf: string;
      /** Fitted on enough customers to trust (see MINIMUM_FOR_PREDICTIONS). */
      trustworthy: boolean;
    } | null;
  };
  campaigns: Record<CampaignId, CampaignMetrics>;
}

/** Parses and checks a window; days as YYYY-MM-DD. The default is the 30 days up to `today`. */
export function metricsWindow(
  from: string | undefined,
  to: string | undefined,
  today: string,
): { ok: true; window: MetricsWindow } | { ok: false; problem: { field: string; message: string } } {
  const day = /^\d{4}-\d{2}-\d{2}$/;
  const end = to ?? today;
  if (!day.test(end) || Number.isNaN(Date.parse(end)))
    return { ok: false, problem: { field: 'to', message: 'must be a day, YYYY-MM-DD' } };
  const start = from ?? new Date(Date.parse(end) - 29 * DAY_MS).toISOString().slice(0, 10);
  if (!day.test(start) || Number.isNaN(Date.parse(start)))
    return { ok: false, problem: { field: 'from', message: 'must be a day, YYYY-MM-DD' } };
  if (start > end) return { ok: false, problem: { field: 'from', message: 'must not be after to' } };
  if ((Date.parse(end) - Date.parse(start)) / DAY_MS > 366 * 3)
    return { ok: false, problem: { field: 'from', message: 'the window may span at most three years' } };
  return { ok: true, window: { from: start, to: end } };
}

/** Wilson's 95% score interval of a proportion. */
export function wilsonInterval(successes: number, trials: number): { low: number; high: number } {
  const rate = successes / trials;
  const z2 = Z_95 * Z_95;
  const denominator = 1 + z2 / trials;
  const centre = (rate + z2 / (2 * trials)) / denominator;
  const half = (Z_95 * Math.sqrt((rate * (1 - rate)) / trials + z2 / (4 * trials * trials))) / denominator;
  return { low: Math.max(0, centre - half), high: Math.min(1, centre + half) };
}

/**
 * The difference of two proportions (sent minus held out) with its 95% interval by Newcombe's
 * hybrid score method (1998, method 10); null while a group is empty.
 */
export function upliftOf(
  converted: number,
  sent: number,
  heldOutConverted: number,
  heldOut: number,
): Proportion | null {
  if (sent === 0 || heldOut === 0) return null;
  const treated = converted / sent;
  const control = heldOutConverted / heldOut;
  const t = wilsonInterval(converted, sent);
  const c = wilsonInterval(heldOutConverted, heldOut);
  const uplift = treated - control;
  const low = uplift - Math.sqrt((treated - t.low) ** 2 + (c.high - control) ** 2);
  const high = uplift + Math.sqrt((t.high - treated) ** 2 + (control - c.low) ** 2);
  return { uplift, low, high, significant: low > 0 || high < 0 };
}

const rate = (part: number, whole: number) => (whole > 0 ? part / whole : null);

function emptyCampaign(): Omit<CampaignMetrics, 'conversionRate' | 'heldOutConversionRate' | 'uplift'> {
  return {
    decided: 0,
    sent: 0,
    delivered: 0,
    opened: 0,
    clicked: 0,
    converted: 0,
    heldOut: 0,
    heldOutConverted: 0,
    deferred: 0,
    skipped: 0,
    failed: 0,
  };
}

export class MetricsAccumulator {
  private readonly start: string;
  /** The first instant after the window. */
  private readonly end: string;
  private total = 0;
  private buyers = 0;
  private readonly byStage = Object.fromEntries(STAGES.map((stage) => [stage, 0])) as Record<Stage, number>;
  private readonly changes = new Map<string, Record<Stage, number>>();
  private customersAtStart = 0;
  private orderedAgain = 0;
  private buyersByEnd = 0;
  private repeatBuyers = 0;
  private historic = 0;
  private inWindow = 0;
  private predicted = 0;
  private readonly campaigns = Object.fromEntries(CAMPAIGN_IDS.map((id) => [id, emptyCampaign()])) as Record<
    CampaignId,
    ReturnType<typeof emptyCampaign>
  >;

  constructor(
    private readonly window: MetricsWindow,
    private readonly model?: FittedModel,
    /** Predictions are made as of this day (today, or the window's end if earlier). */
    private readonly asOf = window.to,
  ) {
    this.start = `${window.from}T00:00:00.000Z`;
    this.end = new Date(Date.parse(window.to) + DAY_MS).toISOString();
  }

  addProfile(profile: Profile) {
    this.total++;
    this.byStage[profile.stage]++;
    for (const change of profile.stageHistory ?? []) {
      if (change.at < this.start || change.at >= this.end) continue;
      const date = change.at.slice(0, 10);
      const counts =
        this.changes.get(date) ??
        (Object.fromEntries(STAGES.map((stage) => [stage, 0])) as Record<Stage, number>);
      counts[change.stage]++;
      this.changes.set(date, counts);
    }
    const { orders } = profile;
    if (orders.length === 0) return;
    this.buyers++;
    const refunds = profile.refunds.reduce((sum, refund) => sum + refundAmount(profile, refund), 0);
    this.historic += orders.reduce((sum, order) => sum + order.revenue, 0) - refunds;
    for (const order of orders)
      if (order.at >= this.start && order.at < this.end) this.inWindow += order.revenue;

    if (orders.some((order) => order.at < this.start)) {
      this.customersAtStart++;
      if (orders.some((order) => order.at >= this.start && order.at < this.end)) this.orderedAgain++;
    }
    const byEnd = orders.filter((order) => order.at < this.end);
    if (byEnd.length > 0) {
      this.buyersByEnd++;
      if (new Set(byEnd.map((order) => order.at.slice(0, 10))).size >= 2) this.repeatBuyers++;
    }
    if (this.model) {
      const summary = purchaseSummary(orders, this.asOf);
      if (summary) this.predicted += predict(this.model, summary, PREDICTION_HORIZON_WEEKS).predictedValue;
    }
  }

  addMessage(entry: LedgerEntry) {
    if (entry.decidedAt < this.start || entry.decidedAt >= this.end) return;
    const counts = this.campaigns[entry.campaignId];
    if (!counts) return;
    counts.decided++;
    switch (entry.status) {
      case 'sent':
        counts.sent++;
        if (entry.deliveredAt) counts.delivered++;
        if (entry.openedAt) counts.opened++;
        if (entry.clickedAt) counts.clicked++;
        if (entry.convertedAt) counts.converted++;
        break;
      case 'held-out':
        counts.heldOut++;
        if (entry.convertedAt) counts.heldOutConverted++;
        break;
      case 'deferred':
        counts.deferred++;
        break;
      case 'skipped':
        counts.skipped++;
        break;
      case 'failed':
      case 'unknown':
        counts.failed++;
        break;
      default:
        break;
    }
  }

  result(): Metrics {
    const stageChanges = [...this.changes.entries()]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([date, counts]) => ({ date, ...counts }));
    const campaigns = Object.fromEntries(
      CAMPAIGN_IDS.map((id) => {
        const counts = this.campaigns[id];
        return [
          id,
          {
            ...counts,
            conversionRate: rate(counts.converted, counts.sent),
            heldOutConversionRate: rate(counts.heldOutConverted, counts.heldOut),
            uplift: upliftOf(counts.converted, counts.sent, counts.heldOutConverted, counts.heldOut),
          },
        ];
      }),
    ) as Record<CampaignId, CampaignMetrics>;
    return {
      window: this.window,
      customers: { total: this.total, buyers: this.buyers, byStage: this.byStage },
      stageChanges,
      retention: {
        customersAtStart: this.customersAtStart,
        orderedAgain: this.orderedAgain,
        rate: rate(this.orderedAgain, this.customersAtStart),
      },
      repeatPurchase: {
        buyers: this.buyersByEnd,
        repeatBuyers: this.repeatBuyers,
        rate: rate(this.repeatBuyers, this.buyersByEnd),
      },
      value: {
        historic: {
          total: roundMoney(this.historic),
          perBuyer: this.buyers > 0 ? roundMoney(this.historic / this.buyers) : null,
          inWindow: roundMoney(this.inWindow),
        },
        predicted: this.model
          ? {
              total: roundMoney(this.predicted),
              perBuyer: this.buyers > 0 ? roundMoney(this.predicted / this.buyers) : null,
              horizonWeeks: PREDICTION_HORIZON_WEEKS,
              modelAsOf: this.model.asOf,
              trustworthy: trustworthy(this.model),
            }
          : null,
      },
      campaigns,
    };
  }
}
