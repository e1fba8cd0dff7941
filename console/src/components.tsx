/** Small building blocks: labelled fields with their error, status messages, a loading guard. */
import type { ComponentChildren } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { ApiError } from './api.ts';

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
  type?: 'text' | 'number' | 'email' | 'date' | 'password';
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

export function TextField({ id, label, value, onInput, error, help, type = 'text', ...rest }: InputProps) {
  return (
    <Field
      id={id}
      label={label}
      help={help}
      error={error}
      control={(aria) => (
        <input
          id={id}
          type={type}
          value={value}
          {...aria}
          onInput={(event) => onInput(event.currentTarget.value)}
          {...rest}
        />
      )}
    />
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
  options: { value: string; label: string }[];
  onChange: (value: string) => void;
  error?: string | undefined;
  help?: string;
}) {
  const { id, value, options, onChange } = props;
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

/** A confirmation that must be typed: for what cannot be undone. */
export function ConfirmDialog({
  open,
  title,
  body,
  confirmWord,
  action,
  onConfirm,
  onCancel,
}: {
  open: boolean;
  title: string;
  body: string;
  confirmWord: string;
  action: string;
  onConfirm: () => void;
  onCancel: () => void;
}) {
  const [typed, setTyped] = useState('');
  const dialog = useRef<HTMLDivElement>(null);
  const cancel = useRef(onCancel);
  cancel.current = onCancel;
  useEffect(() => {
    setTyped('');
    if (!open) return;
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
            Cancel
          </button>
        </div>
      </div>
    </div>
  );
}
