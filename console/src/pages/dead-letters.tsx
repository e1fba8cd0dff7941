/**
 * Dead letters: what the pipeline gave up on after its retries, by queue, with why; once the
 * cause is fixed, sent back for another try (one, or all), each applied exactly once.
 */
import { useState } from 'preact/hooks';
import { type DeadLetter, reasonLine } from '../../../shared/domain/dead-letters.ts';
import { useCan } from '../access.tsx';
import { api } from '../api.ts';
import { ConfirmDialog, Loading, messageOf, Status, useLoad } from '../components.tsx';
import { when } from '../format.ts';

interface Listing {
  queues: { queue: string; count: number; listed: number }[];
  letters: DeadLetter[];
}

interface Redriven {
  redriven: string[];
  skipped: { id: string; why: string }[];
  failed: { id: string; why: string }[];
  more: boolean;
}

export function DeadLetters() {
  const can = useCan();
  const listing = useLoad(() => api<Listing>('/admin/dead-letters'), []);
  const [said, setSaid] = useState<{ message?: string; tone: 'info' | 'error' }>({ tone: 'info' });
  const [busy, setBusy] = useState(false);
  const [confirming, setConfirming] = useState(false);
  const mayRedrive = can('POST /admin/dead-letters/redrive');

  const redrive = async (ids?: string[]) => {
    setBusy(true);
    try {
      const done = await api<Redriven>('/admin/dead-letters/redrive', {
        method: 'POST',
        body: ids ? { ids } : { all: true },
      });
      const skipped = done.skipped.length ? `; ${done.skipped.length} cannot be redriven` : '';
      const failed = done.failed.length ? `; ${done.failed.length} could not be sent (still here)` : '';
      const more = done.more ? ' More are left: redrive again.' : '';
      setSaid({
        message: `Sent back: ${done.redriven.length}${skipped}${failed}. A letter that fails again comes back here with a new id.${more}`,
        tone: done.failed.length ? 'error' : 'info',
      });
      listing.reload();
    } catch (error) {
      setSaid({ message: messageOf(error), tone: 'error' });
    } finally {
      setBusy(false);
    }
  };

  return (
    <>
      <h1>Dead letters</h1>
      <p class="lead">
        What the pipeline gave up on after its retries: a customer’s input (after ten receives), an email or a
        webhook (after three tries), a scheduled run. Fix the cause, then send them back: an event counts once
        by its id and an email goes once by its ledger entry, however much was done before.
      </p>
      <Status message={said.message} tone={said.tone} />
      <Loading state={listing}>
        {({ queues, letters }) => (
          <>
            <ul class="queue-counts" aria-label="Letters per queue">
              {queues.map(({ queue, count, listed }) => (
                <li key={queue}>
                  <code>{queue}</code> {count}
                  {listed < count ? (
                    <small>{` (${listed} shown: redrive them to see the rest)`}</small>
                  ) : null}
                </li>
              ))}
            </ul>
            {letters.length === 0 ? (
              <p class="empty">No dead letters.</p>
            ) : (
              <>
                {mayRedrive ? (
                  <div class="actions">
                    <button
                      type="button"
                      disabled={busy || !letters.some((letter) => letter.redrivable)}
                      onClick={() => setConfirming(true)}
                    >
                      Redrive all…
                    </button>
                  </div>
                ) : null}
                <ConfirmDialog
                  open={confirming}
                  title="Redrive every dead letter?"
                  body={`Every letter of every queue goes back for another try (${queues
                    .filter(({ count }) => count > 0)
                    .map(({ queue, count }) => `${queue}: ${count}`)
                    .join(', ')}): emails are sent, inputs applied. Fix their cause first.`}
                  confirmWord="redrive"
                  action="Redrive all"
                  onConfirm={() => {
                    setConfirming(false);
                    void redrive();
                  }}
                  onCancel={() => setConfirming(false)}
                />
                <div class="table-scroll">
                  <table>
                    <caption>{`${letters.length} dead letters, oldest first`}</caption>
                    <thead>
                      <tr>
                        <th scope="col">First seen</th>
                        <th scope="col">Queue</th>
                        <th scope="col">What</th>
                        <th scope="col">Why</th>
                        {mayRedrive ? <th scope="col">Redrive</th> : null}
                      </tr>
                    </thead>
                    <tbody>
                      {letters.map((letter) => (
                        <tr key={letter.id}>
                          <td>
                            {when(letter.firstSeen)}
                            <div>
                              <small>
                                <code>{letter.id}</code>
                              </small>
                            </div>
                          </td>
                          <td>
                            <code>{letter.queue}</code>
                            {letter.attempts ? <small>{` after ${letter.attempts} tries`}</small> : null}
                          </td>
                          <td>
                            {letter.summary.type}
                            {letter.summary.customer ? (
                              <div>
                                <small>{`customer ${letter.summary.customer}`}</small>
                              </div>
                            ) : null}
                          </td>
                          <td>
                            <details>
                              <summary>{reasonLine(letter.reason, 120)}</summary>
                              <pre class="wrap">{letter.reason}</pre>
                            </details>
                          </td>
                          {mayRedrive ? (
                            <td>
                              {letter.redrivable ? (
                                <button
                                  type="button"
                                  class="secondary"
                                  disabled={busy}
                                  aria-label={`Redrive ${letter.summary.type}${letter.summary.customer ? ` of ${letter.summary.customer}` : ''}, first seen ${when(letter.firstSeen)}`}
                                  onClick={() => void redrive([letter.id])}
                                >
                                  Redrive
                                </button>
                              ) : (
                                <small>{letter.why ?? 'cannot be redriven'}</small>
                              )}
                            </td>
                          ) : null}
                        </tr>
                      ))}
                    </tbody>
                  </table>
                </div>
              </>
            )}
          </>
        )}
      </Loading>
    </>
  );
}
