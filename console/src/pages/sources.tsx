/**
 * Sources: where events come from. The list with today's numbers; a new source's form, after which
 * a Segment source's write key is shown once, in a box of its own, and a shop platform's source
 * shows the webhook URL to paste and the topics to tick; a source's page with its keys or secrets
 * and their dates, setting a platform's signing secret, rotating with a grace, and revoking, each
 * asked first (revoking by typing the source's id).
 */

import { useEffect, useRef, useState } from 'preact/hooks';
import { ReadOnly, useCan } from '../access.tsx';
import { ApiError, api, messagesAt, type Problem } from '../api.ts';
import {
  ConfirmDialog,
  FieldError,
  Figures,
  Loading,
  messageOf,
  type Num,
  NumberField,
  Select,
  Status,
  TextField,
  useLoad,
} from '../components.tsx';
import { count, counted, when } from '../format.ts';
import { href, navigate } from '../router.ts';

type Kind = 'segment' | 'shopify' | 'woocommerce' | 'stripe';
type Platform = Exclude<Kind, 'segment'>;
type OrderOn = 'created' | 'paid';

interface SourceView {
  id: string;
  kind: Kind;
  name: string;
  createdAt: string;
  status: 'active' | 'revoked';
  revokedAt?: string;
  orderOn?: OrderOn;
  webhookUrl?: string;
  signingSecret?: 'set' | 'missing';
  credentials: { createdAt: string; retiresAt?: string; active: boolean }[];
  lastEventAt: string | null;
  today: { accepted: number; rejected: number; ignored: number; latestRejections: string[] };
}

const KINDS: readonly Kind[] = ['segment', 'shopify', 'woocommerce', 'stripe'];

const KIND_WORDS: Record<Kind, string> = {
  segment: 'Segment (a website or server)',
  shopify: 'Shopify',
  woocommerce: 'WooCommerce',
  stripe: 'Stripe',
};

const KIND_HELP: Record<Kind, string> = {
  segment: 'a site or server sending Segment calls, with a write key of its own',
  shopify: 'a Shopify shop posting its webhooks (orders, refunds, customers, checkouts, shipments)',
  woocommerce: 'a WooCommerce shop posting its webhooks (orders, refunds, customers)',
  stripe: 'a Stripe account posting its events (checkouts, paid invoices, refunds, customers)',
};

/** Where each platform shows (or takes) the secret it signs its webhooks with. */
const SECRET_HELP: Record<Platform, string> = {
  shopify:
    'optional now: Shopify shows it under Settings → Notifications → Webhooks (“Your webhooks will be signed with …”)',
  woocommerce:
    'optional now: the Secret you put in each of the shop’s webhooks (WooCommerce → Settings → Advanced → Webhooks)',
  stripe:
    'optional now: Stripe shows the endpoint’s secret (whsec_…) once you have added the endpoint; set it on the next page',
};

interface Topic {
  topic: string;
  /** The platform's own name for it, where its admin lists names rather than topics. */
  label?: string;
  gives: string;
}

/** What to tick in each platform, and the events each topic becomes (the mappers' own). */
const TOPICS: Record<Platform, (orderOn: OrderOn) => Topic[]> = {
  shopify: (orderOn) => [
    orderOn === 'paid'
      ? { topic: 'orders/paid', label: 'Order payment', gives: 'Order Completed, and the buyer’s details' }
      : {
          topic: 'orders/create',
          label: 'Order creation',
          gives: 'Order Completed, and the buyer’s details',
        },
    { topic: 'refunds/create', label: 'Refund create', gives: 'Order Refunded' },
    {
      topic: 'customers/create',
      label: 'Customer creation',
      gives: 'identify, with the marketing consent',
    },
    {
      topic: 'customers/update',
      label: 'Customer update',
      gives: 'identify, with the marketing consent; Marketing Unsubscribed when they unsubscribe',
    },
    {
      topic: 'checkouts/create',
      label: 'Checkout creation',
      gives: 'Checkout Started, with the recovery URL',
    },
    { topic: 'checkouts/update', label: 'Checkout update', gives: 'Checkout Started (once per checkout)' },
    { topic: 'fulfillments/create', label: 'Fulfillment creation', gives: 'Order Shipped' },
    { topic: 'orders/fulfilled', label: 'Order fulfillment', gives: 'Order Shipped (the same event)' },
  ],
  woocommerce: () => [
    { topic: 'order.created', label: 'Order created', gives: 'Order Completed, and the buyer’s details' },
    {
      topic: 'order.updated',
      label: 'Order updated',
      gives: 'Order Completed once paid; Order Refunded for each refund',
    },
    { topic: 'customer.created', label: 'Customer created', gives: 'identify' },
    { topic: 'customer.updated', label: 'Customer updated', gives: 'identify' },
  ],
  stripe: () => [
    { topic: 'checkout.session.completed', gives: 'Order Completed, once paid' },
    {
      topic: 'checkout.session.async_payment_succeeded',
      gives: 'Order Completed, for a session paid later (a bank debit)',
    },
    { topic: 'invoice.paid', gives: 'Order Completed (subscriptions and invoices)' },
    { topic: 'charge.refunded', gives: 'Order Refunded, each refund its own amount' },
    { topic: 'customer.created', gives: 'identify' },
    { topic: 'customer.updated', gives: 'identify' },
  ],
};

/** Where to paste the URL, in the platform's own words. */
const STEPS: Record<Platform, string[]> = {
  shopify: [
    'In Shopify’s admin open Settings → Notifications → Webhooks, and choose Create webhook.',
    'Event: a topic below. Format: JSON. URL: the webhook URL above. Webhook API version: the latest stable one. Save.',
    'Make one webhook per topic, each with the same URL.',
    'Shopify signs every webhook with the key it shows below the list (“Your webhooks will be signed with …”): that is this source’s signing secret.',
  ],
  woocommerce: [
    'In WordPress open WooCommerce → Settings → Advanced → Webhooks, and choose Add webhook.',
    'Status: Active. Topic: a topic below. Delivery URL: the webhook URL above. Secret: one secret, the same in every webhook of this source. API version: WP REST API Integration v3. Save.',
    'Make one webhook per topic. WooCommerce pings the URL when a webhook is saved: that is answered and not counted.',
  ],
  stripe: [
    'In Stripe’s Dashboard open Developers → Webhooks, and choose Add endpoint.',
    'Endpoint URL: the webhook URL above. Select the events below. Add endpoint.',
    'On the endpoint’s page, reveal its Signing secret (whsec_…): that is this source’s signing secret.',
  ],
};

/**
 * A write key just made, kept here only while the console moves to the source's page, which takes
 * it (and it is gone): the API never shows it again.
 */
const freshKeys = new Map<string, string>();
/** What the list says once, after a source was revoked on its page. */
let flash: string | undefined;

const path = (id: string, rest = '') => `/admin/sources/${encodeURIComponent(id)}${rest}`;
const isPlatform = (kind: Kind): kind is Platform => kind !== 'segment';
const MAX_GRACE_HOURS = 720;

/** The default source's key came with the installation: its stored date means nothing. */
const since = (iso: string) => (iso.startsWith('1970-') ? 'with the installation' : when(iso));

function BackLink() {
  return (
    <p>
      <a href={href('sources')}>← All sources</a>
    </p>
  );
}

/** A source's state in words (its colour only repeats them). */
function StatusWord({ source }: { source: SourceView }) {
  if (source.status === 'revoked')
    return <span class="state state-revoked">Revoked {when(source.revokedAt)}</span>;
  if (source.signingSecret === 'missing')
    return <span class="state state-waiting">Active, no signing secret yet: deliveries are refused</span>;
  return <span class="state state-on">Active</span>;
}

function Rejections({ reasons }: { reasons: string[] }) {
  if (reasons.length === 0) return <>—</>;
  return (
    <ul class="rejections">
      {reasons.map((reason, index) => (
        <li key={`${index}-${reason}`}>
          <code class="rejection">{reason}</code>
        </li>
      ))}
    </ul>
  );
}

export function Sources() {
  const can = useCan();
  const list = useLoad(() => api<{ sources: SourceView[] }>('/admin/sources'), []);
  const [message] = useState(() => {
    const said = flash;
    flash = undefined;
    return said;
  });
  return (
    <>
      <h1>Sources</h1>
      <p class="lead">
        Where events come from: a website or server sending Segment calls with a write key of its own, or a
        shop on Shopify, WooCommerce or Stripe posting its webhooks. Today’s numbers count from midnight UTC.
      </p>
      <Status message={message} />
      <p>
        {can('POST /admin/sources') ? (
          <a class="button" href={href('sources', 'new')}>
            New source
          </a>
        ) : (
          <ReadOnly what="sources" />
        )}
      </p>
      <Loading state={list}>
        {({ sources }) => (
          <div class="card table-scroll">
            <table class="sources">
              <caption>{counted(sources.length, 'source')}</caption>
              <thead>
                <tr>
                  <th scope="col">Source</th>
                  <th scope="col">Kind</th>
                  <th scope="col">Status</th>
                  <th scope="col">Last event seen</th>
                  <th scope="col" class="number">
                    Accepted today
                  </th>
                  <th scope="col" class="number">
                    Rejected today
                  </th>
                  <th scope="col" class="number">
                    Ignored today
                  </th>
                  <th scope="col">Latest rejections</th>
                </tr>
              </thead>
              <tbody>
                {sources.map((source) => (
                  <tr key={source.id}>
                    <th scope="row">
                      <a href={href('sources', source.id)}>{source.name}</a>
                      <div class="help">
                        <code class="source-id">{source.id}</code>
                      </div>
                    </th>
                    <td data-label="Kind">{KIND_WORDS[source.kind]}</td>
                    <td data-label="Status">
                      <StatusWord source={source} />
                    </td>
                    <td data-label="Last event seen">
                      {source.lastEventAt ? when(source.lastEventAt) : 'none in 7 days'}
                    </td>
                    <td data-label="Accepted today" class="number">
                      {count(source.today.accepted)}
                    </td>
                    <td data-label="Rejected today" class="number">
                      {count(source.today.rejected)}
                    </td>
                    <td data-label="Ignored today" class="number">
                      {count(source.today.ignored)}
                    </td>
                    <td data-label="Latest rejections">
                      <Rejections reasons={source.today.latestRejections} />
                    </td>
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

// ——— A new source ———

interface Draft {
  kind: Kind;
  name: string;
  orderOn: OrderOn;
  signingSecret: string;
}

/** The source as the API takes it: the platforms' settings only for a platform. */
const bodyOf = (draft: Draft) => ({
  kind: draft.kind,
  name: draft.name,
  ...(draft.kind === 'shopify' || draft.kind === 'woocommerce' ? { orderOn: draft.orderOn } : {}),
  ...(isPlatform(draft.kind) && draft.signingSecret.trim() ? { signingSecret: draft.signingSecret } : {}),
});

const PLACED = /^(kind|name|orderOn|signingSecret)$/;
/** The element to focus for a field the API named. */
const focusIdOf = (field: string) => (field === 'orderOn' ? 'orderOn-paid' : field);

function SourceForm() {
  const [draft, setDraft] = useState<Draft>({
    kind: 'segment',
    name: '',
    orderOn: 'paid',
    signingSecret: '',
  });
  const [problems, setProblems] = useState<Problem[]>([]);
  const [status, setStatus] = useState<{ message?: string; tone: 'info' | 'error' }>({ tone: 'info' });
  const [busy, setBusy] = useState(false);
  const focusProblem = useRef(false);
  const set = <K extends keyof Draft>(field: K, value: Draft[K]) => {
    setDraft((current) => ({ ...current, [field]: value }));
    setProblems((current) => current.filter((problem) => problem.field !== field));
  };
  const errorAt = (field: string) => messagesAt(problems, field);
  const unplaced = problems.filter((problem) => !PLACED.test(problem.field));
  const platform = isPlatform(draft.kind) ? draft.kind : undefined;

  useEffect(() => {
    if (!focusProblem.current || problems.length === 0) return;
    focusProblem.current = false;
    const first = problems.find((problem) => PLACED.test(problem.field));
    if (first) document.getElementById(focusIdOf(first.field))?.focus();
  }, [problems]);

  const save = async () => {
    setStatus({ message: 'Creating…', tone: 'info' });
    setBusy(true);
    try {
      const created = await api<SourceView & { writeKey?: string }>('/admin/sources', {
        method: 'POST',
        body: bodyOf(draft),
      });
      if (created.writeKey) freshKeys.set(created.id, created.writeKey);
      navigate('sources', created.id);
    } catch (error) {
      if (error instanceof ApiError && error.problems.length > 0) {
        focusProblem.current = true;
        setProblems(error.problems);
        setStatus({
          message: `Not created: ${error.problems.length === 1 ? 'a problem, shown next to its field' : `${error.problems.length} problems, shown next to their fields`}.`,
          tone: 'error',
        });
      } else setStatus({ message: `Not created: ${messageOf(error)}`, tone: 'error' });
    } finally {
      setBusy(false);
    }
  };

  const orderError = errorAt('orderOn');
  return (
    <form
      class="card source-form"
      aria-label="New source"
      noValidate
      onSubmit={(event) => {
        event.preventDefault();
        void save();
      }}
    >
      <div class="fields">
        <Select
          id="kind"
          label="Kind"
          value={draft.kind}
          options={KINDS.map((kind) => ({ value: kind, label: KIND_WORDS[kind] }))}
          onChange={(kind) => set('kind', kind as Kind)}
          error={errorAt('kind')}
          help={KIND_HELP[draft.kind]}
        />
        <TextField
          id="name"
          label="Name"
          value={draft.name}
          onInput={(value) => set('name', value)}
          error={errorAt('name')}
          help="for you, and on each customer’s timeline (“via …”): e.g. Landing pages, Main Street shop"
          required
        />
      </div>
      {platform === 'shopify' || platform === 'woocommerce' ? (
        <fieldset class="choices" aria-describedby={orderError ? 'orderOn-error' : 'orderOn-help'}>
          <legend>An order counts</legend>
          {(
            [
              ['paid', 'When it is paid (recommended)'],
              ['created', 'When it is placed, paid or not'],
            ] as const
          ).map(([value, words]) => (
            <label key={value} class="choice" for={`orderOn-${value}`}>
              <input
                id={`orderOn-${value}`}
                class="choice-radio"
                type="radio"
                name="orderOn"
                value={value}
                checked={draft.orderOn === value}
                aria-invalid={orderError ? 'true' : undefined}
                onChange={() => set('orderOn', value)}
              />{' '}
              {words}
            </label>
          ))}
          <p class="help" id="orderOn-help">
            An order counts once, as Order Completed: journeys such as the welcome kit start then.
          </p>
          <FieldError id="orderOn-error" message={orderError} />
        </fieldset>
      ) : null}
      {platform === 'stripe' ? (
        <p class="help">Stripe reports payments: an order counts when it is paid.</p>
      ) : null}
      {platform ? (
        <div class="fields">
          <TextField
            id="signingSecret"
            label="Signing secret (optional)"
            value={draft.signingSecret}
            onInput={(value) => set('signingSecret', value)}
            error={errorAt('signingSecret')}
            help={SECRET_HELP[platform]}
          />
        </div>
      ) : null}
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
          Create source
        </button>
      </div>
      <Status message={status.message} tone={status.tone} />
    </form>
  );
}

export function SourceCreate() {
  return (
    <>
      <BackLink />
      <h1>New source</h1>
      <p class="lead">
        A Segment source’s write key is shown once, right after it is made: have a place ready to store it. A
        shop platform’s source gives you the webhook URL to paste into the platform.
      </p>
      <SourceForm />
    </>
  );
}

// ——— One source ———

/** A value to copy, with its button and what came of it. */
function CopyRow({
  id,
  label,
  copyLabel,
  value,
}: {
  id: string;
  label: string;
  /** The button's words (visible, and its name). */
  copyLabel: string;
  value: string;
}) {
  const [copied, setCopied] = useState<string>();
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(value);
      setCopied('Copied to the clipboard.');
    } catch {
      setCopied(`Could not copy: select the ${label.toLowerCase()} and copy it yourself.`);
    }
  };
  return (
    <>
      <div class="secret-row">
        <div class="field">
          <label for={id}>{label}</label>
          <input
            id={id}
            class="secret"
            readOnly
            value={value}
            spellcheck={false}
            onFocus={(event) => event.currentTarget.select()}
          />
        </div>
        <button type="button" onClick={() => void copy()}>
          {copyLabel}
        </button>
      </div>
      <Status message={copied} />
    </>
  );
}

/**
 * The address of the tracking API, for the Segment libraries' `host`: the webhook URLs' (the
 * API's public address) when a platform source shows one, else this page's own (the local stack
 * serves the console and the API together).
 */
function useTrackingHost(): string {
  const list = useLoad(() => api<{ sources: SourceView[] }>('/admin/sources'), []);
  const url = list.data?.sources.find((source) => source.webhookUrl)?.webhookUrl;
  return url ? url.replace(/\/webhooks\/.*$/, '') : location.origin;
}

/** The write key, this once, in a box of its own, with how to use it. */
function KeyBox({
  writeKey,
  rotated,
  onDismiss,
}: {
  writeKey: string;
  rotated: boolean;
  onDismiss: () => void;
}) {
  const heading = useRef<HTMLHeadingElement>(null);
  const host = useTrackingHost();
  useEffect(() => {
    heading.current?.focus();
  }, [writeKey]);
  const hostname = host.replace(/^https?:\/\//, '');
  const protocol = host.startsWith('http://') ? 'http' : 'https';
  return (
    <section class="secret-box" aria-labelledby="key-title">
      <h2 id="key-title" ref={heading} tabIndex={-1}>
        {rotated ? 'The new write key' : 'The source’s write key'}
      </h2>
      <p>
        <strong>Copy it now: it will not be shown again.</strong> Only its digest is kept.
        {rotated ? ' The old key keeps working for the grace you chose, then stops.' : ''}
      </p>
      <CopyRow id="write-key" label="Write key" copyLabel="Copy the key" value={writeKey} />
      <h3>Use it</h3>
      <p class="help">
        Any Segment library works: give it this key as the write key, and this installation’s tracking API as
        the host ({host}).
      </p>
      <pre class="snippet">
        {`// Node: @segment/analytics-node
new Analytics({ writeKey: '${writeKey}', host: '${host}' });

// Browser: analytics.js, pointed at our host as for a Segment proxy
AnalyticsBrowser.load(
  { writeKey: '${writeKey}', cdnSettings: { integrations: { 'Segment.io': { apiKey: '${writeKey}' } } } },
  { integrations: { 'Segment.io': { apiHost: '${hostname}/v1', protocol: '${protocol}' } } },
);

# Any HTTP client: Basic auth, the key as the user name
curl -u '${writeKey}:' ${host}/v1/track -H 'content-type: application/json' \\
  -d '{"userId": "ada", "event": "Product Viewed"}'`}
      </pre>
      <div class="actions">
        <button type="button" class="secondary" onClick={onDismiss}>
          I have stored it
        </button>
      </div>
    </section>
  );
}

/** What to paste where in the platform, and which topics to tick. */
function ConnectBox({ source, platform }: { source: SourceView; platform: Platform }) {
  const topics = TOPICS[platform](source.orderOn ?? 'paid');
  const name = KIND_WORDS[platform];
  return (
    <section class="card connect" aria-labelledby="connect-title">
      <h2 id="connect-title">Connect {name}</h2>
      {source.webhookUrl ? (
        <CopyRow id="webhook-url" label="Webhook URL" copyLabel="Copy the URL" value={source.webhookUrl} />
      ) : null}
      <ol class="steps">
        {STEPS[platform].map((step) => (
          <li key={step}>{step}</li>
        ))}
      </ol>
      <h3 id="topics-title">{platform === 'stripe' ? 'Events to select' : 'Topics to tick'}</h3>
      <ul class="topics" aria-labelledby="topics-title">
        {topics.map((topic) => (
          <li key={topic.topic}>
            <code>{topic.topic}</code>
            {topic.label ? ` (${topic.label})` : ''}: {topic.gives}
          </li>
        ))}
      </ul>
      <p class="help">
        {platform === 'shopify'
          ? `Orders count ${source.orderOn === 'created' ? 'when placed: orders/paid is not needed' : 'once paid: orders/create is not needed'}. `
          : ''}
        Any other topic is answered, counted as ignored, and changes nothing. Every topic, field and answer:
        docs/{platform}.md.
      </p>
    </section>
  );
}

type Said = { message?: string; tone: 'info' | 'error' };

export function SourcePage({ id }: { id: string }) {
  const can = useCan();
  const loaded = useLoad(
    () =>
      api<SourceView>(path(id)).catch((error: unknown) => {
        if (error instanceof ApiError && error.status === 404) throw new Error(`No source with id ${id}.`);
        throw error;
      }),
    [id],
  );
  const [key, setKey] = useState<{ value: string; rotated: boolean } | undefined>(() => {
    const value = freshKeys.get(id);
    freshKeys.delete(id);
    return value ? { value, rotated: false } : undefined;
  });
  const [graceHours, setGraceHours] = useState<Num>(24);
  const [newSecret, setNewSecret] = useState('');
  const [problems, setProblems] = useState<Problem[]>([]);
  const [said, setSaid] = useState<{ rotate?: Said; revoke?: Said }>({});
  const [confirming, setConfirming] = useState<'rotate' | 'revoke'>();
  const [busy, setBusy] = useState(false);
  const say = (tool: 'rotate' | 'revoke', message: string, tone: Said['tone'] = 'info') =>
    setSaid((current) => ({ ...current, [tool]: { message, tone } }));
  const view = loaded.data;
  const platform = view && isPlatform(view.kind) ? view.kind : undefined;
  const missing = view?.signingSecret === 'missing';
  const errorAt = (field: string) => messagesAt(problems, field);

  /** What the API would refuse, said before asking: the grace, and a platform's new secret. */
  const check = (): Problem[] => {
    const found: Problem[] = [];
    if (
      !missing &&
      (typeof graceHours !== 'number' ||
        !Number.isInteger(graceHours) ||
        graceHours < 0 ||
        graceHours > MAX_GRACE_HOURS)
    )
      found.push({
        field: 'graceHours',
        message: `must be a whole number of hours from 0 to ${MAX_GRACE_HOURS}`,
      });
    if (platform && newSecret.trim().length < 8)
      found.push({
        field: 'signingSecret',
        message: `must be the signing secret ${KIND_WORDS[platform]} shows you (at least 8 characters)`,
      });
    return found;
  };

  const refuse = (found: Problem[]) => {
    setProblems(found);
    say(
      'rotate',
      `Not ${missing ? 'set' : 'rotated'}: ${found.length === 1 ? 'a problem, shown next to its field' : `${found.length} problems, shown next to their fields`}.`,
      'error',
    );
    const first = found[0];
    if (first) document.getElementById(first.field === 'graceHours' ? 'grace-hours' : 'new-secret')?.focus();
  };

  const ask = () => {
    const found = check();
    if (found.length > 0) return refuse(found);
    setProblems([]);
    // Setting the first secret retires nothing: nothing to ask.
    if (missing) void rotate();
    else setConfirming('rotate');
  };

  const rotate = async () => {
    setConfirming(undefined);
    setBusy(true);
    say('rotate', missing ? 'Saving the signing secret…' : 'Rotating…');
    try {
      const rotated = await api<SourceView & { writeKey?: string }>(path(id, '/rotate'), {
        method: 'POST',
        body: {
          graceHours: missing ? 0 : Number(graceHours),
          ...(platform ? { signingSecret: newSecret.trim() } : {}),
        },
      });
      setNewSecret('');
      if (rotated.writeKey) setKey({ value: rotated.writeKey, rotated: true });
      const grace = Number(graceHours);
      say(
        'rotate',
        missing
          ? 'Signing secret saved: deliveries signed with it are taken.'
          : `Rotated: ${rotated.writeKey ? 'the new key is shown above, this once' : 'deliveries signed with the new secret are taken'}; the old ${platform ? 'secret' : 'key'} ${grace === 0 ? 'stopped at once' : `works for ${counted(grace, 'hour')} more`}.`,
      );
      loaded.reload();
    } catch (error) {
      if (error instanceof ApiError && error.problems.length > 0) refuse(error.problems);
      else say('rotate', `Not ${missing ? 'set' : 'rotated'}: ${messageOf(error)}`, 'error');
    } finally {
      setBusy(false);
    }
  };

  const revoke = async () => {
    setConfirming(undefined);
    try {
      await api(path(id, '/revoke'), { method: 'POST', body: {} });
      flash = `Revoked the source ${id}: its ${platform ? 'deliveries are' : 'key is'} refused from now on.`;
      navigate('sources');
    } catch (error) {
      say('revoke', `Not revoked: ${messageOf(error)}`, 'error');
    }
  };

  const credential = platform ? 'signing secret' : 'write key';
  return (
    <>
      <BackLink />
      {view ? null : (
        <>
          <h1>Source {id}</h1>
          <Loading state={loaded}>{() => null}</Loading>
        </>
      )}
      {view ? (
        <>
          <h1>{view.name}</h1>
          <p class="lead">
            {KIND_WORDS[view.kind]} · <StatusWord source={view} /> · <code>{view.id}</code> · created{' '}
            {since(view.createdAt)}
          </p>
          {key ? (
            <KeyBox writeKey={key.value} rotated={key.rotated} onDismiss={() => setKey(undefined)} />
          ) : null}
          {platform && view.status === 'active' ? <ConnectBox source={view} platform={platform} /> : null}
          <section class="card source-today" aria-labelledby="today-title">
            <h2 id="today-title">Today</h2>
            <Figures
              class="source-numbers"
              label="Today’s numbers"
              figures={[
                ['Accepted', count(view.today.accepted)],
                ['Rejected', count(view.today.rejected)],
                ['Ignored', count(view.today.ignored)],
                [
                  'Last event seen',
                  <span key="seen" class="figure-words">
                    {view.lastEventAt ? when(view.lastEventAt) : 'none in 7 days'}
                  </span>,
                ],
              ]}
            />
            <p class="help">
              {platform
                ? 'Accepted: events made from deliveries. Rejected: deliveries refused (a signature that does not match, an unusable field). Ignored: deliveries of topics, or states, that make no event. A repeated delivery is not counted again.'
                : 'Accepted: events taken. Rejected: events refused, with the reason. A request with a key that matches no source cannot be counted here.'}
            </p>
            <h3>Latest rejections</h3>
            {view.today.latestRejections.length > 0 ? (
              <Rejections reasons={view.today.latestRejections} />
            ) : (
              <p class="empty">None today.</p>
            )}
          </section>
          <div class="grid-2">
            <section class="card" aria-labelledby="credentials-title">
              <h2 id="credentials-title">{platform ? 'Signing secrets' : 'Write keys'}</h2>
              {view.credentials.length === 0 ? (
                <p class="empty">No signing secret yet: every delivery is refused (401) until you set one.</p>
              ) : (
                <div class="table-scroll">
                  <table class="credentials">
                    <caption>
                      {counted(view.credentials.length, credential)}, the oldest first; only{' '}
                      {platform ? 'sealed secrets' : 'digests'} are kept
                    </caption>
                    <thead>
                      <tr>
                        <th scope="col">{platform ? 'Secret' : 'Key'}</th>
                        <th scope="col">Created</th>
                        <th scope="col">Retires</th>
                        <th scope="col">State</th>
                      </tr>
                    </thead>
                    <tbody>
                      {view.credentials.map((item, index) => (
                        <tr key={`${item.createdAt}-${index}`}>
                          <th scope="row">#{index + 1}</th>
                          <td>{since(item.createdAt)}</td>
                          <td>{item.retiresAt ? when(item.retiresAt) : '—'}</td>
                          <td>
                            {item.active ? (
                              <span class={`state ${item.retiresAt ? 'state-waiting' : 'state-on'}`}>
                                {item.retiresAt ? 'Works until it retires' : 'Active'}
                              </span>
                            ) : (
                              <span class="state state-off">
                                {view.status === 'revoked' ? 'Stopped (revoked)' : 'Retired'}
                              </span>
                            )}
                          </td>
                        </tr>
                      ))}
                    </tbody>
                  </table>
                </div>
              )}
            </section>
            {view.status === 'active' ? (
              <section class="card source-tools" aria-labelledby="rotate-title">
                <h2 id="rotate-title">{missing ? 'Set the signing secret' : `Rotate the ${credential}`}</h2>
                <p class="help">
                  {missing
                    ? `Paste the secret ${KIND_WORDS[view.kind]} signs its webhooks with: deliveries are taken from then on.`
                    : platform
                      ? `First make a new secret in ${KIND_WORDS[view.kind]}, then paste it here. The old secret keeps working for the grace, so deliveries signed either way are taken meanwhile.`
                      : 'A new key is made and shown once. The old key keeps working for the grace, time to put the new one in every site and server that sends with it.'}
                </p>
                <form
                  noValidate
                  aria-labelledby="rotate-title"
                  onSubmit={(event) => {
                    event.preventDefault();
                    ask();
                  }}
                >
                  <div class="fields">
                    {missing ? null : (
                      <NumberField
                        id="grace-hours"
                        label="Grace (hours)"
                        value={graceHours}
                        min={0}
                        max={MAX_GRACE_HOURS}
                        step="1"
                        onInput={(value) => {
                          setGraceHours(value);
                          setProblems((current) =>
                            current.filter((problem) => problem.field !== 'graceHours'),
                          );
                        }}
                        error={errorAt('graceHours')}
                        help={`how long the old ${platform ? 'secret' : 'key'} keeps working: 0 stops it at once; at most ${MAX_GRACE_HOURS} (30 days)`}
                      />
                    )}
                    {platform ? (
                      <TextField
                        id="new-secret"
                        label={missing ? 'Signing secret' : 'New signing secret'}
                        value={newSecret}
                        onInput={(value) => {
                          setNewSecret(value);
                          setProblems((current) =>
                            current.filter((problem) => problem.field !== 'signingSecret'),
                          );
                        }}
                        error={errorAt('signingSecret')}
                        help={SECRET_HELP[platform]
                          .replace(/^optional now: /, '')
                          .replace(/; set it on the next page$/, '')}
                        required
                      />
                    ) : null}
                  </div>
                  <div class="actions">
                    {can('POST /admin/sources/{id}/rotate') ? (
                      <button type="submit" class={missing ? undefined : 'secondary'} disabled={busy}>
                        {missing ? 'Save signing secret' : `Rotate ${credential}…`}
                      </button>
                    ) : (
                      <ReadOnly what="sources" />
                    )}
                  </div>
                </form>
                <Status message={said.rotate?.message} tone={said.rotate?.tone} />
                <h2 id="revoke-title">Revoke</h2>
                <p class="help">
                  {view.id === 'default'
                    ? 'This is the write key the product was installed with: revoking it stops every site and server that still sends with it.'
                    : `Every ${credential} of this source stops at once, the grace of a rotation too. The source stays listed with its numbers.`}{' '}
                  This cannot be undone.
                </p>
                {can('POST /admin/sources/{id}/revoke') ? (
                  <div class="actions">
                    <button type="button" class="danger" onClick={() => setConfirming('revoke')}>
                      Revoke source…
                    </button>
                  </div>
                ) : null}
                <Status message={said.revoke?.message} tone={said.revoke?.tone} />
              </section>
            ) : (
              <section class="card" aria-labelledby="revoked-title">
                <h2 id="revoked-title">Revoked</h2>
                <p>
                  Revoked {when(view.revokedAt)}: its {platform ? 'deliveries are' : 'key is'} refused (401).
                  Make a new source to start again.
                </p>
              </section>
            )}
          </div>
          <ConfirmDialog
            open={confirming === 'rotate'}
            title={`Rotate the ${credential} of ${view.name}?`}
            body={`${platform ? 'The new secret is used from now on' : 'A new key is made and shown once'}; the old one ${Number(graceHours) === 0 ? 'stops at once' : `keeps working for ${counted(Number(graceHours), 'hour')}, then stops`}.`}
            confirmWord="rotate"
            action={`Rotate ${credential}`}
            dismiss={`Keep the ${credential}`}
            onConfirm={() => void rotate()}
            onCancel={() => setConfirming(undefined)}
          />
          <ConfirmDialog
            open={confirming === 'revoke'}
            title={`Revoke the source ${view.name}?`}
            body={`Every ${credential} of ${view.id} stops at once: ${platform ? `${KIND_WORDS[view.kind]}’s deliveries are refused` : 'every site or server sending with it is refused'}. This cannot be undone.`}
            confirmWord={view.id}
            action="Revoke for good"
            dismiss="Keep it"
            onConfirm={() => void revoke()}
            onCancel={() => setConfirming(undefined)}
          />
        </>
      ) : null}
    </>
  );
}
