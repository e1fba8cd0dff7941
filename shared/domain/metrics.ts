/**
 * The numbers that show what works, computed from the counters the projections keep (never from
 * a scan of the customers). Pure: the admin API feeds it.
 *
 * Definitions (docs/prediction.md repeats them):
 * - window: `from` and `to` are UTC days, both included;
 * - retention rate: of the customers who had ordered before the window, the share who ordered
 *   again in it;
 * - repeat-purchase rate: of the customers with an order by the end of the window, the share with
 *   orders on at least two different days;
 * - historic value: revenue less refunds, all time; predicted value: expected purchases in the
 *   next 52 weeks times the expected order value, summed over the buyers when the model was fitted;
 * - per campaign, over the messages decided in the window: conversion rate of those sent and of
 *   those held out, and the uplift (the difference) with a 95% confidence interval by Newcombe's
 *   hybrid score method (Wilson intervals combined): unlike the textbook Wald interval it stays
 *   honest with small groups and rates near 0 or 1, where Wald claims certainty it does not have.
 */
import { type FittedModel, trustworthy } from './models/fitted.ts';
import { roundMoney, STAGES, type Stage } from './profile.ts';
import { REASONS } from './ratings.ts';

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
  /** By journey (or broadcast) id: every one with an email decided in the window, and those asked for. */
  campaigns: Record<string, CampaignMetrics>;
  /** What customers told us in the window: ratings, response rate, why they left. */
  satisfaction: Satisfaction;
}

/** CSAT: the share of answers of 4 or 5 (of 5). */
export interface CsatScore {
  responses: number;
  satisfied: number;
  score: number | null;
}

/** NPS: promoters (9-10) less detractors (0-6), as a share of answers, -100 to 100. */
export interface NpsScore {
  responses: number;
  promoters: number;
  passives: number;
  detractors: number;
  score: number | null;
}

export interface Satisfaction {
  csat: CsatScore;
  nps: NpsScore;
  /** Answers to emails that asked (a rating row), of those emails sent in the window. */
  responseRate: { asked: number; answered: number; rate: number | null };
  byJourney: Record<string, { csat: CsatScore; nps: NpsScore }>;
  byStage: Record<Stage, { csat: CsatScore; nps: NpsScore }>;
  /** Why customers left (the preference page, the farewell's one-click reasons), by reason. */
  leaving: { left: number; reasons: Record<string, number>; answered: number };
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

const BUCKETS = [
  'decided',
  'sent',
  'delivered',
  'opened',
  'clicked',
  'converted',
  'heldOut',
  'heldOutConverted',
  'deferred',
  'skipped',
  'failed',
] as const;

/** The counters metrics read: the whole-base gauges, and the dated counters of each day from the window's start. */
export interface MetricsCounts {
  gauges: Record<string, number>;
  /** Every day with counters from `window.from` to today (later days matter for "by the window's end"). */
  days: { date: string; counts: Record<string, number> }[];
}

/**
 * The metrics of a window from the counters (domain/counters.ts): a number of items that depends
 * on the days asked for, never on the number of customers.
 * - customers had ordered before the window = buyers now, less first orders on or after its start;
 * - of them, ordered again in it = orders in the window whose previous purchase day was before it
 *   (`returning:<day>`: each customer counts once, at their first purchase day in the window);
 * - buyers and repeat buyers by the window's end = now, less first (second) purchase days after it.
 */
export function metricsFromCounts(
  window: MetricsWindow,
  counts: MetricsCounts,
  model?: FittedModel,
  journeyIds: readonly string[] = [],
): Metrics {
  const { gauges } = counts;
  const inWindow = counts.days.filter((day) => day.date >= window.from && day.date <= window.to);
  const after = counts.days.filter((day) => day.date > window.to);
  const fromOn = counts.days.filter((day) => day.date >= window.from);
  const sum = (days: MetricsCounts['days'], name: string) =>
    days.reduce((total, day) => total + (day.counts[name] ?? 0), 0);
  const buyers = gauges.buyers ?? 0;

  const stageChanges = inWindow
    .map((day) => ({
      date: day.date,
      ...(Object.fromEntries(STAGES.map((stage) => [stage, day.counts[`stage:${stage}`] ?? 0])) as Record<
        Stage,
        number
      >),
    }))
    .filter((day) => STAGES.some((stage) => day[stage] > 0));
  const customersAtStart = buyers - sum(fromOn, 'firstOrders');
  const orderedAgain = inWindow.reduce(
    (total, day) =>
      total +
      Object.entries(day.counts)
        .filter(([name]) => name.startsWith('returning:') && name.slice('returning:'.length) < window.from)
        .reduce((part, [, count]) => part + count, 0),
    0,
  );
  const buyersByEnd = buyers - sum(after, 'firstOrders');
  const repeatBuyers = (gauges.repeatBuyers ?? 0) - sum(after, 'secondOrderDays');
  const historic = gauges.netRevenue ?? 0;
  const decided = inWindow.flatMap((day) =>
    Object.keys(day.counts).flatMap((name) =>
      name.startsWith('campaign:') ? [name.split(':')[1] ?? ''] : [],
    ),
  );
  const ids = [...new Set([...journeyIds, ...decided])].filter(Boolean).sort();
  const campaigns = Object.fromEntries(
    ids.map((id) => {
      const totals = Object.fromEntries(
        BUCKETS.map((bucket) => [bucket, sum(inWindow, `campaign:${id}:${bucket}`)]),
      ) as Record<(typeof BUCKETS)[number], number>;
      return [
        id,
        {
          ...totals,
          conversionRate: rate(totals.converted, totals.sent),
          heldOutConversionRate: rate(totals.heldOutConverted, totals.heldOut),
          uplift: upliftOf(totals.converted, totals.sent, totals.heldOutConverted, totals.heldOut),
        },
      ];
    }),
  ) as Record<string, CampaignMetrics>;
  return {
    window,
    satisfaction: satisfactionOf(inWindow),
    customers: {
      total: gauges.customers ?? 0,
      buyers,
      byStage: Object.fromEntries(STAGES.map((stage) => [stage, gauges[`stage:${stage}`] ?? 0])) as Record<
        Stage,
        number
      >,
    },
    stageChanges,
    retention: { customersAtStart, orderedAgain, rate: rate(orderedAgain, customersAtStart) },
    repeatPurchase: { buyers: buyersByEnd, repeatBuyers, rate: rate(repeatBuyers, buyersByEnd) },
    value: {
      historic: {
        total: roundMoney(historic),
        perBuyer: buyers > 0 ? roundMoney(historic / buyers) : null,
        inWindow: roundMoney(sum(inWindow, 'revenue')),
      },
      predicted:
        model?.predicted !== undefined
          ? {
              total: roundMoney(model.predicted.total),
              perBuyer:
                model.predicted.buyers > 0
                  ? roundMoney(model.predicted.total / model.predicted.buyers)
                  : null,
              horizonWeeks: PREDICTION_HORIZON_WEEKS,
              modelAsOf: model.asOf,
              trustworthy: trustworthy(model),
            }
          : null,
    },
    campaigns,
  };
}

type Scores = Record<number, number>;

function csatOf(scores: Scores): CsatScore {
  const responses = Object.values(scores).reduce((total, count) => total + count, 0);
  const satisfied = (scores[4] ?? 0) + (scores[5] ?? 0);
  return { responses, satisfied, score: rate(satisfied, responses) };
}

function npsOf(scores: Scores): NpsScore {
  let promoters = 0;
  let passives = 0;
  let detractors = 0;
  for (const [score, count] of Object.entries(scores)) {
    if (Number(score) >= 9) promoters += count;
    else if (Number(score) >= 7) passives += count;
    else detractors += count;
  }
  const responses = promoters + passives + detractors;
  return {
    responses,
    promoters,
    passives,
    detractors,
    score: responses > 0 ? Math.round(((promoters - detractors) / responses) * 100) : null,
  };
}

/** The window's ratings from the `feedback:<question>:<campaign|stage>:<key>:<score>` counters. */
function satisfactionOf(inWindow: MetricsCounts['days']): Satisfaction {
  const tallies = new Map<string, Scores>();
  const tally = (key: string, score: number, count: number) => {
    const scores = tallies.get(key) ?? {};
    scores[score] = (scores[score] ?? 0) + count;
    tallies.set(key, scores);
  };
  let asked = 0;
  let left = 0;
  for (const day of inWindow) {
    left += day.counts['stage:termination'] ?? 0;
    for (const [name, count] of Object.entries(day.counts)) {
      if (name.startsWith('asked:') && !name.startsWith('asked:reason:')) asked += count;
      if (!name.startsWith('feedback:')) continue;
      const [, question, dimension, key, score] = name.split(':');
      if (!question || !dimension || key === undefined || score === undefined) continue;
      tally(`${question}|${dimension}|${key}`, Number(score), count);
      if (dimension === 'campaign') tally(`${question}|all`, Number(score), count);
    }
  }
  const scoresOf = (key: string) => tallies.get(key) ?? {};
  const both = (dimension: string, key: string) => ({
    csat: csatOf(scoresOf(`csat|${dimension}|${key}`)),
    nps: npsOf(scoresOf(`nps|${dimension}|${key}`)),
  });
  const keysOf = (dimension: string) =>
    [...tallies.keys()].flatMap((key) => {
      const [question, kind, id] = key.split('|');
      return kind === dimension && question !== 'reason' && id ? [id] : [];
    });
  const csat = csatOf(scoresOf('csat|all'));
  const nps = npsOf(scoresOf('nps|all'));
  const answeredToEmails = [...tallies.entries()]
    .filter(([key]) => /^(csat|nps)\|campaign\|/.test(key) && !key.endsWith('|preferences'))
    .reduce((total, [, scores]) => total + Object.values(scores).reduce((sum, count) => sum + count, 0), 0);
  const reasons: Record<string, number> = {};
  let answeredReasons = 0;
  for (const [score, count] of Object.entries(scoresOf('reason|all'))) {
    const id = REASONS[Number(score)]?.id ?? 'other';
    reasons[id] = (reasons[id] ?? 0) + count;
    answeredReasons += count;
  }
  return {
    csat,
    nps,
    responseRate: { asked, answered: answeredToEmails, rate: rate(answeredToEmails, asked) },
    byJourney: Object.fromEntries(
      [...new Set(keysOf('campaign'))].sort().map((id) => [id, both('campaign', id)]),
    ),
    byStage: Object.fromEntries(
      STAGES.map((stage) => [stage, both('stage', stage)]),
    ) as Satisfaction['byStage'],
    leaving: { left, reasons, answered: answeredReasons },
  };
}
