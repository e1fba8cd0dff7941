/**
 * A journey drawn as a flow for the editor: the entry on top, then the steps as cards joined top
 * to bottom; a branch, a split or a wait for an event draws its two continuations side by side,
 * each a list of steps of its own. Every step is edited in place, with its live numbers and the
 * errors the API names for its fields (the ids of the fields are their paths: `steps[1].wait.days`
 * is `#steps-1-wait-days`).
 */
import { createContext } from 'preact';
import { useContext, useEffect, useRef, useState } from 'preact/hooks';
import {
  absentIfEmpty,
  Checkbox,
  fieldAt,
  idOf,
  type Num,
  NumberField,
  numberOf,
  RowError,
  Select,
  TextField,
} from '../components.tsx';
import { count, counted } from '../format.ts';
import { href } from '../router.ts';
import { type Condition, ConditionEditor, PropertyFilters, STAGES, segmentOptions } from './segments.tsx';

export interface Duration {
  minutes?: Num;
  hours?: Num;
  days?: Num;
}
export interface Offer {
  enabled: boolean;
  description: string;
  prefix: string;
}
export type WaitBody = (Duration & { predicted?: 'timeBetweenPurchases' }) | { untilLocalTime: string };
export type Step =
  | { wait: WaitBody }
  | {
      waitFor: { event: string; where?: Condition[]; timeout: Duration; then?: Step[]; timedOut?: Step[] };
    }
  | { send: { template: string; offer?: Offer } }
  | { branch: { if: Condition; then: Step[]; else?: Step[] } }
  | { split: { percent: Num; then: Step[]; else?: Step[] } }
  | { setTrait: { name: string; value: string | number | boolean | null } }
  | { pauseMarketing: { days: Num } }
  | { exit: Record<string, never> };
export type StepKind =
  | 'wait'
  | 'waitFor'
  | 'send'
  | 'branch'
  | 'split'
  | 'setTrait'
  | 'pauseMarketing'
  | 'exit';

export type Entry =
  | { event: string | string[]; where?: Condition[] }
  | { segmentEntered: string }
  | { stageEntered: string }
  | { date: { trait: string; daysBefore?: Num } };

export interface Journey {
  name: string;
  description?: string;
  preferenceLabel?: string;
  enabled: boolean;
  category: 'marketing' | 'service';
  reentry?: 'never' | 'always' | { afterDays: Num };
  conversion?: { event: string | string[]; where?: Condition[]; withinDays?: Num; stage?: string[] };
  holdoutPercent?: Num;
  forFlings?: boolean;
  onDisable?: 'finish' | 'exit';
  entry: Entry;
  audience?: Condition;
  exitWhen?: Condition;
  steps: Step[];
}

/** A step's live numbers, as `GET /admin/journeys/{id}` counts them. */
export interface StepCounts {
  waiting?: number;
  passed?: number;
  sent?: number;
  heldOut?: number;
  skipped?: number;
  converted?: number;
}

export const STEP_KINDS: { kind: StepKind; label: string; make: () => Step }[] = [
  { kind: 'send', label: 'Send an email', make: () => ({ send: { template: '' } }) },
  { kind: 'wait', label: 'Wait', make: () => ({ wait: { hours: 1 } }) },
  {
    kind: 'waitFor',
    label: 'Wait for an event',
    // biome-ignore lint/suspicious/noThenProperty: "then" is a word of the journey format
    make: () => ({ waitFor: { event: 'Order Completed', timeout: { days: 1 }, then: [], timedOut: [] } }),
  },
  {
    kind: 'branch',
    label: 'Branch on a condition',
    make: () => ({
      // biome-ignore lint/suspicious/noThenProperty: "then" is a word of the journey format
      branch: { if: { measure: 'orderCount', op: 'gte', value: 1 }, then: [], else: [] },
    }),
  },
  {
    kind: 'split',
    label: 'Split at random',
    // biome-ignore lint/suspicious/noThenProperty: "then" is a word of the journey format
    make: () => ({ split: { percent: 50, then: [], else: [] } }),
  },
  { kind: 'setTrait', label: 'Set a trait', make: () => ({ setTrait: { name: '', value: '' } }) },
  { kind: 'pauseMarketing', label: 'Pause marketing', make: () => ({ pauseMarketing: { days: 14 } }) },
  { kind: 'exit', label: 'Leave the journey', make: () => ({ exit: {} }) },
];

const KIND_WORDS: Record<StepKind, string> = {
  wait: 'Wait',
  waitFor: 'Wait for an event',
  send: 'Email',
  branch: 'Branch',
  split: 'Split',
  setTrait: 'Set a trait',
  pauseMarketing: 'Pause marketing',
  exit: 'Exit',
};

export const kindOfStep = (step: Step): StepKind => Object.keys(step)[0] as StepKind;

const UNITS = ['minutes', 'hours', 'days'] as const;
type Unit = (typeof UNITS)[number];
const unitOf = (duration: Duration): Unit => UNITS.find((unit) => duration[unit] !== undefined) ?? 'hours';

export function durationWords(duration: Duration): string {
  const unit = unitOf(duration);
  const amount = duration[unit];
  if (amount === undefined || amount === '') return `… ${unit}`;
  return `${amount} ${Number(amount) === 1 ? unit.slice(0, -1) : unit}`;
}

/** An object without `name` when `value` is undefined, else with it. */
export function withField<T extends object>(object: T, name: string, value: unknown): T {
  const { [name]: _old, ...rest } = object as Record<string, unknown>;
  return (value === undefined ? rest : { ...rest, [name]: value }) as T;
}

const names = (event: string | string[]) => (Array.isArray(event) ? event : [event]).filter(Boolean);

/** What starts a journey, in words. */
export function entryWords(entry: Entry | undefined): string {
  if (!entry) return '—';
  if ('event' in entry) {
    const list = names(entry.event);
    return `${list.length > 0 ? list.join(' or ') : 'An event (not named yet)'}${entry.where?.length ? ' (with filters)' : ''}`;
  }
  if ('segmentEntered' in entry) return `Enters segment ${entry.segmentEntered || '…'}`;
  if ('stageEntered' in entry) return `Moves to ${entry.stageEntered}`;
  const days = Number(entry.date.daysBefore ?? 0);
  return days > 0
    ? `${days} ${days === 1 ? 'day' : 'days'} before their ${entry.date.trait || '…'}`
    : `On their ${entry.date.trait || '…'}`;
}

/** A condition in a few words, for a branch's title. */
export function conditionWords(condition: Condition | undefined): string {
  if (!condition) return '…';
  const c = condition as Record<string, unknown>;
  const list = (value: unknown) => (Array.isArray(value) ? value.join(' or ') : String(value ?? '…'));
  const within = (value: unknown) => (value === undefined ? '' : ` in the last ${String(value)} days`);
  if (Array.isArray(c.all) || Array.isArray(c.any)) {
    const parts = ((c.all ?? c.any) as Condition[]).map(conditionWords);
    return parts.length === 1 ? (parts[0] ?? '') : `(${parts.join(c.all ? ' and ' : ' or ')})`;
  }
  if (c.not !== undefined) return `not ${conditionWords(c.not as Condition)}`;
  if (c.trait !== undefined) return `${String(c.trait) || '…'} ${String(c.op ?? '')} ${list(c.value)}`.trim();
  if (c.stage !== undefined) return `in stage ${list(c.stage)}`;
  if (c.performed !== undefined) return `did ${String(c.performed) || '…'}${within(c.withinDays)}`;
  if (c.lastPerformed !== undefined)
    return `last did ${String(c.lastPerformed) || '…'} ${c.withinDays !== undefined ? `within ${String(c.withinDays)}` : `over ${String(c.olderThanDays)}`} days ago`;
  if (c.measure !== undefined)
    return `${String(c.measure)} ${String(c.op)} ${String(c.value)}${within(c.withinDays)}`;
  if (c.predicted !== undefined) return `${String(c.predicted)} ${String(c.op)} ${String(c.value)}`;
  if (c.relationship !== undefined) return `relationship ${list(c.relationship)}`;
  if (c.subscribed !== undefined) return c.subscribed ? 'subscribed' : 'not subscribed';
  if (c.segment !== undefined) return `in segment ${String(c.segment) || '…'}`;
  if (c.randomPercent !== undefined) return `a random ${String(c.randomPercent)}%`;
  if (c.message !== undefined) {
    const message = c.message as Record<string, unknown>;
    return `${String(message.journey)} email ${String(message.status)}`;
  }
  if (c.satisfaction !== undefined) return 'a satisfaction rating';
  return 'a condition';
}

/** A step's title in words: "Wait 4 hours", "Send abandoned-checkout". */
export function stepTitle(step: Step): string {
  if ('wait' in step) {
    const wait = step.wait;
    if ('untilLocalTime' in wait) return `Wait until ${wait.untilLocalTime || '…'}, their time`;
    if (wait.predicted) return `Wait their usual time between purchases (else ${durationWords(wait)})`;
    return `Wait ${durationWords(wait)}`;
  }
  if ('waitFor' in step)
    return `Wait up to ${durationWords(step.waitFor.timeout)} for ${step.waitFor.event || 'an event'}`;
  if ('send' in step)
    return `Send ${step.send.template || '(no template chosen)'}${step.send.offer?.enabled ? ' with an offer code' : ''}`;
  if ('branch' in step) {
    const words = `If ${conditionWords(step.branch.if)}`;
    return words.length > 90 ? `${words.slice(0, 88)}…` : words;
  }
  if ('split' in step) {
    const percent = Number(step.split.percent);
    return Number.isFinite(percent) && step.split.percent !== ''
      ? `Split ${percent}% / ${100 - percent}%`
      : 'Split at random';
  }
  if ('setTrait' in step)
    return `Set ${step.setTrait.name || 'a trait'} to ${JSON.stringify(step.setTrait.value)}`;
  if ('pauseMarketing' in step) return `Pause marketing for ${String(step.pauseMarketing.days)} days`;
  return 'Leave the journey';
}

/** The step lists inside a step, with their names in the format and in words. */
export function listsOf(step: Step): { name: 'then' | 'else' | 'timedOut'; label: string; steps: Step[] }[] {
  if ('waitFor' in step)
    return [
      {
        name: 'then',
        label: `If ${step.waitFor.event || 'it'} comes`,
        steps: step.waitFor.then ?? [],
      },
      {
        name: 'timedOut',
        label: `If not within ${durationWords(step.waitFor.timeout)}`,
        steps: step.waitFor.timedOut ?? [],
      },
    ];
  if ('branch' in step)
    return [
      { name: 'then', label: 'If it holds', steps: step.branch.then },
      { name: 'else', label: 'Otherwise', steps: step.branch.else ?? [] },
    ];
  if ('split' in step) {
    const percent = Number(step.split.percent);
    const known = step.split.percent !== '' && Number.isFinite(percent);
    return [
      { name: 'then', label: known ? `${percent}% of customers` : 'Some customers', steps: step.split.then },
      {
        name: 'else',
        label: known ? `The other ${100 - percent}%` : 'The others',
        steps: step.split.else ?? [],
      },
    ];
  }
  return [];
}

function withList(step: Step, name: 'then' | 'else' | 'timedOut', steps: Step[]): Step {
  if ('waitFor' in step) return { waitFor: { ...step.waitFor, [name]: steps } };
  if ('branch' in step) return { branch: { ...step.branch, [name]: steps } };
  if ('split' in step) return { split: { ...step.split, [name]: steps } };
  return step;
}

/** The step at a step key of the API (`1.then.0`), if the journey has one there. */
export function stepAtKey(steps: Step[], key: string): Step | undefined {
  let list: Step[] | undefined = steps;
  let step: Step | undefined;
  for (const part of key.split('.')) {
    if (/^\d+$/.test(part)) {
      step = list?.[Number(part)];
      if (!step) return undefined;
    } else {
      list = step ? listsOf(step).find((candidate) => candidate.name === part)?.steps : undefined;
    }
  }
  return step;
}

/** Every step with its key (`1.then.0`), depth first. */
export function* stepKeys(steps: Step[], prefix = ''): Generator<{ step: Step; key: string }> {
  for (const [index, step] of steps.entries()) {
    const key = `${prefix}${index}`;
    yield { step, key };
    for (const list of listsOf(step)) yield* stepKeys(list.steps, `${key}.${list.name}.`);
  }
}

/** Drops the empty optional lists (no `else`, no `timedOut`): what the API gets. */
export function cleanSteps(steps: Step[]): Step[] {
  return steps.map((step) => {
    if ('waitFor' in step) {
      const { then, timedOut, ...rest } = step.waitFor;
      return {
        waitFor: {
          ...rest,
          // biome-ignore lint/suspicious/noThenProperty: "then" is a word of the journey format
          ...(then?.length ? { then: cleanSteps(then) } : {}),
          ...(timedOut?.length ? { timedOut: cleanSteps(timedOut) } : {}),
        },
      };
    }
    if ('branch' in step || 'split' in step) {
      const kind = 'branch' in step ? 'branch' : 'split';
      const body = (step as Record<string, { then: Step[]; else?: Step[] }>)[kind] as {
        then: Step[];
        else?: Step[];
      };
      const { else: otherwise, ...rest } = body;
      return {
        [kind]: {
          ...rest,
          // biome-ignore lint/suspicious/noThenProperty: "then" is a word of the journey format
          then: cleanSteps(body.then),
          ...(otherwise?.length ? { else: cleanSteps(otherwise) } : {}),
        },
      } as Step;
    }
    return step;
  });
}

export function numbersText(counts: StepCounts | undefined): string {
  const parts = (
    [
      ['waiting', 'waiting'],
      ['passed', 'passed'],
      ['sent', 'sent'],
      ['heldOut', 'held out'],
      ['skipped', 'skipped'],
      ['converted', 'converted'],
    ] as const
  )
    .filter(([field]) => (counts?.[field] ?? 0) > 0)
    .map(([field, words]) => `${count(counts?.[field] ?? 0)} ${words}`);
  return parts.join(' · ') || 'No one here yet';
}

/** What the cards need from the editor: errors, templates, numbers, and steps' identities. */
export interface FlowContextValue {
  errorAt: (path: string) => string | undefined;
  templates: string[];
  segments: { id: string; name: string }[];
  /** The live numbers of a step of the draft (they follow the step when it moves). */
  numbersOf: (step: Step) => StepCounts | undefined;
  /** The emails a send step would have sent in the last backtest of this version, if there is one. */
  backtestOf: (step: Step) => number | undefined;
  /** A stable key for a step object (for lists that move). */
  keyOf: (step: Step) => number;
  /** `to` replaces `from`: it keeps its key and numbers. Answers `to`. */
  carry: (from: Step, to: Step) => Step;
}

export const FlowContext = createContext<FlowContextValue | null>(null);

function useFlow(): FlowContextValue & { at: ReturnType<typeof fieldAt> } {
  const flow = useContext(FlowContext);
  if (!flow) throw new Error('FlowContext is missing');
  return { ...flow, at: fieldAt(flow.errorAt) };
}

/** The property filters of an event (entry, wait for, conversion); `where` is left out when there are none. */
export function WhereFilters<T extends { where?: Condition[] }>({
  path,
  of,
  onChange,
}: {
  path: string;
  of: T;
  onChange: (next: T) => void;
}) {
  const { errorAt } = useFlow();
  return (
    <PropertyFilters
      path={path}
      where={of.where ?? []}
      onChange={(where) => onChange(withField(of, 'where', where.length > 0 ? where : undefined))}
      errorAt={errorAt}
      legend="Only when its properties match (optional)"
    />
  );
}

/** Event names typed as one text: "Signed Up, Newsletter Subscribed" (one name, or several). */
export function EventNamesField({
  id,
  label,
  value,
  onChange,
  error,
  help,
}: {
  id: string;
  label: string;
  value: string | string[];
  onChange: (value: string | string[]) => void;
  error: string | undefined;
  help?: string;
}) {
  const parse = (text: string) => {
    const list = text
      .split(',')
      .map((part) => part.trim())
      .filter(Boolean);
    return list.length <= 1 ? (list[0] ?? '') : list;
  };
  const [text, setText] = useState(names(value).join(', '));
  useEffect(() => {
    if (JSON.stringify(parse(text)) !== JSON.stringify(value)) setText(names(value).join(', '));
  }, [JSON.stringify(value)]);
  return (
    <TextField
      id={id}
      label={label}
      value={text}
      onInput={(next) => {
        setText(next);
        onChange(parse(next));
      }}
      error={error}
      {...(help ? { help } : {})}
    />
  );
}

/** The entry: what starts a customer on the journey. */
export function EntryCard({ entry, onChange }: { entry: Entry; onChange: (entry: Entry) => void }) {
  const { errorAt, at, segments } = useFlow();
  const kind =
    'event' in entry
      ? 'event'
      : 'segmentEntered' in entry
        ? 'segment'
        : 'stageEntered' in entry
          ? 'stage'
          : 'date';
  const change = (next: string) => {
    if (next === kind) return;
    onChange(
      next === 'event'
        ? { event: '' }
        : next === 'segment'
          ? { segmentEntered: segments[0]?.id ?? '' }
          : next === 'stage'
            ? { stageEntered: 'deterioration' }
            : { date: { trait: 'birthday', daysBefore: 0 } },
    );
  };
  return (
    <article class="step-card step-entry" aria-labelledby="entry-title">
      <div class="step-head">
        <div>
          <p class="step-kind">Entry</p>
          <h3 id="entry-title">Starts when: {entryWords(entry)}</h3>
        </div>
      </div>
      <RowError message={errorAt('entry')} />
      <div class="fields">
        <Select
          id="entry-kind"
          label="Starts when"
          value={kind}
          options={[
            { value: 'event', label: 'An event happens' },
            { value: 'segment', label: 'The customer enters a segment' },
            { value: 'stage', label: 'The customer moves to a lifecycle stage' },
            { value: 'date', label: 'A date in their traits comes' },
          ]}
          onChange={change}
        />
        {'event' in entry ? (
          <EventNamesField
            {...at('entry.event')}
            label="Event"
            value={entry.event}
            onChange={(event) => onChange({ ...entry, event })}
            help="e.g. Checkout Started; several: separate with commas"
          />
        ) : null}
        {'segmentEntered' in entry ? (
          <Select
            {...at('entry.segmentEntered')}
            label="Segment"
            value={entry.segmentEntered}
            options={[
              ...(segments.some((segment) => segment.id === entry.segmentEntered)
                ? []
                : [{ value: entry.segmentEntered, label: entry.segmentEntered || 'Choose a segment' }]),
              ...segmentOptions(segments),
            ]}
            onChange={(segmentEntered) => onChange({ segmentEntered })}
          />
        ) : null}
        {'stageEntered' in entry ? (
          <Select
            {...at('entry.stageEntered')}
            label="Stage"
            value={entry.stageEntered}
            options={STAGES}
            onChange={(stageEntered) => onChange({ stageEntered })}
          />
        ) : null}
        {'date' in entry ? (
          <>
            <TextField
              {...at('entry.date.trait')}
              label="Date trait"
              value={entry.date.trait}
              onInput={(trait) => onChange({ date: { ...entry.date, trait } })}
              help="a trait that holds a date, e.g. birthday"
            />
            <NumberField
              {...at('entry.date.daysBefore')}
              label="Days before it"
              value={entry.date.daysBefore}
              onInput={(days) => onChange({ date: withField(entry.date, 'daysBefore', absentIfEmpty(days)) })}
              help="0 or empty: on the day"
            />
          </>
        ) : null}
      </div>
      {'event' in entry ? <WhereFilters path="entry" of={entry} onChange={onChange} /> : null}
    </article>
  );
}

/** A list of steps, top to bottom, with a place to add a step before, between and after them. */
export function StepList({
  path,
  steps,
  onChange,
  label,
}: {
  path: string;
  steps: Step[];
  onChange: (steps: Step[]) => void;
  label: string;
}) {
  const flow = useFlow();
  const insert = (at: number, kind: StepKind) => {
    const made = STEP_KINDS.find((candidate) => candidate.kind === kind)?.make();
    if (made) onChange([...steps.slice(0, at), made, ...steps.slice(at)]);
  };
  const where = (at: number) =>
    at === 0
      ? `at the start of ${label}`
      : at === steps.length
        ? `at the end of ${label}`
        : `after “${stepTitle(steps[at - 1] as Step)}” in ${label}`;
  return (
    <div class="flow-list">
      <AddStep id={`add-${idOf(path)}-0`} where={where(0)} onAdd={(kind) => insert(0, kind)} />
      <RowError message={flow.errorAt(path)} />
      {steps.length === 0 ? <p class="flow-empty">No steps: the customer goes on.</p> : null}
      <ol>
        {steps.map((step, index) => (
          <li key={flow.keyOf(step)}>
            <StepCard
              path={`${path}[${index}]`}
              step={step}
              first={index === 0}
              last={index === steps.length - 1}
              onChange={(next) => onChange(steps.map((s, i) => (i === index ? flow.carry(s, next) : s)))}
              onMove={(by) => {
                const next = [...steps];
                const [moved] = next.splice(index, 1);
                if (moved) next.splice(index + by, 0, moved);
                onChange(next);
                // Focus stays with the step that moved: its same button, or the other one at an end.
                const at = idOf(`${path}[${index + by}]`);
                focusLater(`${at}-${by < 0 ? 'up' : 'down'}`, `${at}-${by < 0 ? 'down' : 'up'}`);
              }}
              onRemove={() => {
                onChange(steps.filter((_, i) => i !== index));
                focusLater(`add-${idOf(path)}-${index}`);
              }}
            />
            <AddStep
              id={`add-${idOf(path)}-${index + 1}`}
              where={where(index + 1)}
              onAdd={(kind) => insert(index + 1, kind)}
            />
          </li>
        ))}
      </ol>
    </div>
  );
}

/** After the next render: focus the first of these elements that exists and is enabled. */
function focusLater(...ids: string[]) {
  setTimeout(() => {
    for (const id of ids) {
      const element = document.getElementById(id);
      if (element && !(element as HTMLButtonElement).disabled) {
        element.focus();
        return;
      }
    }
  }, 0);
}

/** The "+ Add a step" button on a connector; it opens the kinds of step to choose from. */
function AddStep({ id, where, onAdd }: { id: string; where: string; onAdd: (kind: StepKind) => void }) {
  const [open, setOpen] = useState(false);
  const group = useRef<HTMLFieldSetElement>(null);
  const button = useRef<HTMLButtonElement>(null);
  const wasOpen = useRef(false);
  useEffect(() => {
    if (open) group.current?.querySelector('button')?.focus();
    else if (wasOpen.current) button.current?.focus();
    wasOpen.current = open;
  }, [open]);
  return (
    <div class="connector">
      {open ? (
        <fieldset
          class="step-kinds"
          ref={group}
          onKeyDown={(event) => event.key === 'Escape' && setOpen(false)}
        >
          <legend class="visually-hidden">Kind of step to add {where}</legend>
          {STEP_KINDS.map((kind) => (
            <button
              type="button"
              key={kind.kind}
              onClick={() => {
                onAdd(kind.kind);
                setOpen(false);
              }}
            >
              {kind.label}
            </button>
          ))}
          <button type="button" class="link" onClick={() => setOpen(false)}>
            Cancel
          </button>
        </fieldset>
      ) : (
        <button
          type="button"
          class="add-step"
          id={id}
          ref={button}
          aria-label={`Add a step ${where}`}
          title={`Add a step ${where}`}
          onClick={() => setOpen(true)}
        >
          + Add a step
        </button>
      )}
    </div>
  );
}

function StepCard({
  path,
  step,
  first,
  last,
  onChange,
  onMove,
  onRemove,
}: {
  path: string;
  step: Step;
  first: boolean;
  last: boolean;
  onChange: (step: Step) => void;
  onMove: (by: number) => void;
  onRemove: () => void;
}) {
  const flow = useFlow();
  const kind = kindOfStep(step);
  const title = stepTitle(step);
  const id = idOf(path);
  const lists = listsOf(step);
  const backtest = flow.backtestOf(step);
  return (
    <>
      <article class={`step-card step-${kind}`} aria-labelledby={`${id}-title`}>
        <div class="step-head">
          <div>
            <p class="step-kind">{KIND_WORDS[kind]}</p>
            <h3 id={`${id}-title`}>{title}</h3>
            <p class="step-numbers" id={`${id}-numbers`}>
              {numbersText(flow.numbersOf(step))}
            </p>
            {backtest === undefined ? null : (
              <p class="step-backtest" id={`${id}-backtest`}>
                backtest: {counted(backtest, 'email')}
              </p>
            )}
          </div>
          <div class="step-tools">
            <button
              type="button"
              class="icon"
              id={`${id}-up`}
              aria-label={`Move up: ${title}`}
              title="Move up"
              disabled={first}
              onClick={() => onMove(-1)}
            >
              ↑
            </button>
            <button
              type="button"
              class="icon"
              id={`${id}-down`}
              aria-label={`Move down: ${title}`}
              title="Move down"
              disabled={last}
              onClick={() => onMove(1)}
            >
              ↓
            </button>
            <button
              type="button"
              class="icon remove"
              aria-label={`Remove: ${title}`}
              title="Remove"
              onClick={onRemove}
            >
              Remove
            </button>
          </div>
        </div>
        <RowError
          message={flow.errorAt(path) ?? (kind === 'wait' ? undefined : flow.errorAt(`${path}.${kind}`))}
        />
        <StepFields path={path} step={step} onChange={onChange} />
      </article>
      {lists.length > 0 ? (
        <div class="branches">
          {lists.map((list) => (
            <section class={`branch branch-${list.name}`} key={list.name} aria-label={list.label}>
              <h4 class="branch-title">{list.label}</h4>
              <StepList
                path={`${path}.${kind}.${list.name}`}
                steps={list.steps}
                onChange={(steps) => onChange(withList(step, list.name, steps))}
                label={`“${list.label}”`}
              />
            </section>
          ))}
        </div>
      ) : null}
    </>
  );
}

function StepFields({ path, step, onChange }: { path: string; step: Step; onChange: (step: Step) => void }) {
  const { errorAt, at, templates } = useFlow();
  if ('wait' in step)
    return <WaitFields path={`${path}.wait`} wait={step.wait} onChange={(wait) => onChange({ wait })} />;
  if ('waitFor' in step) {
    const p = `${path}.waitFor`;
    const body = step.waitFor;
    return (
      <>
        <div class="fields">
          <TextField
            {...at(`${p}.event`)}
            label="Event to wait for"
            value={body.event}
            onInput={(event) => onChange({ waitFor: { ...body, event } })}
          />
          <DurationFields
            path={`${p}.timeout`}
            label="Wait at most"
            duration={body.timeout}
            onChange={(timeout) => onChange({ waitFor: { ...body, timeout } })}
          />
        </div>
        <WhereFilters path={p} of={body} onChange={(waitFor) => onChange({ waitFor })} />
      </>
    );
  }
  if ('send' in step) {
    const p = `${path}.send`;
    const body = step.send;
    const offer = body.offer;
    const choices = [...new Set([body.template, ...templates].filter(Boolean))];
    return (
      <>
        <div class="fields">
          <Select
            {...at(`${p}.template`)}
            label="Template"
            value={body.template}
            options={[...(body.template ? [] : [{ value: '', label: 'Choose a template' }]), ...choices]}
            onChange={(template) => onChange({ send: { ...body, template } })}
          />
        </div>
        {body.template ? (
          <p class="help step-link">
            <a href={href('templates', body.template)}>Open template {body.template}</a>
          </p>
        ) : null}
        <Checkbox
          {...at(`${p}.offer.enabled`, `${p}.offer`)}
          label="With an offer code"
          checked={offer?.enabled === true}
          onChange={(checked) =>
            onChange({
              send: withField(
                body,
                'offer',
                checked ? { description: '', prefix: '', ...offer, enabled: true } : undefined,
              ),
            })
          }
        />
        {offer?.enabled ? (
          <div class="fields">
            <TextField
              {...at(`${p}.offer.description`)}
              label="Offer"
              value={offer.description}
              onInput={(description) => onChange({ send: { ...body, offer: { ...offer, description } } })}
              help="shown next to the code, e.g. 10% off your next order"
            />
            <TextField
              {...at(`${p}.offer.prefix`)}
              label="Code prefix"
              value={offer.prefix}
              onInput={(prefix) => onChange({ send: { ...body, offer: { ...offer, prefix } } })}
              help="2 to 12 capital letters or digits: codes look like THANKS-7K3F9Q2M"
            />
          </div>
        ) : null}
      </>
    );
  }
  if ('branch' in step) {
    const p = `${path}.branch`;
    return (
      <fieldset class="condition-root">
        <legend>The condition</legend>
        <ConditionEditor
          path={`${p}.if`}
          condition={step.branch.if}
          onChange={(condition) => onChange({ branch: { ...step.branch, if: condition } })}
          errorAt={errorAt}
        />
      </fieldset>
    );
  }
  if ('split' in step)
    return (
      <div class="fields">
        <NumberField
          {...at(`${path}.split.percent`)}
          label="Percent on the first path"
          value={step.split.percent}
          onInput={(percent) => onChange({ split: { ...step.split, percent } })}
          help="1 to 99; each customer always falls on the same side"
        />
      </div>
    );
  if ('setTrait' in step) {
    const p = `${path}.setTrait`;
    const body = step.setTrait;
    const type =
      body.value === null
        ? 'null'
        : typeof body.value === 'boolean'
          ? String(body.value)
          : typeof body.value === 'number'
            ? 'number'
            : 'text';
    return (
      <div class="fields">
        <TextField
          {...at(`${p}.name`)}
          label="Trait"
          value={body.name}
          onInput={(name) => onChange({ setTrait: { ...body, name } })}
        />
        <Select
          id={idOf(`${p}.type`)}
          label="Kind of value"
          value={type}
          options={[
            { value: 'text', label: 'Text' },
            { value: 'number', label: 'Number' },
            { value: 'true', label: 'Yes (true)' },
            { value: 'false', label: 'No (false)' },
            { value: 'null', label: 'Nothing (clear it)' },
          ]}
          onChange={(next) =>
            onChange({
              setTrait: {
                ...body,
                value:
                  next === 'text'
                    ? String(body.value ?? '')
                    : next === 'number'
                      ? Number(body.value) || 0
                      : next === 'null'
                        ? null
                        : next === 'true',
              },
            })
          }
        />
        {type === 'text' || type === 'number' ? (
          <TextField
            {...at(`${p}.value`)}
            label="Value"
            type={type === 'number' ? 'number' : 'text'}
            value={String(body.value ?? '')}
            onInput={(text) =>
              onChange({ setTrait: { ...body, value: type === 'number' ? numberOf(text) : text } })
            }
          />
        ) : null}
      </div>
    );
  }
  if ('pauseMarketing' in step)
    return (
      <div class="fields">
        <NumberField
          {...at(`${path}.pauseMarketing.days`)}
          label="Pause marketing for (days)"
          value={step.pauseMarketing.days}
          onInput={(days) => onChange({ pauseMarketing: { days } })}
          help="service emails still go out"
        />
      </div>
    );
  return <p class="help">The customer leaves the journey here.</p>;
}

function WaitFields({
  path,
  wait,
  onChange,
}: {
  path: string;
  wait: WaitBody;
  onChange: (wait: WaitBody) => void;
}) {
  const { at } = useFlow();
  const mode = 'untilLocalTime' in wait ? 'time' : wait.predicted ? 'predicted' : 'duration';
  const duration = (): Duration => {
    if ('untilLocalTime' in wait) return { hours: 1 };
    const { predicted: _predicted, ...rest } = wait;
    return rest;
  };
  return (
    <div class="fields">
      <Select
        id={idOf(`${path}.mode`)}
        label="Wait"
        value={mode}
        options={[
          { value: 'duration', label: 'for a length of time' },
          { value: 'time', label: 'until a time of day (theirs)' },
          { value: 'predicted', label: 'their usual time between purchases' },
        ]}
        onChange={(next) =>
          onChange(
            next === 'time'
              ? { untilLocalTime: '10:00' }
              : next === 'predicted'
                ? { ...duration(), predicted: 'timeBetweenPurchases' }
                : duration(),
          )
        }
        help={mode === 'predicted' ? 'from the fitted model, when it is trusted' : undefined}
      />
      {'untilLocalTime' in wait ? (
        <TextField
          {...at(`${path}.untilLocalTime`, path)}
          label="Until (HH:MM, their time)"
          value={wait.untilLocalTime}
          onInput={(untilLocalTime) => onChange({ untilLocalTime })}
          help="the next time it is this time where they are"
        />
      ) : (
        <DurationFields
          path={path}
          label={mode === 'predicted' ? 'Without a trusted model' : 'How long'}
          duration={wait}
          onChange={(next) =>
            onChange(mode === 'predicted' ? { ...next, predicted: 'timeBetweenPurchases' } : next)
          }
        />
      )}
    </div>
  );
}

/** An amount and its unit (minutes, hours or days): `{ hours: 4 }`. Errors of the whole show on the amount. */
function DurationFields({
  path,
  label,
  duration,
  onChange,
}: {
  path: string;
  label: string;
  duration: Duration;
  onChange: (duration: Duration) => void;
}) {
  const { at } = useFlow();
  const unit = unitOf(duration);
  const amount = duration[unit];
  return (
    <>
      <NumberField
        {...at(`${path}.${unit}`, path)}
        label={label}
        min={1}
        value={amount}
        onInput={(value) => onChange({ [unit]: value })}
      />
      <Select
        id={idOf(`${path}.unit`)}
        label="Unit"
        value={unit}
        options={UNITS}
        onChange={(next) => onChange({ [next]: amount ?? 1 })}
      />
    </>
  );
}
