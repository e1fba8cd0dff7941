/**
 * Segments: the list with live counts and build progress; an editor that builds a condition with
 * fields (a JSON view for the expert), shows the estimated count while the marketer edits, and
 * puts each error next to its field; the members, each linked to the customer.
 */

import { useEffect, useRef, useState } from 'preact/hooks';
import { ReadOnly, useCan } from '../access.tsx';
import { ApiError, api, messagesAt, type Problem } from '../api.ts';
import {
  idOf,
  Loading,
  messageOf,
  NameCell,
  RowError,
  Select,
  Status,
  TextField,
  useLoad,
} from '../components.tsx';
import { count, percent, when } from '../format.ts';
import { href, navigate } from '../router.ts';

export type Condition = Record<string, unknown>;

interface SegmentView {
  id: string;
  name: string;
  description?: string;
  condition: Condition;
  version: number;
  builtIn: boolean;
  count: number;
  status: 'ready' | 'building';
  progress?: number;
  updatedAt: string;
  usedBy?: { kind: string; id: string }[];
}

interface Preview {
  estimate: number;
  exact: boolean;
  evaluated: number;
  matched: number;
  customers: number;
  sample: string[];
}

export const STAGES = ['acquaintance', 'buildup', 'continuation', 'deterioration', 'termination'];
const OPERATORS = [
  'equals',
  'notEquals',
  'in',
  'notIn',
  'contains',
  'exists',
  'missing',
  'gt',
  'gte',
  'lt',
  'lte',
  'withinDays',
  'olderThanDays',
];
const KINDS: { value: string; label: string; make: () => Condition }[] = [
  { value: 'trait', label: 'A trait', make: () => ({ trait: '', op: 'equals', value: '' }) },
  { value: 'stage', label: 'Lifecycle stage', make: () => ({ stage: ['buildup'] }) },
  { value: 'performed', label: 'Did something', make: () => ({ performed: '', withinDays: 30 }) },
  {
    value: 'lastPerformed',
    label: 'Last did something',
    make: () => ({ lastPerformed: '', olderThanDays: 30 }),
  },
  {
    value: 'measure',
    label: 'Orders, revenue, visits',
    make: () => ({ measure: 'orderCount', op: 'gte', value: 1 }),
  },
  { value: 'predicted', label: 'A prediction', make: () => ({ predicted: 'pAlive', op: 'lt', value: 0.5 }) },
  { value: 'relationship', label: 'Relationship', make: () => ({ relationship: ['committed'] }) },
  { value: 'subscribed', label: 'Subscribed', make: () => ({ subscribed: true }) },
  { value: 'segment', label: 'In another segment', make: () => ({ segment: '' }) },
  {
    value: 'message',
    label: 'An email of a journey',
    make: () => ({ message: { journey: 'welcome-kit', status: 'opened' } }),
  },
  { value: 'randomPercent', label: 'A random share', make: () => ({ randomPercent: 10 }) },
  { value: 'all', label: 'All of a group', make: () => ({ all: [{ stage: ['buildup'] }] }) },
  { value: 'any', label: 'Any of a group', make: () => ({ any: [{ stage: ['buildup'] }] }) },
  { value: 'not', label: 'Not …', make: () => ({ not: { stage: ['termination'] } }) },
];

function kindOf(condition: Condition): string {
  return KINDS.find((kind) => kind.value in condition)?.value ?? 'trait';
}

/** Segments as a select's options: shown by name, chosen by id. */
export const segmentOptions = (segments: readonly { id: string; name: string }[]) =>
  segments.map((segment) => ({ value: segment.id, label: segment.name }));

export function Segments() {
  const list = useLoad(() => api<{ segments: SegmentView[]; customers: number }>('/admin/segments'), []);
  // Counts and build progress move on their own: look again while something builds.
  useEffect(() => {
    if (!list.data?.segments.some((segment) => segment.status === 'building')) return;
    const timer = setTimeout(list.reload, 1500);
    return () => clearTimeout(timer);
  }, [list.data]);
  return (
    <>
      <h1>Segments</h1>
      <p class="lead">
        Groups of customers, kept exact as events arrive and time passes. Journeys and broadcasts use them.
      </p>
      <p>
        <a class="button" href={href('segments', 'new')}>
          New segment
        </a>
      </p>
      <Loading state={list}>
        {(data) => (
          <div class="card table-scroll">
            <table>
              <caption>
                {count(data.segments.length)} segments over {count(data.customers)}{' '}
                {data.customers === 1 ? 'customer' : 'customers'}
              </caption>
              <thead>
                <tr>
                  <th scope="col">Segment</th>
                  <th scope="col" class="number">
                    Customers
                  </th>
                  <th scope="col">Status</th>
                  <th scope="col">Changed</th>
                </tr>
              </thead>
              <tbody>
                {data.segments.map((segment) => (
                  <tr key={segment.id}>
                    <NameCell
                      href={href('segments', segment.id)}
                      name={segment.name}
                      builtIn={segment.builtIn}
                    >
                      <div class="help">{segment.id}</div>
                    </NameCell>
                    <td class="number">{count(segment.count)}</td>
                    <td>
                      <BuildStatus segment={segment} />
                    </td>
                    <td>{segment.builtIn ? '—' : when(segment.updatedAt)}</td>
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

function BuildStatus({ segment }: { segment: Pick<SegmentView, 'status' | 'progress'> }) {
  if (segment.status === 'ready') return <span>Ready</span>;
  const share = segment.progress ?? 0;
  return (
    <span>
      Building <progress max={1} value={share} aria-label="Build progress" /> {percent(share)}
    </span>
  );
}

export function SegmentEditor({ id }: { id: string }) {
  const isNew = id === 'new';
  const existing = useLoad(
    () =>
      isNew
        ? Promise.resolve(undefined)
        : api<SegmentView>(`/admin/segments/${encodeURIComponent(id)}`).catch((error: unknown) => {
            if (error instanceof ApiError && error.status === 404)
              throw new Error(`No segment with id ${id}.`);
            throw error;
          }),
    [id],
  );
  if (!isNew && existing.data === undefined) return <Loading state={existing}>{() => null}</Loading>;
  return (
    <SegmentForm key={id} id={isNew ? undefined : id} loaded={existing.data} onSaved={existing.reload} />
  );
}

function SegmentForm({
  id,
  loaded,
  onSaved,
}: {
  id: string | undefined;
  loaded: SegmentView | undefined;
  onSaved: () => void;
}) {
  const can = useCan();
  const [newId, setNewId] = useState('');
  const [name, setName] = useState(loaded?.name ?? '');
  const [description, setDescription] = useState(loaded?.description ?? '');
  const [condition, setCondition] = useState<Condition>(
    loaded?.condition ?? { all: [{ stage: ['buildup'] }] },
  );
  const [json, setJson] = useState<string>();
  const [problems, setProblems] = useState<Problem[]>([]);
  const [status, setStatus] = useState<{ message?: string; tone: 'info' | 'error' }>({ tone: 'info' });
  const [preview, setPreview] = useState<Preview>();
  const segmentId = id ?? newId.trim();

  // The estimate follows the edits, a moment after the last one.
  // (Not for a role that may not preview: each refused call would be one more line in the audit log.)
  const mayPreview = can('POST /admin/segments/preview');
  useEffect(() => {
    if (!mayPreview) return;
    const timer = setTimeout(async () => {
      try {
        setPreview(await api<Preview>('/admin/segments/preview', { method: 'POST', body: { condition } }));
        setProblems((current) => current.filter((problem) => !problem.field.startsWith('condition')));
      } catch (error) {
        setPreview(undefined);
        if (error instanceof ApiError && error.problems.length > 0) setProblems(error.problems);
      }
    }, 500);
    return () => clearTimeout(timer);
  }, [JSON.stringify(condition), mayPreview]);

  const errorAt = (path: string) => messagesAt(problems, path);

  const save = async (event: Event) => {
    event.preventDefault();
    if (!segmentId) {
      setProblems([{ field: 'id', message: 'give the segment an id: a-z, 0-9 and -' }]);
      return;
    }
    try {
      const saved = await api<SegmentView>(`/admin/segments/${encodeURIComponent(segmentId)}`, {
        method: 'PUT',
        body: {
          name,
          ...(description.trim() ? { description } : {}),
          condition,
          ...(loaded ? { version: loaded.version } : {}),
        },
      });
      setProblems([]);
      setStatus({
        message: `Saved as version ${saved.version}. Existing customers are evaluated now.`,
        tone: 'info',
      });
      if (!id) navigate('segments', segmentId);
      else onSaved();
    } catch (error) {
      if (error instanceof ApiError) setProblems(error.problems);
      setStatus({ message: messageOf(error), tone: 'error' });
    }
  };

  return (
    <>
      <p>
        <a href={href('segments')}>← All segments</a>
      </p>
      <h1>{loaded ? loaded.name : 'New segment'}</h1>
      {loaded ? (
        <p class="lead">
          {count(loaded.count)} {loaded.count === 1 ? 'customer' : 'customers'} · version {loaded.version} ·{' '}
          <BuildStatus segment={loaded} />
          {loaded.builtIn ? ' · built-in (saving keeps your version)' : ''}
        </p>
      ) : null}
      <Status message={status.message} tone={status.tone} />
      <form class="card" onSubmit={save} noValidate aria-label="Segment">
        <div class="fields">
          {id ? null : (
            <TextField
              id="segment-id"
              label="Id"
              value={newId}
              onInput={setNewId}
              error={errorAt('id')}
              help="a-z, 0-9 and -: how journeys, broadcasts and the API name it"
              required
            />
          )}
          <TextField
            id="segment-name"
            label="Name"
            value={name}
            onInput={setName}
            error={errorAt('name')}
            required
          />
          <TextField
            id="segment-description"
            label="Description"
            value={description}
            onInput={setDescription}
            error={errorAt('description')}
          />
        </div>
        <fieldset class="condition-root">
          <legend>Who is in it</legend>
          {json === undefined ? (
            <ConditionEditor
              path="condition"
              condition={condition}
              onChange={setCondition}
              errorAt={errorAt}
            />
          ) : (
            <JsonEditor
              value={json}
              onInput={setJson}
              onApply={(parsed) => {
                setCondition(parsed);
                setJson(undefined);
              }}
            />
          )}
          <p>
            <button
              type="button"
              class="link"
              onClick={() => setJson(json === undefined ? JSON.stringify(condition, null, 2) : undefined)}
            >
              {json === undefined ? 'Show as JSON' : 'Back to the fields'}
            </button>
          </p>
        </fieldset>
        <p class="estimate" role="status">
          {preview
            ? preview.exact
              ? `${count(preview.estimate)} of ${count(preview.customers)} customers match now.`
              : `About ${count(preview.estimate)} of ${count(preview.customers)} customers (${count(preview.matched)} of ${count(preview.evaluated)} sampled).`
            : 'The estimate appears when the condition is complete.'}
        </p>
        <div class="actions">
          {can('PUT /admin/segments/{id}') ? (
            <button type="submit">{loaded ? `Save version ${loaded.version + 1}` : 'Save'}</button>
          ) : (
            <ReadOnly what="segments" />
          )}
        </div>
      </form>
      {loaded && can('GET /admin/segments/{id}/members') ? <Members id={loaded.id} /> : null}
    </>
  );
}

function JsonEditor({
  value,
  onInput,
  onApply,
}: {
  value: string;
  onInput: (value: string) => void;
  onApply: (condition: Condition) => void;
}) {
  const [problem, setProblem] = useState<string>();
  return (
    <div class="field">
      <label for="condition-json">Condition (JSON)</label>
      <textarea
        id="condition-json"
        rows={14}
        value={value}
        aria-invalid={problem ? 'true' : undefined}
        aria-describedby={problem ? 'condition-json-error' : undefined}
        onInput={(event) => onInput(event.currentTarget.value)}
      />
      {problem ? (
        <p class="field-error" id="condition-json-error">
          {problem}
        </p>
      ) : null}
      <button
        type="button"
        onClick={() => {
          try {
            const parsed = JSON.parse(value) as unknown;
            if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed))
              throw new Error('must be an object');
            setProblem(undefined);
            onApply(parsed as Condition);
          } catch (error) {
            setProblem(`Not a condition: ${messageOf(error)}`);
          }
        }}
      >
        Use this JSON
      </button>
    </div>
  );
}

/** One condition, drawn by its kind, with an editor for each of its fields (segments, journeys). */
export function ConditionEditor({
  path,
  condition,
  onChange,
  onRemove,
  errorAt,
}: {
  path: string;
  condition: Condition;
  onChange: (condition: Condition) => void;
  onRemove?: () => void;
  errorAt: (path: string) => string | undefined;
}) {
  const kind = kindOf(condition);
  const set = (field: string, value: unknown) => onChange({ ...condition, [field]: value });
  const field = (name: string) => `${path}.${name}`;
  if (kind === 'all' || kind === 'any') {
    const children = (condition[kind] as Condition[]) ?? [];
    return (
      <fieldset class="condition-group">
        <legend>
          <Select
            id={idOf(`${path}-combine`)}
            label="Customers who match"
            value={kind}
            options={[
              { value: 'all', label: 'all of these' },
              { value: 'any', label: 'any of these' },
            ]}
            onChange={(value) => onChange({ [value]: children })}
          />
        </legend>
        <RowError message={errorAt(path) ?? errorAt(`${path}.${kind}`)} />
        <ol>
          {children.map((child, index) => (
            <li key={index}>
              <ConditionEditor
                path={`${path}.${kind}[${index}]`}
                condition={child}
                onChange={(next) => onChange({ [kind]: children.map((c, i) => (i === index ? next : c)) })}
                onRemove={
                  children.length > 1
                    ? () => onChange({ [kind]: children.filter((_, i) => i !== index) })
                    : undefined
                }
                errorAt={errorAt}
              />
            </li>
          ))}
        </ol>
        <button type="button" onClick={() => onChange({ [kind]: [...children, { stage: ['buildup'] }] })}>
          Add a condition
        </button>
        {onRemove ? (
          <button type="button" class="link" onClick={onRemove}>
            Remove this group
          </button>
        ) : null}
      </fieldset>
    );
  }
  return (
    <div class="condition-row">
      <Select
        id={idOf(`${path}-kind`)}
        label="Condition"
        value={kind}
        options={KINDS.map(({ value, label }) => ({ value, label }))}
        onChange={(value) => onChange(KINDS.find((candidate) => candidate.value === value)?.make() ?? {})}
      />
      <RowError message={errorAt(path)} />
      {kind === 'not' ? (
        <ConditionEditor
          path={`${path}.not`}
          condition={condition.not as Condition}
          onChange={(next) => onChange({ not: next })}
          errorAt={errorAt}
        />
      ) : null}
      {kind === 'trait' ? (
        <>
          <TextField
            id={idOf(field('trait'))}
            label="Trait"
            value={String(condition.trait ?? '')}
            onInput={(v) => set('trait', v)}
            error={errorAt(field('trait'))}
            help="a name, or a path such as address.country"
          />
          <ValueTest path={path} test={condition} onChange={onChange} errorAt={errorAt} />
        </>
      ) : null}
      {kind === 'stage' || kind === 'relationship' ? (
        <Choices
          id={idOf(field(kind))}
          label={kind === 'stage' ? 'Stages' : 'Relationships'}
          options={kind === 'stage' ? STAGES : ['fling', 'friend', 'committed']}
          chosen={(condition[kind] as string[]) ?? []}
          onChange={(chosen) => set(kind, chosen)}
          error={errorAt(field(kind))}
        />
      ) : null}
      {kind === 'performed' || kind === 'lastPerformed' ? (
        <EventFields path={path} kind={kind} condition={condition} onChange={onChange} errorAt={errorAt} />
      ) : null}
      {kind === 'measure' || kind === 'predicted' ? (
        <>
          <Select
            id={idOf(field(kind))}
            label={kind === 'measure' ? 'Measure' : 'Prediction'}
            value={String(condition[kind])}
            options={(kind === 'measure'
              ? ['orderCount', 'revenue', 'visitDays', 'averageOrderValue']
              : ['pAlive', 'expectedPurchases', 'value']
            ).map((value) => ({ value, label: value }))}
            onChange={(value) => set(kind, value)}
            error={errorAt(field(kind))}
          />
          <Select
            id={idOf(field('op'))}
            label="Is"
            value={String(condition.op)}
            options={(kind === 'measure'
              ? ['equals', 'notEquals', 'gt', 'gte', 'lt', 'lte']
              : ['gt', 'gte', 'lt', 'lte']
            ).map((value) => ({ value, label: value }))}
            onChange={(value) => set('op', value)}
            error={errorAt(field('op'))}
          />
          <TextField
            id={idOf(field('value'))}
            label="Value"
            type="number"
            step="any"
            value={String(condition.value ?? '')}
            onInput={(v) => set('value', v === '' ? '' : Number(v))}
            error={errorAt(field('value'))}
          />
          {kind === 'measure' ? (
            <OptionalDays
              id={idOf(field('withinDays'))}
              label="Within the last (days)"
              value={condition.withinDays}
              onChange={(v) => onChange(withOptional(condition, 'withinDays', v))}
              error={errorAt(field('withinDays'))}
            />
          ) : null}
        </>
      ) : null}
      {kind === 'subscribed' ? (
        <Select
          id={idOf(field('subscribed'))}
          label="Receives marketing email"
          value={String(condition.subscribed)}
          options={[
            { value: 'true', label: 'yes' },
            { value: 'false', label: 'no (left it)' },
          ]}
          onChange={(value) => set('subscribed', value === 'true')}
        />
      ) : null}
      {kind === 'segment' ? (
        <TextField
          id={idOf(field('segment'))}
          label="Segment id"
          value={String(condition.segment ?? '')}
          onInput={(v) => set('segment', v)}
          error={errorAt(field('segment'))}
        />
      ) : null}
      {kind === 'message' ? (
        <MessageFields path={path} condition={condition} onChange={onChange} errorAt={errorAt} />
      ) : null}
      {kind === 'randomPercent' ? (
        <TextField
          id={idOf(field('randomPercent'))}
          label="Percent of customers"
          type="number"
          value={String(condition.randomPercent ?? '')}
          onInput={(v) => set('randomPercent', Number(v))}
          error={errorAt(field('randomPercent'))}
        />
      ) : null}
      {onRemove ? (
        <button type="button" class="link" onClick={onRemove}>
          Remove
        </button>
      ) : null}
    </div>
  );
}

function withOptional(condition: Condition, name: string, value: number | undefined): Condition {
  const { [name]: _old, ...rest } = condition;
  return value === undefined ? rest : { ...rest, [name]: value };
}

function OptionalDays(props: {
  id: string;
  label: string;
  value: unknown;
  onChange: (value: number | undefined) => void;
  error: string | undefined;
}) {
  return (
    <TextField
      id={props.id}
      label={props.label}
      type="number"
      value={props.value === undefined ? '' : String(props.value)}
      onInput={(value) => props.onChange(value === '' ? undefined : Number(value))}
      error={props.error}
      help="empty: ever"
    />
  );
}

/** An operator and its value, shaped by the operator: none, one, a list, or a number of days. */
function ValueTest({
  path,
  test,
  onChange,
  errorAt,
}: {
  path: string;
  test: Condition;
  onChange: (condition: Condition) => void;
  errorAt: (path: string) => string | undefined;
}) {
  const op = String(test.op ?? 'equals');
  const setOp = (next: string) => {
    const { value: _value, ...rest } = test;
    const fresh =
      next === 'exists' || next === 'missing'
        ? {}
        : next === 'in' || next === 'notIn'
          ? { value: [] }
          : next === 'withinDays' || next === 'olderThanDays'
            ? { value: 30 }
            : { value: typeof test.value === 'string' || typeof test.value === 'number' ? test.value : '' };
    onChange({ ...rest, op: next, ...fresh });
  };
  const raw = test.value;
  const text = Array.isArray(raw) ? raw.join(', ') : raw === undefined || raw === null ? '' : String(raw);
  const typed = (value: string): unknown => {
    if (op === 'in' || op === 'notIn')
      return value
        .split(',')
        .map((part) => part.trim())
        .filter(Boolean);
    if (op === 'withinDays' || op === 'olderThanDays') return Number(value);
    if (['gt', 'gte', 'lt', 'lte'].includes(op) && value.trim() !== '' && !Number.isNaN(Number(value)))
      return Number(value);
    return value;
  };
  return (
    <>
      <Select
        id={idOf(`${path}.op`)}
        label="Is"
        value={op}
        options={OPERATORS.map((value) => ({ value, label: value }))}
        onChange={setOp}
        error={errorAt(`${path}.op`)}
      />
      {op === 'exists' || op === 'missing' ? null : (
        <TextField
          id={idOf(`${path}.value`)}
          label={
            op === 'in' || op === 'notIn'
              ? 'Values (comma separated)'
              : op.endsWith('Days')
                ? 'Days'
                : 'Value'
          }
          value={text}
          onInput={(value) => onChange({ ...test, value: typed(value) })}
          error={errorAt(`${path}.value`)}
        />
      )}
    </>
  );
}

function EventFields({
  path,
  kind,
  condition,
  onChange,
  errorAt,
}: {
  path: string;
  kind: 'performed' | 'lastPerformed';
  condition: Condition;
  onChange: (condition: Condition) => void;
  errorAt: (path: string) => string | undefined;
}) {
  const where = (condition.where as Condition[] | undefined) ?? [];
  const times = condition.times as { atLeast?: number; atMost?: number } | undefined;
  const setWhere = (next: Condition[]) =>
    onChange(next.length > 0 ? { ...condition, where: next } : withOptional(condition, 'where', undefined));
  return (
    <>
      <TextField
        id={idOf(`${path}.${kind}`)}
        label="Event"
        value={String(condition[kind] ?? '')}
        onInput={(v) => onChange({ ...condition, [kind]: v })}
        error={errorAt(`${path}.${kind}`)}
        help="its name, e.g. Product Viewed (page calls are Page Viewed)"
      />
      {kind === 'performed' ? (
        <>
          <TextField
            id={idOf(`${path}.times.atLeast`)}
            label="At least (times)"
            type="number"
            value={times?.atLeast === undefined ? '' : String(times.atLeast)}
            onInput={(v) => onChange(withTimes(condition, 'atLeast', v))}
            error={errorAt(`${path}.times.atLeast`) ?? errorAt(`${path}.times`)}
          />
          <TextField
            id={idOf(`${path}.times.atMost`)}
            label="At most (times)"
            type="number"
            value={times?.atMost === undefined ? '' : String(times.atMost)}
            onInput={(v) => onChange(withTimes(condition, 'atMost', v))}
            error={errorAt(`${path}.times.atMost`)}
            help="0: did not do it"
          />
          <OptionalDays
            id={idOf(`${path}.withinDays`)}
            label="Within the last (days)"
            value={condition.withinDays}
            onChange={(v) => onChange(withOptional(condition, 'withinDays', v))}
            error={errorAt(`${path}.withinDays`)}
          />
        </>
      ) : (
        <>
          <Select
            id={idOf(`${path}.age`)}
            label="The last time was"
            value={'withinDays' in condition ? 'withinDays' : 'olderThanDays'}
            options={[
              { value: 'olderThanDays', label: 'more than … days ago' },
              { value: 'withinDays', label: 'within the last … days' },
            ]}
            onChange={(value) => {
              const days = Number(condition.withinDays ?? condition.olderThanDays ?? 30);
              const { withinDays: _w, olderThanDays: _o, ...rest } = condition;
              onChange({ ...rest, [value]: days });
            }}
          />
          <TextField
            id={idOf(`${path}.days`)}
            label="Days"
            type="number"
            value={String(condition.withinDays ?? condition.olderThanDays ?? '')}
            onInput={(v) =>
              onChange({
                ...condition,
                ['withinDays' in condition ? 'withinDays' : 'olderThanDays']: Number(v),
              })
            }
            error={errorAt(`${path}.withinDays`) ?? errorAt(`${path}.olderThanDays`)}
          />
        </>
      )}
      <PropertyFilters path={path} where={where} onChange={setWhere} errorAt={errorAt} />
    </>
  );
}

/** An event's property filters (`where`): a property, an operator and a value each. */
export function PropertyFilters({
  path,
  where,
  onChange,
  errorAt,
  legend = 'Where its properties',
}: {
  path: string;
  where: Condition[];
  onChange: (where: Condition[]) => void;
  errorAt: (path: string) => string | undefined;
  legend?: string;
}) {
  const setWhere = onChange;
  return (
    <fieldset class="where">
      <legend>{legend}</legend>
      {where.map((filter, index) => (
        <div class="condition-row" key={index}>
          <TextField
            id={idOf(`${path}.where[${index}].property`)}
            label="Property"
            value={String(filter.property ?? '')}
            onInput={(v) => setWhere(where.map((f, i) => (i === index ? { ...f, property: v } : f)))}
            error={errorAt(`${path}.where[${index}].property`)}
          />
          <ValueTest
            path={`${path}.where[${index}]`}
            test={filter}
            onChange={(next) => setWhere(where.map((f, i) => (i === index ? next : f)))}
            errorAt={errorAt}
          />
          <button type="button" class="link" onClick={() => setWhere(where.filter((_, i) => i !== index))}>
            Remove
          </button>
        </div>
      ))}
      <button type="button" onClick={() => setWhere([...where, { property: '', op: 'equals', value: '' }])}>
        Add a property filter
      </button>
    </fieldset>
  );
}

function withTimes(condition: Condition, bound: 'atLeast' | 'atMost', raw: string): Condition {
  const times = { ...(condition.times as Record<string, number> | undefined) };
  if (raw === '') delete times[bound];
  else times[bound] = Number(raw);
  return Object.keys(times).length > 0
    ? { ...condition, times }
    : withOptional(condition, 'times', undefined);
}

function MessageFields({
  path,
  condition,
  onChange,
  errorAt,
}: {
  path: string;
  condition: Condition;
  onChange: (condition: Condition) => void;
  errorAt: (path: string) => string | undefined;
}) {
  const message = (condition.message as Record<string, unknown>) ?? {};
  const set = (name: string, value: unknown) => {
    const { [name]: _old, ...rest } = message;
    onChange({ message: value === undefined ? rest : { ...rest, [name]: value } });
  };
  return (
    <>
      <TextField
        id={idOf(`${path}.message.journey`)}
        label="Journey"
        value={String(message.journey ?? '')}
        onInput={(v) => set('journey', v)}
        error={errorAt(`${path}.message.journey`)}
      />
      <Select
        id={idOf(`${path}.message.status`)}
        label="Its latest email was"
        value={String(message.status ?? 'opened')}
        options={['sent', 'opened', 'clicked', 'converted'].map((value) => ({ value, label: value }))}
        onChange={(v) => set('status', v)}
      />
      <OptionalDays
        id={idOf(`${path}.message.withinDays`)}
        label="Within the last (days)"
        value={message.withinDays}
        onChange={(v) => set('withinDays', v)}
        error={errorAt(`${path}.message.withinDays`)}
      />
    </>
  );
}

function Choices({
  id,
  label,
  options,
  chosen,
  onChange,
  error,
}: {
  id: string;
  label: string;
  options: string[];
  chosen: string[];
  onChange: (chosen: string[]) => void;
  error: string | undefined;
}) {
  return (
    <fieldset class="choices" aria-describedby={error ? `${id}-error` : undefined}>
      <legend>{label}</legend>
      {options.map((option) => (
        <label key={option}>
          <input
            type="checkbox"
            checked={chosen.includes(option)}
            onChange={(event) =>
              onChange(
                event.currentTarget.checked ? [...chosen, option] : chosen.filter((item) => item !== option),
              )
            }
          />{' '}
          {option}
        </label>
      ))}
      {error ? (
        <p class="field-error" id={`${id}-error`}>
          {error}
        </p>
      ) : null}
    </fieldset>
  );
}

interface Member {
  id: string;
  email: string | null;
  enteredAt: string;
}

function Members({ id }: { id: string }) {
  const [pages, setPages] = useState<Member[][]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [status, setStatus] = useState<string>();
  const started = useRef(false);
  const more = async (from?: string) => {
    try {
      const page = await api<{ members: Member[]; cursor?: string }>(
        `/admin/segments/${encodeURIComponent(id)}/members?limit=50${from ? `&cursor=${from}` : ''}`,
      );
      setPages((previous) => [...previous, page.members]);
      setCursor(page.cursor ?? null);
    } catch (error) {
      setStatus(messageOf(error));
    }
  };
  useEffect(() => {
    if (started.current) return;
    started.current = true;
    void more();
  }, [id]);
  const members = pages.flat();
  return (
    <section class="card" aria-labelledby="members-title">
      <h2 id="members-title">Members</h2>
      <Status message={status} tone="error" />
      {members.length === 0 && cursor === null ? <p>No members yet.</p> : null}
      {members.length > 0 ? (
        <table>
          <thead>
            <tr>
              <th scope="col">Customer</th>
              <th scope="col">Email</th>
              <th scope="col">Entered</th>
            </tr>
          </thead>
          <tbody>
            {members.map((member) => (
              <tr key={member.id}>
                <td>
                  <a href={href('customers', member.id)}>{member.id}</a>
                </td>
                <td>{member.email ?? '—'}</td>
                <td>{when(member.enteredAt)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
      {cursor ? (
        <button type="button" onClick={() => more(cursor)}>
          Show more
        </button>
      ) : null}
    </section>
  );
}
