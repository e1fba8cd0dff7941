/**
 * The journey editor's backtest: a saved version of the journey replayed over every customer's
 * stored events in a window of days (a whole-base job on the server), followed while it runs, and
 * what it would have done, in words and by step.
 */
import { useEffect, useState } from 'preact/hooks';
import { ApiError, api, messagesAt } from '../api.ts';
import { DayRange, messageOf, Status } from '../components.tsx';
import { count, counted, daysAgo, percent } from '../format.ts';
import { listsOf, type Step, stepAtKey, stepKeys, stepTitle } from './journey-flow.tsx';

/** What a backtest job counted; a key that is absent is 0. */
export type BacktestResults = Record<string, number | undefined>;

interface Job {
  id: string;
  status: 'running' | 'done';
  startedAt: string;
  finishedAt?: string;
  evaluated: number;
  parts: number;
  partsDone: number;
  progress: number;
  results?: BacktestResults;
}

interface Run {
  job: string;
  version: number;
  from: string;
  to: string;
  /** The steps of the version run, for the steps' titles. */
  steps: Step[];
  state?: Job;
  /** Following the job failed. */
  lost?: string;
}

/** The backtest of a version: its emails by step key, once the job is done. */
export interface Backtested {
  version: number;
  results: BacktestResults;
}

/** How often the job is looked at while it runs. */
const POLL_MS = 1500;

export function BacktestPanel({
  id,
  version,
  dirty,
  steps,
  onDone,
}: {
  id: string;
  /** The saved version being edited; undefined when the journey was never saved. */
  version: number | undefined;
  /** The draft differs from that version. */
  dirty: boolean;
  /** The steps of that version. */
  steps: Step[];
  onDone: (backtested: Backtested) => void;
}) {
  const [range, setRange] = useState({ from: daysAgo(29), to: daysAgo(0) });
  const [errors, setErrors] = useState<{ from?: string | undefined; to?: string | undefined; run?: string }>(
    {},
  );
  const [starting, setStarting] = useState(false);
  const [run, setRun] = useState<Run>();
  const running = run !== undefined && run.state?.status !== 'done' && run.lost === undefined;

  // Follow the job until it is done.
  useEffect(() => {
    if (!run || !running) return;
    let live = true;
    const timer = setTimeout(
      async () => {
        const update = (change: Partial<Run>) =>
          live && setRun((current) => (current?.job === run.job ? { ...current, ...change } : current));
        try {
          update({ state: await api<Job>(`/admin/jobs/${encodeURIComponent(run.job)}`) });
        } catch (error) {
          update({ lost: `Could not follow the backtest: ${messageOf(error)}` });
        }
      },
      run.state ? POLL_MS : 300,
    );
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, [run]);

  useEffect(() => {
    if (run?.state?.status === 'done') onDone({ version: run.version, results: run.state.results ?? {} });
  }, [run?.state?.status]);

  const start = async () => {
    if (version === undefined)
      return setErrors({
        run: 'Save the journey first: a backtest runs a saved version, and there is none yet.',
      });
    if (dirty)
      return setErrors({
        run: `The draft has unsaved changes: save it first. A backtest runs a saved version as it was saved (the last is version ${version}).`,
      });
    setErrors({});
    setStarting(true);
    try {
      const started = await api<{ job: string; version: number; from: string; to: string }>(
        `/admin/journeys/${encodeURIComponent(id)}/backtest`,
        { method: 'POST', body: { ...range, version } },
      );
      setRun({ job: started.job, version: started.version, from: started.from, to: started.to, steps });
    } catch (error) {
      if (error instanceof ApiError && error.problems.length > 0) {
        const others = error.problems.filter((problem) => problem.field !== 'from' && problem.field !== 'to');
        setErrors({
          from: messagesAt(error.problems, 'from'),
          to: messagesAt(error.problems, 'to'),
          run:
            others.length > 0
              ? `The backtest did not start: ${others.map((problem) => `${problem.field}: ${problem.message}`).join('; ')}`
              : 'The backtest did not start: see the dates.',
        });
      } else if (error instanceof ApiError && error.status === 404)
        setErrors({
          run: `Version ${version} of this journey is not saved (any more): save the journey, then run the backtest.`,
        });
      else setErrors({ run: messageOf(error) });
    } finally {
      setStarting(false);
    }
  };

  const job = run?.state;
  const progress = !run
    ? undefined
    : run.lost
      ? undefined
      : !job
        ? 'Starting the backtest…'
        : job.status === 'done'
          ? `Backtest done: evaluated ${counted(job.evaluated, 'customer')}.`
          : `Evaluated ${counted(job.evaluated, 'customer')}, ${percent(job.progress)}`;
  return (
    <section class="card backtest" aria-labelledby="backtest-title">
      <h2 id="backtest-title">Backtest</h2>
      <p class="help">
        What a saved version would have done: every customer’s stored events between the two days go through
        it, as if it had been live. Nothing is stored or sent. Customers who entered in the window are
        followed 30 days past it; traits are today’s.
      </p>
      <div class="toolbar">
        <DayRange idPrefix="backtest-" value={range} onChange={setRange} errors={errors} />
        <button type="button" onClick={start} disabled={starting || running}>
          Run backtest
        </button>
      </div>
      <p class="help">
        {version === undefined
          ? 'Not saved yet: save the journey to backtest it.'
          : dirty
            ? `Unsaved changes: save them to backtest them (the last saved is version ${version}).`
            : `Runs version ${version}, as saved.`}
      </p>
      <Status message={errors.run ?? run?.lost} tone="error" />
      <Status message={progress} />
      {running && job ? <progress value={job.progress} max={1} aria-label="Backtest progress" /> : null}
      {run && job?.status === 'done' ? <Results run={run} results={job.results ?? {}} /> : null}
    </section>
  );
}

function Results({ run, results }: { run: Run; results: BacktestResults }) {
  const n = (key: string) => results[key] ?? 0;
  const customers = n('customers');
  const entered = n('entered');
  const notSent = Object.keys(results)
    .filter((key) => key.startsWith('emails:'))
    .sort()
    .map((key) => `${count(n(key))} ${key.slice('emails:'.length).replace('-', ' ')}`);
  const sends = [...stepKeys(run.steps)].filter(({ step }) => 'send' in step);
  // A step the results name that the steps do not have (they should not): still shown, by its key.
  const unknown = Object.keys(results)
    .filter((key) => key.startsWith('step:') && !sends.some((send) => `step:${send.key}` === key))
    .map((key) => key.slice('step:'.length));
  return (
    <div class="backtest-results">
      <h3>
        Version {run.version}, {run.from} to {run.to}
      </h3>
      <ul class="results">
        <li>
          {customers === 0
            ? 'Nobody would have entered the journey.'
            : `${counted(customers, 'customer')} would have entered the journey${entered > customers ? ` (${count(entered)} times in all)` : ''}.`}
        </li>
        <li>
          {counted(n('emails'), 'email')} would have gone out
          {notSent.length > 0 ? `; not sent: ${notSent.join(', ')}` : ''}.
        </li>
        <li>{counted(n('converted'), 'conversion')} after an email.</li>
        <li>
          {n('exitedByExitWhen') === 0
            ? 'Nobody would have left early by the exit rule.'
            : `${counted(n('exitedByExitWhen'), 'customer')} would have left early by the exit rule.`}
        </li>
      </ul>
      {sends.length + unknown.length > 0 ? (
        <div class="table-scroll">
          <table class="backtest-steps">
            <caption>Emails by step</caption>
            <thead>
              <tr>
                <th scope="col">Step</th>
                <th scope="col" class="number">
                  Would have gone out
                </th>
              </tr>
            </thead>
            <tbody>
              {sends.map(({ step, key }) => (
                <tr key={key}>
                  <th scope="row">
                    {stepTitle(step)}
                    <div class="help">{placeOf(run.steps, key)}</div>
                  </th>
                  <td class="number">{count(n(`step:${key}`))}</td>
                </tr>
              ))}
              {unknown.map((key) => (
                <tr key={key}>
                  <th scope="row">Step {key}</th>
                  <td class="number">{count(n(`step:${key}`))}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
    </div>
  );
}

/** Where a step sits, in words: `step 1 › If not within 1 hour › step 1`. */
function placeOf(steps: Step[], key: string): string {
  const parts = key.split('.');
  return parts
    .map((part, index) => {
      if (/^\d+$/.test(part)) return `step ${Number(part) + 1}`;
      const owner = stepAtKey(steps, parts.slice(0, index).join('.'));
      return (owner && listsOf(owner).find((list) => list.name === part)?.label) ?? part;
    })
    .join(' › ');
}
