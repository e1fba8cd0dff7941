/**
 * BG/NBD (Fader, Hardie and Lee 2005, "Counting your customers the easy way"): while alive, a
 * customer buys at a Poisson rate λ ~ Gamma(r, α); after each purchase they drop out with
 * probability p ~ Beta(a, b). From a customer's summary (x repeat purchases, the last at t_x,
 * observed for T, in weeks) it gives the probability they are still alive and the purchases to
 * expect. Our own implementation, in log space throughout.
 */
import { hyp2f1, logAddExp, logBeta, logGamma, nelderMead } from './math.ts';

export interface BgNbdParameters {
  r: number;
  alpha: number;
  a: number;
  b: number;
}

export interface CustomerSummary {
  /** Repeat purchases: distinct purchase days minus one. */
  x: number;
  /** Weeks from the first purchase to the last. */
  tx: number;
  /** Weeks from the first purchase to the end of the observation. */
  T: number;
}

export interface BgNbdFit extends BgNbdParameters {
  logLikelihood: number;
  customers: number;
  iterations: number;
}

/** The log-likelihood of one customer's summary. */
export function bgNbdLogLikelihood(
  { r, alpha, a, b }: BgNbdParameters,
  { x, tx, T }: CustomerSummary,
): number {
  const common = logGamma(r + x) - logGamma(r) + r * Math.log(alpha) + logBeta(a, b + x) - logBeta(a, b);
  const staysAlive = -(r + x) * Math.log(alpha + T);
  const droppedOut =
    x > 0 ? Math.log(a) - Math.log(b + x - 1) - (r + x) * Math.log(alpha + tx) : Number.NEGATIVE_INFINITY;
  return common + logAddExp(staysAlive, droppedOut);
}

/**
 * Maximum-likelihood fit. Customers with the same summary are counted once with a weight, and
 * the terms that depend only on x are computed once per distinct x: fast on large bases.
 */
export function fitBgNbd(
  summaries: CustomerSummary[],
  start: BgNbdParameters = { r: 1, alpha: 1, a: 1, b: 1 },
): BgNbdFit {
  if (summaries.length === 0) throw new Error('cannot fit BG/NBD on no customers');
  const groups = new Map<string, { summary: CustomerSummary; weight: number }>();
  for (const summary of summaries) {
    const key = `${summary.x}|${summary.tx}|${summary.T}`;
    const group = groups.get(key);
    if (group) group.weight++;
    else groups.set(key, { summary, weight: 1 });
  }
  const rows = [...groups.values()];
  const xs = [...new Set(rows.map((row) => row.summary.x))];
  const negative = ([logR, logAlpha, logA, logB]: number[]) => {
    const parameters = {
      r: Math.exp(logR ?? 0),
      alpha: Math.exp(logAlpha ?? 0),
      a: Math.exp(logA ?? 0),
      b: Math.exp(logB ?? 0),
    };
    const { r, alpha, a, b } = parameters;
    const byX = new Map(
      xs.map((x) => [
        x,
        logGamma(r + x) -
          logGamma(r) +
          r * Math.log(alpha) +
          logBeta(a, b + x) -
          logBeta(a, b) +
          (x > 0 ? Math.log(a) - Math.log(b + x - 1) : 0),
      ]),
    );
    let total = 0;
    for (const { summary, weight } of rows) {
      const { x, tx, T } = summary;
      const withDropout = byX.get(x) ?? 0;
      const common = x > 0 ? withDropout - Math.log(a) + Math.log(b + x - 1) : withDropout;
      const staysAlive = -(r + x) * Math.log(alpha + T);
      const droppedOut =
        x > 0 ? withDropout - common - (r + x) * Math.log(alpha + tx) : Number.NEGATIVE_INFINITY;
      total += weight * (common + logAddExp(staysAlive, droppedOut));
    }
    return Number.isFinite(total) ? -total : Number.MAX_VALUE;
  };
  const first = nelderMead(negative, [start.r, start.alpha, start.a, start.b].map(Math.log));
  // A second start from the first answer escapes the occasional premature stop of Nelder-Mead.
  const second = nelderMead(negative, first.point);
  const [logR = 0, logAlpha = 0, logA = 0, logB = 0] = second.point;
  return {
    r: Math.exp(logR),
    alpha: Math.exp(logAlpha),
    a: Math.exp(logA),
    b: Math.exp(logB),
    logLikelihood: -second.value,
    customers: summaries.length,
    iterations: first.iterations + second.iterations,
  };
}

/** P(alive | x, t_x, T): 1 for a customer with no repeat purchase (BG/NBD lets only buyers drop out). */
export function probabilityAlive({ r, alpha, a, b }: BgNbdParameters, { x, tx, T }: CustomerSummary): number {
  if (x === 0) return 1;
  const logRatio = Math.log(a) - Math.log(b + x - 1) + (r + x) * (Math.log(alpha + T) - Math.log(alpha + tx));
  return 1 / (1 + Math.exp(logRatio));
}

/** E[purchases in the next t weeks | x, t_x, T]. */
export function expectedPurchases(
  { r, alpha, a, b }: BgNbdParameters,
  { x, tx, T }: CustomerSummary,
  t: number,
): number {
  if (t <= 0) return 0;
  const z = t / (alpha + T + t);
  const logDecay = (r + x) * (Math.log(alpha + T) - Math.log(alpha + T + t));
  const numerator =
    ((a + b + x - 1) / (a - 1)) * (1 - Math.exp(logDecay) * hyp2f1(r + x, b + x, a + b + x - 1, z));
  return numerator * probabilityAlive({ r, alpha, a, b }, { x, tx, T });
}

/**
 * The week (counted from the first purchase) at which P(alive) falls to `threshold`, if the
 * customer buys nothing more. P(alive) only falls while a customer is silent, so the moment is
 * known as soon as the last order is: it can be kept as an ordinary timer. Undefined for a
 * customer without repeat purchases (their P(alive) is always 1).
 */
export function weekAliveFallsTo(
  { r, alpha, a, b }: BgNbdParameters,
  x: number,
  tx: number,
  threshold: number,
): number | undefined {
  if (x === 0) return undefined;
  // 1 / (1 + (a / (b + x - 1)) ((α + T) / (α + t_x))^(r + x)) = θ, solved for T.
  const ratio = ((1 / threshold - 1) * (b + x - 1)) / a;
  return (alpha + tx) * ratio ** (1 / (r + x)) - alpha;
}
