/**
 * Fitting in one pass, for `npm run model` (a scan from a machine, no time limit): fit BG/NBD and
 * Gamma-Gamma on the orders the pipeline stored, and move every customer's timers to what the
 * current settings and model say. The nightly fit in AWS runs the same fit as a chunked job
 * (functions/jobs: the `model-fit` job).
 */
import { type FittedModel, fitModel, trustworthy } from '../../shared/domain/models/fitted.ts';
import { type PurchaseSummary, purchaseSummary } from '../../shared/domain/models/summary.ts';
import type { CustomerBase } from '../../shared/ports.ts';

/** Fits on every customer's orders on or before `asOf` (YYYY-MM-DD, inclusive). */
export async function fitOnHistory(
  asOf: string,
  deps: { base: CustomerBase; now: () => Date },
): Promise<FittedModel> {
  const summaries: PurchaseSummary[] = [];
  for await (const page of deps.base.scan()) {
    for (const profile of page.profiles) {
      const summary = purchaseSummary(profile.orders, asOf);
      if (summary) summaries.push(summary);
    }
  }
  return fitModel(summaries, asOf, deps.now().toISOString());
}

export interface ReevaluationPass {
  profiles: number;
  /** Customers whose memberships, due times or timers moved, and were written. */
  changed: number;
}

/**
 * Evaluates every customer again under the current settings, definitions and model, through the
 * engine (`reevaluate`), which writes only the ones that moved: a win-back moved earlier by a
 * refit, a segment whose prediction crossed its threshold. Timers otherwise follow a change only
 * at the customer's next event or due time.
 */
export async function reevaluateBase(deps: {
  base: CustomerBase;
  reevaluate: (customerId: string) => Promise<{ written: boolean }>;
  concurrency?: number;
}): Promise<ReevaluationPass> {
  const pass: ReevaluationPass = { profiles: 0, changed: 0 };
  for await (const page of deps.base.scan()) {
    pass.profiles += page.profiles.length;
    const queue = page.profiles.map((profile) => profile.id);
    const worker = async () => {
      for (let id = queue.shift(); id !== undefined; id = queue.shift()) {
        if ((await deps.reevaluate(id)).written) pass.changed++;
      }
    };
    await Promise.all(Array.from({ length: deps.concurrency ?? 8 }, worker));
  }
  return pass;
}

/** The model as one flat record: what the CLI prints and the job logs. */
export function modelReport(model: FittedModel) {
  return {
    model: 'bg-nbd+gamma-gamma',
    asOf: model.asOf,
    fittedAt: model.fittedAt,
    customers: model.customers,
    repeatBuyers: model.repeatBuyers,
    r: model.bgnbd.r,
    alpha: model.bgnbd.alpha,
    a: model.bgnbd.a,
    b: model.bgnbd.b,
    logLikelihood: model.bgnbd.logLikelihood,
    p: model.gammaGamma?.p ?? null,
    q: model.gammaGamma?.q ?? null,
    gamma: model.gammaGamma?.gamma ?? null,
    gammaGammaLogLikelihood: model.gammaGamma?.logLikelihood ?? null,
    trustworthy: trustworthy(model),
  };
}

/** The day before `now` (UTC): the last whole day of orders. */
export function lastWholeDay(now: Date): string {
  return new Date(now.getTime() - 86_400_000).toISOString().slice(0, 10);
}
