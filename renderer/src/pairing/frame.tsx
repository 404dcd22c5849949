import { useId, useState, type ReactNode } from 'react';
import { Badge, Code, CodeBlock } from '../components.tsx';
import { useI18n, type MessageKey } from '../i18n/index.tsx';

/** Steps on the left, the current step in the middle, "on the server" on the right. */
export function WizardFrame(props: {
  steps: MessageKey[];
  current: number;
  children: ReactNode;
  server: ReactNode;
  /** Every step is done: the last one shows a tick too. */
  finished?: boolean;
}) {
  const { t } = useI18n();
  const done = (i: number): boolean => i < props.current || props.finished === true;
  return (
    <div className="wizard">
      <ol className="stepper" aria-label={t('pair.steps')}>
        {props.steps.map((step, i) => (
          <li
            key={step}
            className={done(i) ? 'done' : i === props.current ? 'current' : undefined}
            aria-current={i === props.current ? 'step' : undefined}
          >
            <span className="step-number" aria-hidden="true">
              {done(i) ? '✓' : i + 1}
            </span>
            {t(step)}
          </li>
        ))}
      </ol>
      <section className="card wizard-body">{props.children}</section>
      <aside className="card server-panel" aria-label={t('pair.onServer')}>
        <h2>{t('pair.onServer')}</h2>
        {props.server}
      </aside>
    </div>
  );
}

/** A reopened target: how it stands now, then the wizard that pairs it again. */
export function PairAgain(props: { current: ReactNode; children: ReactNode }) {
  const { t } = useI18n();
  return (
    <>
      {props.current}
      <h2 className="section-title">{t('icinga.pairAgain')}</h2>
      {props.children}
    </>
  );
}

/**
 * A wizard step's buttons: back and cancel when the step offers them, then
 * the step's own action, which submits the step's form unless it has an onClick.
 */
export function WizardActions(props: {
  onBack?: () => void;
  onCancel?: () => void;
  action: string;
  onAction?: () => void;
  disabled?: boolean;
}) {
  const { t } = useI18n();
  return (
    <div className="form-actions">
      {props.onBack !== undefined && (
        <button type="button" className="btn btn-ghost" onClick={props.onBack}>
          {t('common.back')}
        </button>
      )}
      {props.onCancel !== undefined && (
        <button type="button" className="btn btn-ghost" onClick={props.onCancel}>
          {t('common.cancel')}
        </button>
      )}
      <button
        type={props.onAction === undefined ? 'submit' : 'button'}
        className="btn btn-primary"
        disabled={props.disabled}
        onClick={props.onAction}
      >
        {props.action}
      </button>
    </div>
  );
}

export function WizardError(props: { message: string | undefined }) {
  if (props.message === undefined) return null;
  return (
    <div className="banner banner-error" role="alert">
      {props.message}
    </div>
  );
}

export function ServerStep(props: { title: string; text?: string; children?: ReactNode }) {
  return (
    <div className="server-step">
      <h3>{props.title}</h3>
      {props.children}
      {props.text !== undefined && <CodeBlock text={props.text} label={props.title} />}
    </div>
  );
}

/** Upper-case hex pairs, whatever the admin pasted (colons, spaces, `sha256/`, lower case). */
export function canonicalFingerprint(value: string): string {
  // `openssl x509 -fingerprint` prints `sha256 Fingerprint=AB:CD…`: keep what follows '='.
  const afterEquals = value.slice(value.lastIndexOf('=') + 1).trim();
  const hex = afterEquals
    .replace(/^sha-?256[/:]/i, '')
    .replace(/[^0-9a-f]/gi, '')
    .toUpperCase();
  return hex.replace(/(..)(?!$)/g, '$1:');
}

/**
 * Trust on first use (issue #8): the fingerprint the server presented next to
 * the one the admin reads on the server; the two are compared as the admin
 * pastes, and accepting is a separate, explicit click.
 */
export function FingerprintCompare(props: {
  presented: string;
  subject?: string | undefined;
  serverCommand: string;
  /** 'hex': SHA-256 fingerprints in any spelling; 'exact': JWK thumbprints (base64url, case matters). */
  compare?: 'hex' | 'exact';
}) {
  const { t } = useI18n();
  const [pasted, setPasted] = useState('');
  const id = useId();
  const same =
    props.compare === 'exact'
      ? pasted.trim() === props.presented
      : canonicalFingerprint(pasted) === canonicalFingerprint(props.presented);
  const verdict = pasted.trim() === '' ? undefined : same ? 'match' : 'mismatch';
  return (
    <div className="compare">
      <div className="compare-side">
        <h3>{t('tofu.presented')}</h3>
        {props.subject !== undefined && <p className="muted small">{props.subject}</p>}
        <Code
          value={props.presented}
          label={t('identity.copyFingerprint')}
          testId="presented-fingerprint"
        />
      </div>
      <div className="compare-side">
        <h3>
          <label htmlFor={id}>{t('tofu.onServer')}</label>
        </h3>
        <p className="muted small">
          {t('tofu.runThis')} <code className="mono">{props.serverCommand}</code>
        </p>
        <input
          id={id}
          type="text"
          className="mono"
          value={pasted}
          spellCheck={false}
          onChange={(e) => setPasted(e.target.value)}
        />
        {verdict === 'match' && <Badge tone="ok">{t('tofu.match')}</Badge>}
        {verdict === 'mismatch' && <Badge tone="bad">{t('tofu.mismatch')}</Badge>}
      </div>
    </div>
  );
}
