/**
 * Gamma-Gamma (Fader, Hardie and Lee 2005, "RFM and CLV"): a customer's transaction values vary
 * around their own mean, which varies across customers. From x repeat transactions averaging m
 * it gives the value to expect from their next ones.
 */
import { logGamma, nelderMead } from './math.ts';

export interface GammaGammaParameters {
  p: number;
  q: number;
  gamma: number;
}

export interface SpendSummary {
  /** Repeat transactions (at least 1 to count). */
  x: number;
  /** Their mean value. */
  mean: number;
}

export function fitGammaGamma(
  spends: SpendSummary[],
  start: GammaGammaParameters = { p: 1, q: 1, gamma: 1 },
) {
  const rows = spends.filter((spend) => spend.x > 0 && spend.mean > 0);
  if (rows.length === 0) throw new Error('cannot fit Gamma-Gamma without repeat buyers');
  const negative = ([logP, logQ, logGammaScale]: number[]) => {
    const p = Math.exp(logP ?? 0);
    const q = Math.exp(logQ ?? 0);
    const gamma = Math.exp(logGammaScale ?? 0);
    let total = 0;
    for (const { x, mean } of rows) {
      total +=
        logGamma(p * x + q) -
        logGamma(p * x) -
        logGamma(q) +
        q * Math.log(gamma) +
        (p * x - 1) * Math.log(mean) +
        p * x * Math.log(x) -
        (p * x + q) * Math.log(gamma + mean * x);
    }
    return Number.isFinite(total) ? -total : Number.MAX_VALUE;
  };
  const first = nelderMead(negative, [start.p, start.q, start.gamma].map(Math.log));
  const second = nelderMead(negative, first.point);
  const [logP = 0, logQ = 0, logGammaScale = 0] = second.point;
  return {
    p: Math.exp(logP),
    q: Math.exp(logQ),
    gamma: Math.exp(logGammaScale),
    logLikelihood: -second.value,
    customers: rows.length,
  };
}

/** E[value of a transaction | x, m]: shrinks the customer's own mean toward the population's. */
export function expectedAverageValue(
  { p, q, gamma }: GammaGammaParameters,
  { x, mean }: SpendSummary,
): number {
  const populationMean = (p * gamma) / (q - 1);
  if (x === 0) return populationMean;
  const weight = (p * x) / (p * x + q - 1);
  return (1 - weight) * populationMean + weight * mean;
}
