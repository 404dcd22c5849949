import { useState, type FormEvent } from 'react';
import { useAgent, useCall } from '../agent.tsx';
import {
  Badge,
  Banner,
  Card,
  ErrorBanner,
  formatTime,
  formErrors,
  KeyValues,
  NO_ERRORS,
  type FormErrors,
} from '../components.tsx';
import { FormFooter, InputField, RadioCards } from '../fields.tsx';
import { useI18n, type Translate } from '../i18n/index.tsx';
import { STATE_TONE, stateLabel } from '../target-labels.ts';
import { IcingaMastersTable } from './IcingaMasters.tsx';
import {
  CommandPolicyEditor,
  DISABLED_POLICY,
  type CommandPolicyValue,
} from './CommandPolicyEditor.tsx';

interface IcingaConfigView {
  commandEndpoint?: { policy?: CommandPolicyValue; commands?: Record<string, string> };
  restUser?: string;
}

/** What to ask the admin while the request is pending: on which master(s) it waits, when known (issue #18). */
function pendingRunText(t: Translate, heldBy: readonly string[] | undefined): string {
  if (heldBy === undefined || heldBy.length === 0) return t('icinga.pendingRun');
  if (heldBy.length === 1) return t('icinga.pendingRunOn', { endpoint: heldBy[0]! });
  return t('icinga.pendingRunOnAny', { endpoints: heldBy.join(', ') });
}

/** A paired Icinga target reopened: its masters (each one's state and pin), transport and command endpoint. */
export function IcingaSettings(props: { name: string }) {
  const { t, language } = useI18n();
  const agent = useAgent();
  const status = useCall('getIcingaStatus', { name: props.name, probe: false }, props.name);
  const targets = useCall('listTargets', {});
  const config = targets.data?.find((x) => x.name === props.name)?.config as
    IcingaConfigView | undefined;
  const s = status.data;
  return (
    <>
      <ErrorBanner error={status.error} onRetry={status.reload} />
      {s !== undefined && (
        <Card
          title={t('icinga.current', { name: s.target })}
          actions={<Badge tone={STATE_TONE[s.state]}>{t(stateLabel(s.state))}</Badge>}
        >
          {s.pendingRequest !== undefined && (
            <Banner tone="warning">
              {pendingRunText(t, s.pendingRequest.heldBy)}{' '}
              <code className="mono">{s.pendingRequest.signCommand}</code>
            </Banner>
          )}
          <h3>{t('icinga.masters')}</h3>
          <IcingaMastersTable masters={s.masters} />
          <KeyValues
            rows={[
              [t('icinga.cn'), s.cn],
              [t('icinga.zone'), s.zone],
              [
                t('icinga.certificateExpires'),
                s.certificate === undefined
                  ? '—'
                  : `${formatTime(s.certificate.notAfter, language)} (${t('identity.valid', { days: s.certificate.daysLeft })})`,
              ],
              [t('overview.lastDelivery'), formatTime(s.lastConfirmedAt, language)],
              [t('overview.lastError'), s.lastError ?? t('overview.none')],
            ]}
          />
        </Card>
      )}
      {s !== undefined && (
        <Card title={t('icinga.transport')}>
          <TransportForm
            name={props.name}
            transport={s.transport}
            restUser={config?.restUser}
            onSaved={status.reload}
          />
        </Card>
      )}
      {s !== undefined && targets.data !== undefined && (
        <Card title={t('icinga.commandEndpoint')}>
          <p className="muted small">{t('icinga.commandEndpointHint')}</p>
          <CommandPolicyEditor
            initial={config?.commandEndpoint?.policy ?? DISABLED_POLICY}
            commands={config?.commandEndpoint?.commands ?? {}}
            save={(edit, commands) =>
              agent.call('patchIcingaCommandPolicy', {
                name: props.name,
                enabled: edit.enabled,
                allow: { set: edit.allow },
                maxTimeoutSeconds: edit.maxTimeoutSeconds,
                ...(commands === undefined ? {} : { commands: { set: commands } }),
              })
            }
          />
        </Card>
      )}
    </>
  );
}

function TransportForm(props: {
  name: string;
  transport: 'cluster' | 'rest';
  restUser: string | undefined;
  onSaved(): void;
}) {
  const { t } = useI18n();
  const agent = useAgent();
  const [transport, setTransport] = useState(props.transport);
  const [user, setUser] = useState(props.restUser ?? '');
  const [password, setPassword] = useState('');
  const [errors, setErrors] = useState<FormErrors>(NO_ERRORS);
  const [saved, setSaved] = useState(false);
  const submit = (event: FormEvent): void => {
    event.preventDefault();
    setErrors(NO_ERRORS);
    setSaved(false);
    agent
      .call('setIcingaRest', {
        name: props.name,
        transport,
        ...(transport === 'rest' && user !== '' ? { restUser: user } : {}),
        ...(transport === 'rest' && password !== '' ? { restPassword: password } : {}),
      })
      .then(
        () => {
          setSaved(true);
          setPassword('');
          props.onSaved();
        },
        (error: unknown) => setErrors(formErrors(error, ['restUser', 'restPassword', 'transport'])),
      );
  };
  return (
    <form onSubmit={submit} noValidate>
      <RadioCards
        name="transport"
        value={transport}
        onChange={setTransport}
        options={[
          { value: 'cluster', title: t('icinga.cluster'), hint: t('icinga.clusterHint') },
          { value: 'rest', title: t('icinga.rest'), hint: t('icinga.restHint') },
        ]}
      />
      {transport === 'rest' && (
        <div className="form-grid">
          <InputField
            label={t('icinga.restUser')}
            hint={t('icinga.restUserHint')}
            error={errors.fields.restUser}
            value={user}
            onChange={setUser}
            autoComplete="off"
          />
          <InputField
            label={t('icinga.restPassword')}
            hint={t('icinga.restPasswordHint')}
            error={errors.fields.restPassword}
            type="password"
            value={password}
            onChange={setPassword}
            autoComplete="new-password"
          />
        </div>
      )}
      <FormFooter
        error={errors.general}
        status={saved && <Banner tone="success">{t('settings.saved')}</Banner>}
        submit={t('common.save')}
      />
    </form>
  );
}
