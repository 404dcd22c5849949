import { useEffect, useState, type FormEvent } from 'react';
import { useAgent, useCall } from '../agent.tsx';
import { applyTheme, type Theme } from '../theme.ts';
import {
  Banner,
  Card,
  EmptyState,
  ErrorBanner,
  formErrors,
  KeyValues,
  NO_ERRORS,
  PageHeader,
  type FormErrors,
} from '../components.tsx';
import { CheckboxField, FormFooter, InputField, SelectField } from '../fields.tsx';
import { CommandPolicyEditor } from '../pairing/CommandPolicyEditor.tsx';
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
          <SelectField
            label={t('settings.language')}
            error={errors.fields.language}
            value={language}
            onChange={(value) => {
              const next = value as Language;
              setLanguage(next);
              void save({ language: next });
            }}
          >
            {LANGUAGES.map((l) => (
              <option key={l} value={l}>
                {LANGUAGE_NAMES[l]}
              </option>
            ))}
          </SelectField>
          <SelectField
            label={t('settings.theme')}
            error={errors.fields.theme}
            value={theme}
            onChange={(value) => {
              const next = value as Theme;
              setTheme(next);
              applyTheme(next);
              void save({ theme: next });
            }}
          >
            <option value="system">{t('settings.themeSystem')}</option>
            <option value="light">{t('settings.themeLight')}</option>
            <option value="dark">{t('settings.themeDark')}</option>
          </SelectField>
        </div>
      </Card>
      <form onSubmit={submit} noValidate>
        <Card title={t('settings.agent')}>
          <div className="form-grid">
            <InputField
              label={t('settings.agentName')}
              hint={t('settings.agentNameHint')}
              error={errors.fields.name}
              value={name}
              onChange={setName}
              spellCheck={false}
            />
          </div>
          <div className="checks">
            <CheckboxField
              label={t('settings.startAtLogin')}
              hint={t('settings.startAtLoginHint')}
              checked={startAtLogin}
              onChange={setStartAtLogin}
            />
            <CheckboxField
              label={t('settings.autoUpdate')}
              checked={autoUpdate}
              onChange={setAutoUpdate}
            />
          </div>
          <FormFooter
            error={errors.general}
            status={saved && <Banner tone="success">{t('settings.saved')}</Banner>}
            submit={t('common.save')}
          />
        </Card>
      </form>
      <QueueCaps />
      <GorgoneOptIns />
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
  secondary?: { host: string; port: number; mode: 'on_error' | 'always' };
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
              <th scope="col">{t('settings.secondary')}</th>
              <th scope="col">
                <span className="visually-hidden">{t('settings.edit')}</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {tentacles.map((target) => {
              const { outbox, secondary } = target.config as OutboxConfig;
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
                    {secondary === undefined ? (
                      <span className="muted">{t('settings.noSecondary')}</span>
                    ) : (
                      <>
                        <code className="mono small">
                          {secondary.host.includes(':') ? `[${secondary.host}]` : secondary.host}:
                          {secondary.port}
                        </code>{' '}
                        ({secondary.mode})
                      </>
                    )}
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

const MIB = 1024 * 1024;
const CAP_FIELDS = [
  'concurrency',
  'maxAgeHours',
  'maxTotalBytes',
  'minFreeBytes',
  'defaultPolicy',
  'policies',
] as const;

/** A typed number goes as a number; anything else goes as typed, so the core's schema names the field. */
function numberOrRaw(text: string, scale = 1): number {
  const trimmed = text.trim();
  return (/^\d+(\.\d+)?$/.test(trimmed) ? Math.round(Number(trimmed) * scale) : trimmed) as number;
}

type QueuePolicy = 'drop-oldest' | 'refuse-new';

function PolicyOptions() {
  const { t } = useI18n();
  return (
    <>
      <option value="refuse-new">{t('settings.refuseNew')}</option>
      <option value="drop-oldest">{t('settings.dropOldest')}</option>
    </>
  );
}

/** The queue's caps and what happens when one is hit (drop oldest, or refuse new), per target. */
function QueueCaps() {
  const { t } = useI18n();
  const agent = useAgent();
  const current = useCall('getQueueSettings', {});
  const targets = useCall('listTargets', {});
  const [concurrency, setConcurrency] = useState('');
  const [maxAgeHours, setMaxAgeHours] = useState('');
  const [maxTotalMiB, setMaxTotalMiB] = useState('');
  const [minFreeMiB, setMinFreeMiB] = useState('');
  const [defaultPolicy, setDefaultPolicy] = useState<QueuePolicy>('refuse-new');
  const [policies, setPolicies] = useState<Record<string, QueuePolicy>>({});
  const [errors, setErrors] = useState<FormErrors>(NO_ERRORS);
  const [saved, setSaved] = useState(false);

  useEffect(() => {
    const q = current.data;
    if (q === undefined) return;
    setConcurrency(String(q.concurrency));
    setMaxAgeHours(String(q.maxAgeHours));
    setMaxTotalMiB(String(Math.round(q.maxTotalBytes / MIB)));
    setMinFreeMiB(String(Math.round(q.minFreeBytes / MIB)));
    setDefaultPolicy(q.defaultPolicy);
    setPolicies(q.policies);
  }, [current.data]);

  const submit = (event: FormEvent): void => {
    event.preventDefault();
    setErrors(NO_ERRORS);
    setSaved(false);
    agent
      .call('updateQueueSettings', {
        concurrency: numberOrRaw(concurrency),
        maxAgeHours: numberOrRaw(maxAgeHours),
        maxTotalBytes: numberOrRaw(maxTotalMiB, MIB),
        minFreeBytes: numberOrRaw(minFreeMiB, MIB),
        defaultPolicy,
        policies,
      })
      .then(
        () => setSaved(true),
        (error: unknown) => setErrors(formErrors(error, CAP_FIELDS)),
      );
  };

  return (
    <form onSubmit={submit} noValidate>
      <Card title={t('settings.queue')}>
        <p className="hint">{t('settings.queueHint')}</p>
        <ErrorBanner error={current.error} onRetry={current.reload} />
        <div className="form-grid">
          <InputField
            label={t('settings.maxAgeHours')}
            hint={t('settings.maxAgeHoursHint')}
            error={errors.fields.maxAgeHours}
            inputMode="decimal"
            value={maxAgeHours}
            onChange={setMaxAgeHours}
          />
          <InputField
            label={t('settings.maxTotal')}
            error={errors.fields.maxTotalBytes}
            inputMode="numeric"
            value={maxTotalMiB}
            onChange={setMaxTotalMiB}
          />
          <InputField
            label={t('settings.minFree')}
            error={errors.fields.minFreeBytes}
            inputMode="numeric"
            value={minFreeMiB}
            onChange={setMinFreeMiB}
          />
          <InputField
            label={t('settings.concurrency')}
            hint={t('settings.concurrencyHint')}
            error={errors.fields.concurrency}
            inputMode="numeric"
            value={concurrency}
            onChange={setConcurrency}
          />
          <SelectField
            label={t('settings.defaultPolicy')}
            error={errors.fields.defaultPolicy}
            value={defaultPolicy}
            onChange={(value) => setDefaultPolicy(value as QueuePolicy)}
          >
            <PolicyOptions />
          </SelectField>
          {targets.data?.map((target) => (
            <SelectField
              key={target.name}
              label={t('settings.policyOf', { target: target.name })}
              error={errors.fields.policies}
              value={policies[target.name] ?? ''}
              onChange={(value) => {
                const next = { ...policies };
                if (value === '') delete next[target.name];
                else next[target.name] = value as QueuePolicy;
                setPolicies(next);
              }}
            >
              <option value="">{t('settings.policyDefault')}</option>
              <PolicyOptions />
            </SelectField>
          ))}
        </div>
        <FormFooter
          error={errors.general}
          status={saved && <Banner tone="success">{t('settings.saved')}</Banner>}
          submit={t('settings.saveQueue')}
        />
      </Card>
    </form>
  );
}

/** Gorgone's COMMAND and PROCESSCOPY: what a central may make this machine do; both off by default. */
function GorgoneOptIns() {
  const { t } = useI18n();
  const agent = useAgent();
  const current = useCall('getGorgoneSettings', {});
  const [copyEnabled, setCopyEnabled] = useState(false);
  const [destination, setDestination] = useState('');
  const [errors, setErrors] = useState<FormErrors>(NO_ERRORS);
  const [saved, setSaved] = useState(false);
  useEffect(() => {
    if (current.data === undefined) return;
    setCopyEnabled(current.data.processcopy.enabled);
    setDestination(current.data.processcopy.destination ?? '');
  }, [current.data]);
  const saveCopy = (event: FormEvent): void => {
    event.preventDefault();
    setErrors(NO_ERRORS);
    setSaved(false);
    agent
      .call('updateGorgoneSettings', {
        processcopy: {
          enabled: copyEnabled,
          ...(destination.trim() === '' ? {} : { destination: destination.trim() }),
        },
      })
      .then(
        () => setSaved(true),
        (error: unknown) =>
          setErrors(formErrors(error, ['processcopy.destination', 'processcopy'])),
      );
  };
  if (current.data === undefined)
    return <ErrorBanner error={current.error} onRetry={current.reload} />;
  return (
    <Card title={t('settings.gorgone')}>
      <p className="hint">{t('settings.gorgoneHint')}</p>
      <h3 className="subhead">{t('settings.gorgoneCommand')}</h3>
      <CommandPolicyEditor
        initial={current.data.command}
        // The request's `command` is a partial update: what the form does not edit is kept.
        save={(edit) => agent.call('updateGorgoneSettings', { command: edit })}
      />
      <h3 className="subhead">{t('settings.gorgoneCopy')}</h3>
      <form onSubmit={saveCopy} noValidate>
        <CheckboxField
          label={t('settings.gorgoneCopyEnabled')}
          hint={t('settings.gorgoneCopyHint')}
          checked={copyEnabled}
          onChange={setCopyEnabled}
        />
        <InputField
          label={t('settings.gorgoneCopyDir')}
          error={errors.fields['processcopy.destination'] ?? errors.fields.processcopy}
          value={destination}
          onChange={setDestination}
          spellCheck={false}
        />
        <FormFooter
          error={errors.general}
          status={saved && <Banner tone="success">{t('settings.saved')}</Banner>}
          submit={t('settings.saveCopy')}
        />
      </form>
    </Card>
  );
}
