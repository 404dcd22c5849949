import { useState, type FormEvent } from 'react';
import { useAgent } from '../agent.tsx';
import { Badge, Card, Field } from '../components.tsx';
import { CheckboxField, FormError, InputField, TextareaField } from '../fields.tsx';
import { useI18n } from '../i18n/index.tsx';
import type { ImportReport } from './types.ts';

/** What an import created, and every line it could not map. */
export function ImportReportView(props: { report: ImportReport }) {
  const { t } = useI18n();
  const r = props.report;
  return (
    <div className="stack" data-testid="import-report">
      {r.target !== undefined && (
        <p>
          <Badge tone={r.target.created || r.dryRun ? 'ok' : 'idle'}>
            {r.dryRun
              ? t('checks.import.wouldCreate')
              : r.target.created
                ? t('checks.import.created')
                : t('checks.import.kept')}
          </Badge>{' '}
          {t('checks.import.target', { name: r.target.name, kind: r.target.kind })}
        </p>
      )}
      {r.pandoraAgent !== undefined && (
        <p>
          <Badge tone={r.pandoraAgent.remoteConfig ? 'ok' : 'idle'}>
            {r.pandoraAgent.remoteConfig ? t('pandora.managedByServer') : t('pandora.local')}
          </Badge>{' '}
          {r.pandoraAgent.name} ({r.pandoraAgent.agentName})
        </p>
      )}
      {r.secrets.map((s) => (
        <p key={s} className="small">
          {t('checks.import.secret', { name: s })}
        </p>
      ))}
      {r.certificates.map((c) => (
        <p key={c} className="small">
          {t('checks.import.certificate', { name: c })}
        </p>
      ))}
      {r.checks.length > 0 && (
        <ul className="plain">
          {r.checks.map((c) => (
            <li key={c.name}>
              <Badge tone={c.created ? 'ok' : 'idle'}>
                {c.created ? t('checks.import.created') : t('checks.import.notCreated')}
              </Badge>{' '}
              {c.name}
              {c.reason !== undefined && <span className="muted"> — {c.reason}</span>}
            </li>
          ))}
        </ul>
      )}
      {r.unmapped.length > 0 && (
        <table className="table">
          <caption>{t('checks.import.unmapped')}</caption>
          <thead>
            <tr>
              <th scope="col">{t('checks.import.line')}</th>
              <th scope="col">{t('checks.import.text')}</th>
              <th scope="col">{t('checks.import.why')}</th>
            </tr>
          </thead>
          <tbody>
            {r.unmapped.map((u, i) => (
              <tr key={i}>
                <td className="mono">{u.line ?? '—'}</td>
                <td className="mono small">{u.text ?? u.file}</td>
                <td>{u.reason}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {r.notes.map((n, i) => (
        <p key={i} className="hint">
          {n}
        </p>
      ))}
    </div>
  );
}

/** Import flows: a Pandora agent's pandora_agent.conf (pasted or chosen), an Icinga agent's directory. */
export function ImportPanel(props: { onImported(): void }) {
  const { t } = useI18n();
  const agent = useAgent();
  const [kind, setKind] = useState<'pandora' | 'icinga'>('pandora');
  const [content, setContent] = useState('');
  const [dir, setDir] = useState('/etc/icinga2');
  const [certsDir, setCertsDir] = useState('');
  const [target, setTarget] = useState('');
  const [allowPlain, setAllowPlain] = useState(false);
  const [report, setReport] = useState<ImportReport | undefined>();
  const [error, setError] = useState<string | undefined>();

  const run = (dryRun: boolean): void => {
    setError(undefined);
    const named = target.trim() === '' ? {} : { target: target.trim() };
    const call =
      kind === 'pandora'
        ? agent.call('importPandora', { content, dryRun, allowPlainPassword: allowPlain, ...named })
        : agent.call('importIcinga', {
            dir,
            dryRun,
            ...named,
            ...(certsDir.trim() === '' ? {} : { certsDir: certsDir.trim() }),
          });
    call.then(
      (r) => {
        setReport(r);
        if (!dryRun) props.onImported();
      },
      (e: Error) => setError(e.message),
    );
  };
  const submit = (event: FormEvent): void => {
    event.preventDefault();
    run(false);
  };

  return (
    <form onSubmit={submit} aria-label={t('checks.import.title')}>
      <Card title={t('checks.import.title')}>
        <div className="radio-cards">
          {(['pandora', 'icinga'] as const).map((k) => (
            <label key={k} className="radio-card">
              <input
                type="radio"
                name="import-kind"
                checked={kind === k}
                onChange={() => {
                  setKind(k);
                  setReport(undefined);
                }}
              />
              <span>{t(`checks.import.${k}`)}</span>
            </label>
          ))}
        </div>
        {kind === 'pandora' ? (
          <>
            <Field label={t('checks.import.file')}>
              <input
                type="file"
                onChange={(e) => {
                  const file = e.target.files?.[0];
                  if (file !== undefined) void file.text().then(setContent);
                }}
              />
            </Field>
            <TextareaField
              label={t('checks.import.content')}
              hint={t('checks.import.contentHint')}
              className="mono small"
              rows={8}
              value={content}
              onChange={setContent}
            />
            <CheckboxField
              label={t('checks.import.allowPlain')}
              hint={t('checks.import.allowPlainHint')}
              checked={allowPlain}
              onChange={setAllowPlain}
            />
          </>
        ) : (
          <div className="form-grid">
            <InputField
              label={t('checks.import.dir')}
              hint={t('checks.import.dirHint')}
              className="mono"
              value={dir}
              onChange={setDir}
            />
            <InputField
              label={t('checks.import.certsDir')}
              hint={t('checks.import.certsDirHint')}
              className="mono"
              value={certsDir}
              onChange={setCertsDir}
            />
          </div>
        )}
        <InputField
          label={t('checks.import.targetName')}
          hint={t('checks.import.targetNameHint', { name: kind })}
          value={target}
          onChange={setTarget}
        />
        <FormError message={error} />
        {report !== undefined && <ImportReportView report={report} />}
        <div className="form-actions">
          <button type="button" className="btn" onClick={() => run(true)}>
            {t('checks.import.preview')}
          </button>
          <button type="submit" className="btn btn-primary">
            {t('checks.import.apply')}
          </button>
        </div>
      </Card>
    </form>
  );
}
