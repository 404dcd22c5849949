import { useState, type FormEvent } from 'react';
import { GORGONE_DEFAULT_PORT } from '../../../main/core/contract/ports.ts';
import { useAgent, useCall } from '../agent.tsx';
import {
  Badge,
  Code,
  ErrorBanner,
  formErrors,
  KeyValues,
  NO_ERRORS,
  type FormErrors,
} from '../components.tsx';
import { CheckboxField, InputField } from '../fields.tsx';
import { useI18n, type MessageKey } from '../i18n/index.tsx';
import type { Response } from '../transport/index.ts';
import { HostPortFields, TargetNameField, useServerAddress } from './fields.tsx';
import {
  FingerprintCompare,
  PairAgain,
  ServerStep,
  WizardActions,
  WizardError,
  WizardFrame,
} from './frame.tsx';
import { PairingProgress, usePairingProgress } from './progress.tsx';
import { gorgoneAuthorizedClient } from './server-text.ts';
import { GorgoneTargetStatus } from './TargetStatus.tsx';
import type { WizardProps } from './wizard-props.ts';

const STEPS: MessageKey[] = ['gorgone.step.authorize', 'gorgone.step.connect', 'gorgone.step.done'];
const FIELDS = ['name', 'host', 'port', 'nodeId', 'trustThumbprint'] as const;
/** gorgone.md §6: the tool the admin runs to print a key's thumbprint. */
const SERVER_THUMBPRINT_COMMAND =
  "perl /usr/share/centreon-gorgone/contrib/gorgone_key_thumbprint.pl --key-path='/var/lib/centreon-gorgone/.keys/rsakey.pub.pem'";

type ServerKey = Response<'getGorgoneServerKey'>;
type PairResult = Response<'pairGorgone'>;

/**
 * Centreon Gorgone as a pull-mode node (gorgone.md §6, §8): the admin
 * authorises our thumbprint, we fetch the central's key and the person
 * confirms its thumbprint (trust on first use), then we register.
 */
export function GorgoneWizard(props: WizardProps) {
  const { t } = useI18n();
  const agent = useAgent();
  const ours = useCall('getGorgoneThumbprint', {});
  const [step, setStep] = useState(0);
  const [name, setName] = useState(props.existing ?? 'centreon');
  const address = useServerAddress(GORGONE_DEFAULT_PORT);
  const [nodeId, setNodeId] = useState('');
  const [serverKey, setServerKey] = useState<ServerKey | undefined>();
  const [trusted, setTrusted] = useState(false);
  const [result, setResult] = useState<PairResult | undefined>();
  const [errors, setErrors] = useState<FormErrors>(NO_ERRORS);
  const [busy, setBusy] = useState(false);
  const progress = usePairingProgress('gorgone', name);
  const [attempted, setAttempted] = useState(false);

  const fetchKey = (event: FormEvent): void => {
    event.preventDefault();
    setErrors(NO_ERRORS);
    setBusy(true);
    agent
      .call('getGorgoneServerKey', { host: address.host, port: address.portValue, name })
      .then(
        (key) => {
          setServerKey(key);
          setTrusted(key.pinned === 'match');
          setStep(1);
        },
        (error: unknown) => setErrors(formErrors(error, FIELDS)),
      )
      .finally(() => setBusy(false));
  };

  const pair = (): void => {
    if (serverKey === undefined) return;
    setErrors(NO_ERRORS);
    setBusy(true);
    progress.clear();
    if (props.existing === undefined) setAttempted(true);
    agent
      .call('pairGorgone', {
        name,
        host: address.host,
        port: address.portValue,
        nodeId: nodeId.trim(),
        trustThumbprint: serverKey.thumbprint,
      })
      .then(
        (r) => {
          setResult(r);
          setStep(2);
        },
        (error: unknown) => {
          const e = formErrors(error, FIELDS);
          setErrors(e);
          if (e.fields.nodeId !== undefined || e.fields.name !== undefined) setStep(0);
        },
      )
      .finally(() => setBusy(false));
  };

  // A refused registration must not leave a half-made target behind.
  const cancel = (): void => {
    if (attempted && result === undefined) {
      void agent
        .call('removeTarget', { name })
        .catch(() => undefined)
        .finally(props.done);
    } else {
      props.done();
    }
  };

  const line =
    ours.data?.authorizedClientsLine ??
    (ours.data === undefined ? undefined : gorgoneAuthorizedClient(ours.data.thumbprint));
  const server = (
    <>
      <ServerStep title={t('gorgone.server.authorize')} text={line}>
        <p className="muted small">{t('gorgone.server.authorizeHint')}</p>
      </ServerStep>
      <ServerStep title={t('gorgone.server.node')}>
        <p className="muted small">{t('gorgone.server.nodeHint')}</p>
      </ServerStep>
    </>
  );

  const wizard = (
    <WizardFrame steps={STEPS} current={step} server={server} finished={step === 2}>
      <ErrorBanner error={ours.error} onRetry={ours.reload} />
      <WizardError message={errors.general} />
      {step === 0 && (
        <form onSubmit={fetchKey} noValidate>
          <h2>{t('gorgone.step.authorize')}</h2>
          <p>{t('gorgone.intro')}</p>
          {ours.data !== undefined && (
            <KeyValues
              rows={[
                [
                  t('identity.thumbprint'),
                  <Code
                    key="t"
                    value={ours.data.thumbprint}
                    label={t('identity.copyThumbprint')}
                    testId="gorgone-thumbprint"
                  />,
                ],
                [t('identity.bits'), `RSA ${ours.data.bits}`],
              ]}
            />
          )}
          <div className="form-grid">
            <TargetNameField
              value={name}
              onChange={setName}
              error={errors.fields.name}
              locked={props.existing !== undefined}
            />
            <HostPortFields
              address={address}
              hostLabel={t('gorgone.host')}
              hostError={errors.fields.host}
              placeholder="centreon.example.org"
              portLabel={t('gorgone.port')}
              portError={errors.fields.port}
            />
            <InputField
              label={t('gorgone.nodeId')}
              hint={t('gorgone.nodeIdHint')}
              error={errors.fields.nodeId}
              inputMode="numeric"
              value={nodeId}
              onChange={setNodeId}
            />
          </div>
          <WizardActions
            onCancel={props.done}
            action={busy ? t('icinga.fetching') : t('gorgone.fetchKey')}
            disabled={busy}
          />
        </form>
      )}
      {step === 1 && serverKey !== undefined && (
        <div>
          <h2>{t('gorgone.step.connect')}</h2>
          <p>{t('gorgone.trustIntro', { server: serverKey.server })}</p>
          {serverKey.pinned === 'mismatch' && (
            <div className="banner banner-error" role="alert">
              {t('gorgone.keyChanged')}
            </div>
          )}
          <FingerprintCompare
            presented={serverKey.thumbprint}
            serverCommand={SERVER_THUMBPRINT_COMMAND}
            compare="exact"
          />
          <CheckboxField
            label={t('gorgone.trustConfirm')}
            checked={trusted}
            onChange={setTrusted}
          />
          {errors.fields.trustThumbprint !== undefined && (
            <p className="field-error">{errors.fields.trustThumbprint}</p>
          )}
          <WizardActions
            onBack={() => setStep(0)}
            onCancel={cancel}
            action={busy ? t('icinga.pairing') : t('gorgone.trustAndPair')}
            onAction={pair}
            disabled={!trusted || busy}
          />
          <PairingProgress lines={progress.lines} />
        </div>
      )}
      {step === 2 && result !== undefined && (
        <div>
          <h2>
            {t('gorgone.step.done')}{' '}
            <Badge tone={result.registered ? 'ok' : 'warn'}>
              {result.registered ? t('icinga.paired') : t('gorgone.notRegistered')}
            </Badge>
          </h2>
          <KeyValues
            rows={[
              [t('pair.targetName'), result.name],
              [t('gorgone.host'), result.server],
              [t('gorgone.nodeId'), result.nodeId],
              [t('gorgone.serverHostname'), result.serverHostname],
              [
                t('gorgone.serverThumbprint'),
                <Code
                  key="s"
                  value={result.serverThumbprint}
                  label={t('identity.copyThumbprint')}
                />,
              ],
            ]}
          />
          <WizardActions action={t('pair.finish')} onAction={props.done} />
        </div>
      )}
    </WizardFrame>
  );
  if (props.existing === undefined) return wizard;
  return <PairAgain current={<GorgoneTargetStatus name={props.existing} />}>{wizard}</PairAgain>;
}
