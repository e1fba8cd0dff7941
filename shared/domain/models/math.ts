/**
 * Numerical building blocks for the customer-base models: log-gamma, the Gauss hypergeometric
 * function, and a Nelder-Mead minimiser. Everything the models do happens in log space, so a
 * customer with many purchases or a long history never overflows.
 */

const LANCZOS = [
  0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
  12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
];
const HALF_LOG_TWO_PI = 0.5 * Math.log(2 * Math.PI);

/** ln Γ(x) for x > 0 (Lanczos, g = 7: about 15 significant digits). */
export function logGamma(x: number): number {
  if (x < 0.5) return Math.log(Math.PI / Math.abs(Math.sin(Math.PI * x))) - logGamma(1 - x);
  const z = x - 1;
  let sum = LANCZOS[0] ?? 1;
  for (let index = 1; index < LANCZOS.length; index++) sum += (LANCZOS[index] ?? 0) / (z + index);
  const t = z + 7.5;
  return HALF_LOG_TWO_PI + (z + 0.5) * Math.log(t) - t + Math.log(sum);
}

/** ln B(a, b). */
export function logBeta(a: number, b: number): number {
  return logGamma(a) + logGamma(b) - logGamma(a + b);
}

/** ln(e^x + e^y), without overflow. */
export function logAddExp(x: number, y: number): number {
  if (x === Number.NEGATIVE_INFINITY) return y;
  if (y === Number.NEGATIVE_INFINITY) return x;
  const high = Math.max(x, y);
  return high + Math.log1p(Math.exp(Math.min(x, y) - high));
}

/**
 * The Gauss hypergeometric function 2F1(a, b; c; z) for 0 <= z < 1, summed as its power series
 * (terms stay positive for the positive parameters the models use, so no cancellation).
 */
export function hyp2f1(a: number, b: number, c: number, z: number): number {
  if (z < 0 || z >= 1) throw new RangeError(`hyp2f1 needs 0 <= z < 1, not ${z}`);
  let term = 1;
  let sum = 1;
  for (let n = 0; n < 100_000; n++) {
    term *= ((a + n) * (b + n) * z) / ((c + n) * (n + 1));
    sum += term;
    if (Math.abs(term) <= Math.abs(sum) * 1e-15) return sum;
  }
  return sum;
}

export interface Minimum {
  point: number[];
  value: number;
  iterations: number;
}

/**
 * Nelder-Mead: minimises `f` from `start` without derivatives. Robust for the few, smooth,
 * unconstrained (log-transformed) parameters of these models.
 */
export function nelderMead(
  f: (point: number[]) => number,
  start: number[],
  options: { tolerance?: number; maxIterations?: number } = {},
): Minimum {
  const tolerance = options.tolerance ?? 1e-10;
  const maxIterations = options.maxIterations ?? 5000;
  const dimensions = start.length;
  let simplex = [
    start,
    ...start.map((_, index) =>
      start.map((value, j) =>
        j === index ? value + (value === 0 ? 0.1 : 0.1 * Math.abs(value) + 0.05) : value,
      ),
    ),
  ];
  let values = simplex.map(f);
  let iterations = 0;
  for (; iterations < maxIterations; iterations++) {
    const order = values.map((value, index) => ({ value, index })).sort((x, y) => x.value - y.value);
    simplex = order.map(({ index }) => simplex[index] as number[]);
    values = order.map(({ value }) => value);
    const best = values[0] as number;
    const worst = values[dimensions] as number;
    if (Math.abs(worst - best) <= tolerance * (Math.abs(best) + tolerance)) break;
    const centroid = Array.from(
      { length: dimensions },
      (_, j) => simplex.slice(0, dimensions).reduce((sum, point) => sum + (point[j] ?? 0), 0) / dimensions,
    );
    const along = (factor: number) =>
      centroid.map((value, j) => value + factor * ((simplex[dimensions]?.[j] ?? 0) - value));
    const reflected = along(-1);
    const reflectedValue = f(reflected);
    if (reflectedValue < best) {
      const expanded = along(-2);
      const expandedValue = f(expanded);
      [simplex[dimensions], values[dimensions]] =
        expandedValue < reflectedValue ? [expanded, expandedValue] : [reflected, reflectedValue];
    } else if (reflectedValue < (values[dimensions - 1] as number)) {
      [simplex[dimensions], values[dimensions]] = [reflected, reflectedValue];
    } else {
      const contracted = reflectedValue < worst ? along(-0.5) : along(0.5);
      const contractedValue = f(contracted);
      if (contractedValue < Math.min(reflectedValue, worst)) {
        [simplex[dimensions], values[dimensions]] = [contracted, contractedValue];
      } else {
        const anchor = simplex[0] as number[];
        simplex = simplex.map((point, index) =>
          index === 0 ? point : point.map((value, j) => (anchor[j] ?? 0) + 0.5 * (value - (anchor[j] ?? 0))),
        );
        values = simplex.map((point, index) => (index === 0 ? (values[0] as number) : f(point)));
      }
    }
  }
  const bestIndex = values.indexOf(Math.min(...values));
  return { point: simplex[bestIndex] as number[], value: values[bestIndex] as number, iterations };
}
