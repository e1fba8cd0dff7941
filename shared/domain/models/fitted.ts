/**
 * A fitted model as the product uses it: the parameters, when and on what they were fitted, and
 * whether there is enough data to trust them for predictive triggers.
 */
import {
  type BgNbdParameters,
  type CustomerSummary,
  expectedPurchases,
  fitBgNbd,
  probabilityAlive,
} from './bgnbd.ts';
import { expectedAverageValue, fitGammaGamma, type GammaGammaParameters } from './gamma-gamma.ts';
import type { PurchaseSummary } from './summary.ts';

export interface FittedModel {
  asOf: string;
  fittedAt: string;
  /** Customers with at least one purchase by `asOf`. */
  customers: number;
  /** Of those, customers with at least one repeat purchase. */
  repeatBuyers: number;
  bgnbd: BgNbdParameters & { logLikelihood: number };
  gammaGamma: (GammaGammaParameters & { logLikelihood: number }) | null;
  /** What the fit predicts of the buyers it was fitted on: their value over the next 52 weeks, summed. */
  predicted?: { total: number; buyers: number };
}

/**
 * Predictive triggers need a model fitted on at least this many buyers, of whom this many came
 * back: fewer, and the parameters say more about chance than about the customers.
 */
export const MINIMUM_FOR_PREDICTIONS = { customers: 500, repeatBuyers: 100 } as const;

export function trustworthy(model: FittedModel | undefined): model is FittedModel {
  return (
    !!model &&
    model.customers >= MINIMUM_FOR_PREDICTIONS.customers &&
    model.repeatBuyers >= MINIMUM_FOR_PREDICTIONS.repeatBuyers
  );
}

export class NothingToFit extends Error {
  constructor(asOf: string) {
    super(`no customer has an order on or before ${asOf}: nothing to fit`);
    this.name = 'NothingToFit';
  }
}

/** Gamma-Gamma is fitted only on at least this many repeat buyers; fewer, and order values are each customer's own mean. */
const MINIMUM_FOR_ORDER_VALUES = 10;

const bySummary = (a: PurchaseSummary, b: PurchaseSummary) =>
  a.T - b.T || a.x - b.x || a.tx - b.tx || a.meanValue - b.meanValue || a.spend.mean - b.spend.mean;

/**
 * Fits both models on the customers' summaries as of `asOf`. Gamma-Gamma is left out (null) with
 * too few repeat buyers, or when the fit implies no finite mean order value (q <= 1).
 */
export function fitModel(unordered: PurchaseSummary[], asOf: string, fittedAt: string): FittedModel {
  if (unordered.length === 0) throw new NothingToFit(asOf);
  // In one order, whatever order they were read in (a scan, chunks run side by side): the same
  // base gives the same fit to the last bit.
  const summaries = [...unordered].sort(bySummary);
  const { r, alpha, a, b, logLikelihood } = fitBgNbd(summaries);
  const spends = summaries
    .filter((summary) => summary.x > 0 && summary.spend.mean > 0)
    .map((summary) => summary.spend);
  const values = spends.length >= MINIMUM_FOR_ORDER_VALUES ? fitGammaGamma(spends) : undefined;
  const fitted: FittedModel = {
    asOf,
    fittedAt,
    customers: summaries.length,
    repeatBuyers: summaries.filter((summary) => summary.x > 0).length,
    bgnbd: { r, alpha, a, b, logLikelihood },
    gammaGamma:
      values && values.q > 1
        ? { p: values.p, q: values.q, gamma: values.gamma, logLikelihood: values.logLikelihood }
        : null,
  };
  const total = summaries.reduce((sum, summary) => sum + predict(fitted, summary).predictedValue, 0);
  return { ...fitted, predicted: { total, buyers: summaries.length } };
}

export interface CustomerPrediction {
  probabilityAlive: number;
  /** Purchases to expect in the horizon. */
  expectedPurchases: number;
  /** Value to expect of each purchase. */
  expectedOrderValue: number;
  /** Expected purchases x expected order value over the horizon. */
  predictedValue: number;
}

export function predict(model: FittedModel, summary: PurchaseSummary, horizonWeeks = 52): CustomerPrediction {
  const customer: CustomerSummary = { x: summary.x, tx: summary.tx, T: summary.T };
  const purchases = expectedPurchases(model.bgnbd, customer, horizonWeeks);
  const orderValue = model.gammaGamma
    ? expectedAverageValue(
        model.gammaGamma,
        summary.spend.x > 0 ? summary.spend : { x: 0, mean: summary.meanValue },
      )
    : summary.meanValue;
  return {
    probabilityAlive: probabilityAlive(model.bgnbd, customer),
    expectedPurchases: purchases,
    expectedOrderValue: orderValue,
    predictedValue: purchases * orderValue,
  };
}
