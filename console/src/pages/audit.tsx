/** The audit log: who changed what and when, from what to what, and who was refused. */
import { useState } from 'preact/hooks';
import { api } from '../api.ts';
import { DayRange, Loading, TextField, useLoad } from '../components.tsx';
import { daysAgo, when } from '../format.ts';

interface Entry {
  id: string;
  at: string;
  who: { kind: 'person' | 'token'; name: string; role?: string };
  what: string;
  target: Record<string, string>;
  outcome: number | 'pending';
  refused?: string;
  before?: unknown;
  after?: unknown;
  statesOmitted?: boolean;
}

export function AuditLog() {
  const [draft, setDraft] = useState({ from: daysAgo(6), to: daysAgo(0), who: '', what: '' });
  const [query, setQuery] = useState(draft);
  const log = useLoad(() => {
    const search = new URLSearchParams({ from: query.from, to: query.to });
    if (query.who.trim()) search.set('who', query.who.trim());
    if (query.what.trim()) search.set('what', query.what.trim());
    return api<{ entries: Entry[]; more: boolean }>(`/admin/audit?${search}`);
  }, [query.from, query.to, query.who, query.what]);
  return (
    <>
      <h1>Audit log</h1>
      <p>
        Every change through the admin API and every refused call, with who made it and the state before and
        after. Customers’ personal data is never kept here. Entries are kept a year.
      </p>
      <form
        class="toolbar"
        onSubmit={(event) => {
          event.preventDefault();
          setQuery(draft);
        }}
      >
        <DayRange value={draft} onChange={(range) => setDraft({ ...draft, ...range })} />
        <TextField
          id="audit-who"
          label="Who"
          value={draft.who}
          onInput={(who) => setDraft({ ...draft, who })}
        />
        <TextField
          id="audit-what"
          label="What"
          value={draft.what}
          onInput={(what) => setDraft({ ...draft, what })}
          help="Part of a route, such as /admin/journeys"
        />
        <button type="submit">Show</button>
      </form>
      <Loading state={log}>
        {(data) =>
          data.entries.length === 0 ? (
            <p class="empty">Nothing was changed or refused in this window.</p>
          ) : (
            <table>
              <caption>
                {data.more ? 'The newest 500 entries' : `${data.entries.length} entries, newest first`}
              </caption>
              <thead>
                <tr>
                  <th scope="col">When</th>
                  <th scope="col">Who</th>
                  <th scope="col">What</th>
                  <th scope="col">Outcome</th>
                  <th scope="col">Before and after</th>
                </tr>
              </thead>
              <tbody>
                {data.entries.map((entry) => (
                  <tr key={entry.id}>
                    <td>{when(entry.at)}</td>
                    <td>
                      {entry.who.name}
                      <br />
                      <small>{entry.who.kind === 'token' ? 'API token' : entry.who.role}</small>
                    </td>
                    <td>
                      <code>{entry.what}</code>
                      {Object.entries(entry.target).map(([name, value]) => (
                        <div key={name}>
                          <small>
                            {name}: {value}
                          </small>
                        </div>
                      ))}
                    </td>
                    <td>{outcomeOf(entry)}</td>
                    <td>
                      {entry.before === undefined && entry.after === undefined ? (
                        <small>{entry.statesOmitted ? 'too large to keep' : '—'}</small>
                      ) : (
                        <details>
                          <summary>Show</summary>
                          <h3>Before</h3>
                          <pre>{JSON.stringify(entry.before ?? null, null, 2)}</pre>
                          <h3>After</h3>
                          <pre>{JSON.stringify(entry.after ?? null, null, 2)}</pre>
                        </details>
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )
        }
      </Loading>
    </>
  );
}

function outcomeOf(entry: Entry): string {
  if (entry.refused) return `Refused: needs ${entry.refused}`;
  if (entry.outcome === 'pending') return 'Did not finish';
  return entry.outcome < 300 ? `Done (${entry.outcome})` : `Failed (${entry.outcome})`;
}
