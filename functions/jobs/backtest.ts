/**
 * A journey's backtest, one customer at a time: what the journey's version would have done over a
 * window of their stored history, computed through the pure engine; nothing is written. The
 * whole-base job adds up the counts (jobs.ts).
 */
import { builtInJourney } from '../../shared/domain/journey-set.ts';
import { backtestCustomer, settingsWith } from '../../shared/domain/journey-simulation.ts';
import type { JourneyDefinition } from '../../shared/domain/journeys.ts';
import type { EngineSettings } from '../../shared/domain/rules.ts';
import { segmentsOf } from '../../shared/domain/settings.ts';
import type {
  CustomerStore,
  EventHistory,
  JobReason,
  JourneyStore,
  SettingsStore,
} from '../../shared/ports.ts';

export interface BacktestDeps {
  customers: CustomerStore & EventHistory;
  journeys: Pick<JourneyStore, 'get'>;
  store: Pick<SettingsStore, 'load'>;
  settings: () => Promise<EngineSettings>;
}

type Backtest = Extract<JobReason, { kind: 'journey-backtest' }>;

/** The backtest of one customer; the journey's settings are worked out once per invocation. */
export function backtester(deps: BacktestDeps) {
  const prepared = new Map<
    string,
    Promise<{ journey: JourneyDefinition; settings: EngineSettings } | undefined>
  >();
  const prepare = (reason: Backtest) => {
    const key = `${reason.journey}@${reason.version}`;
    let found = prepared.get(key);
    if (!found) {
      found = (async () => {
        const journey =
          reason.version === 0
            ? builtInJourney(reason.journey)
            : await deps.journeys.get(reason.journey, reason.version);
        if (!journey) return undefined;
        const [stored, base] = await Promise.all([deps.store.load(), deps.settings()]);
        return { journey, settings: settingsWith(journey, segmentsOf(stored), base) };
      })();
      prepared.set(key, found);
    }
    return found;
  };
  return async (customerId: string, reason: Backtest): Promise<Record<string, number>> => {
    const ready = await prepare(reason);
    const stored = await deps.customers.load(customerId);
    if (!ready || stored?.kind !== 'profile') return {};
    const history = await deps.customers.history(stored.profile);
    return backtestCustomer(ready.journey, history, stored.profile.traits, reason, ready.settings);
  };
}
