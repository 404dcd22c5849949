import { useEffect, useState, type FormEvent } from 'react';
import { useAgent, useCall } from '../agent.tsx';
import { applyTheme, type Theme } from '../App.tsx';
import {
  Banner,
  Card,
  EmptyState,
  ErrorBanner,
  Field,
  formErrors,
  KeyValues,
  NO_ERRORS,
  PageHeader,
  type FormErrors,
} from '../components.tsx';
import { LANGUAGE_NAMES, LANGUAGES, useI18n, type Language } from '../i18n/index.tsx';

const AGENT_FIELDS = ['name', 'language', 'theme', 'startAtLogin', 'autoUpdate'] as const;

export function SettingsPage() {
  const { t, setLanguage } = useI18n();
  const agent = useAgent();
  const settings = useCall('getSettings', {});
  const info = useCall('getAgentInfo', {});
  const [name, setName] = useState('');
  const [theme, setTheme] = useState<Theme>('system');
  const [startAtLogin, setStartAtLogin] = useState(false);
  const [autoUpdate, setAutoUpdate] = useState(true);
  const [errors, setErrors] = useState<FormErrors>(NO_ERRORS);
  const [saved, setSaved] = useState(false);
  const { language } = useI18n();

  useEffect(() => {
    const a = settings.data?.agent;
    if (a === undefined) return;
    setName(a.name ?? '');
    setTheme(a.theme);
    setStartAtLogin(a.startAtLogin);
    setAutoUpdate(a.autoUpdate);
  }, [settings.data]);

  const save = (
    patch: Parameters<typeof agent.call<'updateAgentSettings'>>[1],
  ): Promise<boolean> => {
    setErrors(NO_ERRORS);
    setSaved(false);
    return agent.call('updateAgentSettings', patch).then(
      () => {
        setSaved(true);
        return true;
      },
      (error: unknown) => {
        setErrors(formErrors(error, AGENT_FIELDS));
        return false;
      },
    );
  };

  const submit = (event: FormEvent): void => {
    event.preventDefault();
    void save({ name, theme, startAtLogin, autoUpdate });
  };

  return (
    <>
      <PageHeader title={t('settings.title')} subtitle={t('settings.subtitle')} />
      <ErrorBanner error={settings.error} onRetry={settings.reload} />
      <Card title={t('settings.appearance')}>
        <div className="form-grid">
          <Field label={t('settings.language')} error={errors.fields.language}>
            <select
              value={language}
              onChange={(e) => {
                const next = e.target.value as Language;
                setLanguage(next);
                void save({ language: next });
              }}
            >
              {LANGUAGES.map((l) => (
                <option key={l} value={l}>
                  {LANGUAGE_NAMES[l]}
                </option>
              ))}
            </select>
          </Field>
          <Field label={t('settings.theme')} error={errors.fields.theme}>
            <select
              value={theme}
              onChange={(e) => {
                const next = e.target.value as Theme;
                setTheme(next);
                applyTheme(next);
                void save({ theme: next });
              }}
            >
              <option value="system">{t('settings.themeSystem')}</option>
              <option value="light">{t('settings.themeLight')}</option>
              <option value="dark">{t('settings.themeDark')}</option>
            </select>
          </Field>
        </div>
      </Card>
      <form onSubmit={submit} noValidate>
        <Card title={t('settings.agent')}>
          <div className="form-grid">
            <Field
              label={t('settings.agentName')}
              hint={t('settings.agentNameHint')}
              error={errors.fields.name}
            >
              <input
                type="text"
                value={name}
                onChange={(e) => setName(e.target.value)}
                spellCheck={false}
              />
            </Field>
          </div>
          <div className="checks">
            <label className="check">
              <input
                type="checkbox"
                checked={startAtLogin}
                onChange={(e) => setStartAtLogin(e.target.checked)}
              />
              <span>
                {t('settings.startAtLogin')}
                <span className="hint block">{t('settings.startAtLoginHint')}</span>
              </span>
            </label>
            <label className="check">
              <input
                type="checkbox"
                checked={autoUpdate}
                onChange={(e) => setAutoUpdate(e.target.checked)}
              />
              <span>{t('settings.autoUpdate')}</span>
            </label>
          </div>
          {errors.general !== undefined && (
            <p className="field-error" role="alert">
              {errors.general}
            </p>
          )}
          {saved && <Banner tone="success">{t('settings.saved')}</Banner>}
          <div className="form-actions">
            <button type="submit" className="btn btn-primary">
              {t('common.save')}
            </button>
          </div>
        </Card>
      </form>
      <OutboxFolders />
      {info.data !== undefined && (
        <Card title={t('settings.files')}>
          <KeyValues
            rows={[
              [
                t('settings.dataDir'),
                <code key="d" className="mono small">
                  {info.data.dataDir}
                </code>,
              ],
              [
                t('settings.settingsFile'),
                <code key="s" className="mono small">
                  {info.data.settingsPath}
                </code>,
              ],
              [
                t('settings.logFile'),
                <code key="l" className="mono small">
                  {info.data.logFile || '—'}
                </code>,
              ],
            ]}
          />
          <p className="hint">{t('settings.fileHint')}</p>
        </Card>
      )}
    </>
  );
}

interface OutboxConfig {
  outbox?: { dir: string; afterDelivery: 'remove' | 'move' };
}

/** Tentacle targets' outbox folders: files dropped there are queued to that server. */
function OutboxFolders() {
  const { t } = useI18n();
  const targets = useCall('listTargets', {});
  const tentacles = (targets.data ?? []).filter((x) => x.kind === 'tentacle');
  return (
    <Card title={t('settings.outboxes')}>
      <p className="hint">{t('settings.outboxesHint')}</p>
      {tentacles.length === 0 ? (
        <EmptyState title={t('settings.noTentacle')} />
      ) : (
        <table className="table">
          <thead>
            <tr>
              <th scope="col">{t('identity.target')}</th>
              <th scope="col">{t('tentacle.outboxDir')}</th>
              <th scope="col">{t('tentacle.afterDelivery')}</th>
              <th scope="col">
                <span className="visually-hidden">{t('settings.edit')}</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {tentacles.map((target) => {
              const outbox = (target.config as OutboxConfig).outbox;
              return (
                <tr key={target.name}>
                  <td>{target.name}</td>
                  <td>
                    {outbox === undefined ? (
                      <span className="muted">{t('settings.noOutbox')}</span>
                    ) : (
                      <code className="mono small">{outbox.dir}</code>
                    )}
                  </td>
                  <td>
                    {outbox === undefined
                      ? '—'
                      : outbox.afterDelivery === 'move'
                        ? t('tentacle.afterMove')
                        : t('tentacle.afterRemove')}
                  </td>
                  <td>
                    <a href={`#/pair/tentacle/${encodeURIComponent(target.name)}`}>
                      {t('settings.edit')}
                    </a>
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
    </Card>
  );
}
