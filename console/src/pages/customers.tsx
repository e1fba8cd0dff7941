/**
 * Customer lookup: by id or email; stage, traits, prediction, the impression balance, journeys,
 * messages, their ratings and replies, and the timeline; export and erase.
 */

import { useEffect, useState } from 'preact/hooks';
import type { CustomerView } from '../../../functions/admin/customers.ts';
import { REASONS } from '../../../shared/domain/reasons.ts';
import { useCan } from '../access.tsx';
import { ApiError, api } from '../api.ts';
import { ConfirmDialog, Loading, messageOf, Select, Status, TextField, useLoad } from '../components.tsx';
import { amount, count, counted, label, percent, when } from '../format.ts';
import { href } from '../router.ts';
import { STAGES, segmentOptions } from './segments.tsx';

type Customer = CustomerView;

interface Card {
  id: string;
  email: string | null;
  name: string | null;
  stage: string;
  orderCount: number;
  lastSeenAt: string;
  segments: string[];
}

/**
 * Customers: everyone, a page at a time, narrowed by stage and segment; or found by the start of
 * an email or a name; or opened by id.
 */
export function CustomerSearch() {
  const [query, setQuery] = useState('');
  const [stage, setStage] = useState('');
  const [segment, setSegment] = useState('');
  const [results, setResults] = useState<Card[]>();
  const [cursor, setCursor] = useState<string>();
  const [status, setStatus] = useState<string>();
  const segments = useLoad(() => api<{ segments: { id: string; name: string }[] }>('/admin/segments'), []);

  const load = async (from?: string) => {
    const wanted = query.trim();
    const params = new URLSearchParams();
    if (wanted) params.set('q', wanted);
    if (stage) params.set('stage', stage);
    if (segment) params.set('segment', segment);
    params.set('limit', '50');
    if (from) params.set('cursor', from);
    try {
      if (wanted && wanted.length < 2) {
        setStatus('Type at least 2 characters of an email or a name.');
        return;
      }
      const found = await api<{ customers: Card[]; cursor?: string }>(`/admin/customers?${params}`);
      setResults((previous) => (from ? [...(previous ?? []), ...found.customers] : found.customers));
      setCursor(found.cursor);
      setStatus(
        found.customers.length === 0 && !from
          ? wanted
            ? `No customer’s email or name starts with “${wanted}”.`
            : 'No customers match.'
          : undefined,
      );
    } catch (error) {
      setStatus(messageOf(error));
    }
  };
  useEffect(() => {
    void load();
  }, [stage, segment]);
  const search = (event: Event) => {
    event.preventDefault();
    void load();
  };
  const wanted = query.trim();
  return (
    <>
      <h1>Customers</h1>
      <search>
        <form class="card toolbar" onSubmit={search}>
          <TextField
            id="customer-query"
            label="Email or name starts with"
            value={query}
            onInput={setQuery}
            help="or a customer id, to open it"
          />
          <Select
            id="customer-stage"
            label="Stage"
            value={stage}
            options={[{ value: '', label: 'any stage' }, ...STAGES]}
            onChange={setStage}
          />
          <Select
            id="customer-segment"
            label="Segment"
            value={segment}
            options={[{ value: '', label: 'any segment' }, ...segmentOptions(segments.data?.segments ?? [])]}
            onChange={setSegment}
          />
          <button type="submit">Search</button>
        </form>
      </search>
      <Status message={status} />
      {wanted && !wanted.includes(' ') ? (
        <p>
          <a href={href('customers', wanted)}>Open the customer with id “{wanted}”</a>
        </p>
      ) : null}
      {results && results.length > 0 ? (
        <div class="card table-scroll">
          <table>
            <thead>
              <tr>
                <th scope="col">Customer</th>
                <th scope="col">Email</th>
                <th scope="col">Name</th>
                <th scope="col">Stage</th>
                <th scope="col" class="number">
                  Orders
                </th>
                <th scope="col">Last seen</th>
              </tr>
            </thead>
            <tbody>
              {results.map((card) => (
                <tr key={card.id}>
                  <th scope="row">
                    <a href={href('customers', card.id)}>{card.id}</a>
                  </th>
                  <td>{card.email ?? '—'}</td>
                  <td>{card.name ?? '—'}</td>
                  <td>
                    <span class={`badge stage-${card.stage}`}>{card.stage}</span>
                  </td>
                  <td class="number">{count(card.orderCount)}</td>
                  <td>{when(card.lastSeenAt)}</td>
                </tr>
              ))}
            </tbody>
          </table>
          {cursor ? (
            <button type="button" onClick={() => load(cursor)}>
              Show more
            </button>
          ) : null}
        </div>
      ) : null}
    </>
  );
}

export function CustomerPage({ id }: { id: string }) {
  const can = useCan();
  const customer = useLoad(
    () =>
      api<Customer>(`/admin/customers/${encodeURIComponent(id)}`).catch((error: unknown) => {
        if (error instanceof ApiError && error.status === 404) throw new Error(`No customer with id ${id}.`);
        throw error;
      }),
    [id],
  );
  const [confirming, setConfirming] = useState(false);
  const [status, setStatus] = useState<{ message?: string; tone: 'info' | 'error' }>({ tone: 'info' });

  const exportData = async () => {
    try {
      const data = await api<unknown>(`/admin/customers/${encodeURIComponent(id)}/export`);
      const link = document.createElement('a');
      link.href = URL.createObjectURL(
        new Blob([JSON.stringify(data, null, 2)], { type: 'application/json' }),
      );
      link.download = `customer-${id}.json`;
      link.click();
      URL.revokeObjectURL(link.href);
      setStatus({ message: 'The export was downloaded.', tone: 'info' });
    } catch (error) {
      setStatus({ message: messageOf(error), tone: 'error' });
    }
  };
  const erase = async () => {
    setConfirming(false);
    try {
      const result = await api<{ itemsDeleted: number }>(`/admin/customers/${encodeURIComponent(id)}`, {
        method: 'DELETE',
      });
      setStatus({
        message: `Erased: ${count(result.itemsDeleted)} items deleted; the address stays suppressed.`,
        tone: 'info',
      });
      customer.reload();
    } catch (error) {
      setStatus({ message: messageOf(error), tone: 'error' });
    }
  };

  return (
    <>
      <p>
        <a href={href('customers')}>← Look up another customer</a>
      </p>
      <Status message={status.message} tone={status.tone} />
      <Loading state={customer}>
        {(data) => (
          <>
            <h1>
              {data.id} <span class={`badge stage-${data.stage}`}>{data.stage}</span>
            </h1>
            <p class="lead">
              {data.email ?? 'no email address'} · in {data.stage} since {when(data.stageChangedAt)}
            </p>
            <div class="grid-2">
              <section class="card" aria-labelledby="facts-title">
                <h2 id="facts-title">Facts</h2>
                <dl class="facts">
                  <dt>Orders</dt>
                  <dd>
                    {count(data.orderCount)} ({amount(data.revenue)})
                  </dd>
                  <dt>Refunds</dt>
                  <dd>{count(data.refundCount)}</dd>
                  <dt>Visits</dt>
                  <dd>{count(data.visitCount)}</dd>
                  <dt>First seen</dt>
                  <dd>{when(data.firstSeenAt)}</dd>
                  <dt>Last seen</dt>
                  <dd>{when(data.lastSeenAt)}</dd>
                  <dt>First order</dt>
                  <dd>{when(data.firstOrderAt)}</dd>
                  <dt>Last order</dt>
                  <dd>{when(data.lastOrderAt)}</dd>
                </dl>
              </section>
              <section class="card" aria-labelledby="prediction-title">
                <h2 id="prediction-title">Prediction</h2>
                {data.prediction ? (
                  <dl class="facts">
                    <dt>Still a customer (P(alive))</dt>
                    <dd>{percent(data.prediction.probabilityAlive)}</dd>
                    <dt>Orders expected, next {data.prediction.horizonWeeks} weeks</dt>
                    <dd>{data.prediction.expectedPurchases.toFixed(2)}</dd>
                    <dt>Expected order value</dt>
                    <dd>{amount(data.prediction.expectedOrderValue)}</dd>
                    <dt>Predicted value</dt>
                    <dd>{amount(data.prediction.predictedValue)}</dd>
                  </dl>
                ) : (
                  <p class="empty">
                    No prediction: there is no fitted model yet, or the customer has not ordered.
                  </p>
                )}
                {data.prediction ? <p class="help">Model as of {data.prediction.modelAsOf}.</p> : null}
              </section>
            </div>
            <ImpressionCard impressions={data.impressions} />
            <section class="card" aria-labelledby="segments-title">
              <h2 id="segments-title">Segments</h2>
              {data.segments.length === 0 ? (
                <p class="empty">In no segment.</p>
              ) : (
                <ul class="results">
                  {data.segments.map((segment) => (
                    <li key={segment.id}>
                      <a href={href('segments', segment.id)}>{segment.name}</a> since{' '}
                      {when(segment.enteredAt)}
                    </li>
                  ))}
                </ul>
              )}
            </section>
            <section class="card" aria-labelledby="traits-title">
              <h2 id="traits-title">Traits</h2>
              {Object.keys(data.traits).length === 0 ? (
                <p class="empty">None.</p>
              ) : (
                <dl class="facts">
                  {Object.entries(data.traits).map(([key, value]) => (
                    <div key={key} class="fact">
                      <dt>{key}</dt>
                      <dd>{typeof value === 'object' ? JSON.stringify(value) : String(value)}</dd>
                    </div>
                  ))}
                </dl>
              )}
            </section>
            <JourneysCard journeys={data.journeys} />
            <section class="card" aria-labelledby="messages-title">
              <h2 id="messages-title">Emails</h2>
              <div class="table-scroll">
                <table>
                  <caption class="visually-hidden">
                    Every email decided for this customer, and why it was or was not sent
                  </caption>
                  <thead>
                    <tr>
                      <th scope="col">Campaign</th>
                      <th scope="col">Status</th>
                      <th scope="col">Why</th>
                      <th scope="col">Sent</th>
                      <th scope="col">Opened</th>
                      <th scope="col">Clicked</th>
                      <th scope="col">Converted</th>
                    </tr>
                  </thead>
                  <tbody>
                    {data.messages.map((message) => (
                      <tr key={`${message.campaignId}-${message.occurrence}`}>
                        <th scope="row">
                          {label(message.campaignId ?? '')} #{message.occurrence}
                        </th>
                        <td>{message.status}</td>
                        <td>
                          {message.reason ??
                            (message.template ? `${message.template.name} v${message.template.version}` : '')}
                        </td>
                        <td>{when(message.sentAt)}</td>
                        <td>{when(message.openedAt)}</td>
                        <td>{when(message.clickedAt)}</td>
                        <td>{when(message.convertedAt)}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            </section>
            <RatingsCard feedback={data.feedback} />
            <RepliesCard replies={data.replies} />
            <section class="card" aria-labelledby="timeline-title">
              <h2 id="timeline-title">Timeline</h2>
              <ol class="timeline">
                {data.timeline.map((entry, index) => (
                  <li key={`${entry.at}-${index}`} class={`timeline-${entry.kind}`}>
                    <time dateTime={entry.at}>{when(entry.at)}</time>
                    <span class="timeline-kind">{entry.kind}</span>
                    <span class="timeline-title">{entry.title}</span>
                    {entry.detail ? <span class="timeline-detail">{entry.detail}</span> : null}
                  </li>
                ))}
              </ol>
            </section>
            <section class="card" aria-labelledby="data-title">
              <h2 id="data-title">The customer’s data</h2>
              <div class="actions">
                {can('GET /admin/customers/{id}/export') ? (
                  <button type="button" onClick={exportData}>
                    Export data (JSON)
                  </button>
                ) : null}
                {can('DELETE /admin/customers/{id}') ? (
                  <button type="button" class="danger" onClick={() => setConfirming(true)}>
                    Erase customer…
                  </button>
                ) : (
                  <span class="help">Export and erasure are for admins.</span>
                )}
              </div>
            </section>
            <ConfirmDialog
              open={confirming}
              title={`Erase ${data.id}?`}
              body="Everything held about this customer is deleted: profile, events, emails. Their address stays suppressed so nothing is ever sent to it again. This cannot be undone."
              confirmWord={data.id}
              action="Erase for good"
              onConfirm={erase}
              onCancel={() => setConfirming(false)}
            />
          </>
        )}
      </Loading>
    </>
  );
}

// ——— What the customer told us, and what we made of it ———

/** A whole number with its sign: `+3`, `−12`, `0`. */
const signed = (value: number) => (value > 0 ? `+${value}` : value < 0 ? `−${Math.abs(value)}` : '0');

/** How much one bad impression weighs against good ones, in words. */
function weightWords({ good, bad }: { good: number; bad: number }): string {
  const ratio = bad / good;
  if (ratio === 1) return 'a bad impression weighs as much as a good one';
  if (Number.isInteger(ratio)) return `one bad impression weighs ${count(ratio)} good`;
  return `a bad impression weighs ${bad}, a good one ${good}`;
}

function ImpressionCard({ impressions }: { impressions: Customer['impressions'] }) {
  const { balance, good, bad, windowDays, weights, recoversAt, recent } = impressions;
  const tone = balance < 0 ? 'negative' : balance > 0 ? 'positive' : 'even';
  return (
    <section class="card impressions" aria-labelledby="impressions-title">
      <h2 id="impressions-title">Impression balance</h2>
      <p class="balance">
        <strong class={`balance-value balance-${tone}`}>{signed(balance)}</strong>{' '}
        <span class="balance-words">
          {balance < 0
            ? 'Negative: marketing email waits (journeys hold it, broadcasts skip it) until it recovers.'
            : balance > 0
              ? 'Positive: marketing email goes out as usual.'
              : 'Even: marketing email goes out as usual.'}
        </span>
      </p>
      <p>
        {count(good)} good, {count(bad)} bad in the last {counted(windowDays, 'day')}; {weightWords(weights)}.
      </p>
      {balance < 0 ? (
        <p>
          {recoversAt
            ? `Recovers at ${when(recoversAt)}, when the bad impressions leave the window (sooner with good ones).`
            : 'It recovers with good impressions: orders, visits, clicks in our email, good ratings.'}
        </p>
      ) : null}
      <h3 id="impressions-recent-title">Recent impressions</h3>
      {recent.length === 0 ? (
        <p class="empty">None in the last {counted(windowDays, 'day')}.</p>
      ) : (
        <ul class="impression-list" aria-labelledby="impressions-recent-title">
          {recent.map((impression, index) => (
            <li key={`${impression.at}-${index}`} class={`impression-${impression.kind}`}>
              <span class="impression-kind">{impression.kind === 'good' ? '+ Good' : '− Bad'}</span>
              <span class="impression-what">{impression.what}</span>
              <time dateTime={impression.at}>{when(impression.at)}</time>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

/** Where in a journey a step key (`0.timedOut.1`) is, in words: `step 1 › if it does not come › step 2`. */
function stepWords(key: string): string {
  const lists = new Map([
    ['then', 'then'],
    ['else', 'otherwise'],
    ['timedOut', 'if it does not come'],
  ]);
  return key
    .split('.')
    .map((part) => (/^\d+$/.test(part) ? `step ${Number(part) + 1}` : (lists.get(part) ?? part)))
    .join(' › ');
}

const LEFT_BECAUSE: Record<string, string> = {
  finished: 'finished',
  exit: 'an exit step',
  exitWhen: 'the exit rule',
  disabled: 'the journey was turned off',
};

function JourneysCard({ journeys }: { journeys: Customer['journeys'] }) {
  return (
    <section class="card" aria-labelledby="journeys-title">
      <h2 id="journeys-title">Journeys</h2>
      {journeys.length === 0 ? (
        <p class="empty">In no journey yet.</p>
      ) : (
        <div class="table-scroll">
          <table class="customer-journeys">
            <caption class="visually-hidden">The journeys the customer entered, and where they are</caption>
            <thead>
              <tr>
                <th scope="col">Journey</th>
                <th scope="col">Entered</th>
                <th scope="col">Where</th>
              </tr>
            </thead>
            <tbody>
              {journeys.map((journey) => (
                <tr key={journey.id}>
                  <th scope="row">
                    <a href={href('journeys', journey.id)}>{label(journey.id)}</a>
                    <div class="help">
                      version {journey.version} · {counted(journey.entries, 'time')} entered
                    </div>
                  </th>
                  <td>{when(journey.enteredAt)}</td>
                  <td>
                    {journey.step ? (
                      <>
                        At {stepWords(journey.step)}
                        {journey.waitingUntil ? `, waiting until ${when(journey.waitingUntil)}` : ''}
                      </>
                    ) : journey.leftAt ? (
                      `Left ${when(journey.leftAt)}${journey.leftBecause ? `: ${LEFT_BECAUSE[journey.leftBecause] ?? journey.leftBecause}` : ''}`
                    ) : (
                      '—'
                    )}
                    {journey.heldBecause ? (
                      <p class="held">
                        <strong>Held at the email:</strong> {journey.heldBecause}
                      </p>
                    ) : null}
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

const QUESTIONS: Record<string, { name: string; max?: number }> = {
  csat: { name: 'Satisfaction (CSAT)', max: 5 },
  nps: { name: 'Would recommend (NPS)', max: 10 },
  reason: { name: 'Why they left' },
};

/** The email a rating or reply belongs to: `Feedback request #1`, or the preference page. */
const emailName = (campaignId: string | null, occurrence: number | null) =>
  campaignId ? `${label(campaignId)} #${occurrence ?? 1}` : 'Preference page';

const PENDING = 'Waiting a minute: link scanners click every link';

function RatingsCard({ feedback }: { feedback: Customer['feedback'] }) {
  return (
    <section class="card" aria-labelledby="ratings-title">
      <h2 id="ratings-title">Ratings</h2>
      {feedback.length === 0 ? (
        <p class="empty">No ratings yet: no score clicked under an email or on the preference page.</p>
      ) : (
        <div class="table-scroll">
          <table class="ratings">
            <caption class="visually-hidden">The customer’s answer to each email’s question</caption>
            <thead>
              <tr>
                <th scope="col">Email</th>
                <th scope="col">Question</th>
                <th scope="col">Answer</th>
                <th scope="col">Answered</th>
              </tr>
            </thead>
            <tbody>
              {feedback.map((rating, index) => {
                const question = QUESTIONS[rating.question] ?? { name: rating.question };
                const answer = rating.answer;
                return (
                  <tr key={`${rating.campaignId}-${rating.occurrence}-${rating.question}-${index}`}>
                    <th scope="row">{emailName(rating.campaignId, rating.occurrence)}</th>
                    <td>{question.name}</td>
                    <td>
                      {answer ? (
                        <>
                          <strong>
                            {rating.question === 'reason'
                              ? (REASONS[answer.score]?.label ?? `reason ${answer.score}`)
                              : `${answer.score} of ${question.max ?? '?'}`}
                          </strong>{' '}
                          <small>as {answer.stage}</small>
                          {answer.comment ? <blockquote class="quote">{answer.comment}</blockquote> : null}
                        </>
                      ) : rating.pendingSince ? (
                        <span class="pending">{PENDING}.</span>
                      ) : (
                        <span class="empty">
                          No answer: the {counted(rating.clicks, 'click')} came as a link scanner’s burst.
                        </span>
                      )}
                      {answer && rating.pendingSince ? (
                        <p class="help pending">A newer click: {PENDING.toLowerCase()}.</p>
                      ) : null}
                    </td>
                    <td>
                      {answer
                        ? when(answer.at)
                        : rating.pendingSince
                          ? `clicked ${when(rating.pendingSince)}`
                          : '—'}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

/** A reason answer's score is the index of its reason (REASONS in shared/domain/ratings.ts, append only). */

function RepliesCard({ replies }: { replies: Customer['replies'] }) {
  const newestFirst = [...replies].sort((a, b) => (a.at < b.at ? 1 : a.at > b.at ? -1 : 0));
  return (
    <section class="card" aria-labelledby="replies-title">
      <h2 id="replies-title">Replies</h2>
      {newestFirst.length === 0 ? (
        <p class="empty">No replies to our emails.</p>
      ) : (
        <ol class="replies">
          {newestFirst.map((reply, index) => (
            <li key={`${reply.at}-${index}`} class="reply">
              <p class="reply-meta">
                <strong>{reply.subject ?? '(no subject)'}</strong>
                <span>
                  {' '}
                  · to {emailName(reply.campaignId, reply.occurrence)} ·{' '}
                  <time dateTime={reply.at}>{when(reply.at)}</time>
                </span>
              </p>
              <blockquote class="quote">{reply.text}</blockquote>
            </li>
          ))}
        </ol>
      )}
    </section>
  );
}
