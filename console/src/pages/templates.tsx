/** Templates: the list, and an editor with a live preview rendered by the sender's own renderer. */

import { useEffect, useLayoutEffect, useRef, useState } from 'preact/hooks';
import { ReadOnly, useCan } from '../access.tsx';
import { ApiError, api, type Problem, problemFor } from '../api.ts';
import { Loading, messageOf, NameCell, Status, TextArea, TextField, useLoad } from '../components.tsx';
import { when } from '../format.ts';
import { href, navigate } from '../router.ts';

interface TemplateSummary {
  name: string;
  source: 'stored' | 'built-in';
  latest: number;
  published: number | null;
  usedBy: string[];
  updatedAt?: string;
  description?: string;
}

interface Variant {
  name: string;
  subject?: string;
  html?: string;
  text?: string;
}

interface TemplateAnswer {
  name: string;
  version: number;
  source: string;
  latest: number;
  published: number | null;
  subject: string;
  html: string;
  text?: string;
  description?: string;
  variants?: Variant[];
  versions: { version: number; createdAt: string | null; builtIn?: boolean }[];
}

interface Preview {
  subject: string;
  html: string;
  text: string;
  variant: number;
}

export function Templates() {
  const list = useLoad(() => api<{ templates: TemplateSummary[] }>('/admin/templates'), []);
  const [name, setName] = useState('');
  const [error, setError] = useState<string>();
  return (
    <>
      <h1>Templates</h1>
      <Loading state={list}>
        {(data) => (
          <div class="table-scroll">
            <table>
              <caption>Every template, and the campaigns that send it</caption>
              <thead>
                <tr>
                  <th scope="col">Template</th>
                  <th scope="col">Published</th>
                  <th scope="col">Latest</th>
                  <th scope="col">Used by</th>
                  <th scope="col">Updated</th>
                </tr>
              </thead>
              <tbody>
                {data.templates.map((template) => (
                  <tr key={template.name}>
                    <NameCell href={href('templates', template.name)} name={template.name}>
                      {template.description ? <small class="block">{template.description}</small> : null}
                    </NameCell>
                    <td>
                      {template.published === null
                        ? 'not published'
                        : template.published === 0
                          ? 'built-in'
                          : `version ${template.published}`}
                    </td>
                    <td>{template.latest > 0 ? `version ${template.latest}` : '—'}</td>
                    <td>{template.usedBy.join(', ') || '—'}</td>
                    <td>{when(template.updatedAt)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </Loading>
      <form
        class="card toolbar"
        onSubmit={(event) => {
          event.preventDefault();
          if (!/^[a-z0-9][a-z0-9-]{0,62}$/.test(name))
            return setError('Use a-z, 0-9 and -, starting with a letter or digit.');
          navigate('templates', name);
        }}
      >
        <TextField id="new-template" label="New template name" value={name} onInput={setName} error={error} />
        <button type="submit">Create</button>
      </form>
    </>
  );
}

const EMPTY = { subject: '', html: '', text: '', description: '' };

export function TemplateEditor({ name }: { name: string }) {
  const can = useCan();
  const [version, setVersion] = useState<number | undefined>(undefined);
  const loaded = useLoad(
    () =>
      api<TemplateAnswer>(
        `/admin/templates/${encodeURIComponent(name)}${version === undefined ? '' : `?version=${version}`}`,
      ).catch((error: unknown) => {
        if (error instanceof ApiError && error.status === 404) return undefined;
        throw error;
      }),
    [name, version],
  );
  const [draft, setDraft] = useState(EMPTY);
  const [variants, setVariants] = useState<Variant[] | undefined>();
  const [problems, setProblems] = useState<Problem[]>([]);
  const [preview, setPreview] = useState<Preview>();
  const [previewWith, setPreviewWith] = useState('');
  const [variant, setVariant] = useState(0);
  const [status, setStatus] = useState<{ message?: string; tone: 'info' | 'error' }>({ tone: 'info' });
  const [testTo, setTestTo] = useState('');
  const current = loaded.data;

  // The editor appears once the template is loaded, and takes its content before it is painted:
  // nothing typed can be overwritten by a load that finishes late.
  useLayoutEffect(() => {
    if (loaded.loading) return;
    setDraft(
      current
        ? {
            subject: current.subject,
            html: current.html,
            text: current.text ?? '',
            description: current.description ?? '',
          }
        : EMPTY,
    );
    setVariants(current?.variants);
  }, [current, loaded.loading]);

  const definition = () => ({
    subject: draft.subject,
    html: draft.html,
    ...(draft.text.trim() ? { text: draft.text } : {}),
    ...(draft.description.trim() ? { description: draft.description } : {}),
    ...(variants?.length ? { variants } : {}),
  });

  // The live preview: the unsaved content, rendered by the server with sample data or a real customer.
  const sequence = useRef(0);
  useEffect(() => {
    if (!draft.subject && !draft.html) return;
    const mine = ++sequence.current;
    const timer = setTimeout(async () => {
      try {
        const rendered = await api<Preview>(`/admin/templates/${encodeURIComponent(name)}/preview`, {
          method: 'POST',
          body: {
            template: definition(),
            variant,
            ...(previewWith.trim() ? { customerId: previewWith.trim() } : {}),
          },
        });
        if (mine !== sequence.current) return;
        setPreview(rendered);
        setProblems([]);
      } catch (error) {
        if (mine !== sequence.current) return;
        setProblems(
          error instanceof ApiError && error.problems.length > 0
            ? error.problems
            : [{ field: 'preview', message: messageOf(error) }],
        );
      }
    }, 350);
    return () => clearTimeout(timer);
  }, [draft, variants, variant, previewWith, name]);

  const save = async () => {
    try {
      const saved = await api<{ version: number }>(`/admin/templates/${encodeURIComponent(name)}`, {
        method: 'PUT',
        body: definition(),
      });
      setStatus({ message: `Saved as version ${saved.version}. Publish it to send it.`, tone: 'info' });
      setVersion(saved.version);
      loaded.reload();
    } catch (error) {
      if (error instanceof ApiError) setProblems(error.problems);
      setStatus({ message: messageOf(error), tone: 'error' });
    }
  };

  const publish = async () => {
    if (!current || current.version < 1) return;
    try {
      await api(`/admin/templates/${encodeURIComponent(name)}/publish`, {
        method: 'POST',
        body: { version: current.version },
      });
      setStatus({
        message: `Published version ${current.version}: campaigns using ${name} send it now.`,
        tone: 'info',
      });
      loaded.reload();
    } catch (error) {
      setStatus({ message: messageOf(error), tone: 'error' });
    }
  };

  const sendTest = async (event: Event) => {
    event.preventDefault();
    try {
      await api(`/admin/templates/${encodeURIComponent(name)}/test`, {
        method: 'POST',
        body: {
          to: testTo,
          template: definition(),
          variant,
          ...(previewWith.trim() ? { customerId: previewWith.trim() } : {}),
        },
      });
      setStatus({ message: `Test sent to ${testTo}.`, tone: 'info' });
    } catch (error) {
      setStatus({ message: messageOf(error), tone: 'error' });
    }
  };

  const isPublished = current !== undefined && current.published === current.version;
  return (
    <>
      <p>
        <a href={href('templates')}>← All templates</a>
      </p>
      <h1>
        Template <code>{name}</code>
      </h1>
      <Loading state={{ ...loaded, data: loaded.loading ? undefined : (current ?? null) }}>
        {() => (
          <>
            <p class="lead">
              {current
                ? `Showing version ${current.version === 0 ? 'built-in' : current.version}${isPublished ? ' (published)' : ''}. Saving makes a new version; publishing points campaigns at it.`
                : 'A new template: write it, save it, publish it.'}
            </p>
            {current ? (
              <div class="toolbar">
                <label for="version-select">Version</label>
                <select
                  id="version-select"
                  value={String(current.version)}
                  onChange={(event) => setVersion(Number(event.currentTarget.value))}
                >
                  {[...current.versions].reverse().map((entry) => (
                    <option key={entry.version} value={String(entry.version)}>
                      {entry.builtIn ? 'built-in' : `version ${entry.version}`}
                      {entry.version === current.published ? ' (published)' : ''}
                      {entry.createdAt ? ` — ${when(entry.createdAt)}` : ''}
                    </option>
                  ))}
                </select>
              </div>
            ) : null}
          </>
        )}
      </Loading>
      {loaded.loading ? null : (
        <div class="editor">
          <form
            class="card"
            aria-labelledby="content-title"
            onSubmit={(event) => {
              event.preventDefault();
              void save();
            }}
          >
            <h2 id="content-title">Content</h2>
            <TextField
              id="subject"
              label="Subject"
              value={draft.subject}
              onInput={(subject) => setDraft({ ...draft, subject })}
              error={problemFor(problems, 'subject')}
            />
            <TextArea
              id="html"
              label="HTML"
              rows={16}
              value={draft.html}
              onInput={(html) => setDraft({ ...draft, html })}
              error={problemFor(problems, 'html')}
            />
            <TextArea
              id="text"
              label="Plain text (made from the HTML when empty)"
              rows={8}
              value={draft.text}
              onInput={(text) => setDraft({ ...draft, text })}
              error={problemFor(problems, 'text')}
            />
            <TextField
              id="description"
              label="Description (for marketers)"
              value={draft.description}
              onInput={(description) => setDraft({ ...draft, description })}
            />
            {variants?.length ? (
              <p class="help">
                This template has {variants.length} variant{variants.length > 1 ? 's' : ''} besides the base (
                {variants.map((entry) => entry.name).join(', ')}); they are kept as they are. Edit them with{' '}
                <code>npm run templates</code>.
              </p>
            ) : null}
            {problems.length > 0 ? (
              <div class="problems" role="alert">
                <h3>Fix before saving</h3>
                <ul class="problems-list">
                  {problems.map((problem) => (
                    <li key={`${problem.field}:${problem.message}`}>
                      <strong>{problem.field}</strong>: {problem.message}
                    </li>
                  ))}
                </ul>
              </div>
            ) : null}
            {can('PUT /admin/templates/{name}') ? (
              <div class="actions">
                <button type="submit" disabled={problems.length > 0}>
                  Save as a new version
                </button>
                <button
                  type="button"
                  onClick={publish}
                  disabled={!current || current.version < 1 || isPublished}
                >
                  {current && current.version >= 1 ? `Publish version ${current.version}` : 'Publish'}
                </button>
              </div>
            ) : (
              <ReadOnly what="templates" />
            )}
            <Status message={status.message} tone={status.tone} />
          </form>
          <section class="card preview" aria-labelledby="preview-title">
            <h2 id="preview-title">Preview</h2>
            <div class="fields">
              <TextField
                id="preview-customer"
                label="Preview as customer (id; empty for sample data)"
                value={previewWith}
                onInput={setPreviewWith}
              />
              {variants?.length ? (
                <div class="field">
                  <label for="preview-variant">Variant</label>
                  <select
                    id="preview-variant"
                    value={String(variant)}
                    onChange={(event) => setVariant(Number(event.currentTarget.value))}
                  >
                    <option value="0">Base</option>
                    {variants.map((entry, index) => (
                      <option key={entry.name} value={String(index + 1)}>
                        {entry.name}
                      </option>
                    ))}
                  </select>
                </div>
              ) : null}
            </div>
            {preview ? (
              <>
                <p class="preview-subject">
                  <span class="help">Subject</span>{' '}
                  <strong data-testid="preview-subject">{preview.subject}</strong>
                </p>
                <iframe title="Rendered email" class="preview-frame" sandbox="" srcdoc={preview.html} />
                <details>
                  <summary>Plain text</summary>
                  <pre class="preview-text">{preview.text}</pre>
                </details>
              </>
            ) : (
              <p class="empty">The preview appears as you write.</p>
            )}
            <form class="toolbar" onSubmit={sendTest}>
              <TextField
                id="test-to"
                label="Send a test to"
                type="email"
                value={testTo}
                onInput={setTestTo}
              />
              <button type="submit" disabled={!testTo}>
                Send test
              </button>
            </form>
          </section>
        </div>
      )}
    </>
  );
}
