/**
 * `npm run bench:model -- --customers 1000000 --runs 5`
 *
 * Prints one JSON line: the time to fit BG/NBD and Gamma-Gamma on the CDNOW summaries (computed
 * from the raw transactions, as the pipeline computes them from stored orders; median of
 * `runs`), and the time to score `customers` synthetic customers: P(alive), expected purchases
 * in 52 weeks, expected order value and predicted value each, plus the win-back week.
 */
import { weekAliveFallsTo } from '../shared/domain/models/bgnbd.ts';
import { fitModel, predict } from '../shared/domain/models/fitted.ts';
import { type PurchaseSummary, purchaseSummary } from '../shared/domain/models/summary.ts';
import { CDNOW_RAW, cdnowOrders } from './cdnow.ts';
import { machine, options, random } from './cli.ts';

const args = options({ customers: 1_000_000, runs: 5, data: CDNOW_RAW });

function cdnowSummaries(): PurchaseSummary[] {
  return [...cdnowOrders(args.data).values()].flatMap(
    (orders) => purchaseSummary(orders, '1997-09-30') ?? [],
  );
}

function syntheticSummaries(count: number): PurchaseSummary[] {
  const next = random(42);
  return Array.from({ length: count }, () => {
    const T = 1 + next() * 77;
    const x = next() < 0.6 ? 0 : Math.floor(next() * 20) + 1;
    const tx = x === 0 ? 0 : next() * T;
    const mean = 5 + next() * 80;
    return {
      x,
      tx,
      T,
      firstPurchase: '2026-01-01T00:00:00.000Z',
      spend: { x, mean: x > 0 ? mean : 0 },
      meanValue: mean,
    };
  });
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;

const summaries = cdnowSummaries();
const fitTimes: number[] = [];
let model = fitModel(summaries, '1997-09-30', new Date().toISOString());
for (let run = 0; run < args.runs; run++) {
  const started = performance.now();
  model = fitModel(summaries, '1997-09-30', new Date().toISOString());
  fitTimes.push(performance.now() - started);
}

const customers = syntheticSummaries(args.customers);
const heapBefore = process.memoryUsage().heapUsed;
const started = performance.now();
let totalValue = 0;
let winBackWeeks = 0;
for (const customer of customers) {
  totalValue += predict(model, customer, 52).predictedValue;
  if (weekAliveFallsTo(model.bgnbd, customer.x, customer.tx, 0.5) !== undefined) winBackWeeks++;
}
const scoreMs = performance.now() - started;

console.log(
  JSON.stringify({
    benchmark: 'model',
    fit: {
      data: 'CDNOW',
      customers: summaries.length,
      medianMs: Number(median(fitTimes).toFixed(1)),
      runs: args.runs,
      r: Number(model.bgnbd.r.toFixed(4)),
      alpha: Number(model.bgnbd.alpha.toFixed(4)),
      a: Number(model.bgnbd.a.toFixed(4)),
      b: Number(model.bgnbd.b.toFixed(4)),
    },
    score: {
      customers: customers.length,
      ms: Math.round(scoreMs),
      customersPerSecond: Math.round(customers.length / (scoreMs / 1000)),
      winBackTimers: winBackWeeks,
      predictedValue: Math.round(totalValue),
      heapDeltaMb: Math.round((process.memoryUsage().heapUsed - heapBefore) / 1_048_576),
    },
    machine: machine(),
  }),
);
