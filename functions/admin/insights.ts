/** The admin API's view of what works: metrics, the best customers, and the fitted model. */

import { BestCustomersAccumulator } from '../../shared/domain/insights.ts';
import { metricsFromCounts, metricsWindow } from '../../shared/domain/metrics.ts';
import {
  type FittedModel,
  MINIMUM_FOR_PREDICTIONS,
  NothingToFit,
  trustworthy,
} from '../../shared/domain/models/fitted.ts';
import type { EngineSettings } from '../../shared/domain/rules.ts';
import type { CounterStore, CustomerBase, ModelStore, SettingsStore } from '../../shared/ports.ts';
import { fitOnHistory, lastWholeDay, modelReport, reevaluateBase } from '../model/model.ts';
import { type Answer, invalid } from './http.ts';

export interface InsightDeps {
  base: CustomerBase;
  counters: CounterStore;
  settings: () => Promise<EngineSettings>;
  models: ModelStore;
  store: SettingsStore;
  /** Evaluates one customer again under the current definitions and model (apply-event's use case). */
  reevaluate: (customerId: string) => Promise<{ written: boolean }>;
  now: () => Date;
}

const today = (now: Date) => now.toISOString().slice(0, 10);

/** The window's metrics from the counters: items read grow with the days asked for, not with customers. */
export async function getMetrics(
  query: Record<string, string | undefined>,
  deps: Pick<InsightDeps, 'counters' | 'settings' | 'now'>,
): Promise<Answer> {
  const today = deps.now().toISOString().slice(0, 10);
  const window = metricsWindow(query.from, query.to, today);
  if (!window.ok) return invalid([window.problem]);
  const [{ model, journeys }, gauges, days] = await Promise.all([
    deps.settings(),
    deps.counters.gauges(),
    // From the window's start to today: what came after the window is taken away from "now".
    deps.counters.days(window.window.from, window.window.to > today ? window.window.to : today),
  ]);
  // Every journey that is on shows, with zeros until it sends; others show once they did.
  const live = journeys.published.filter((journey) => journey.enabled).map((journey) => journey.id);
  return { status: 200, body: metricsFromCounts(window.window, { gauges, days }, model, live) };
}

/** `asOf` (default today): the day predictions are made as of, for looking back at history. */
export async function getBestCustomers(
  query: Record<string, string | undefined>,
  deps: Pick<InsightDeps, 'base' | 'settings' | 'now'>,
): Promise<Answer> {
  const asOf = query.asOf ?? today(deps.now());
  if (!/^\d{4}-\d{2}-\d{2}$/.test(asOf) || Number.isNaN(Date.parse(asOf)))
    return invalid([{ field: 'asOf', message: 'must be a day, YYYY-MM-DD' }]);
  const { model } = await deps.settings();
  const best = new BestCustomersAccumulator(model, asOf);
  for await (const page of deps.base.scan()) for (const profile of page.profiles) best.addProfile(profile);
  return { status: 200, body: best.result() };
}

export async function getModel(deps: Pick<InsightDeps, 'models'>): Promise<Answer> {
  const [current, history] = await Promise.all([deps.models.current(), deps.models.history(30)]);
  return {
    status: 200,
    body: {
      current: current ? modelReport(current) : null,
      trustworthy: trustworthy(current),
      minimum: MINIMUM_FOR_PREDICTIONS,
      history: history.map(modelReport),
    },
  };
}

/**
 * Fits now (on orders up to `asOf`, default yesterday), keeps the fit as the current model and
 * evaluates every customer again (timers and predicted segments move): what the nightly job does,
 * on demand. For bases too large to fit
 * within the API's 29 seconds, the nightly job (15 minutes) or `npm run model` is the way.
 */
export async function refitModel(body: unknown, deps: InsightDeps): Promise<Answer> {
  const asOf = (body as { asOf?: unknown } | undefined)?.asOf ?? lastWholeDay(deps.now());
  if (typeof asOf !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(asOf) || Number.isNaN(Date.parse(asOf)))
    return invalid([{ field: 'asOf', message: 'must be a day, YYYY-MM-DD' }]);
  let model: FittedModel;
  try {
    model = await fitOnHistory(asOf, deps);
  } catch (error) {
    if (error instanceof NothingToFit) return invalid([{ field: 'asOf', message: error.message }]);
    throw error;
  }
  await deps.models.save(model);
  const pass = await reevaluateBase(deps);
  return { status: 200, body: { ...modelReport(model), reevaluation: pass } };
}
