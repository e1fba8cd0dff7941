/**
 * Lifecycle rules: when a customer is at risk and when the relationship has ended (fixed delays or
 * the fitted model), and the contact policy (caps, quiet hours, cool-down). Each form is saved on
 * its own; errors show next to their fields.
 */
import { useEffect, useState } from 'preact/hooks';
import { ApiError, api, type Problem } from '../api.ts';
import { Checkbox, Loading, messageOf, Select, Status, TextField, useLoad } from '../components.tsx';
import { idOf } from './segments.tsx';

interface LifecycleRules {
  atRisk: {
    mode: 'fixed' | 'predictive';
    afterDays: number | string;
    aliveThreshold: number | string;
    oneTimeBuyers: { afterDays: number | string; graceDays: number | string };
  };
  ended: { afterDays: number | string };
}

interface ContactPolicy {
  caps: { perDay: number | string; perWeek: number | string };
  quietHours: { enabled: boolean; start: string; end: string; defaultTimezone: string | null };
  cooldownDays: number | string;
  customTraits?: string[];
}

const numberOf = (text: string) => (text.trim() === '' ? '' : Number(text));

/** The problem messages for exactly this field. */
const messageAt = (problems: Problem[], field: string) =>
  problems
    .filter((problem) => problem.field === field)
    .map((problem) => problem.message)
    .join('; ') || undefined;

export function Lifecycle() {
  const rules = useLoad(() => api<LifecycleRules>('/admin/lifecycle'), []);
  const policy = useLoad(() => api<ContactPolicy>('/admin/contact-policy'), []);
  return (
    <>
      <h1>Lifecycle rules</h1>
      <p class="lead">
        When a customer counts as at risk or gone, and how often and when marketing email may reach anyone.
        Journeys start from these stages and every marketing email goes through this policy.
      </p>
      <div class="grid-2 lifecycle">
        <Loading state={rules}>{(data) => <StageRules loaded={data} />}</Loading>
        <Loading state={policy}>{(data) => <PolicyForm loaded={data} />}</Loading>
      </div>
    </>
  );
}

function useForm<T>(loaded: T, path: string, saved: string) {
  const [draft, setDraft] = useState<T>(loaded);
  const [problems, setProblems] = useState<Problem[]>([]);
  const [status, setStatus] = useState<{ message?: string; tone: 'info' | 'error' }>({ tone: 'info' });
  useEffect(() => setDraft(loaded), [loaded]);
  const save = async (event: Event, body: unknown) => {
    event.preventDefault();
    try {
      setDraft(await api<T>(path, { method: 'PUT', body }));
      setProblems([]);
      setStatus({ message: saved, tone: 'info' });
    } catch (error) {
      setProblems(error instanceof ApiError ? error.problems : []);
      setStatus({
        message:
          error instanceof ApiError && error.problems.length > 0
            ? 'Not saved: see the fields marked in red.'
            : messageOf(error),
        tone: 'error',
      });
    }
  };
  const errorAt = (field: string) => messageAt(problems, field);
  return { draft, setDraft, errorAt, status, save };
}

function StageRules({ loaded }: { loaded: LifecycleRules }) {
  const { draft, setDraft, errorAt, status, save } = useForm(
    loaded,
    '/admin/lifecycle',
    'Stage rules saved: customers move by them from the next nightly sweep (or the next event).',
  );
  const atRisk = (field: keyof LifecycleRules['atRisk'], value: unknown) =>
    setDraft({ ...draft, atRisk: { ...draft.atRisk, [field]: value } });
  const number = (
    field: string,
    label: string,
    value: number | string,
    onInput: (text: string) => void,
    help?: string,
    step = '1',
  ) => (
    <TextField
      id={idOf(field)}
      label={label}
      type="number"
      step={step}
      value={String(value)}
      onInput={onInput}
      error={errorAt(field)}
      {...(help ? { help } : {})}
    />
  );
  return (
    <form class="card" aria-labelledby="stages-title" noValidate onSubmit={(event) => save(event, draft)}>
      <h2 id="stages-title">Stages</h2>
      <fieldset>
        <legend>At risk (deterioration)</legend>
        <Select
          id="atRisk-mode"
          label="Decided by"
          value={draft.atRisk.mode}
          options={[
            { value: 'fixed', label: 'A fixed number of quiet days' },
            { value: 'predictive', label: 'The fitted model (P(alive)), for repeat buyers' },
          ]}
          onChange={(value) => atRisk('mode', value)}
          error={errorAt('atRisk.mode')}
          help="Predictive mode waits for a trusted model; until then the fixed delay applies."
        />
        <div class="fields">
          {number(
            'atRisk.afterDays',
            'At risk after (quiet days)',
            draft.atRisk.afterDays,
            (text) => atRisk('afterDays', numberOf(text)),
            'no order, visit or click for this long',
          )}
          {number(
            'atRisk.aliveThreshold',
            'At risk when P(alive) falls below',
            draft.atRisk.aliveThreshold,
            (text) => atRisk('aliveThreshold', numberOf(text)),
            'between 0 and 1; predictive mode',
            '0.05',
          )}
        </div>
      </fieldset>
      <fieldset>
        <legend>One-time buyers</legend>
        <div class="fields">
          {number(
            'atRisk.oneTimeBuyers.afterDays',
            'Typical days between purchases',
            draft.atRisk.oneTimeBuyers.afterDays,
            (text) => atRisk('oneTimeBuyers', { ...draft.atRisk.oneTimeBuyers, afterDays: numberOf(text) }),
            'not at risk before this (or the model’s figure)',
          )}
          {number(
            'atRisk.oneTimeBuyers.graceDays',
            'Grace after it (days)',
            draft.atRisk.oneTimeBuyers.graceDays,
            (text) => atRisk('oneTimeBuyers', { ...draft.atRisk.oneTimeBuyers, graceDays: numberOf(text) }),
          )}
        </div>
      </fieldset>
      <fieldset>
        <legend>Ended (termination)</legend>
        <div class="fields">
          {number(
            'ended.afterDays',
            'Ended after (days at risk without an order)',
            draft.ended.afterDays,
            (text) => setDraft({ ...draft, ended: { afterDays: numberOf(text) } }),
          )}
        </div>
      </fieldset>
      <div class="actions">
        <button type="submit">Save stage rules</button>
      </div>
      <Status message={status.message} tone={status.tone} />
    </form>
  );
}

function PolicyForm({ loaded }: { loaded: ContactPolicy }) {
  const { draft, setDraft, errorAt, status, save } = useForm(
    loaded,
    '/admin/contact-policy',
    'Contact policy saved: it applies to the next email.',
  );
  const caps = (field: 'perDay' | 'perWeek', text: string) =>
    setDraft({ ...draft, caps: { ...draft.caps, [field]: numberOf(text) } });
  const quiet = (field: keyof ContactPolicy['quietHours'], value: unknown) =>
    setDraft({ ...draft, quietHours: { ...draft.quietHours, [field]: value } });
  const { customTraits: _kept, ...body } = draft;
  return (
    <form class="card" aria-labelledby="policy-title" noValidate onSubmit={(event) => save(event, body)}>
      <h2 id="policy-title">Contact policy</h2>
      <fieldset>
        <legend>Marketing emails per customer, at most</legend>
        <div class="fields">
          <TextField
            id="caps-perDay"
            label="Per day"
            type="number"
            value={String(draft.caps.perDay)}
            onInput={(text) => caps('perDay', text)}
            error={errorAt('caps.perDay')}
          />
          <TextField
            id="caps-perWeek"
            label="Per week"
            type="number"
            value={String(draft.caps.perWeek)}
            onInput={(text) => caps('perWeek', text)}
            error={errorAt('caps.perWeek')}
          />
        </div>
      </fieldset>
      <fieldset>
        <legend>Quiet hours</legend>
        <Checkbox
          id="quietHours-enabled"
          label="Hold marketing email during the night (the customer's time)"
          checked={draft.quietHours.enabled}
          onChange={(value) => quiet('enabled', value)}
          error={errorAt('quietHours.enabled')}
        />
        <div class="fields">
          <TextField
            id="quietHours-start"
            label="From (HH:MM)"
            value={draft.quietHours.start}
            onInput={(value) => quiet('start', value)}
            error={errorAt('quietHours.start')}
          />
          <TextField
            id="quietHours-end"
            label="Until (HH:MM)"
            value={draft.quietHours.end}
            onInput={(value) => quiet('end', value)}
            error={errorAt('quietHours.end')}
          />
          <TextField
            id="quietHours-defaultTimezone"
            label="Time zone when theirs is unknown"
            value={draft.quietHours.defaultTimezone ?? ''}
            onInput={(value) => quiet('defaultTimezone', value.trim() === '' ? null : value)}
            error={errorAt('quietHours.defaultTimezone')}
            help="e.g. Europe/Berlin; empty: quiet hours only where the time zone is known"
          />
        </div>
      </fieldset>
      <div class="fields">
        <TextField
          id="cooldownDays"
          label="Cool-down after a refund or complaint (days)"
          type="number"
          value={String(draft.cooldownDays)}
          onInput={(text) => setDraft({ ...draft, cooldownDays: numberOf(text) })}
          error={errorAt('cooldownDays')}
          help="no promotional email for this long; 0: none"
        />
      </div>
      <div class="actions">
        <button type="submit">Save contact policy</button>
      </div>
      <Status message={status.message} tone={status.tone} />
    </form>
  );
}
