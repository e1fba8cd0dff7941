/**
 * Broadcasts: the list with each one's status and numbers; the compose page, which shows who would
 * receive it and who would be left out and why while the marketer edits, puts each error the API
 * names next to its field, and asks before sending; and a broadcast's page with its progress while
 * it sends, its numbers, and a cancel while it has not all gone out.
 */

import type { ComponentChildren } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { ReadOnly, useCan } from '../access.tsx';
import { ApiError, api, messagesAt, type Problem } from '../api.ts';
import {
  Checkbox,
  ConfirmDialog,
  Figures,
  fieldAt,
  Loading,
  messageOf,
  NameCell,
  type Num,
  NumberField,
  Select,
  Status,
  TextArea,
  TextField,
  useLoad,
} from '../components.tsx';
import { count, counted, percent, points, when } from '../format.ts';
import { href, navigate } from '../router.ts';
import { EventNamesField } from './journey-flow.tsx';

type SendAt = string | { date: string; localTime: string };
type BroadcastStatus = 'scheduled' | 'sending' | 'sent' | 'cancelled';

interface Definition {
  name: string;
  segment: string;
  template: string;
  category: 'marketing' | 'service';
  sendAt?: SendAt;
  holdoutPercent: number;
  dropInGuard: { quietDays: number } | false;
  dropInGuardOffReason?: string;
  conversion: { event: string | string[]; withinDays: number };
}

interface BroadcastView extends Definition {
  id: string;
  status: BroadcastStatus;
  createdAt: string;
  startsAt: string;
  startedAt?: string;
  cancelledAt?: string;
  progress: null | { customersLookedAt: number; partsDone: number; parts: number; done: boolean };
  numbers: {
    recipients: number;
    sent: number;
    waiting: number;
    failed: number;
    skipped: Record<string, number>;
    heldOut: number;
    delivered: number;
    opened: number;
    clicked: number;
    converted: number;
    heldOutConverted: number;
    conversionRate: number | null;
    heldOutConversionRate: number | null;
    /** Percentage points. */
    uplift: number | null;
  };
}

interface Preview {
  segment: string;
  exact: boolean;
  members: number;
  recipients: number;
  heldOut: number;
  skipped: Record<string, number>;
  deferred: { quietHours: number; caps: number; coolDown: number };
  evaluated: number;
}

interface SegmentSummary {
  id: string;
  name: string;
  count: number;
  status: 'ready' | 'building';
}

const STATUS_WORDS: Record<BroadcastStatus, string> = {
  scheduled: 'Scheduled',
  sending: 'Sending',
  sent: 'Sent',
  cancelled: 'Cancelled',
};

/** Why customers were (or would be) left out, in words, by the API's reason. */
const LEFT_OUT: Record<string, (n: number) => string> = {
  dropInGuard: (n) => `${count(n)} left out by the drop-in guard`,
  unsubscribed: (n) => `${count(n)} unsubscribed`,
  suppressed: (n) => counted(n, 'suppressed address', 'suppressed addresses'),
  noAddress: (n) => `${counted(n, 'customer')} without an email address`,
  relationship: (n) => `${count(n)} asked for few emails (a fling)`,
  caps: (n) => `${count(n)} over the frequency caps`,
  coolDown: (n) => `${count(n)} in a cool-down or a marketing pause`,
  impressions: (n) => `${count(n)} with more bad impressions than good lately`,
  quietHours: (n) => `${count(n)} kept too long by quiet hours`,
  stale: (n) => `${count(n)} too late to send`,
  cancelled: (n) => `${count(n)} not sent: the broadcast was cancelled`,
  other: (n) => `${count(n)} for other reasons`,
};

const DEFERRED: Record<string, (n: number) => string> = {
  quietHours: (n) => `${count(n)} deferred by quiet hours`,
  caps: (n) => `${count(n)} deferred by the daily caps`,
  coolDown: (n) => `${count(n)} deferred by a cool-down`,
};

/** The non-zero counts of a tally, each in its words. */
const inWords = (tally: Record<string, number>, words: Record<string, (n: number) => string>) =>
  Object.entries(tally)
    .filter(([, value]) => value > 0)
    .map(([kind, value]) => (words[kind] ?? ((n: number) => `${count(n)} ${kind}`))(value));

function StatusBadge({ status }: { status: BroadcastStatus }) {
  return (
    <span class={`state state-${status}`} data-testid="broadcast-status">
      {STATUS_WORDS[status]}
    </span>
  );
}

/** When it goes, in words: now, at a time, or at a local time of day in each customer's zone. */
function sendAtWords(sendAt: SendAt | undefined): string {
  if (sendAt === undefined) return 'now';
  if (typeof sendAt === 'string') return when(sendAt);
  return `${sendAt.localTime} on ${sendAt.date}, in each customer’s time zone`;
}

export function Broadcasts() {
  const can = useCan();
  const list = useLoad(
    () =>
      Promise.all([
        api<{ broadcasts: BroadcastView[] }>('/admin/broadcasts'),
        api<{ segments: SegmentSummary[] }>('/admin/segments').catch(() => ({ segments: [] })),
      ]),
    [],
  );
  // The numbers of a broadcast that sends move on their own: look again while one does.
  useEffect(() => {
    if (!list.data?.[0].broadcasts.some((broadcast) => broadcast.status === 'sending')) return;
    const timer = setTimeout(list.reload, 3000);
    return () => clearTimeout(timer);
  }, [list.data]);
  return (
    <>
      <h1>Broadcasts</h1>
      <p class="lead">
        One-off emails to a segment, now or at a time, through the same contact policy as every journey.
      </p>
      <p>
        {can('POST /admin/broadcasts') ? (
          <a class="button" href={href('broadcasts', 'new')}>
            New broadcast
          </a>
        ) : (
          <ReadOnly what="broadcasts" />
        )}
      </p>
      <Loading state={list}>
        {([{ broadcasts }, { segments }]) =>
          broadcasts.length === 0 ? (
            <p class="empty">No broadcasts yet.</p>
          ) : (
            <div class="card table-scroll">
              <table class="broadcasts">
                <caption>{counted(broadcasts.length, 'broadcast')}, the newest first</caption>
                <thead>
                  <tr>
                    <th scope="col">Broadcast</th>
                    <th scope="col">Segment</th>
                    <th scope="col">Status</th>
                    <th scope="col">Starts / started</th>
                    {['Audience', 'Sent', 'Opened', 'Clicked', 'Converted'].map((title) => (
                      <th key={title} scope="col" class="number">
                        {title}
                      </th>
                    ))}
                  </tr>
                </thead>
                <tbody>
                  {broadcasts.map((broadcast) => (
                    <tr key={broadcast.id}>
                      <NameCell href={href('broadcasts', broadcast.id)} name={broadcast.name}>
                        <div class="help">
                          {broadcast.template} · {broadcast.category}
                        </div>
                      </NameCell>
                      <td>
                        {segments.find((segment) => segment.id === broadcast.segment)?.name ??
                          broadcast.segment}
                      </td>
                      <td>
                        <StatusBadge status={broadcast.status} />
                      </td>
                      <td>{when(broadcast.startedAt ?? broadcast.startsAt)}</td>
                      <td class="number">{count(broadcast.numbers.recipients)}</td>
                      <td class="number">{count(broadcast.numbers.sent)}</td>
                      <td class="number">{count(broadcast.numbers.opened)}</td>
                      <td class="number">{count(broadcast.numbers.clicked)}</td>
                      <td class="number">{count(broadcast.numbers.converted)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )
        }
      </Loading>
    </>
  );
}

function BackLink() {
  return (
    <p>
      <a href={href('broadcasts')}>← All broadcasts</a>
    </p>
  );
}

// ——— Compose ———

interface Draft {
  name: string;
  segment: string;
  template: string;
  category: 'marketing' | 'service';
  when: 'now' | 'at' | 'local';
  /** `datetime-local`: the marketer's own time. */
  at: string;
  date: string;
  localTime: string;
  holdoutPercent: Num;
  guard: boolean;
  quietDays: Num;
  offReason: string;
  conversionEvent: string | string[];
  withinDays: Num;
}

interface Lists {
  segments: SegmentSummary[];
  templates: { name: string; published: number | null; description?: string }[];
  /** The drop-in guard's days when a broadcast does not say (the contact policy's). */
  quietDays: number;
  defaultTimezone: string | null;
}

async function loadLists(): Promise<Lists> {
  const [segments, templates, policy] = await Promise.all([
    api<{ segments: SegmentSummary[] }>('/admin/segments'),
    api<{ templates: Lists['templates'] }>('/admin/templates'),
    api<{ broadcasts?: { quietDays: number }; quietHours?: { defaultTimezone: string | null } }>(
      '/admin/contact-policy',
    ).catch(() => undefined),
  ]);
  return {
    segments: segments.segments,
    templates: templates.templates.filter((template) => template.published !== null),
    // The API's own default when the policy does not set one (broadcastPolicyOf).
    quietDays: policy?.broadcasts?.quietDays ?? 180,
    defaultTimezone: policy?.quietHours?.defaultTimezone ?? null,
  };
}

/** `YYYY-MM-DD` and `HH:MM` in the browser's time zone, `days` from now. */
function localDay(days: number): string {
  const date = new Date(Date.now() + days * 86_400_000);
  const two = (value: number) => String(value).padStart(2, '0');
  return `${date.getFullYear()}-${two(date.getMonth() + 1)}-${two(date.getDate())}`;
}

/** A `datetime-local` value (the browser's time zone) as an ISO time; what was typed when it is not one. */
function isoOf(local: string): string {
  const date = new Date(local);
  return local && !Number.isNaN(date.getTime()) ? date.toISOString() : local;
}

/** The broadcast as the API takes it. */
function definitionOf(draft: Draft) {
  return {
    name: draft.name,
    segment: draft.segment,
    template: draft.template,
    category: draft.category,
    ...(draft.when === 'at' ? { sendAt: isoOf(draft.at) } : {}),
    ...(draft.when === 'local' ? { sendAt: { date: draft.date, localTime: draft.localTime } } : {}),
    ...(draft.holdoutPercent === '' ? {} : { holdoutPercent: draft.holdoutPercent }),
    ...(draft.guard
      ? draft.quietDays === ''
        ? {}
        : { dropInGuard: { quietDays: draft.quietDays } }
      : { dropInGuard: false, dropInGuardOffReason: draft.offReason }),
    conversion: { event: draft.conversionEvent, withinDays: draft.withinDays },
  };
}

/** Six random base-36 characters: a new broadcast's id is chosen once, so sending twice is refused. */
function randomTail(): string {
  return Array.from(crypto.getRandomValues(new Uint8Array(6)), (byte) => (byte % 36).toString(36)).join('');
}

/** `broadcast-<the name's words>-<tail>`, as the API makes one. */
function broadcastId(name: string, tail: string): string {
  const words = name
    .normalize('NFKD')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 40)
    .replace(/-+$/, '');
  return `broadcast-${words ? `${words}-` : ''}${tail}`;
}

export function BroadcastCompose() {
  const lists = useLoad(loadLists, []);
  return (
    <>
      <BackLink />
      <h1>New broadcast</h1>
      <Loading state={lists}>{(data) => <ComposeForm lists={data} />}</Loading>
    </>
  );
}

/** The fields the form shows an error under: any other problem is listed above the Send button. */
const PLACED = [
  'name',
  'segment',
  'template',
  'category',
  'sendAt',
  'sendAt.date',
  'sendAt.localTime',
  'holdoutPercent',
  'dropInGuard',
  'dropInGuard.quietDays',
  'dropInGuardOffReason',
  'conversion.event',
  'conversion.withinDays',
];

function ComposeForm({ lists }: { lists: Lists }) {
  const [draft, setDraft] = useState<Draft>(() => ({
    name: '',
    segment: '',
    template: '',
    category: 'marketing',
    when: 'now',
    at: `${localDay(1)}T10:00`,
    date: localDay(2),
    localTime: '10:00',
    holdoutPercent: 0,
    guard: true,
    quietDays: lists.quietDays,
    offReason: '',
    conversionEvent: 'Order Completed',
    withinDays: 7,
  }));
  const [tail] = useState(randomTail);
  const [problems, setProblems] = useState<Problem[]>([]);
  const [preview, setPreview] = useState<Preview>();
  const [counting, setCounting] = useState(false);
  // After a first Send, the name counts too (before, the numbers come without one).
  const [attempted, setAttempted] = useState(false);
  const [confirming, setConfirming] = useState<Preview>();
  const [status, setStatus] = useState<{ message?: string; tone: 'info' | 'error' }>({ tone: 'info' });
  const [busy, setBusy] = useState(false);
  const sending = useRef(false);
  const set = <K extends keyof Draft>(field: K, value: Draft[K]) =>
    setDraft((current) => ({ ...current, [field]: value }));

  const errorAt = (path: string) => messagesAt(problems, path);
  const at = fieldAt(errorAt);
  const definition = definitionOf(draft);
  const ready = draft.segment !== '' && draft.template !== '';

  /** Asks the API who would receive it: the numbers, or the problems next to their fields. */
  const sequence = useRef(0);
  const check = async (
    body: ReturnType<typeof definitionOf>,
  ): Promise<{ preview: Preview } | { problems: Problem[] } | undefined> => {
    const mine = ++sequence.current;
    setCounting(true);
    try {
      const found = await api<Preview>('/admin/broadcasts/preview', { method: 'POST', body });
      if (mine !== sequence.current) return undefined;
      setPreview(found);
      setProblems([]);
      setStatus((current) => (current.tone === 'error' ? { tone: 'info' } : current));
      return { preview: found };
    } catch (error) {
      if (mine !== sequence.current) return undefined;
      setPreview(undefined);
      const found = error instanceof ApiError ? error.problems : [];
      if (found.length > 0) setProblems(found);
      else setStatus({ message: messageOf(error), tone: 'error' });
      return { problems: found };
    } finally {
      if (mine === sequence.current) setCounting(false);
    }
  };

  // The numbers follow the edits, a moment after the last one.
  const previewBody = { ...definition, name: attempted ? draft.name : draft.name.trim() || 'Untitled' };
  useEffect(() => {
    if (!ready) return;
    const timer = setTimeout(() => void check(previewBody), 400);
    return () => clearTimeout(timer);
  }, [JSON.stringify(previewBody), ready]);

  const send = async () => {
    setAttempted(true);
    setStatus({ tone: 'info' });
    const checked = await check(definition);
    if (!checked) return;
    if ('preview' in checked) setConfirming(checked.preview);
    else if (checked.problems.length > 0)
      setStatus({
        message: `Not sent: ${checked.problems.length === 1 ? 'a problem, shown next to its field' : `${checked.problems.length} problems, shown next to their fields`}.`,
        tone: 'error',
      });
  };

  const id = broadcastId(draft.name, tail);
  const confirm = async () => {
    // One send, however often the button is pressed; the id makes the API refuse a second.
    if (sending.current) return;
    sending.current = true;
    setConfirming(undefined);
    setBusy(true);
    try {
      const created = await api<BroadcastView>('/admin/broadcasts', {
        method: 'POST',
        body: { id, ...definition },
      });
      navigate('broadcasts', created.id);
    } catch (error) {
      // Ours already: an earlier press went through.
      if (error instanceof ApiError && error.status === 409) return navigate('broadcasts', id);
      if (error instanceof ApiError && error.problems.length > 0) setProblems(error.problems);
      setStatus({ message: `Not sent: ${messageOf(error)}`, tone: 'error' });
    } finally {
      sending.current = false;
      setBusy(false);
    }
  };

  const segment = lists.segments.find((candidate) => candidate.id === draft.segment);
  const unplaced = problems.filter((problem) => !PLACED.includes(problem.field));
  const action = draft.when === 'now' ? 'Send now' : 'Schedule';
  const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;

  return (
    <div class="editor broadcast-compose">
      <form
        class="card"
        aria-labelledby="compose-title"
        noValidate
        onSubmit={(event) => {
          event.preventDefault();
          void send();
        }}
      >
        <h2 id="compose-title">The broadcast</h2>
        <div class="fields">
          <TextField
            {...at('name')}
            label="Name"
            value={draft.name}
            onInput={(name) => {
              set('name', name);
              setProblems((current) => current.filter((problem) => problem.field !== 'name'));
            }}
            help="for you and the reports; customers do not see it"
            required
          />
          <Select
            {...at('segment')}
            label="Segment"
            value={draft.segment}
            options={[
              { value: '', label: 'Choose a segment' },
              ...lists.segments.map((option) => ({
                value: option.id,
                label: `${option.name} (${option.status === 'building' ? 'building' : counted(option.count, 'customer')})`,
              })),
            ]}
            onChange={(value) => set('segment', value)}
            help={
              lists.segments.length > 0
                ? 'who it goes to: the members when it starts'
                : 'there are no segments yet: make one under Segments first'
            }
          />
          <Select
            {...at('template')}
            label="Template"
            value={draft.template}
            options={[
              { value: '', label: 'Choose a template' },
              ...lists.templates.map((template) => template.name),
            ]}
            onChange={(value) => set('template', value)}
            help="its published version"
          />
          <Select
            {...at('category')}
            label="Kind of email"
            value={draft.category}
            options={[
              { value: 'marketing', label: 'Marketing' },
              { value: 'service', label: 'Service' },
            ]}
            onChange={(value) => set('category', value as Draft['category'])}
            help={
              draft.category === 'service'
                ? 'also to customers who opted out of marketing: only for what they must know'
                : 'only to subscribers, within the caps and quiet hours'
            }
          />
        </div>

        <fieldset class="when">
          <legend>When</legend>
          <div class="radios">
            {(
              [
                ['now', 'Now'],
                ['at', 'At a time'],
                ['local', 'At a local time in each customer’s time zone'],
              ] as const
            ).map(([value, label]) => (
              <label key={value}>
                <input
                  type="radio"
                  name="when"
                  value={value}
                  checked={draft.when === value}
                  onChange={() => set('when', value)}
                />{' '}
                {label}
              </label>
            ))}
          </div>
          {draft.when === 'at' ? (
            <div class="fields">
              <TextField
                {...at('sendAt')}
                type="datetime-local"
                label={`Send at (your time, ${zone})`}
                value={draft.at}
                onInput={(value) => set('at', value)}
              />
            </div>
          ) : null}
          {draft.when === 'local' ? (
            <div class="fields">
              <TextField
                {...at('sendAt.date', 'sendAt')}
                type="date"
                label="Date"
                value={draft.date}
                onInput={(value) => set('date', value)}
              />
              <TextField
                {...at('sendAt.localTime')}
                type="time"
                label="Local time"
                value={draft.localTime}
                onInput={(value) => set('localTime', value)}
                help={`each customer’s own; where we do not know it: ${lists.defaultTimezone ?? 'UTC'}`}
              />
            </div>
          ) : null}
        </fieldset>

        <div class="fields">
          <NumberField
            {...at('holdoutPercent')}
            label="Holdout (% of customers)"
            value={draft.holdoutPercent}
            onInput={(value) => set('holdoutPercent', value)}
            help="this share is not sent the email, so its effect can be measured (0 to 50)"
          />
        </div>

        <fieldset aria-describedby="dropInGuard-help">
          <legend>Drop-in guard</legend>
          <p class="help" id="dropInGuard-help">
            Leaves out the customers for whom this email would come out of the blue: those with no order,
            visit, email click or consent in the last{' '}
            {draft.quietDays === '' ? lists.quietDays : draft.quietDays} days, and those whose relationship
            with you has ended.
          </p>
          <Checkbox
            {...at('dropInGuard')}
            label="Leave them out"
            checked={draft.guard}
            onChange={(on) => set('guard', on)}
          />
          {draft.guard ? (
            <div class="fields">
              <NumberField
                {...at('dropInGuard.quietDays')}
                label="Quiet for (days)"
                value={draft.quietDays}
                onInput={(value) => set('quietDays', value)}
                help={`7 to 3650; empty: the contact policy’s ${lists.quietDays}`}
              />
            </div>
          ) : (
            <TextArea
              {...at('dropInGuardOffReason')}
              label="Why these people expect this email"
              rows={3}
              spellcheck
              value={draft.offReason}
              onInput={(value) => set('offReason', value)}
              help="Required with the guard off, in a sentence (10 characters or more); kept with the broadcast."
            />
          )}
        </fieldset>

        <fieldset>
          <legend>Conversion</legend>
          <div class="fields">
            <EventNamesField
              {...at('conversion.event')}
              label="Conversion event"
              value={draft.conversionEvent}
              onChange={(value) => set('conversionEvent', value)}
              help="several: separate with commas"
            />
            <NumberField
              {...at('conversion.withinDays')}
              label="Within (days after the email)"
              value={draft.withinDays}
              onInput={(value) => set('withinDays', value)}
              help="1 to 30"
            />
          </div>
        </fieldset>

        <section class="audience" aria-labelledby="audience-title">
          <h2 id="audience-title">Who receives it</h2>
          <Reach preview={preview} ready={ready} counting={counting} problems={problems.length > 0} />
          {unplaced.length > 0 ? (
            <div class="problems" role="alert">
              <ul class="problems-list">
                {unplaced.map((problem) => (
                  <li key={`${problem.field}:${problem.message}`}>
                    <code>{problem.field}</code> {problem.message}
                  </li>
                ))}
              </ul>
            </div>
          ) : null}
          <div class="actions">
            <button type="submit" disabled={busy}>
              {action}…
            </button>
            {draft.when === 'now' ? null : <span class="help">you can cancel it until it starts</span>}
          </div>
          <Status message={status.message} tone={status.tone} />
        </section>
      </form>
      <TemplatePreview template={draft.template} />
      <ConfirmDialog
        open={confirming !== undefined}
        title={confirmTitle(draft, confirming)}
        body={`“${draft.name.trim()}” with ${draft.template} to ${segment?.name ?? draft.segment}. ${
          draft.when === 'now'
            ? 'It goes at once and is sent once: it cannot be taken back.'
            : 'Who receives it is decided when it starts; until then you can cancel it.'
        }`}
        confirmWord={draft.when === 'now' ? 'send' : 'schedule'}
        action={draft.when === 'now' ? 'Send now' : 'Schedule'}
        dismiss="Back to editing"
        onConfirm={() => void confirm()}
        onCancel={() => setConfirming(undefined)}
      />
    </div>
  );
}

function confirmTitle(draft: Draft, preview: Preview | undefined): string {
  const who = preview
    ? `${preview.exact ? '' : 'about '}${counted(preview.recipients, 'customer')}`
    : 'the segment';
  if (draft.when === 'now') return `Send to ${who} now?`;
  if (draft.when === 'at') return `Schedule for ${who} at ${when(isoOf(draft.at))}?`;
  return `Schedule for ${who} at ${draft.localTime} on ${draft.date}, in each customer’s time zone?`;
}

/** How many would receive it, and the others by reason, as the preview counts them now. */
function Reach({
  preview,
  ready,
  counting,
  problems,
}: {
  preview: Preview | undefined;
  ready: boolean;
  counting: boolean;
  problems: boolean;
}) {
  if (!ready) return <p class="empty">Choose a segment and a template to see who would receive it.</p>;
  if (!preview)
    return (
      <p class="empty" role="status" aria-busy={counting ? 'true' : undefined}>
        {problems && !counting ? 'Fix the problems above to see who would receive it.' : 'Counting…'}
      </p>
    );
  const leftOut = [
    ...inWords(preview.skipped, LEFT_OUT),
    ...(preview.heldOut > 0 ? [`${count(preview.heldOut)} held out (holdout)`] : []),
  ];
  const later = inWords(preview.deferred, DEFERRED);
  return (
    <div class="reach" role="status" aria-busy={counting ? 'true' : undefined}>
      <p class="reach-count">
        <strong>
          {preview.exact ? '' : 'About '}
          {count(preview.recipients)} will receive it
        </strong>
        {preview.exact ? null : <span class="badge">estimate</span>}
      </p>
      <p class="help">
        {preview.exact
          ? `${counted(preview.members, 'member')} of the segment now.`
          : `Scaled to the segment’s ${count(preview.members)} members from ${count(preview.evaluated)} looked at.`}
      </p>
      {leftOut.length > 0 ? (
        <>
          <h3>Left out</h3>
          <ul class="reasons">
            {leftOut.map((line) => (
              <li key={line}>{line}</li>
            ))}
          </ul>
        </>
      ) : (
        <p>Nobody is left out.</p>
      )}
      {later.length > 0 ? (
        <>
          <h3>Later (they receive it when they may)</h3>
          <ul class="reasons">
            {later.map((line) => (
              <li key={line}>{line}</li>
            ))}
          </ul>
        </>
      ) : null}
    </div>
  );
}

/** The chosen template's published version, rendered with sample data. */
function TemplatePreview({ template }: { template: string }) {
  const rendered = useLoad(
    () =>
      template
        ? api<{ subject: string; html: string }>(`/admin/templates/${encodeURIComponent(template)}/preview`, {
            method: 'POST',
            body: {},
          })
        : Promise.resolve(null),
    [template],
  );
  return (
    <section class="card preview" aria-labelledby="email-title">
      <h2 id="email-title">The email</h2>
      {template ? (
        <Loading state={rendered}>
          {(email) =>
            email ? (
              <>
                <p class="preview-subject">
                  <span class="help">Subject</span>{' '}
                  <strong data-testid="preview-subject">{email.subject}</strong>
                </p>
                <iframe title="Rendered email" class="preview-frame" sandbox="" srcdoc={email.html} />
                <p class="help">
                  With sample data: each customer sees their own.{' '}
                  <a href={href('templates', template)}>Open the template</a>
                </p>
              </>
            ) : null
          }
        </Loading>
      ) : (
        <p class="empty">The chosen template appears here.</p>
      )}
    </section>
  );
}

// ——— One broadcast ———

export function BroadcastPage({ id }: { id: string }) {
  const can = useCan();
  const loaded = useLoad(
    () =>
      api<BroadcastView>(`/admin/broadcasts/${encodeURIComponent(id)}`).catch((error: unknown) => {
        if (error instanceof ApiError && error.status === 404) throw new Error(`No broadcast with id ${id}.`);
        throw error;
      }),
    [id],
  );
  const segments = useLoad(() => api<{ segments: SegmentSummary[] }>('/admin/segments'), []);
  const [confirming, setConfirming] = useState(false);
  const [status, setStatus] = useState<{ message?: string; tone: 'info' | 'error' }>({ tone: 'info' });
  const view = loaded.data;
  // While it sends, its progress and numbers every 2 s; else now and then: a scheduled one may
  // start, a sent one's deliveries, opens and clicks keep coming.
  useEffect(() => {
    if (!view || view.status === 'cancelled') return;
    const timer = setTimeout(loaded.reload, view.status === 'sending' ? 2000 : 15_000);
    return () => clearTimeout(timer);
  }, [view]);

  const cancel = async () => {
    setConfirming(false);
    try {
      await api(`/admin/broadcasts/${encodeURIComponent(id)}/cancel`, { method: 'POST', body: {} });
      setStatus({ message: 'Cancelled: what had not gone out does not go.', tone: 'info' });
    } catch (error) {
      setStatus({ message: messageOf(error), tone: 'error' });
    }
    loaded.reload();
  };

  return (
    <>
      <BackLink />
      {view ? null : (
        <>
          <h1>Broadcast {id}</h1>
          <Loading state={loaded}>{() => null}</Loading>
        </>
      )}
      {view ? (
        <>
          <h1>{view.name}</h1>
          <p class="lead">
            <StatusBadge status={view.status} /> · {statusWords(view)} · <code>{view.id}</code>
          </p>
          <Status message={status.message} tone={status.tone} />
          {view.status === 'sending' ? <Progress view={view} /> : null}
          <Numbers view={view} />
          <div class="grid-2">
            <section class="card" aria-labelledby="left-out-title">
              <h2 id="left-out-title">Left out</h2>
              <LeftOut view={view} />
            </section>
            <section class="card" aria-labelledby="settings-title">
              <h2 id="settings-title">Settings</h2>
              <Settings
                view={view}
                segment={segments.data?.segments.find((segment) => segment.id === view.segment)?.name}
              />
            </section>
          </div>
          {(view.status === 'scheduled' || view.status === 'sending') &&
          can('POST /admin/broadcasts/{id}/cancel') ? (
            <div class="actions">
              <button type="button" class="danger" onClick={() => setConfirming(true)}>
                Cancel broadcast…
              </button>
              <span class="help">
                {view.status === 'sending'
                  ? 'What has gone out stays sent; the rest does not go.'
                  : 'Nothing goes out.'}
              </span>
            </div>
          ) : null}
          <ConfirmDialog
            open={confirming}
            title={`Cancel “${view.name}”?`}
            body={
              view.status === 'sending'
                ? `It is sending: the ${count(view.numbers.sent)} emails sent stay sent, the rest do not go. A cancelled broadcast cannot be started again.`
                : 'It does not go out. A cancelled broadcast cannot be started again: you would create a new one.'
            }
            confirmWord="cancel"
            action="Cancel broadcast"
            dismiss={view.status === 'sending' ? 'Keep sending' : 'Keep it scheduled'}
            onConfirm={() => void cancel()}
            onCancel={() => setConfirming(false)}
          />
        </>
      ) : null}
    </>
  );
}

function statusWords(view: BroadcastView): string {
  switch (view.status) {
    case 'scheduled':
      return typeof view.sendAt === 'object'
        ? `goes at ${sendAtWords(view.sendAt)} (starting ${when(view.startsAt)})`
        : `goes at ${when(view.startsAt)}`;
    case 'sending':
      return `sending since ${when(view.startedAt ?? view.startsAt)}`;
    case 'sent':
      return `started ${when(view.startedAt ?? view.startsAt)}`;
    case 'cancelled':
      return `cancelled ${when(view.cancelledAt)}`;
  }
}

function Progress({ view }: { view: BroadcastView }) {
  const progress = view.progress;
  if (!progress) return <p aria-busy="true">Starting…</p>;
  return (
    <div class="card broadcast-progress" role="status">
      {progress.done ? (
        <p>
          Every customer is decided: {counted(view.numbers.waiting, 'email')} wait for their moment (a local
          time, quiet hours or the caps).
        </p>
      ) : (
        <p>
          <progress
            max={Math.max(progress.parts, 1)}
            value={progress.partsDone}
            aria-label="Parts of the customers done"
          />{' '}
          Looked at {counted(progress.customersLookedAt, 'customer')} · {count(progress.partsDone)} of{' '}
          {count(progress.parts)} parts done
        </p>
      )}
    </div>
  );
}

/** A number with its rate below it (`—` when there is nothing to divide by). */
function withRate(value: number, rate: number | null, of: string) {
  return (
    <>
      {count(value)}
      <small class="block">{rate === null ? '—' : `${percent(rate)} of ${of}`}</small>
    </>
  );
}

const share = (part: number, whole: number) => (whole > 0 ? part / whole : null);

function Numbers({ view }: { view: BroadcastView }) {
  const n = view.numbers;
  const figures: [string, ComponentChildren][] = [
    // The API's recipients: every member it was decided for, sent, held out or left out.
    [
      'Audience',
      <>
        {count(n.recipients)}
        <small class="block">members decided</small>
      </>,
    ],
    ['Sent', count(n.sent)],
    ['Waiting', count(n.waiting)],
    ['Delivered', withRate(n.delivered, share(n.delivered, n.sent), 'sent')],
    ['Opened', withRate(n.opened, share(n.opened, n.delivered), 'delivered')],
    ['Clicked', withRate(n.clicked, share(n.clicked, n.delivered), 'delivered')],
    ['Converted', withRate(n.converted, n.conversionRate, 'sent')],
  ];
  if (n.failed > 0) figures.push(['Failed', count(n.failed)]);
  if (view.holdoutPercent > 0)
    figures.push(
      [
        'Held out',
        <>
          {count(n.heldOut)}
          <small class="block">
            {count(n.heldOutConverted)} converted
            {n.heldOutConversionRate === null ? '' : ` (${percent(n.heldOutConversionRate)})`}
          </small>
        </>,
      ],
      ['Uplift vs holdout', n.uplift === null ? '—' : points(n.uplift / 100)],
    );
  return <Figures class="broadcast-numbers" label="Numbers" figures={figures} />;
}

function LeftOut({ view }: { view: BroadcastView }) {
  const lines = inWords(view.numbers.skipped, LEFT_OUT);
  if (lines.length === 0)
    return <p>{view.status === 'scheduled' ? 'Nothing yet: it has not started.' : 'Nobody was left out.'}</p>;
  return (
    <ul class="reasons">
      {lines.map((line) => (
        <li key={line}>{line}</li>
      ))}
    </ul>
  );
}

function Settings({ view, segment }: { view: BroadcastView; segment: string | undefined }) {
  const facts: [string, ComponentChildren][] = [
    ['When', sendAtWords(view.sendAt)],
    ['Segment', <a href={href('segments', view.segment)}>{segment ?? view.segment}</a>],
    ['Template', <a href={href('templates', view.template)}>{view.template}</a>],
    ['Kind of email', view.category === 'service' ? 'Service' : 'Marketing'],
    ['Holdout', view.holdoutPercent > 0 ? `${view.holdoutPercent}% of customers` : 'none'],
    [
      'Drop-in guard',
      view.dropInGuard === false
        ? `off: “${view.dropInGuardOffReason ?? ''}”`
        : `on: quiet for ${view.dropInGuard.quietDays} days`,
    ],
    [
      'Conversion',
      `${[view.conversion.event].flat().join(' or ')} within ${counted(view.conversion.withinDays, 'day')}`,
    ],
    ['Created', when(view.createdAt)],
  ];
  return (
    <dl class="facts">
      {facts.map(([term, value]) => (
        <div class="fact" key={term}>
          <dt>{term}</dt>
          <dd>{value}</dd>
        </div>
      ))}
    </dl>
  );
}
