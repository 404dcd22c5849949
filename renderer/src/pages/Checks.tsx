import { useState } from 'react';
import { useAgent, useCall, useReloadOn } from '../agent.tsx';
import { CheckEditor } from '../checks/CheckEditor.tsx';
import { ImportPanel } from '../checks/ImportPanel.tsx';
import { PandoraAgentsCard } from '../checks/PandoraAgents.tsx';
import { ResultView } from '../checks/ResultView.tsx';
import {
  stateTone,
  type BuiltinPreset,
  type CheckDefinition,
  type CheckRunOutcome,
} from '../checks/types.ts';
import { Badge, Card, EmptyState, ErrorBanner, PageHeader } from '../components.tsx';
import { useI18n } from '../i18n/index.tsx';

type View =
  | { kind: 'list' }
  | { kind: 'edit'; check: CheckDefinition | undefined; preset: BuiltinPreset | undefined }
  | { kind: 'import' };

/**
 * Local checks (issue #10): every check with its last result per target,
 * add/edit with "run now", the built-in presets, and the import flows.
 */
export function ChecksPage() {
  const { t, language } = useI18n();
  const agent = useAgent();
  const checks = useCall('listChecks', {});
  const presets = useCall('listBuiltinPresets', {});
  const pandoraAgents = useCall('listPandoraAgents', {});
  const [view, setView] = useState<View>({ kind: 'list' });
  const [ran, setRan] = useState<Record<string, CheckRunOutcome>>({});
  const [error, setError] = useState<Error | undefined>();
  useReloadOn(['checks.result'], checks.reload);
  const reloadAll = (): void => {
    checks.reload();
    pandoraAgents.reload();
  };
  /** Checks whose Pandora agent's conf the server manages: edited in the Pandora console only. */
  const serverManaged = new Set(
    (pandoraAgents.data ?? [])
      .filter((a) => a.definition.remoteConfig)
      .map((a) => a.definition.name),
  );

  if (view.kind === 'edit') {
    return (
      <>
        <PageHeader title={t('checks.title')} subtitle={t('checks.subtitle')} />
        <CheckEditor
          editing={view.check}
          preset={view.preset}
          onDone={(saved) => {
            setView({ kind: 'list' });
            if (saved) checks.reload();
          }}
        />
      </>
    );
  }

  const runNow = (name: string): void => {
    setError(undefined);
    agent.call('runCheckNow', { name }).then(
      (outcome) => {
        setRan((r) => ({ ...r, [name]: outcome }));
        checks.reload();
      },
      (e: Error) => setError(e),
    );
  };
  const remove = (name: string): void => {
    if (!window.confirm(t('checks.confirmRemove', { name }))) return;
    agent.call('removeCheck', { name }).then(checks.reload, (e: Error) => setError(e));
  };

  const list = checks.data ?? [];
  return (
    <>
      <PageHeader
        title={t('checks.title')}
        subtitle={t('checks.subtitle')}
        actions={
          <>
            <button
              type="button"
              className="btn"
              onClick={() =>
                setView(view.kind === 'import' ? { kind: 'list' } : { kind: 'import' })
              }
            >
              {t('checks.import.open')}
            </button>
            <button
              type="button"
              className="btn btn-primary"
              onClick={() => setView({ kind: 'edit', check: undefined, preset: undefined })}
            >
              {t('checks.add')}
            </button>
          </>
        }
      />
      <ErrorBanner error={checks.error ?? error} onRetry={checks.reload} />
      {view.kind === 'import' && <ImportPanel onImported={reloadAll} />}
      <PandoraAgentsCard agents={pandoraAgents.data ?? []} onChanged={reloadAll} />
      <Card title={t('checks.listTitle')}>
        {list.length === 0 ? (
          <EmptyState title={t('checks.empty')}>
            <p className="muted">{t('checks.emptyBody')}</p>
          </EmptyState>
        ) : (
          <table className="table" data-testid="checks-table">
            <thead>
              <tr>
                <th scope="col">{t('checks.name')}</th>
                <th scope="col">{t('checks.last')}</th>
                <th scope="col">{t('checks.targets')}</th>
                <th scope="col">
                  <span className="visually-hidden">{t('checks.actions')}</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {list.map((c) => {
                const managed =
                  c.definition.pandoraAgent !== undefined &&
                  serverManaged.has(c.definition.pandoraAgent);
                return (
                  <tr key={c.definition.name}>
                    <td>
                      <strong>{c.definition.name}</strong>
                      {managed && (
                        <>
                          {' '}
                          <Badge tone="idle">{t('pandora.checkManaged')}</Badge>
                        </>
                      )}
                      <span className="hint block">
                        {c.definition.command !== undefined
                          ? c.definition.command.argv.join(' ')
                          : t('checks.builtinLabel', { kind: c.definition.builtin?.kind ?? '' })}
                        {' · '}
                        {t('checks.every', { seconds: c.definition.interval })}
                        {c.definition.enabled ? '' : ` · ${t('checks.disabled')}`}
                      </span>
                    </td>
                    <td>
                      {c.lastResult === undefined ? (
                        <span className="muted">{t('checks.never')}</span>
                      ) : (
                        <>
                          <Badge tone={stateTone(c.lastResult.state)}>
                            {c.lastResult.stateName}
                          </Badge>{' '}
                          <span className="small">{c.lastResult.output}</span>
                          <span className="hint block">
                            {new Date(c.lastResult.executionEnd * 1000).toLocaleString(language)}
                          </span>
                        </>
                      )}
                    </td>
                    <td>
                      <ul className="plain">
                        {c.targets.map((target) => (
                          <li key={target.target}>
                            {target.target}:{' '}
                            {target.error !== undefined ? (
                              <span className="text-bad" title={target.error}>
                                {t('checks.targetError', { error: target.error })}
                              </span>
                            ) : (
                              <span className="muted">
                                {target.historyId !== undefined
                                  ? t('checks.recorded')
                                  : (target.itemState ??
                                    (target.itemIds.length > 0 ? t('checks.queued') : '—'))}
                              </span>
                            )}
                          </li>
                        ))}
                      </ul>
                    </td>
                    <td>
                      <div className="actions">
                        <button
                          type="button"
                          className="btn btn-small"
                          onClick={() => runNow(c.definition.name)}
                        >
                          {t('checks.runNow')}
                        </button>
                        {managed ? (
                          <span className="hint">{t('pandora.checkManagedHint')}</span>
                        ) : (
                          <>
                            <button
                              type="button"
                              className="btn btn-small btn-ghost"
                              onClick={() =>
                                setView({ kind: 'edit', check: c.definition, preset: undefined })
                              }
                            >
                              {t('checks.edit')}
                            </button>
                            <button
                              type="button"
                              className="btn btn-small btn-danger"
                              onClick={() => remove(c.definition.name)}
                            >
                              {t('checks.remove')}
                            </button>
                          </>
                        )}
                      </div>
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        )}
      </Card>
      {Object.entries(ran).map(([name, outcome]) => (
        <Card key={name} title={t('checks.ranNow', { name })}>
          <ResultView result={outcome.result} />
        </Card>
      ))}
      <Card title={t('checks.presets')}>
        <div className="grid">
          {(presets.data ?? []).map((p) => (
            <div key={p.kind} className="subcard">
              <h3>{p.title}</h3>
              <p className="hint">{p.description}</p>
              <button
                type="button"
                className="btn btn-small"
                onClick={() => setView({ kind: 'edit', check: undefined, preset: p })}
              >
                {t('checks.usePreset')}
              </button>
            </div>
          ))}
        </div>
      </Card>
    </>
  );
}
