/** The lifecycle at a glance: stages, their changes, emails per campaign and what they add. */
import { useState } from 'preact/hooks';
import type { Metrics } from '../../../shared/domain/metrics.ts';
import { api } from '../api.ts';
import { CampaignTable, StageChanges, StageFunnel, UpliftChart } from '../charts.tsx';
import { DayRange, Figures, Loading, messageOf, Status, useLoad } from '../components.tsx';
import { amount, count, daysAgo, percent, when } from '../format.ts';

interface ModelReport {
  asOf: string;
  fittedAt: string;
  customers: number;
  repeatBuyers: number;
  trustworthy: boolean;
}

interface ModelAnswer {
  current: ModelReport | null;
  trustworthy: boolean;
  minimum: { customers: number; repeatBuyers: number };
}

export function Dashboard() {
  const [window, setWindow] = useState({ from: daysAgo(29), to: daysAgo(0) });
  const [draft, setDraft] = useState(window);
  const metrics = useLoad(
    () => api<Metrics>(`/admin/metrics?from=${window.from}&to=${window.to}`),
    [window.from, window.to],
  );
  return (
    <>
      <h1>Lifecycle</h1>
      <form
        class="toolbar"
        onSubmit={(event) => {
          event.preventDefault();
          setWindow(draft);
        }}
      >
        <DayRange value={draft} onChange={setDraft} />
        <button type="submit">Show</button>
      </form>
      <Loading state={metrics}>
        {(data) => (
          <>
            <section aria-labelledby="kpi-title">
              <h2 id="kpi-title" class="visually-hidden">
                Key figures
              </h2>
              <Figures
                figures={[
                  ['Customers', count(data.customers.total)],
                  ['Buyers', count(data.customers.buyers)],
                  ['Repeat-purchase rate', percent(data.repeatPurchase.rate)],
                  ['Retention in the window', percent(data.retention.rate)],
                  ['Value per buyer so far', amount(data.value.historic.perBuyer)],
                  [
                    'Predicted value per buyer, next 52 weeks',
                    data.value.predicted ? amount(data.value.predicted.perBuyer) : 'no model yet',
                  ],
                ]}
              />
            </section>
            <div class="grid-2">
              <section class="card" aria-labelledby="funnel-title">
                <h2 id="funnel-title">Customers per stage</h2>
                <StageFunnel byStage={data.customers.byStage} />
              </section>
              <section class="card" aria-labelledby="changes-heading">
                <h2 id="changes-heading">Stage changes over time</h2>
                <StageChanges changes={data.stageChanges} from={data.window.from} to={data.window.to} />
              </section>
            </div>
            <section class="card" aria-labelledby="emails-title">
              <h2 id="emails-title">Emails per campaign</h2>
              <div class="table-scroll">
                <CampaignTable campaigns={data.campaigns} />
              </div>
            </section>
            <section class="card" aria-labelledby="uplift-heading">
              <h2 id="uplift-heading">Does it work? Uplift over the holdout</h2>
              <UpliftChart campaigns={data.campaigns} />
            </section>
          </>
        )}
      </Loading>
      <ModelCard />
    </>
  );
}

function ModelCard() {
  const model = useLoad(() => api<ModelAnswer>('/admin/model'), []);
  const [status, setStatus] = useState<{ message?: string; tone: 'info' | 'error' }>({ tone: 'info' });
  const [busy, setBusy] = useState(false);
  const refit = async () => {
    setBusy(true);
    setStatus({ message: 'Fitting…', tone: 'info' });
    try {
      const result = await api<ModelReport & { reevaluation: { changed: number } }>('/admin/model/fit', {
        method: 'POST',
        body: {},
      });
      setStatus({
        message: `Fitted on ${count(result.customers)} customers; ${count(result.reevaluation.changed)} customers moved (timers or segments).`,
        tone: 'info',
      });
      model.reload();
    } catch (error) {
      setStatus({ message: messageOf(error), tone: 'error' });
    } finally {
      setBusy(false);
    }
  };
  return (
    <section class="card" aria-labelledby="model-title">
      <h2 id="model-title">Prediction model</h2>
      <Loading state={model}>
        {(data) =>
          data.current ? (
            <p>
              BG/NBD and Gamma-Gamma fitted on {count(data.current.customers)} customers (
              {count(data.current.repeatBuyers)} repeat buyers) as of {data.current.asOf}, at{' '}
              {when(data.current.fittedAt)}.{' '}
              {data.trustworthy
                ? 'Trusted: campaigns in predictive mode use it.'
                : `Not trusted yet: predictive mode needs ${count(data.minimum.customers)} buyers and ${count(data.minimum.repeatBuyers)} repeat buyers.`}
            </p>
          ) : (
            <p>No model yet. The nightly job fits one; you can fit now.</p>
          )
        }
      </Loading>
      <button type="button" onClick={refit} disabled={busy}>
        Fit now
      </button>
      <Status message={status.message} tone={status.tone} />
    </section>
  );
}
