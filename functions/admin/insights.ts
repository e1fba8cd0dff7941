/** The admin API's view of what works: metrics, the best customers, and the fitted model. */

import { metricsFromCounts, metricsWindow } from '../../shared/domain/metrics.ts';
import { MINIMUM_FOR_PREDICTIONS, trustworthy } from '../../shared/domain/models/fitted.ts';
import type { EngineSettings } from '../../shared/domain/rules.ts';
import type { CounterStore, JobReason, JobState, ModelStore } from '../../shared/ports.ts';
import { lastWholeDay, modelReport } from '../model/model.ts';
import { type Answer, invalid } from './http.ts';

export interface InsightDeps {
  counters: CounterStore;
  settings: () => Promise<EngineSettings>;
  models: ModelStore;
  startJob: (reason: JobReason) => Promise<JobState>;
  now: () => Date;
}

const isDay = (value: unknown): value is string =>
  typeof value === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(value) && !Number.isNaN(Date.parse(value));
const NEXT_FIT =
  'the nightly fit computes them as of yesterday; POST /admin/model/fit { "asOf" } computes them now';

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

/**
 * The best customers as the last fit found them (kept by the fit job, never scanned per request).
 * `asOf`, when given, must be the day they were computed as of.
 */
export async function getBestCustomers(
  query: Record<string, string | undefined>,
  deps: Pick<InsightDeps, 'models'>,
): Promise<Answer> {
  if (query.asOf !== undefined && !isDay(query.asOf))
    return invalid([{ field: 'asOf', message: 'must be a day, YYYY-MM-DD' }]);
  const kept = await deps.models.insights();
  if (!kept) return { status: 404, body: { success: false, error: `no insights yet: ${NEXT_FIT}` } };
  if (query.asOf !== undefined && query.asOf !== kept.asOf)
    return {
      status: 404,
      body: {
        success: false,
        error: `no insights as of ${query.asOf} (they are as of ${kept.asOf}): ${NEXT_FIT}`,
      },
    };
  return { status: 200, body: kept };
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
 * Starts a fit (on orders up to `asOf`, default yesterday): the nightly job, on demand. It runs
 * in chunks (GET /admin/jobs/{id} shows it): every buyer's summary gathered, the model fitted and
 * kept as the current one, the best customers computed, then every customer evaluated again
 * under the new model (a second job: timers and predicted segments move).
 */
export async function refitModel(body: unknown, deps: InsightDeps): Promise<Answer> {
  const asOf = (body as { asOf?: unknown } | undefined)?.asOf ?? lastWholeDay(deps.now());
  if (!isDay(asOf)) return invalid([{ field: 'asOf', message: 'must be a day, YYYY-MM-DD' }]);
  const job = await deps.startJob({ kind: 'model-fit', asOf, requestedAt: deps.now().toISOString() });
  return { status: 202, body: { job: job.id, asOf, status: job.status } };
}
