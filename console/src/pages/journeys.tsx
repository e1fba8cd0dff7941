/**
 * Journeys: the list with what starts each one and its live numbers; the editor, which draws a
 * journey as a flow of step cards (journey-flow.tsx) with its settings, puts each error the API
 * names next to its field, saves versions, publishes one, turns the journey on or off; a test
 * panel that runs the unsaved draft on a made-up customer and shows the timeline; and a backtest
 * of the saved version over the stored history (journey-backtest.tsx).
 */

import { useEffect, useRef, useState } from 'preact/hooks';
import { ReadOnly, useCan } from '../access.tsx';
import { ApiError, api, messagesAt, type Problem } from '../api.ts';
import {
  absentIfEmpty,
  Checkbox,
  ConfirmDialog,
  Figures,
  fieldAt,
  idOf,
  Loading,
  messageOf,
  NameCell,
  NumberField,
  Select,
  Status,
  TextArea,
  TextField,
  useLoad,
} from '../components.tsx';
import { count, label as labelOf, when } from '../format.ts';
import { href, navigate } from '../router.ts';
import { type Backtested, BacktestPanel } from './journey-backtest.tsx';
import {
  cleanSteps,
  type Entry,
  EntryCard,
  EventNamesField,
  entryWords,
  FlowContext,
  type FlowContextValue,
  type Journey,
  kindOfStep,
  type Step,
  type StepCounts,
  StepList,
  stepAtKey,
  stepKeys,
  stepTitle,
  WhereFilters,
  withField,
} from './journey-flow.tsx';
import { type Condition, ConditionEditor } from './segments.tsx';

interface Numbers {
  inside: number;
  entered: number;
  sent: number;
  heldOut: number;
  converted: number;
  exitedByExitWhen: number;
}

interface JourneySummary {
  id: string;
  name: string;
  description?: string;
  enabled: boolean;
  category: 'marketing' | 'service';
  builtIn: boolean;
  entry?: Entry;
  published: number | null;
  latest: number;
  updatedAt?: string;
  numbers: Numbers;
}

interface JourneyView {
  id: string;
  version: number;
  updatedAt: string;
  builtIn: boolean;
  definition: Journey;
  enabled: boolean;
  published: number | null;
  latest: number;
  versions: { version: number; updatedAt: string }[];
  numbers: Numbers;
  steps?: Record<string, StepCounts>;
}

const JOURNEY_ID = /^[a-z0-9][a-z0-9-]{0,63}$/;

function statusOf(journey: { published: number | null; enabled: boolean }): string {
  if (journey.published === null) return 'Draft only';
  return journey.enabled ? 'On' : 'Off';
}

export function Journeys() {
  const list = useLoad(() => api<{ journeys: JourneySummary[] }>('/admin/journeys'), []);
  const [newId, setNewId] = useState('');
  const [error, setError] = useState<string>();
  const create = (event: Event) => {
    event.preventDefault();
    const id = newId.trim();
    if (!JOURNEY_ID.test(id))
      return setError('Use a-z, 0-9 and -, starting with a letter or digit (at most 64).');
    if (list.data?.journeys.some((journey) => journey.id === id))
      return setError(`There is a journey ${id} already: open it from the list.`);
    navigate('journeys', id);
  };
  return (
    <>
      <h1>Journeys</h1>
      <p class="lead">
        What starts each journey, who is inside now, and what it sent. Open one to change its steps, try it on
        a made-up customer, and publish it.
      </p>
      <form class="card toolbar" onSubmit={create} noValidate>
        <TextField
          id="new-journey"
          label="New journey id"
          value={newId}
          onInput={setNewId}
          error={error}
          help="a-z, 0-9 and -: its emails carry it as X-Campaign-Id"
        />
        <button type="submit">New journey</button>
      </form>
      <Loading state={list}>
        {(data) => (
          <div class="card table-scroll">
            <table class="journeys">
              <caption>{count(data.journeys.length)} journeys</caption>
              <thead>
                <tr>
                  <th scope="col">Journey</th>
                  <th scope="col">Starts when</th>
                  <th scope="col">Status</th>
                  <th scope="col" class="number">
                    Inside now
                  </th>
                  <th scope="col" class="number">
                    Entered
                  </th>
                  <th scope="col" class="number">
                    Sent
                  </th>
                  <th scope="col" class="number">
                    Converted
                  </th>
                </tr>
              </thead>
              <tbody>
                {data.journeys.map((journey) => (
                  <tr key={journey.id}>
                    <NameCell
                      href={href('journeys', journey.id)}
                      name={journey.name}
                      builtIn={journey.builtIn}
                    >
                      <div class="help">
                        {journey.id} · {journey.category}
                      </div>
                    </NameCell>
                    <td>{journey.entry ? entryWords(journey.entry) : 'not published yet'}</td>
                    <td>
                      <span class={`state state-${statusOf(journey).replace(' ', '-').toLowerCase()}`}>
                        {statusOf(journey)}
                      </span>
                      {journey.published !== null && journey.latest > journey.published ? (
                        <div class="help">newer draft: version {journey.latest}</div>
                      ) : null}
                    </td>
                    <td class="number">{count(journey.numbers.inside)}</td>
                    <td class="number">{count(journey.numbers.entered)}</td>
                    <td class="number">{count(journey.numbers.sent)}</td>
                    <td class="number">{count(journey.numbers.converted)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </Loading>
    </>
  );
}

interface Loaded {
  /** Absent: a journey not saved yet. */
  view?: JourneyView;
  /** The published version's view, when the editor opens a newer draft (its numbers are the live ones). */
  live?: JourneyView;
}

async function loadJourney(id: string): Promise<Loaded> {
  const path = `/admin/journeys/${encodeURIComponent(id)}`;
  try {
    const view = await api<JourneyView>(path);
    const live =
      view.published !== null && view.published !== view.version
        ? await api<JourneyView>(`${path}?version=${view.published}`).catch(() => undefined)
        : undefined;
    return { view, ...(live ? { live } : {}) };
  } catch (error) {
    if (error instanceof ApiError && error.status === 404) return {};
    throw error;
  }
}

export function JourneyEditor({ id }: { id: string }) {
  const loaded = useLoad(() => loadJourney(id), [id]);
  const templates = useLoad(
    () => api<{ templates: { name: string; published: number | null }[] }>('/admin/templates'),
    [],
  );
  const segments = useLoad(() => api<{ segments: { id: string; name: string }[] }>('/admin/segments'), []);
  if (loaded.data === undefined)
    return (
      <>
        <BackLink />
        <h1>Journey {id}</h1>
        <Loading state={loaded}>{() => null}</Loading>
      </>
    );
  return (
    <JourneyForm
      id={id}
      loaded={loaded.data}
      reload={loaded.reload}
      templates={(templates.data?.templates ?? []).filter((t) => t.published !== null).map((t) => t.name)}
      segments={segments.data?.segments ?? []}
    />
  );
}

function BackLink() {
  return (
    <p>
      <a href={href('journeys')}>← All journeys</a>
    </p>
  );
}

function blankJourney(id: string): Journey {
  return {
    name: labelOf(id),
    enabled: true,
    category: 'marketing',
    entry: { event: '' },
    reentry: 'never',
    steps: [{ send: { template: '' } }],
    holdoutPercent: 0,
  };
}

/** The journey as the API takes it: empty optional lists and texts left out. */
function cleaned(journey: Journey): Journey {
  let result: Journey = { ...journey, steps: cleanSteps(journey.steps) };
  for (const field of ['description', 'preferenceLabel'] as const)
    if (!result[field]?.trim()) result = withField(result, field, undefined);
  return result;
}

const sameJson = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

function JourneyForm({
  id,
  loaded,
  reload,
  templates,
  segments,
}: {
  id: string;
  loaded: Loaded;
  reload: () => void;
  templates: string[];
  segments: { id: string; name: string }[];
}) {
  const can = useCan();
  const view = loaded.view;
  const [draft, setDraft] = useState<Journey>(() => view?.definition ?? blankJourney(id));
  const [base, setBase] = useState<number | undefined>(view?.version);
  const [problems, setProblems] = useState<Problem[]>([]);
  const [status, setStatus] = useState<{ message?: string; tone: 'info' | 'error' }>({ tone: 'info' });
  const [confirming, setConfirming] = useState(false);
  const [busy, setBusy] = useState(false);
  const [backtest, setBacktest] = useState<Backtested>();
  // Each step object of the draft: a key for lists, and the step key of its numbers in the loaded version.
  const identity = useRef(new WeakMap<object, { key: number; origin?: string }>());
  const nextKey = useRef(1);
  const indexed = useRef<Journey | undefined>(undefined);
  if (view && indexed.current !== view.definition && draft === view.definition) {
    indexed.current = view.definition;
    for (const { step, key } of stepKeys(view.definition.steps))
      identity.current.set(step, { key: nextKey.current++, origin: key });
  }

  // A new version loaded (after a save): the draft becomes it. Same version (publish, on/off): the draft stays.
  useEffect(() => {
    if (view && view.version !== base) {
      setDraft(view.definition);
      setBase(view.version);
    }
  }, [view]);

  // The numbers on the steps: those of the loaded version, or, when it is a draft, the live version's
  // where a step of the same kind sits at the same place.
  const numbers: Record<string, StepCounts> = {};
  if (view) {
    if (!loaded.live) Object.assign(numbers, view.steps ?? {});
    else
      for (const { step, key } of stepKeys(view.definition.steps)) {
        const there = stepAtKey(loaded.live.definition.steps, key);
        const counts = loaded.live.steps?.[key];
        if (there && counts && kindOfStep(there) === kindOfStep(step)) numbers[key] = counts;
      }
  }

  const originOf = (step: Step) => identity.current.get(step)?.origin;
  const flow: FlowContextValue = {
    errorAt: (path) => messagesAt(problems, path),
    templates,
    segments,
    numbersOf: (step) => {
      const origin = originOf(step);
      return origin === undefined ? undefined : numbers[origin];
    },
    // The backtest's emails follow their step like the live numbers, while they are of the version loaded.
    backtestOf: (step) => {
      const origin = originOf(step);
      if (!backtest || backtest.version !== view?.version || origin === undefined || !('send' in step))
        return undefined;
      return backtest.results[`step:${origin}`] ?? 0;
    },
    keyOf: (step) => {
      const known = identity.current.get(step);
      if (known) return known.key;
      const key = nextKey.current++;
      identity.current.set(step, { key });
      return key;
    },
    carry: (from, to) => {
      const known = identity.current.get(from);
      if (known) identity.current.set(to, known);
      return to;
    },
  };
  const errorAt = flow.errorAt;
  const at = fieldAt(errorAt);
  const set = <K extends keyof Journey>(field: K, value: Journey[K] | undefined) =>
    setDraft((current) => withField(current, field, value));

  const path = `/admin/journeys/${encodeURIComponent(id)}`;
  const [stale, setStale] = useState(false);
  const run = async (work: () => Promise<void>, failed = 'Not saved') => {
    setBusy(true);
    try {
      await work();
      setStale(false);
    } catch (error) {
      if (error instanceof ApiError && error.problems.length > 0) {
        setProblems(error.problems);
        setStatus({
          message: `${failed}: ${error.problems.length === 1 ? 'a problem, shown next to its field' : `${error.problems.length} problems, shown next to their fields`}.`,
          tone: 'error',
        });
      } else setStatus({ message: messageOf(error), tone: 'error' });
      setStale(error instanceof ApiError && error.status === 409);
    } finally {
      setBusy(false);
    }
  };
  const save = () =>
    run(async () => {
      const saved = await api<{ version: number }>(path, {
        method: 'PUT',
        body: { ...cleaned(draft), ...(view ? { version: view.latest } : {}) },
      });
      setProblems([]);
      setStatus({ message: `Saved as version ${saved.version}. Publish it to make it live.`, tone: 'info' });
      reload();
    });
  const publish = (version: number) =>
    run(async () => {
      await api(`${path}/publish`, { method: 'POST', body: { version } });
      setProblems([]);
      setStatus({
        message: `Published version ${version}: new entrants go through it; customers inside finish on the version they entered.`,
        tone: 'info',
      });
      reload();
    }, 'Not published');
  const turn = (on: boolean) =>
    run(async () => {
      await api(`${path}/${on ? 'enable' : 'disable'}`, { method: 'POST' });
      setStatus({
        message: on
          ? 'Turned on: customers enter it when it starts for them.'
          : `Turned off: nobody new enters; customers inside ${draft.onDisable === 'exit' ? 'leave at once' : 'finish their steps'}.`,
        tone: 'info',
      });
      reload();
    });
  const remove = () =>
    run(async () => {
      setConfirming(false);
      await api(path, { method: 'DELETE' });
      navigate('journeys');
    });

  // A built-in journey has a version 0 (the API's builtIn flag is that of the version shown).
  const builtIn = view !== undefined && (view.builtIn || view.versions.some((entry) => entry.version === 0));
  const saved = view?.definition;
  const dirty = !saved || !sameJson(cleaned(draft), cleaned(saved));
  const publishable = view && view.latest !== view.published ? view.latest : undefined;
  const reentry = draft.reentry ?? 'never';

  return (
    <FlowContext.Provider value={flow}>
      <div class="journey-editor">
        <BackLink />
        <h1>{draft.name.trim() || id}</h1>
        <p class="lead">
          <code>{id}</code>
          {builtIn ? <span class="badge">built-in</span> : null}{' '}
          {view
            ? `· ${statusOf(view)}${view.published !== null ? ` · live: ${view.published === 0 ? 'the built-in version' : `version ${view.published}`}` : ''} · latest saved: ${view.latest === 0 ? 'the built-in version' : `version ${view.latest}`} (${when(view.updatedAt)})`
            : '· a new journey: nothing is saved yet'}
        </p>
        {view ? (
          <Figures
            class="journey-totals"
            label="Since it was published"
            figures={[
              ['Inside now', count(view.numbers.inside)],
              ['Entered', count(view.numbers.entered)],
              ['Emails sent', count(view.numbers.sent)],
              ['Held out', count(view.numbers.heldOut)],
              ['Converted', count(view.numbers.converted)],
              ['Left by the exit rule', count(view.numbers.exitedByExitWhen)],
            ]}
          />
        ) : null}
        <div class="card journey-actions">
          <div class="actions">
            {!can('PUT /admin/journeys/{id}') ? <ReadOnly what="journeys" /> : null}
            {can('PUT /admin/journeys/{id}') ? (
              <button type="button" onClick={save} disabled={busy}>
                Save
              </button>
            ) : null}
            {publishable !== undefined && can('POST /admin/journeys/{id}/publish') ? (
              <button type="button" onClick={() => publish(publishable)} disabled={busy}>
                Publish version {publishable}
              </button>
            ) : null}
            {view && view.published !== null && can('POST /admin/journeys/{id}/enable') ? (
              <button type="button" class="secondary" onClick={() => turn(!view.enabled)} disabled={busy}>
                {view.enabled ? 'Turn off' : 'Turn on'}
              </button>
            ) : null}
            {view && !builtIn && can('DELETE /admin/journeys/{id}') ? (
              <button type="button" class="danger" onClick={() => setConfirming(true)} disabled={busy}>
                Delete…
              </button>
            ) : null}
            <span class="help">
              {dirty ? 'Unsaved changes. ' : ''}
              {publishable !== undefined && !dirty ? `Version ${publishable} is saved, not live yet.` : ''}
            </span>
          </div>
          <Status message={status.message} tone={status.tone} />
          {stale ? (
            <button
              type="button"
              class="link"
              onClick={() => {
                setStale(false);
                setStatus({ message: 'Loaded the newest version.', tone: 'info' });
                reload();
              }}
            >
              Load the newest version (your changes here are dropped)
            </button>
          ) : null}
        </div>
        {problems.length > 0 ? <ProblemList problems={problems} /> : null}

        <section class="card" aria-labelledby="settings-title">
          <h2 id="settings-title">Settings</h2>
          <div class="fields">
            <TextField
              {...at('name')}
              label="Name"
              value={draft.name}
              onInput={(name) => set('name', name)}
            />
            <TextField
              {...at('description')}
              label="Description"
              value={draft.description ?? ''}
              onInput={(value) => set('description', value)}
            />
            <TextField
              {...at('preferenceLabel')}
              label="Preference label"
              value={draft.preferenceLabel ?? ''}
              onInput={(value) => set('preferenceLabel', value)}
              help="how the preference page names it to customers"
            />
            <Select
              {...at('category')}
              label="Kind of email"
              value={draft.category}
              options={[
                { value: 'marketing', label: 'Marketing' },
                { value: 'service', label: 'Service' },
              ]}
              onChange={(value) => set('category', value as Journey['category'])}
              help={
                draft.category === 'service'
                  ? 'always sent, also to customers who opted out of marketing'
                  : 'within the caps and quiet hours, only to subscribers'
              }
            />
            <NumberField
              {...at('holdoutPercent')}
              label="Holdout (% of customers)"
              value={draft.holdoutPercent}
              onInput={(value) => set('holdoutPercent', absentIfEmpty(value))}
              help="this share is not sent the emails, so their effect can be measured (0 to 50)"
            />
            <Select
              id="reentry"
              label="Going through it again"
              help="when it starts for a customer who went through it before"
              value={typeof reentry === 'object' ? 'after' : reentry}
              options={[
                { value: 'never', label: 'Never' },
                { value: 'always', label: 'Every time' },
                { value: 'after', label: 'After some days' },
              ]}
              onChange={(value) =>
                set('reentry', value === 'after' ? { afterDays: 30 } : (value as 'never' | 'always'))
              }
              error={typeof reentry === 'object' ? undefined : errorAt('reentry')}
            />
            {typeof reentry === 'object' ? (
              <NumberField
                {...at('reentry.afterDays', 'reentry')}
                label="Again after (days)"
                value={reentry.afterDays}
                onInput={(afterDays) => set('reentry', { afterDays })}
              />
            ) : null}
            <Select
              {...at('onDisable')}
              label="When it is turned off, customers inside"
              value={draft.onDisable ?? 'finish'}
              options={[
                { value: 'finish', label: 'finish their steps' },
                { value: 'exit', label: 'leave at once' },
              ]}
              onChange={(value) => set('onDisable', value as 'finish' | 'exit')}
            />
          </div>
          <div class="checks">
            <Checkbox
              {...at('enabled')}
              label="On when this version is published"
              checked={draft.enabled}
              onChange={(value) => set('enabled', value)}
            />
            <Checkbox
              {...at('forFlings')}
              label="Also for customers who asked for few emails (a fling)"
              checked={draft.forFlings === true}
              onChange={(value) => set('forFlings', value || undefined)}
            />
          </div>
          <fieldset>
            <legend>Conversion</legend>
            <Checkbox
              id="conversion-on"
              label="Count an event after an email as its conversion"
              checked={draft.conversion !== undefined}
              onChange={(on) =>
                set('conversion', on ? { event: 'Order Completed', withinDays: 7 } : undefined)
              }
              error={errorAt('conversion')}
            />
            {draft.conversion ? (
              <>
                <div class="fields">
                  <EventNamesField
                    {...at('conversion.event')}
                    label="Conversion event"
                    value={draft.conversion.event}
                    onChange={(event) =>
                      draft.conversion && set('conversion', { ...draft.conversion, event })
                    }
                    help="several: separate with commas"
                  />
                  <NumberField
                    {...at('conversion.withinDays')}
                    label="Within (days after an email)"
                    value={draft.conversion.withinDays}
                    onInput={(days) =>
                      draft.conversion &&
                      set('conversion', withField(draft.conversion, 'withinDays', absentIfEmpty(days)))
                    }
                    help="empty: as long as the stage lasts"
                  />
                </div>
                <WhereFilters
                  path="conversion"
                  of={draft.conversion}
                  onChange={(conversion) => set('conversion', conversion)}
                />
              </>
            ) : null}
          </fieldset>
          <OptionalCondition
            field="audience"
            legend="Who may enter"
            checkbox="Only customers who match a condition enter"
            condition={draft.audience}
            fresh={{ all: [{ subscribed: true }] }}
            onChange={(value) => set('audience', value)}
            errorAt={errorAt}
          />
          <OptionalCondition
            field="exitWhen"
            legend="Leaving early"
            checkbox="Customers leave as soon as they match a condition"
            condition={draft.exitWhen}
            fresh={{ all: [{ performed: 'Order Completed', withinDays: 1 }] }}
            onChange={(value) => set('exitWhen', value)}
            errorAt={errorAt}
          />
        </section>

        <section class="card" aria-labelledby="flow-title">
          <h2 id="flow-title">Flow</h2>
          <p class="help">
            Customers go from the top to the bottom.{' '}
            {!view || view.published === null
              ? 'Each step shows its numbers once the journey is published.'
              : loaded.live
                ? `The numbers on the steps are those of the live version ${view.published}.`
                : 'The numbers on the steps count customers since this version was published.'}
          </p>
          <div class="flow">
            <EntryCard entry={draft.entry} onChange={(entry) => set('entry', entry)} />
            <StepList
              path="steps"
              steps={draft.steps}
              onChange={(steps) => set('steps', steps)}
              label="the journey"
            />
            <p class="flow-end">The journey ends: the customer leaves it.</p>
          </div>
        </section>

        {can('POST /admin/journeys/{id}/test') ? (
          <TestPanel
            id={id}
            journey={draft}
            onJourneyProblems={(found) => {
              setProblems(found);
              setStatus({
                message: 'The test did not run: the journey has problems, shown next to their fields.',
                tone: 'error',
              });
            }}
          />
        ) : null}
        {can('POST /admin/journeys/{id}/backtest') ? (
          <BacktestPanel
            id={id}
            version={view?.version}
            dirty={dirty}
            steps={saved?.steps ?? []}
            onDone={setBacktest}
          />
        ) : null}
        <ConfirmDialog
          open={confirming}
          title={`Delete journey ${id}?`}
          body="Nobody enters it any more and customers inside leave it. Its emails stay in the customers' history."
          confirmWord={id}
          action="Delete for good"
          onConfirm={remove}
          onCancel={() => setConfirming(false)}
        />
      </div>
    </FlowContext.Provider>
  );
}

/** Every problem of the last answer, each a button to its field. */
function ProblemList({ problems }: { problems: Problem[] }) {
  const focus = (field: string) => {
    // The field itself, else the nearest field above it in the path.
    let path = field;
    for (;;) {
      const element = document.getElementById(idOf(path));
      if (element) {
        element.focus();
        element.scrollIntoView({ block: 'center' });
        return;
      }
      const shorter = path.replace(/(\.[^.[\]]+|\[\d+\])$/, '');
      if (shorter === path) return;
      path = shorter;
    }
  };
  return (
    <div class="problems" role="alert">
      <p>
        <strong>{problems.length === 1 ? 'One problem' : `${problems.length} problems`}:</strong>
      </p>
      <ul class="problems-list">
        {problems.map((problem, index) => (
          <li key={index}>
            <button type="button" class="link" onClick={() => focus(problem.field)}>
              <code>{problem.field}</code>
            </button>{' '}
            {problem.message}
          </li>
        ))}
      </ul>
    </div>
  );
}

function OptionalCondition({
  field,
  legend,
  checkbox,
  condition,
  fresh,
  onChange,
  errorAt,
}: {
  field: 'audience' | 'exitWhen';
  legend: string;
  checkbox: string;
  condition: Condition | undefined;
  fresh: Condition;
  onChange: (condition: Condition | undefined) => void;
  errorAt: (path: string) => string | undefined;
}) {
  return (
    <fieldset class="condition-root">
      <legend>{legend}</legend>
      <Checkbox
        id={`${field}-on`}
        label={checkbox}
        checked={condition !== undefined}
        onChange={(on) => onChange(on ? fresh : undefined)}
      />
      {condition ? (
        <ConditionEditor path={field} condition={condition} onChange={onChange} errorAt={errorAt} />
      ) : null}
    </fieldset>
  );
}

interface TimelineEntry {
  at: string;
  kind: 'event' | 'entered' | 'waiting' | 'email' | 'converted' | 'left' | 'stage';
  name?: string;
  step?: string;
  until?: string;
  template?: string;
  status?: string;
  reason?: string;
  sendAt?: string;
  offerCode?: string;
  because?: string;
  by?: string;
  stage?: string;
  version?: number;
}

function exampleEvents(entry: Entry): string {
  const events: unknown[] =
    'event' in entry
      ? [
          {
            event: (Array.isArray(entry.event) ? entry.event[0] : entry.event) || 'Checkout Started',
            properties: {},
          },
          { event: 'Page Viewed', after: { hours: 1 } },
        ]
      : 'stageEntered' in entry
        ? [{ event: 'Order Completed', properties: { order_id: 'test-1', revenue: 40 } }]
        : [{ type: 'identify', traits: {} }];
  return JSON.stringify(events, null, 2);
}

function exampleTraits(entry: Entry): string {
  return JSON.stringify(
    { firstName: 'Ada', ...('date' in entry ? { [entry.date.trait || 'birthday']: '1990-01-20' } : {}) },
    null,
    2,
  );
}

/** `+4 h`, `+1 d 2 h`, `+30 min`: how long after the first event. */
export function after(ms: number): string {
  const minutes = Math.round(ms / 60_000);
  if (minutes <= 0) return '+0';
  if (minutes < 60) return `+${minutes} min`;
  const hours = Math.floor(minutes / 60);
  const rest = minutes % 60;
  if (hours < 48) return `+${hours} h${rest ? ` ${rest} min` : ''}`;
  const days = Math.floor(hours / 24);
  return `+${days} d${hours % 24 ? ` ${hours % 24} h` : ''}`;
}

function TestPanel({
  id,
  journey,
  onJourneyProblems,
}: {
  id: string;
  journey: Journey;
  onJourneyProblems: (problems: Problem[]) => void;
}) {
  const [events, setEvents] = useState(() => exampleEvents(journey.entry));
  const [traits, setTraits] = useState(() => exampleTraits(journey.entry));
  const [touched, setTouched] = useState(false);
  const [errors, setErrors] = useState<{ events?: string; traits?: string; run?: string }>({});
  const [result, setResult] = useState<{ timeline: TimelineEntry[]; steps: Step[]; stage?: string }>();
  const [running, setRunning] = useState(false);
  // The example follows the entry until the marketer writes their own.
  useEffect(() => {
    if (touched) return;
    setEvents(exampleEvents(journey.entry));
    setTraits(exampleTraits(journey.entry));
  }, [JSON.stringify(journey.entry)]);

  const runTest = async () => {
    const found: typeof errors = {};
    let parsedEvents: unknown;
    let parsedTraits: unknown;
    try {
      parsedEvents = JSON.parse(events);
      if (!Array.isArray(parsedEvents)) found.events = 'Must be a list of events: [ { "event": … }, … ]';
    } catch (error) {
      found.events = `Not JSON: ${messageOf(error)}`;
    }
    if (traits.trim()) {
      try {
        parsedTraits = JSON.parse(traits);
        if (!parsedTraits || typeof parsedTraits !== 'object' || Array.isArray(parsedTraits))
          found.traits = 'Must be an object: { "firstName": "Ada" }';
      } catch (error) {
        found.traits = `Not JSON: ${messageOf(error)}`;
      }
    }
    setErrors(found);
    if (found.events || found.traits) return;
    setRunning(true);
    try {
      const tested = cleaned(journey);
      const answer = await api<{ timeline: TimelineEntry[]; profile?: { stage?: string } }>(
        `/admin/journeys/${encodeURIComponent(id)}/test`,
        {
          method: 'POST',
          body: { journey: tested, events: parsedEvents, ...(parsedTraits ? { traits: parsedTraits } : {}) },
        },
      );
      setResult({
        timeline: answer.timeline,
        steps: tested.steps,
        ...(answer.profile?.stage ? { stage: answer.profile.stage } : {}),
      });
    } catch (error) {
      setResult(undefined);
      if (error instanceof ApiError && error.problems.length > 0) {
        // Problems of the request itself (events, traits); the rest are the journey's (`journey.steps[0]…`).
        const ofRequest = (problem: Problem) => /^(events|traits|until|body)\b/.test(problem.field);
        const ofJourney = error.problems
          .filter((problem) => !ofRequest(problem))
          .map((problem) => ({ ...problem, field: problem.field.replace(/^journey\./, '') }));
        const rest = error.problems.filter(ofRequest);
        if (ofJourney.length > 0) onJourneyProblems(ofJourney);
        const line = (list: Problem[]) =>
          list.map((problem) => `${problem.field}: ${problem.message}`).join('; ');
        setErrors({
          ...(rest.some((problem) => problem.field.startsWith('events'))
            ? { events: line(rest.filter((problem) => problem.field.startsWith('events'))) }
            : {}),
          ...(rest.some((problem) => problem.field.startsWith('traits'))
            ? { traits: line(rest.filter((problem) => problem.field.startsWith('traits'))) }
            : {}),
          run:
            ofJourney.length > 0
              ? 'The journey has problems: they are shown next to their fields above.'
              : `The test did not run: ${line(rest)}`,
        });
      } else setErrors({ run: messageOf(error) });
    } finally {
      setRunning(false);
    }
  };

  const start = result?.timeline[0] ? Date.parse(result.timeline[0].at) : 0;
  return (
    <section class="card test-panel" aria-labelledby="test-title">
      <h2 id="test-title">Test</h2>
      <p class="help">
        Runs this draft (saved or not) on a made-up customer: the events below, then time passing. Nothing is
        stored or sent. <code>after</code> places an event that long after the one before it.
      </p>
      <div class="grid-2">
        <TextArea
          id="test-events"
          label="Events (JSON)"
          value={events}
          rows={9}
          error={errors.events}
          onInput={(value) => {
            setTouched(true);
            setEvents(value);
          }}
        />
        <TextArea
          id="test-traits"
          label="Traits (JSON, optional)"
          value={traits}
          rows={9}
          error={errors.traits}
          onInput={(value) => {
            setTouched(true);
            setTraits(value);
          }}
        />
      </div>
      <div class="actions">
        <button type="button" onClick={runTest} disabled={running}>
          Run test
        </button>
        {touched ? (
          <button
            type="button"
            class="link"
            onClick={() => {
              setTouched(false);
              setEvents(exampleEvents(journey.entry));
              setTraits(exampleTraits(journey.entry));
            }}
          >
            Back to the example
          </button>
        ) : null}
      </div>
      <Status message={errors.run} tone="error" />
      {result ? (
        <div class="table-scroll">
          <table class="test-timeline">
            <caption>
              What the made-up customer went through
              {result.stage ? ` (stage at the end: ${result.stage})` : ''}
            </caption>
            <thead>
              <tr>
                <th scope="col">When</th>
                <th scope="col">What happened</th>
                <th scope="col">Details</th>
              </tr>
            </thead>
            <tbody>
              {result.timeline.map((entry, index) => (
                <tr key={index} class={`test-${entry.kind}`}>
                  <td class="number">
                    <time dateTime={entry.at} title={when(entry.at)}>
                      {after(Date.parse(entry.at) - start)}
                    </time>
                  </td>
                  <td>{happened(entry, result.steps)}</td>
                  <td>{details(entry, start)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
    </section>
  );
}

function happened(entry: TimelineEntry, steps: Step[]): string {
  const step = entry.step ? stepAtKey(steps, entry.step) : undefined;
  switch (entry.kind) {
    case 'event':
      return `Event ${entry.name ?? ''}`;
    case 'entered':
      return 'Entered the journey';
    case 'waiting':
      return `Waiting: ${step ? stepTitle(step) : `step ${entry.step ?? ''}`}`;
    case 'email':
      return `Email ${entry.template ?? ''}`;
    case 'converted':
      return 'Converted';
    case 'left':
      return 'Left the journey';
    case 'stage':
      return `Stage: ${entry.stage ?? ''}`;
    default:
      return String(entry.kind);
  }
}

function details(entry: TimelineEntry, start: number): string {
  const parts: string[] = [];
  if (entry.kind === 'waiting' && entry.until) parts.push(`until ${after(Date.parse(entry.until) - start)}`);
  if (entry.status) parts.push(entry.status);
  if (entry.reason) parts.push(entry.reason);
  if (entry.sendAt) parts.push(`goes out at ${after(Date.parse(entry.sendAt) - start)}`);
  if (entry.offerCode) parts.push(`code ${entry.offerCode}`);
  if (entry.by) parts.push(`by ${entry.by}`);
  if (entry.because) parts.push(entry.because);
  return parts.join(' · ') || '—';
}
