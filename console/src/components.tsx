/**
 * Small building blocks: labelled fields with their error (also fields named by the path the API
 * gives problems for), status messages, a loading guard, key figures, a list's name cell.
 */
import type { ComponentChildren } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { ApiError } from './api.ts';

/** An HTML id for a field path (`condition.all[0].op` -> `condition-all-0-op`). */
export const idOf = (path: string) => path.replace(/[^A-Za-z0-9]+/g, '-').replace(/-$/, '');

/** The API's error for a field path, if any. */
export type ErrorAt = (path: string) => string | undefined;

/**
 * The id and error of the field for a path of what the API takes: its id is the path's (where a
 * problem's link puts the focus), its error the first the API gave for the path or, failing that,
 * for one of the `also` paths (the whole it belongs to). Spread it on a field: `{...at('caps.perDay')}`.
 */
export const fieldAt =
  (errorAt: ErrorAt) =>
  (path: string, ...also: string[]) => ({
    id: idOf(path),
    error: [path, ...also].map(errorAt).find((message) => message !== undefined),
  });

/** A number, or what the marketer is typing (`''` for an empty box; the API says what is wrong). */
export type Num = number | string;

/** `''` for an empty box, else the number typed. */
export const numberOf = (text: string): Num => (text.trim() === '' ? '' : Number(text));

/** An emptied number box: the field left out (an optional number). */
export const absentIfEmpty = (value: Num): Num | undefined => (value === '' ? undefined : value);

export function FieldError({ id, message }: { id: string; message: string | undefined }) {
  return message ? (
    <p class="field-error" id={id}>
      {message}
    </p>
  ) : null;
}

interface InputProps {
  id: string;
  label: string;
  value: string | number;
  onInput: (value: string) => void;
  error?: string | undefined;
  help?: string;
  type?: 'text' | 'number' | 'email' | 'date' | 'time' | 'datetime-local' | 'password';
  step?: string;
  min?: number;
  max?: number;
  required?: boolean;
}

/** The ids of a field's help and error text, for aria-describedby (undefined when it has neither). */
function describedBy(id: string, help: string | undefined, error: string | undefined): string | undefined {
  return [help ? `${id}-help` : '', error ? `${id}-error` : ''].filter(Boolean).join(' ') || undefined;
}

interface FieldAria {
  'aria-invalid': 'true' | undefined;
  'aria-describedby': string | undefined;
}

/** A labelled control with its help and error text, tied to it for screen readers. */
function Field({
  id,
  label,
  help,
  error,
  control,
}: {
  id: string;
  label: string;
  help?: string | undefined;
  error?: string | undefined;
  control: (aria: FieldAria) => ComponentChildren;
}) {
  return (
    <div class="field">
      <label for={id}>{label}</label>
      {control({
        'aria-invalid': error ? 'true' : undefined,
        'aria-describedby': describedBy(id, help, error),
      })}
      {help ? (
        <p class="help" id={`${id}-help`}>
          {help}
        </p>
      ) : null}
      <FieldError id={`${id}-error`} message={error} />
    </div>
  );
}

/** A labelled text box: one line (`input`), or a `textarea` when it has `rows`. */
function TextBox({
  id,
  label,
  value,
  onInput,
  error,
  help,
  rows,
  ...rest
}: Omit<InputProps, 'type'> & { type?: InputProps['type']; rows?: number; spellcheck?: boolean }) {
  return (
    <Field
      id={id}
      label={label}
      help={help}
      error={error}
      control={(aria) => {
        const control = {
          id,
          value,
          ...aria,
          onInput: (event: { currentTarget: { value: string } }) => onInput(event.currentTarget.value),
          ...rest,
        };
        return rows === undefined ? <input {...control} /> : <textarea rows={rows} {...control} />;
      }}
    />
  );
}

export function TextField({ type = 'text', ...props }: InputProps) {
  return <TextBox type={type} {...props} />;
}

/** A number in a text box: shows the number (or what is typed) and hands back a number, or `''` when empty. */
export function NumberField({
  value,
  onInput,
  ...rest
}: Omit<InputProps, 'type' | 'value' | 'onInput'> & {
  value: Num | undefined;
  onInput: (value: Num) => void;
}) {
  return (
    <TextField
      type="number"
      value={String(value ?? '')}
      onInput={(text) => onInput(numberOf(text))}
      {...rest}
    />
  );
}

export function TextArea({
  spellcheck = false,
  ...props
}: {
  id: string;
  label: string;
  value: string;
  rows: number;
  onInput: (value: string) => void;
  error?: string | undefined;
  help?: string;
  spellcheck?: boolean;
}) {
  return <TextBox spellcheck={spellcheck} {...props} />;
}

/** From and To days (`YYYY-MM-DD`), each with its error. Ids: `${idPrefix}from`, `${idPrefix}to`. */
export function DayRange({
  idPrefix = '',
  value,
  onChange,
  errors = {},
}: {
  idPrefix?: string;
  value: { from: string; to: string };
  onChange: (value: { from: string; to: string }) => void;
  errors?: { from?: string | undefined; to?: string | undefined };
}) {
  return (
    <>
      {(['from', 'to'] as const).map((end) => (
        <TextField
          key={end}
          id={`${idPrefix}${end}`}
          label={end === 'from' ? 'From' : 'To'}
          type="date"
          value={value[end]}
          onInput={(day) => onChange({ ...value, [end]: day })}
          error={errors[end]}
        />
      ))}
    </>
  );
}

export function Checkbox({
  id,
  label,
  checked,
  onChange,
  error,
}: {
  id: string;
  label: string;
  checked: boolean;
  onChange: (checked: boolean) => void;
  error?: string | undefined;
}) {
  return (
    <div class="field checkbox">
      <input
        id={id}
        type="checkbox"
        checked={checked}
        aria-invalid={error ? 'true' : undefined}
        aria-describedby={error ? `${id}-error` : undefined}
        onChange={(event) => onChange(event.currentTarget.checked)}
      />
      <label for={id}>{label}</label>
      <FieldError id={`${id}-error`} message={error} />
    </div>
  );
}

export function Select(props: {
  id: string;
  label: string;
  value: string;
  /** A plain string is its own label. */
  options: readonly (string | { value: string; label: string })[];
  onChange: (value: string) => void;
  error?: string | undefined;
  help?: string;
}) {
  const { id, value, onChange } = props;
  const options = props.options.map((option) =>
    typeof option === 'string' ? { value: option, label: option } : option,
  );
  return (
    <Field
      {...props}
      control={(aria) => (
        <select id={id} value={value} {...aria} onChange={(event) => onChange(event.currentTarget.value)}>
          {options.map((option) => (
            <option key={option.value} value={option.value}>
              {option.label}
            </option>
          ))}
        </select>
      )}
    />
  );
}

/** A polite live region: screen readers hear what changed ("Saved", "Published version 3"). */
export function Status({ message, tone = 'info' }: { message: string | undefined; tone?: 'info' | 'error' }) {
  return (
    <p class={`status ${tone}`} role={tone === 'error' ? 'alert' : 'status'}>
      {message ?? ''}
    </p>
  );
}

/** An error of a whole row or group of fields, which has no field of its own to sit under. */
export function RowError({ message }: { message: string | undefined }) {
  return message ? <p class="field-error row-error">{message}</p> : null;
}

export function messageOf(error: unknown): string {
  return error instanceof ApiError || error instanceof Error ? error.message : String(error);
}

/** Loads data for a page and shows loading and error states while it is not there. */
export function useLoad<T>(load: () => Promise<T>, deps: unknown[]) {
  const [state, setState] = useState<{ data?: T; error?: string; loading: boolean }>({ loading: true });
  const [generation, setGeneration] = useState(0);
  useEffect(() => {
    let live = true;
    setState((previous) => ({ ...previous, loading: true }));
    load().then(
      (data) => live && setState({ data, loading: false }),
      (error: unknown) => live && setState({ error: messageOf(error), loading: false }),
    );
    return () => {
      live = false;
    };
  }, [...deps, generation]);
  return { ...state, reload: () => setGeneration((value) => value + 1) };
}

export function Loading<T>({
  state,
  children,
}: {
  state: { data?: T; error?: string; loading: boolean };
  children: (data: T) => ComponentChildren;
}) {
  if (state.error) return <Status tone="error" message={state.error} />;
  if (state.data === undefined) return <p aria-busy="true">Loading…</p>;
  return <>{children(state.data)}</>;
}

/** Key figures, each a label over its value. */
export function Figures({
  figures,
  label,
  class: extra,
}: {
  figures: readonly (readonly [string, ComponentChildren])[];
  label?: string;
  class?: string;
}) {
  return (
    <dl class={extra ? `kpis ${extra}` : 'kpis'} aria-label={label}>
      {figures.map(([term, value]) => (
        <div key={term}>
          <dt>{term}</dt>
          <dd>{value}</dd>
        </div>
      ))}
    </dl>
  );
}

/** A list's row header: the item's name linked to its page, a badge when it is built in, and what goes below. */
export function NameCell({
  href,
  name,
  builtIn = false,
  children,
}: {
  href: string;
  name: string;
  builtIn?: boolean;
  children?: ComponentChildren;
}) {
  return (
    <th scope="row">
      <a href={href}>{name}</a>
      {builtIn ? <span class="badge">built-in</span> : null}
      {children}
    </th>
  );
}

/** A confirmation that must be typed: for what cannot be undone. */
export function ConfirmDialog({
  open,
  title,
  body,
  confirmWord,
  action,
  dismiss = 'Cancel',
  onConfirm,
  onCancel,
}: {
  open: boolean;
  title: string;
  body: string;
  confirmWord: string;
  action: string;
  /** The button that backs out (Cancel, unless that would read as the action itself). */
  dismiss?: string;
  onConfirm: () => void;
  onCancel: () => void;
}) {
  const [typed, setTyped] = useState('');
  const dialog = useRef<HTMLDivElement>(null);
  const cancel = useRef(onCancel);
  cancel.current = onCancel;
  useEffect(() => {
    // Emptied as it closes, not as it opens: this runs after the dialog is drawn, and what a quick
    // hand typed by then must stay.
    if (!open) {
      setTyped('');
      return;
    }
    // Focus goes into the dialog, Escape cancels, and focus returns where it was.
    const before = document.activeElement as HTMLElement | null;
    dialog.current?.querySelector('input')?.focus();
    const onKey = (event: KeyboardEvent) => event.key === 'Escape' && cancel.current();
    addEventListener('keydown', onKey);
    return () => {
      removeEventListener('keydown', onKey);
      before?.focus();
    };
  }, [open]);
  if (!open) return null;
  return (
    <div class="dialog-backdrop">
      <div
        class="dialog"
        ref={dialog}
        role="alertdialog"
        aria-modal="true"
        aria-labelledby="dialog-title"
        aria-describedby="dialog-body"
      >
        <h2 id="dialog-title">{title}</h2>
        <p id="dialog-body">{body}</p>
        <TextField
          id="confirm-word"
          label={`Type ${confirmWord} to confirm`}
          value={typed}
          onInput={setTyped}
        />
        <div class="actions">
          <button type="button" class="danger" disabled={typed !== confirmWord} onClick={onConfirm}>
            {action}
          </button>
          <button type="button" onClick={onCancel}>
            {dismiss}
          </button>
        </div>
      </div>
    </div>
  );
}
