/**
 * Lifecycle rules: when a customer is at risk and when the relationship has ended (fixed delays or
 * the fitted model), and the contact policy (caps, quiet hours, cool-down). Each form is saved on
 * its own; errors show next to their fields.
 */

import { useEffect, useState } from 'preact/hooks';
import { ReadOnly, useCan } from '../access.tsx';
import { ApiError, api, messagesAt, type Problem } from '../api.ts';
import {
  Checkbox,
  fieldAt,
  Loading,
  messageOf,
  type Num,
  NumberField,
  Select,
  Status,
  TextArea,
  TextField,
  useLoad,
} from '../components.tsx';

interface LifecycleRules {
  atRisk: {
    mode: 'fixed' | 'predictive';
    afterDays: Num;
    aliveThreshold: Num;
    oneTimeBuyers: { afterDays: Num; graceDays: Num };
  };
  ended: { afterDays: Num };
}

interface ContactPolicy {
  caps: { perDay: Num; perWeek: Num };
  quietHours: { enabled: boolean; start: string; end: string; defaultTimezone: string | null };
  cooldownDays: Num;
  customTraits?: string[];
  broadcasts: { quietDays: Num; rateShare: Num };
  impressions: {
    windowDays: Num;
    goodWeight: Num;
    badWeight: Num;
    goodEvents: string[];
    badEvents: string[];
  };
}

/** Event names typed one per line, as the API takes them (blank lines dropped when saved). */
const namesOf = (lines: string[]) => lines.map((name) => name.trim()).filter(Boolean);

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

/** The value at a dotted path of plain objects (`atRisk.oneTimeBuyers.afterDays`). */
const valueAt = (object: unknown, path: string): unknown =>
  path.split('.').reduce((value, key) => (value as Record<string, unknown> | undefined)?.[key], object);

/** A copy of plain objects with the value at a dotted path replaced. */
function withValueAt<T>(object: T, path: string, value: unknown): T {
  const [key = '', ...rest] = path.split('.');
  const current = object as Record<string, unknown>;
  return {
    ...current,
    [key]: rest.length === 0 ? value : withValueAt(current[key], rest.join('.'), value),
  } as T;
}

/**
 * A form over a settings object that is saved whole: each field is named by its path in the object,
 * which is also the path the API names its problems by.
 */
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
  const at = fieldAt((field) => messagesAt(problems, field));
  const set = (field: string, value: unknown) => setDraft((current) => withValueAt(current, field, value));
  /** A text or number field's id, error, value and change, from its path. */
  const field = (name: string) => ({
    ...at(name),
    value: valueAt(draft, name) as Num,
    onInput: (value: Num) => set(name, value),
  });
  return { draft, at, set, field, status, save };
}

function StageRules({ loaded }: { loaded: LifecycleRules }) {
  const can = useCan();
  const { draft, at, set, field, status, save } = useForm(
    loaded,
    '/admin/lifecycle',
    'Stage rules saved: customers move by them from the next nightly sweep (or the next event).',
  );
  return (
    <form class="card" aria-labelledby="stages-title" noValidate onSubmit={(event) => save(event, draft)}>
      <h2 id="stages-title">Stages</h2>
      <fieldset>
        <legend>At risk (deterioration)</legend>
        <Select
          {...at('atRisk.mode')}
          label="Decided by"
          value={draft.atRisk.mode}
          options={[
            { value: 'fixed', label: 'A fixed number of quiet days' },
            { value: 'predictive', label: 'The fitted model (P(alive)), for repeat buyers' },
          ]}
          onChange={(value) => set('atRisk.mode', value)}
          help="Predictive mode waits for a trusted model; until then the fixed delay applies."
        />
        <div class="fields">
          <NumberField
            {...field('atRisk.afterDays')}
            label="At risk after (quiet days)"
            step="1"
            help="no order, visit or click for this long"
          />
          <NumberField
            {...field('atRisk.aliveThreshold')}
            label="At risk when P(alive) falls below"
            step="0.05"
            help="between 0 and 1; predictive mode"
          />
        </div>
      </fieldset>
      <fieldset>
        <legend>One-time buyers</legend>
        <div class="fields">
          <NumberField
            {...field('atRisk.oneTimeBuyers.afterDays')}
            label="Typical days between purchases"
            step="1"
            help="not at risk before this (or the model’s figure)"
          />
          <NumberField {...field('atRisk.oneTimeBuyers.graceDays')} label="Grace after it (days)" step="1" />
        </div>
      </fieldset>
      <fieldset>
        <legend>Ended (termination)</legend>
        <div class="fields">
          <NumberField
            {...field('ended.afterDays')}
            label="Ended after (days at risk without an order)"
            step="1"
          />
        </div>
      </fieldset>
      <div class="actions">
        {can('PUT /admin/lifecycle') ? (
          <button type="submit">Save stage rules</button>
        ) : (
          <ReadOnly what="the stage rules" />
        )}
      </div>
      <Status message={status.message} tone={status.tone} />
    </form>
  );
}

function PolicyForm({ loaded }: { loaded: ContactPolicy }) {
  const can = useCan();
  const { draft, at, set, field, status, save } = useForm(
    loaded,
    '/admin/contact-policy',
    'Contact policy saved: it applies to the next email.',
  );
  const { customTraits: _kept, ...rest } = draft;
  const body = {
    ...rest,
    impressions: {
      ...rest.impressions,
      goodEvents: namesOf(rest.impressions.goodEvents),
      badEvents: namesOf(rest.impressions.badEvents),
    },
  };
  return (
    <form class="card" aria-labelledby="policy-title" noValidate onSubmit={(event) => save(event, body)}>
      <h2 id="policy-title">Contact policy</h2>
      <fieldset>
        <legend>Marketing emails per customer, at most</legend>
        <div class="fields">
          <NumberField {...field('caps.perDay')} label="Per day" />
          <NumberField {...field('caps.perWeek')} label="Per week" />
        </div>
      </fieldset>
      <fieldset>
        <legend>Quiet hours</legend>
        <Checkbox
          {...at('quietHours.enabled')}
          label="Hold marketing email during the night (the customer's time)"
          checked={draft.quietHours.enabled}
          onChange={(value) => set('quietHours.enabled', value)}
        />
        <div class="fields">
          <TextField {...field('quietHours.start')} label="From (HH:MM)" />
          <TextField {...field('quietHours.end')} label="Until (HH:MM)" />
          <TextField
            {...at('quietHours.defaultTimezone')}
            label="Time zone when theirs is unknown"
            value={draft.quietHours.defaultTimezone ?? ''}
            onInput={(value) => set('quietHours.defaultTimezone', value.trim() === '' ? null : value)}
            help="e.g. Europe/Berlin; empty: quiet hours only where the time zone is known"
          />
        </div>
      </fieldset>
      <div class="fields">
        <NumberField
          {...field('cooldownDays')}
          label="Cool-down after a refund or complaint (days)"
          help="no promotional email for this long, whatever the impression balance; 0: none"
        />
      </div>
      <fieldset>
        <legend>Impression balance</legend>
        <p class="hint">
          While bad impressions outweigh good ones, marketing email waits (a journey holds the customer) or is
          skipped; service email still goes.
        </p>
        <div class="fields">
          <NumberField
            {...field('impressions.windowDays')}
            label="Over the last (days)"
            step="1"
            help="7 to 365"
          />
          <NumberField
            {...field('impressions.goodWeight')}
            label="A good impression weighs"
            step="1"
            help="an order, a visit day, a click, a high rating"
          />
          <NumberField
            {...field('impressions.badWeight')}
            label="A bad impression weighs"
            step="1"
            help="a refund, a complaint, a low rating, leaving a journey"
          />
        </div>
        <div class="fields">
          <TextArea
            {...at('impressions.badEvents')}
            label="Events that are bad impressions (one per line)"
            value={draft.impressions.badEvents.join('\n')}
            rows={3}
            onInput={(value) => set('impressions.badEvents', value.split('\n'))}
          />
          <TextArea
            {...at('impressions.goodEvents')}
            label="Events that are good impressions (one per line)"
            value={draft.impressions.goodEvents.join('\n')}
            rows={3}
            onInput={(value) => set('impressions.goodEvents', value.split('\n'))}
          />
        </div>
      </fieldset>
      <fieldset>
        <legend>Broadcasts</legend>
        <div class="fields">
          <NumberField
            {...field('broadcasts.quietDays')}
            label="Drop-in guard: quiet for (days)"
            help="a broadcast leaves out customers with no order, visit, click or consent for this long (7 to 3650)"
          />
          <NumberField
            {...field('broadcasts.rateShare')}
            label="Share of the send rate"
            step="0.05"
            help="0.1 to 0.9 of the SES rate for broadcasts; journeys keep the rest"
          />
        </div>
      </fieldset>
      <div class="actions">
        {can('PUT /admin/contact-policy') ? (
          <button type="submit">Save contact policy</button>
        ) : (
          <ReadOnly what="the contact policy" />
        )}
      </div>
      <Status message={status.message} tone={status.tone} />
    </form>
  );
}
