/**
 * Webhooks: our customer events sent to the shop's own systems as signed POSTs. The list; a new
 * webhook's form, whose signing secret is shown once, in a box of its own, right after it is made;
 * a webhook's page with its settings, a test send and its outcome, rotating the secret (shown once
 * too) and deleting, each asked first, and the log of its deliveries with every attempt.
 */

import { useEffect, useRef, useState } from 'preact/hooks';
import {
  EVERY_EVENT,
  WEBHOOK_EVENT_TYPES,
  type WebhookEventType,
} from '../../../shared/domain/webhook-events.ts';
import type { Delivery } from '../../../shared/ports.ts';
import { ReadOnly, useCan } from '../access.tsx';
import { ApiError, api, messagesAt, type Problem } from '../api.ts';
import {
  Checkbox,
  ConfirmDialog,
  FieldError,
  Loading,
  messageOf,
  NameCell,
  Status,
  TextField,
  useLoad,
} from '../components.tsx';
import { count, counted, when } from '../format.ts';
import { href, navigate } from '../router.ts';

const EVENT_TYPES = WEBHOOK_EVENT_TYPES;

const EVENT_HELP: Record<WebhookEventType, string> = {
  'Feedback Given': 'a rating or a reason for leaving, with its comment',
  'Email Replied': 'a reply to one of our emails, with its text',
  'Stage Changed': 'a customer moved to another lifecycle stage',
  'Segment Entered': 'a customer joined a segment',
  'Segment Exited': 'a customer left a segment',
};

interface Webhook {
  id: string;
  url: string;
  events: string[];
  description?: string;
  enabled: boolean;
  createdAt: string;
  updatedAt: string;
}

type WebhookView = Webhook & { deliveries: Delivery[] };

/**
 * A secret just made, kept here only while the console moves to the new webhook's page, which
 * takes it (and it is gone): the API never shows it again.
 */
const freshSecrets = new Map<string, string>();
/** What the list says once, after a webhook was deleted on its page. */
let flash: string | undefined;

const path = (id: string, rest = '') => `/admin/webhooks/${encodeURIComponent(id)}${rest}`;

const eventsWords = (events: readonly string[]) =>
  events.includes(EVERY_EVENT) ? 'All events' : events.join(', ');

/** A time to the second: attempts of one delivery are often within a minute. */
const exactly = (iso: string) => {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : `${date.toISOString().replace('T', ' ').slice(0, 19)} UTC`;
};

function BackLink() {
  return (
    <p>
      <a href={href('webhooks')}>← All webhooks</a>
    </p>
  );
}

export function Webhooks() {
  const can = useCan();
  const list = useLoad(() => api<{ webhooks: Webhook[] }>('/admin/webhooks'), []);
  const [message] = useState(() => {
    const said = flash;
    flash = undefined;
    return said;
  });
  return (
    <>
      <h1>Webhooks</h1>
      <p class="lead">
        Customer events sent to your own systems as they happen: signed POSTs, tried again for 24 hours when
        your side does not answer.
      </p>
      <Status message={message} />
      <p>
        {can('PUT /admin/webhooks/{id}') ? (
          <a class="button" href={href('webhooks', 'new')}>
            New webhook
          </a>
        ) : (
          <ReadOnly what="webhooks" />
        )}
      </p>
      <Loading state={list}>
        {({ webhooks }) =>
          webhooks.length === 0 ? (
            <p class="empty">
              No webhooks yet. Add one to send events to your CRM, help desk or data warehouse.
            </p>
          ) : (
            <div class="card table-scroll">
              <table class="webhooks">
                <caption>{counted(webhooks.length, 'webhook')}</caption>
                <thead>
                  <tr>
                    <th scope="col">Webhook</th>
                    <th scope="col">URL</th>
                    <th scope="col">Events</th>
                    <th scope="col">Status</th>
                    <th scope="col">Changed</th>
                  </tr>
                </thead>
                <tbody>
                  {webhooks.map((webhook) => (
                    <tr key={webhook.id}>
                      <NameCell href={href('webhooks', webhook.id)} name={webhook.id}>
                        {webhook.description ? <div class="help">{webhook.description}</div> : null}
                      </NameCell>
                      <td class="url">
                        <code>{webhook.url}</code>
                      </td>
                      <td>{eventsWords(webhook.events)}</td>
                      <td>
                        <EnabledWord enabled={webhook.enabled} />
                      </td>
                      <td>{when(webhook.updatedAt)}</td>
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

function EnabledWord({ enabled }: { enabled: boolean }) {
  return <span class={`state ${enabled ? 'state-on' : 'state-off'}`}>{enabled ? 'Enabled' : 'Paused'}</span>;
}

// ——— The form: a new webhook, or a webhook's settings ———

interface Draft {
  id: string;
  url: string;
  all: boolean;
  types: string[];
  description: string;
  enabled: boolean;
}

const draftOf = (webhook: Webhook | undefined): Draft => ({
  id: webhook?.id ?? '',
  url: webhook?.url ?? '',
  all: webhook?.events.includes(EVERY_EVENT) ?? false,
  types: webhook?.events.filter((type) => type !== EVERY_EVENT) ?? [],
  description: webhook?.description ?? '',
  enabled: webhook?.enabled ?? true,
});

/** The webhook as the API takes it (the types in the order the form lists them). */
const bodyOf = (draft: Draft) => ({
  url: draft.url.trim(),
  events: draft.all ? [EVERY_EVENT] : EVENT_TYPES.filter((type) => draft.types.includes(type)),
  description: draft.description,
  enabled: draft.enabled,
});

/** The fields the form shows an error under (the events' list by its items too). */
const PLACED = /^(id|url|events(\[\d+\])?|description|enabled)$/;

/** The first field with a problem, to put the focus on. */
function fieldOf(problem: Problem): string {
  if (problem.field.startsWith('events')) return 'events-all';
  return problem.field;
}

function WebhookForm({ webhook, onSaved }: { webhook?: Webhook; onSaved?: (webhook: Webhook) => void }) {
  const creating = webhook === undefined;
  const [draft, setDraft] = useState(() => draftOf(webhook));
  const [problems, setProblems] = useState<Problem[]>([]);
  const [status, setStatus] = useState<{ message?: string; tone: 'info' | 'error' }>({ tone: 'info' });
  const [busy, setBusy] = useState(false);
  const focusProblem = useRef(false);
  const set = <K extends keyof Draft>(field: K, value: Draft[K]) => {
    setDraft((current) => ({ ...current, [field]: value }));
    // What the API said of a field goes once it is changed (the checkboxes make up `events`).
    const named = field === 'all' || field === 'types' ? 'events' : field;
    setProblems((current) => current.filter((problem) => !problem.field.startsWith(named)));
  };
  const errorAt = (field: string) => messagesAt(problems, field);
  const eventsError =
    problems
      .filter((problem) => problem.field === 'events' || problem.field.startsWith('events['))
      .map((problem) => problem.message)
      .join('; ') || undefined;
  const unplaced = problems.filter((problem) => !PLACED.test(problem.field));

  // After a refused save, the focus goes to the first field the API named (keyboard and screen
  // reader users land on what to fix).
  useEffect(() => {
    if (!focusProblem.current || problems.length === 0) return;
    focusProblem.current = false;
    const first = problems.find((problem) => PLACED.test(problem.field));
    if (first) document.getElementById(fieldOf(first))?.focus();
  }, [problems]);

  const refuse = (found: Problem[]) => {
    focusProblem.current = true;
    setProblems(found);
    setStatus({
      message: `Not saved: ${found.length === 1 ? 'a problem, shown next to its field' : `${found.length} problems, shown next to their fields`}.`,
      tone: 'error',
    });
  };

  const save = async () => {
    setStatus({ message: 'Saving…', tone: 'info' });
    const id = draft.id.trim();
    if (creating) {
      if (!/^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/.test(id))
        return refuse([
          {
            field: 'id',
            message: id
              ? 'must be an id: a-z, 0-9 and - (not at the ends), up to 63 characters'
              : 'must be given: the webhook’s name in paths and logs',
          },
        ]);
      if (id === 'new')
        return refuse([{ field: 'id', message: 'is the name of this page: choose another id' }]);
    }
    setBusy(true);
    try {
      if (creating) {
        // Saving changes an existing webhook: a new one must not quietly replace another's settings.
        const existing = await api<Webhook>(path(id)).catch((error: unknown) => {
          if (error instanceof ApiError && error.status === 404) return undefined;
          throw error;
        });
        if (existing) {
          refuse([
            { field: 'id', message: 'is taken by another webhook: choose another id, or open that one' },
          ]);
          return;
        }
      }
      const saved = await api<Webhook & { secret?: string }>(path(creating ? id : (webhook?.id ?? '')), {
        method: 'PUT',
        body: bodyOf(draft),
      });
      setProblems([]);
      if (creating) {
        if (saved.secret) freshSecrets.set(saved.id, saved.secret);
        navigate('webhooks', saved.id);
        return;
      }
      setStatus({ message: 'Saved.', tone: 'info' });
      onSaved?.(saved);
    } catch (error) {
      if (error instanceof ApiError && error.problems.length > 0) refuse(error.problems);
      else setStatus({ message: `Not saved: ${messageOf(error)}`, tone: 'error' });
    } finally {
      setBusy(false);
    }
  };

  return (
    <form
      class={creating ? 'card webhook-form' : 'webhook-form'}
      aria-labelledby={creating ? undefined : 'webhook-settings-title'}
      aria-label={creating ? 'New webhook' : undefined}
      noValidate
      onSubmit={(event) => {
        event.preventDefault();
        void save();
      }}
    >
      <div class="fields">
        {creating ? (
          <TextField
            id="id"
            label="Id"
            value={draft.id}
            onInput={(value) => set('id', value)}
            error={errorAt('id')}
            help="its name in paths and logs: a-z, 0-9 and -, e.g. crm-sync"
            required
          />
        ) : null}
        <TextField
          id="url"
          label="URL"
          value={draft.url}
          onInput={(value) => set('url', value)}
          error={errorAt('url')}
          help="where each event is POSTed: https, e.g. https://shop.example/hooks/lifecycle"
          required
        />
        <TextField
          id="description"
          label="Description (optional)"
          value={draft.description}
          onInput={(value) => set('description', value)}
          error={errorAt('description')}
          help="for you: what receives it (up to 200 characters)"
        />
      </div>
      <fieldset class="webhook-events" aria-describedby={eventsError ? 'events-error' : undefined}>
        <legend>Events to send</legend>
        <Checkbox
          id="events-all"
          label="All events (also the types added later)"
          checked={draft.all}
          onChange={(all) => set('all', all)}
        />
        <ul class="event-types">
          {EVENT_TYPES.map((type) => {
            const id = `events-${type.toLowerCase().replace(/\s+/g, '-')}`;
            return (
              <li key={type} class="field checkbox">
                <input
                  id={id}
                  type="checkbox"
                  checked={draft.all || draft.types.includes(type)}
                  disabled={draft.all}
                  aria-describedby={`${id}-help`}
                  onChange={(event) => {
                    const on = event.currentTarget.checked;
                    set(
                      'types',
                      on ? [...draft.types, type] : draft.types.filter((candidate) => candidate !== type),
                    );
                  }}
                />
                <label for={id}>{type}</label>
                <span class="help" id={`${id}-help`}>
                  {EVENT_HELP[type]}
                </span>
              </li>
            );
          })}
        </ul>
        {draft.all ? <p class="help">With all events chosen, every type above is sent.</p> : null}
        <FieldError id="events-error" message={eventsError} />
      </fieldset>
      <Checkbox
        id="enabled"
        label="Enabled: send it events (a paused webhook keeps its settings and log)"
        checked={draft.enabled}
        onChange={(enabled) => set('enabled', enabled)}
        error={errorAt('enabled')}
      />
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
          {creating ? 'Create webhook' : 'Save changes'}
        </button>
      </div>
      <Status message={status.message} tone={status.tone} />
    </form>
  );
}

export function WebhookCreate() {
  return (
    <>
      <BackLink />
      <h1>New webhook</h1>
      <p class="lead">
        Its signing secret is shown once, right after it is made: have a place ready to store it.
      </p>
      <WebhookForm />
    </>
  );
}

// ——— One webhook ———

/** The signing secret, this once, in a box of its own. */
function SecretBox({
  secret,
  rotated,
  onDismiss,
}: {
  secret: string;
  rotated: boolean;
  onDismiss: () => void;
}) {
  const [copied, setCopied] = useState<string>();
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    heading.current?.focus();
  }, [secret]);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(secret);
      setCopied('Copied to the clipboard.');
    } catch {
      setCopied('Could not copy: select the secret and copy it yourself.');
    }
  };
  return (
    <section class="secret-box" aria-labelledby="secret-title">
      <h2 id="secret-title" ref={heading} tabIndex={-1}>
        {rotated ? 'The new signing secret' : 'The webhook’s signing secret'}
      </h2>
      <p>
        <strong>Copy it now: it will not be shown again.</strong> Store it where your receiver checks the
        Lifecycle-Signature header of each delivery.
        {rotated ? ' The old secret no longer signs deliveries.' : ''}
      </p>
      <div class="secret-row">
        <div class="field">
          <label for="webhook-secret">Signing secret</label>
          <input
            id="webhook-secret"
            class="secret"
            readOnly
            value={secret}
            spellcheck={false}
            onFocus={(event) => event.currentTarget.select()}
          />
        </div>
        <button type="button" onClick={() => void copy()}>
          Copy
        </button>
        <button type="button" class="secondary" onClick={onDismiss}>
          I have stored it
        </button>
      </div>
      <Status message={copied} />
    </section>
  );
}

const STATE_WORDS: Record<Delivery['state'], string> = {
  pending: 'Trying again',
  delivered: 'Delivered',
  dead: 'Given up',
};

export function WebhookPage({ id }: { id: string }) {
  const can = useCan();
  const loaded = useLoad(
    () =>
      api<WebhookView>(path(id)).catch((error: unknown) => {
        if (error instanceof ApiError && error.status === 404) throw new Error(`No webhook with id ${id}.`);
        throw error;
      }),
    [id],
  );
  const [secret, setSecret] = useState<{ value: string; rotated: boolean } | undefined>(() => {
    const value = freshSecrets.get(id);
    freshSecrets.delete(id);
    return value ? { value, rotated: false } : undefined;
  });
  type Said = { message?: string; tone: 'info' | 'error' };
  // Each tool says what came of it next to its button.
  const [said, setSaid] = useState<{ test?: Said; rotate?: Said; remove?: Said }>({});
  const say = (tool: 'test' | 'rotate' | 'remove', message: string, tone: Said['tone'] = 'info') =>
    setSaid((current) => ({ ...current, [tool]: { message, tone } }));
  const [testing, setTesting] = useState(false);
  const [confirming, setConfirming] = useState<'rotate' | 'delete'>();
  const view = loaded.data;
  // A delivery that is tried again changes on its own: look again while one is.
  useEffect(() => {
    if (!view?.deliveries.some((delivery) => delivery.state === 'pending')) return;
    const timer = setTimeout(loaded.reload, 5000);
    return () => clearTimeout(timer);
  }, [view]);

  const test = async () => {
    setTesting(true);
    say('test', 'Sending a test event…');
    try {
      const delivery = await api<Delivery>(path(id, '/test'), { method: 'POST', body: {} });
      const last = delivery.attempts.at(-1);
      if (delivery.state === 'delivered')
        say(
          'test',
          `Test delivered: ${last?.outcome ?? 'answered'}${last ? ` in ${count(last.ms)} ms` : ''}.`,
        );
      else say('test', `Test not delivered: ${delivery.reason ?? last?.outcome ?? 'no answer'}.`, 'error');
    } catch (error) {
      say('test', `Could not send the test: ${messageOf(error)}`, 'error');
    } finally {
      setTesting(false);
    }
    loaded.reload();
  };

  const rotate = async () => {
    setConfirming(undefined);
    try {
      const rotated = await api<Webhook & { secret: string }>(path(id, '/secret'), {
        method: 'POST',
        body: {},
      });
      setSecret({ value: rotated.secret, rotated: true });
      say('rotate', 'Rotated: the new secret is shown above, this once.');
    } catch (error) {
      say('rotate', `Not rotated: ${messageOf(error)}`, 'error');
    }
  };

  const remove = async () => {
    setConfirming(undefined);
    try {
      await api(path(id), { method: 'DELETE' });
      flash = `Deleted the webhook ${id}: nothing more is sent to it.`;
      navigate('webhooks');
    } catch (error) {
      say('remove', `Not deleted: ${messageOf(error)}`, 'error');
    }
  };

  return (
    <>
      <BackLink />
      {view ? null : (
        <>
          <h1>Webhook {id}</h1>
          <Loading state={loaded}>{() => null}</Loading>
        </>
      )}
      {view ? (
        <>
          <h1>{view.id}</h1>
          <p class="lead">
            <EnabledWord enabled={view.enabled} /> · {eventsWords(view.events)} to <code>{view.url}</code>
            {view.description ? ` · ${view.description}` : ''}
          </p>
          {secret ? (
            <SecretBox
              secret={secret.value}
              rotated={secret.rotated}
              onDismiss={() => setSecret(undefined)}
            />
          ) : null}
          <div class="grid-2">
            <section class="card" aria-labelledby="webhook-settings-title">
              <h2 id="webhook-settings-title">Settings</h2>
              {can('PUT /admin/webhooks/{id}') ? (
                <WebhookForm webhook={view} onSaved={() => loaded.reload()} />
              ) : (
                <ReadOnly what="webhooks" />
              )}
            </section>
            {can('POST /admin/webhooks/{id}/test') ? (
              <section class="card webhook-tools" aria-labelledby="webhook-tools-title">
                <h2 id="webhook-tools-title">Test, secret and removal</h2>
                <h3>Send a test event</h3>
                <p class="help">
                  A <code>Webhook Test</code> event, signed like every delivery, sent once now whatever the
                  webhook subscribes to; the outcome shows below and in the log.
                </p>
                <div class="actions">
                  <button type="button" onClick={() => void test()} disabled={testing}>
                    Send a test event
                  </button>
                </div>
                <Status message={said.test?.message} tone={said.test?.tone} />
                <h3>Signing secret</h3>
                <p class="help">
                  A new secret replaces the old one at once: your receiver must have it before the next
                  delivery.
                </p>
                <div class="actions">
                  <button type="button" class="secondary" onClick={() => setConfirming('rotate')}>
                    Rotate secret…
                  </button>
                </div>
                <Status message={said.rotate?.message} tone={said.rotate?.tone} />
                <h3>Delete</h3>
                <p class="help">Nothing more is sent to it; its log goes with it.</p>
                <div class="actions">
                  <button type="button" class="danger" onClick={() => setConfirming('delete')}>
                    Delete webhook…
                  </button>
                </div>
                <Status message={said.remove?.message} tone={said.remove?.tone} />
              </section>
            ) : null}
          </div>
          <DeliveryLog deliveries={view.deliveries} />
          <ConfirmDialog
            open={confirming === 'rotate'}
            title={`Rotate the signing secret of ${view.id}?`}
            body="A new secret is made and shown once; the old one stops signing deliveries at once, so your receiver refuses them until it has the new one."
            confirmWord="rotate"
            action="Rotate secret"
            dismiss="Keep the secret"
            onConfirm={() => void rotate()}
            onCancel={() => setConfirming(undefined)}
          />
          <ConfirmDialog
            open={confirming === 'delete'}
            title={`Delete the webhook ${view.id}?`}
            body="Nothing more is sent to it, and its delivery log is gone. This cannot be undone."
            confirmWord={view.id}
            action="Delete for good"
            dismiss="Keep it"
            onConfirm={() => void remove()}
            onCancel={() => setConfirming(undefined)}
          />
        </>
      ) : null}
    </>
  );
}

/** A delivery's body as JSON to read (as sent when it does not parse). */
function pretty(body: string): string {
  try {
    return JSON.stringify(JSON.parse(body), null, 2);
  } catch {
    return body;
  }
}

function DeliveryLog({ deliveries }: { deliveries: Delivery[] }) {
  const newestFirst = [...deliveries].sort((a, b) =>
    a.createdAt < b.createdAt ? 1 : a.createdAt > b.createdAt ? -1 : 0,
  );
  return (
    <section class="card" aria-labelledby="deliveries-title">
      <h2 id="deliveries-title">Deliveries</h2>
      {newestFirst.length === 0 ? (
        <p class="empty">Nothing sent yet. Send a test event to see one here.</p>
      ) : (
        <div class="table-scroll">
          <table class="deliveries">
            <caption>
              The latest {counted(newestFirst.length, 'delivery', 'deliveries')}, the newest first
            </caption>
            <thead>
              <tr>
                <th scope="col">Time</th>
                <th scope="col">Event</th>
                <th scope="col">State</th>
                <th scope="col">Attempts</th>
                <th scope="col">Next attempt or reason</th>
              </tr>
            </thead>
            <tbody>
              {newestFirst.map((delivery) => (
                <tr key={delivery.id}>
                  <td class="nowrap">{exactly(delivery.createdAt)}</td>
                  <th scope="row">
                    {delivery.type}
                    <details>
                      <summary>Body</summary>
                      <pre class="delivery-body">{pretty(delivery.body)}</pre>
                    </details>
                  </th>
                  <td>
                    <span class={`state state-${delivery.state}`}>{STATE_WORDS[delivery.state]}</span>
                  </td>
                  <td>
                    {delivery.attempts.length === 0 ? (
                      'none yet'
                    ) : (
                      <ol class="attempts">
                        {delivery.attempts.map((attempt, index) => (
                          <li key={`${attempt.at}-${index}`}>
                            <time dateTime={attempt.at}>{exactly(attempt.at)}</time>: {attempt.outcome}{' '}
                            <small>({count(attempt.ms)} ms)</small>
                          </li>
                        ))}
                      </ol>
                    )}
                  </td>
                  <td>
                    {delivery.state === 'pending' && delivery.nextAttemptAt
                      ? `next attempt ${exactly(delivery.nextAttemptAt)}`
                      : delivery.state === 'dead'
                        ? (delivery.reason ?? '—')
                        : '—'}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
