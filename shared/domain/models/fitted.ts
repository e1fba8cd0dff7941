/**
 * A fitted model as the product uses it: the parameters, when and on what they were fitted, and
 * whether there is enough data to trust them for predictive triggers.
 */
import { type BgNbdParameters, type CustomerSummary, expectedPurchases, probabilityAlive } from './bgnbd.ts';
import { expectedAverageValue, type GammaGammaParameters } from './gamma-gamma.ts';
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
