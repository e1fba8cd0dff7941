/**
 * The model job's use cases: fit BG/NBD and Gamma-Gamma on the orders the pipeline stored, and
 * move every customer's timers to what the current settings and model say (one batch pass).
 */
import { type FittedModel, fitModel, NothingToFit, trustworthy } from '../../shared/domain/models/fitted.ts';
import { type PurchaseSummary, purchaseSummary } from '../../shared/domain/models/summary.ts';
import { nextDueAt, type TimerSettings } from '../../shared/domain/timers.ts';
import type { CustomerBase, CustomerStore, ModelStore } from '../../shared/ports.ts';

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

export interface ReschedulePass {
  profiles: number;
  rescheduled: number;
  /** Profiles written meanwhile: their own write already computed the timers afresh. */
  changedMeanwhile: number;
}

/**
 * Recomputes every customer's next due time with the current settings and model and writes the
 * ones that moved. Timers otherwise follow a change only at the customer's next event or due
 * time: a win-back moved earlier by a refit (or by a shorter delay) would fire late.
 */
export async function rescheduleTimers(deps: {
  base: CustomerBase;
  store: Pick<CustomerStore, 'commit'>;
  settings: () => Promise<TimerSettings>;
}): Promise<ReschedulePass> {
  const settings = await deps.settings();
  const pass: ReschedulePass = { profiles: 0, rescheduled: 0, changedMeanwhile: 0 };
  for await (const page of deps.base.scan()) {
    pass.profiles += page.profiles.length;
    const moved = page.profiles.flatMap((profile) => {
      const due = nextDueAt(profile, settings);
      return due === profile.nextDueAt ? [] : [{ profile, due }];
    });
    // The profile as read, with its new due time, written only if no one wrote it meanwhile.
    const written = await Promise.all(
      moved.map(({ profile, due }) => {
        const { nextDueAt: _before, ...rest } = profile;
        return deps.store.commit({
          profile: due ? { ...rest, nextDueAt: due } : rest,
          expectedVersion: profile.version,
          aliases: [],
          messages: [],
          conversions: [],
        });
      }),
    );
    pass.rescheduled += written.filter((outcome) => outcome === 'committed').length;
    pass.changedMeanwhile += written.filter((outcome) => outcome === 'conflict').length;
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

/** The nightly job: fit on every whole day so far, keep the fit, then the reschedule pass. */
export async function nightlyModel(deps: {
  base: CustomerBase;
  store: Pick<CustomerStore, 'commit'>;
  models: ModelStore;
  settings: () => Promise<TimerSettings>;
  now: () => Date;
}) {
  const asOf = lastWholeDay(deps.now());
  let model: FittedModel | undefined;
  try {
    model = await fitOnHistory(asOf, deps);
  } catch (error) {
    if (!(error instanceof NothingToFit)) throw error;
  }
  if (model) await deps.models.save(model);
  const pass = await rescheduleTimers(deps);
  return { asOf, fitted: model ? modelReport(model) : null, ...pass };
}
