/**
 * The lifecycle at a glance: stages, their changes, emails per campaign and what they add, and
 * what customers tell us (their ratings, how many answer, why they leave).
 */

import type { ComponentChildren } from 'preact';
import { useState } from 'preact/hooks';
import type { CsatScore, Metrics, NpsScore, Satisfaction } from '../../../shared/domain/metrics.ts';
import { REASONS } from '../../../shared/domain/reasons.ts';
import { useCan } from '../access.tsx';
import { api } from '../api.ts';
import { CampaignTable, StageChanges, StageFunnel, UpliftChart } from '../charts.tsx';
import { DayRange, Figures, Loading, messageOf, Status, useLoad } from '../components.tsx';
import { amount, count, counted, daysAgo, label, percent, when } from '../format.ts';
import { STAGES } from './segments.tsx';

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
            <SatisfactionSection satisfaction={data.satisfaction} />
          </>
        )}
      </Loading>
      <ModelCard />
    </>
  );
}

interface FitJob {
  status: 'running' | 'done';
  evaluated: number;
  results?: { buyers?: number };
}

/** How long the card follows a fit (about five minutes); a larger base's fit goes on behind it. */
const FIT_POLLS = 200;

function ModelCard() {
  const can = useCan();
  const model = useLoad(() => api<ModelAnswer>('/admin/model'), []);
  const [status, setStatus] = useState<{ message?: string; tone: 'info' | 'error' }>({ tone: 'info' });
  const [busy, setBusy] = useState(false);
  const refit = async () => {
    setBusy(true);
    setStatus({ message: 'Fitting: reading every buyer’s orders…', tone: 'info' });
    try {
      // A fit is a whole-base job in chunks: followed until it is done.
      const started = await api<{ job: string; asOf: string }>('/admin/model/fit', {
        method: 'POST',
        body: {},
      });
      let job: FitJob = { status: 'running', evaluated: 0 };
      for (let polls = 0; job.status !== 'done' && polls < FIT_POLLS; polls++) {
        await new Promise((resolve) => setTimeout(resolve, polls === 0 ? 300 : 1500));
        job = await api<FitJob>(`/admin/jobs/${encodeURIComponent(started.job)}`);
        if (job.status !== 'done')
          setStatus({ message: `Fitting: ${count(job.evaluated)} customers read so far…`, tone: 'info' });
      }
      const buyers = job.results?.buyers ?? 0;
      setStatus(
        job.status !== 'done'
          ? { message: 'Still fitting: the model appears here when it is done.', tone: 'info' }
          : buyers === 0
            ? {
                message: `No customer has an order on or before ${started.asOf}: nothing to fit.`,
                tone: 'error',
              }
            : {
                message: `Fitted on ${count(buyers)} buyers. Every customer is evaluated again under it now (timers and predicted segments move).`,
                tone: 'info',
              },
      );
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
      {can('POST /admin/model/fit') ? (
        <button type="button" onClick={refit} disabled={busy}>
          Fit now
        </button>
      ) : null}
      <Status message={status.message} tone={status.tone} />
    </section>
  );
}

// ——— What customers tell us ———

/** Why customers leave, by reason id, in the words the preference page and the farewell use. */
const REASON_LABELS: Record<string, string> = Object.fromEntries(
  REASONS.map((reason) => [reason.id, reason.label]),
);

/** An NPS (−100 to 100) with its sign: `+35`, `−20`, `0`. */
const signed = (value: number) => (value > 0 ? `+${value}` : value < 0 ? `−${Math.abs(value)}` : '0');

const csatText = (csat: CsatScore) => (csat.score === null ? '—' : percent(csat.score));
const npsText = (nps: NpsScore) => (nps.score === null ? '—' : signed(nps.score));

/** The campaign a rating came from, in words (the preference page has its own key). */
const campaignName = (id: string) => (id === 'preferences' ? 'Preference page' : label(id));

function SatisfactionSection({ satisfaction }: { satisfaction: Satisfaction }) {
  const { csat, nps, responseRate, leaving } = satisfaction;
  const answered = csat.responses + nps.responses > 0;
  const journeys = Object.entries(satisfaction.byJourney);
  const stages = STAGES.map(
    (stage) => [stage, satisfaction.byStage[stage as keyof Satisfaction['byStage']]] as const,
  );
  return (
    <section class="card satisfaction" aria-labelledby="satisfaction-title">
      <h2 id="satisfaction-title">What customers tell us</h2>
      <p class="help satisfaction-intro">
        Their answers in the window: the scores under our emails and on the preference page, and why they
        left.
      </p>
      <Figures
        label="Ratings"
        class="satisfaction-figures"
        figures={[
          [
            'Satisfied (CSAT)',
            csat.score === null ? (
              <>
                —<small class="block">no answers yet</small>
              </>
            ) : (
              <>
                {percent(csat.score)}
                <small class="block">
                  {count(csat.satisfied)} of {counted(csat.responses, 'answer')} gave 4 or 5 of 5
                </small>
              </>
            ),
          ],
          [
            'Net promoter score (NPS)',
            nps.score === null ? (
              <>
                —<small class="block">no answers yet</small>
              </>
            ) : (
              <>
                {signed(nps.score)}
                <small class="block">
                  −100 to +100, of {counted(nps.responses, 'answer')}: {counted(nps.promoters, 'promoter')},{' '}
                  {counted(nps.passives, 'passive')}, {counted(nps.detractors, 'detractor')}
                </small>
              </>
            ),
          ],
          [
            'Response rate',
            responseRate.rate === null ? (
              <>
                —<small class="block">no email asked yet</small>
              </>
            ) : (
              <>
                {percent(responseRate.rate)}
                <small class="block">
                  {counted(responseRate.answered, 'answer')} to {counted(responseRate.asked, 'email')} that
                  asked
                </small>
              </>
            ),
          ],
        ]}
      />
      {answered ? (
        <div class="grid-2 satisfaction-tables">
          <div class="table-scroll">
            <ScoreTable
              caption="By journey"
              head="Journey"
              rows={journeys.map(([id, scores]) => [id, campaignName(id), scores])}
            />
          </div>
          <div class="table-scroll">
            <ScoreTable
              caption="By stage (when they answered)"
              head="Stage"
              rows={stages.map(([stage, scores]) => [
                stage,
                <span class={`badge stage-${stage}`}>{stage}</span>,
                scores,
              ])}
            />
          </div>
        </div>
      ) : (
        <p class="empty">
          No ratings yet in this window. When customers click a score under an email, their answers show here,
          by journey and by stage.
        </p>
      )}
      <h3 id="leaving-title">Why customers left</h3>
      <Leaving leaving={leaving} />
    </section>
  );
}

function ScoreTable({
  caption,
  head,
  rows,
}: {
  caption: string;
  head: string;
  rows: readonly (readonly [string, ComponentChildren, { csat: CsatScore; nps: NpsScore }])[];
}) {
  return (
    <table class="scores">
      <caption>{caption}</caption>
      <thead>
        <tr>
          <th scope="col">{head}</th>
          <th scope="col" class="number">
            Satisfied (CSAT)
          </th>
          <th scope="col" class="number">
            CSAT answers
          </th>
          <th scope="col" class="number">
            NPS
          </th>
          <th scope="col" class="number">
            NPS answers
          </th>
        </tr>
      </thead>
      <tbody>
        {rows.map(([key, name, scores]) => (
          <tr key={key}>
            <th scope="row">{name}</th>
            <td class="number">{csatText(scores.csat)}</td>
            <td class="number">{count(scores.csat.responses)}</td>
            <td class="number">{npsText(scores.nps)}</td>
            <td class="number">{count(scores.nps.responses)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function Leaving({ leaving }: { leaving: Satisfaction['leaving'] }) {
  if (leaving.left === 0 && leaving.answered === 0)
    return <p class="empty">Nobody left in this window, and nobody told us why they would.</p>;
  const reasons = Object.entries(leaving.reasons)
    .filter(([, value]) => value > 0)
    .sort((a, b) => b[1] - a[1]);
  return (
    <>
      <p>
        {leaving.left === 0 ? 'No customer' : counted(leaving.left, 'customer')} left in the window (reached
        termination).{' '}
        {leaving.answered === 0
          ? 'No one has told us why yet: we ask on unsubscribing and in the farewell email.'
          : `Asked why they leave (on unsubscribing and in the farewell email), ${counted(leaving.answered, 'customer')} answered:`}
      </p>
      {reasons.length > 0 ? (
        <div class="table-scroll">
          <table class="leaving" aria-labelledby="leaving-title">
            <thead>
              <tr>
                <th scope="col">Reason</th>
                <th scope="col" class="number">
                  Answers
                </th>
                <th scope="col" class="number">
                  Share of answers
                </th>
              </tr>
            </thead>
            <tbody>
              {reasons.map(([id, value]) => (
                <tr key={id}>
                  <th scope="row">{REASON_LABELS[id] ?? label(id)}</th>
                  <td class="number">{count(value)}</td>
                  <td class="number share">
                    <span
                      class="cell-bar"
                      aria-hidden="true"
                      style={{ width: `${(value / Math.max(1, leaving.answered)) * 100}%` }}
                    />
                    {percent(value / Math.max(1, leaving.answered))}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
    </>
  );
}
