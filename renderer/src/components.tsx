import { cloneElement, useId, useState, type ReactElement, type ReactNode } from 'react';
import { useI18n } from './i18n/index.tsx';
import { AgentError } from './transport/index.ts';

export function PageHeader(props: { title: string; subtitle?: string; actions?: ReactNode }) {
  return (
    <header className="page-header">
      <div>
        <h1>{props.title}</h1>
        {props.subtitle !== undefined && <p className="muted">{props.subtitle}</p>}
      </div>
      {props.actions !== undefined && <div className="actions">{props.actions}</div>}
    </header>
  );
}

export function Card(props: {
  title?: ReactNode;
  children: ReactNode;
  className?: string;
  actions?: ReactNode;
}) {
  return (
    <section className={`card ${props.className ?? ''}`}>
      {(props.title !== undefined || props.actions !== undefined) && (
        <div className="card-head">
          {props.title !== undefined && <h2>{props.title}</h2>}
          {props.actions}
        </div>
      )}
      {props.children}
    </section>
  );
}

export function EmptyState(props: { title: string; children?: ReactNode }) {
  return (
    <div className={props.children === undefined ? 'empty empty-quiet' : 'empty'}>
      <p className="empty-title">{props.title}</p>
      {props.children}
    </div>
  );
}

export function ErrorBanner(props: { error: Error | undefined; onRetry?: () => void }) {
  const { t } = useI18n();
  if (props.error === undefined) return null;
  return (
    <div className="banner banner-error" role="alert">
      <span>{props.error.message}</span>
      {props.onRetry !== undefined && (
        <button type="button" className="btn btn-small" onClick={props.onRetry}>
          {t('common.retry')}
        </button>
      )}
    </div>
  );
}

export function Banner(props: { tone: 'info' | 'warning' | 'success'; children: ReactNode }) {
  return (
    <div
      className={`banner banner-${props.tone}`}
      role={props.tone === 'warning' ? 'alert' : 'status'}
    >
      {props.children}
    </div>
  );
}

/** A labelled control with its error (from the AgentError `field`) right below it. */
export function Field(props: {
  label: string;
  hint?: string;
  error?: string | undefined;
  children: ReactElement<Record<string, unknown>>;
}) {
  const id = useId();
  const hintId = `${id}-hint`;
  const errorId = `${id}-error`;
  const describedBy = [
    props.hint !== undefined ? hintId : '',
    props.error !== undefined ? errorId : '',
  ]
    .filter((s) => s !== '')
    .join(' ');
  return (
    <div className={`field ${props.error !== undefined ? 'field-invalid' : ''}`}>
      <label htmlFor={id}>{props.label}</label>
      {cloneElement(props.children, {
        id,
        'aria-invalid': props.error !== undefined ? true : undefined,
        'aria-describedby': describedBy === '' ? undefined : describedBy,
      })}
      {props.hint !== undefined && (
        <p className="hint" id={hintId}>
          {props.hint}
        </p>
      )}
      {props.error !== undefined && (
        <p className="field-error" id={errorId} role="alert">
          {props.error}
        </p>
      )}
    </div>
  );
}

export function CopyButton(props: { value: string; label?: string }) {
  const { t } = useI18n();
  const [copied, setCopied] = useState(false);
  return (
    <button
      type="button"
      className="btn btn-small btn-ghost"
      aria-label={props.label ?? t('common.copy')}
      onClick={() => {
        void navigator.clipboard?.writeText(props.value).then(() => {
          setCopied(true);
          setTimeout(() => setCopied(false), 1500);
        });
      }}
    >
      {copied ? t('common.copied') : t('common.copy')}
    </button>
  );
}

/** A fingerprint or thumbprint: monospace, selectable, with a copy button. */
export function Code(props: { value: string; label: string; testId?: string }) {
  return (
    <div className="code-row">
      <code className="mono" data-testid={props.testId}>
        {props.value}
      </code>
      <CopyButton value={props.value} label={props.label} />
    </div>
  );
}

export function CodeBlock(props: { text: string; label: string }) {
  return (
    <div className="code-block">
      <CopyButton value={props.text} label={props.label} />
      <pre tabIndex={0} aria-label={props.label}>
        {props.text}
      </pre>
    </div>
  );
}

export type Tone = 'ok' | 'warn' | 'bad' | 'idle' | 'busy';

export function Badge(props: { tone: Tone; children: ReactNode }) {
  return <span className={`badge badge-${props.tone}`}>{props.children}</span>;
}

export function KeyValues(props: { rows: Array<[string, ReactNode]> }) {
  return (
    <dl className="kv">
      {props.rows.map(([k, v]) => (
        <div key={k} className="kv-row">
          <dt>{k}</dt>
          <dd>{v}</dd>
        </div>
      ))}
    </dl>
  );
}

/** Field errors from the core's validation, plus the message of anything else. */
export interface FormErrors {
  fields: Record<string, string>;
  general: string | undefined;
}

export const NO_ERRORS: FormErrors = { fields: {}, general: undefined };

export function formErrors(error: unknown, knownFields: readonly string[]): FormErrors {
  const message = error instanceof Error ? error.message : String(error);
  if (error instanceof AgentError && error.field !== undefined) {
    const field = knownFields.find((f) => error.field === f || error.field!.startsWith(`${f}.`));
    if (field !== undefined) return { fields: { [field]: message }, general: undefined };
  }
  return { fields: {}, general: message };
}

export function formatTime(value: number | string | undefined, language: string): string {
  if (value === undefined) return '—';
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) return '—';
  return date.toLocaleString(language);
}

export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${unit === 0 ? value : value.toFixed(1)} ${units[unit]}`;
}

export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '—';
  if (seconds < 60) return `${Math.ceil(seconds)} s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min ${Math.round(seconds % 60)} s`;
  return `${Math.floor(seconds / 3600)} h ${Math.round((seconds % 3600) / 60)} min`;
}
