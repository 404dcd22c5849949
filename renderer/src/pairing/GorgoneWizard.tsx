import { useState, type FormEvent } from 'react';
import { useAgent, useCall, useEvent } from '../agent.tsx';
import {
  Badge,
  Code,
  ErrorBanner,
  Field,
  formErrors,
  KeyValues,
  NO_ERRORS,
  type FormErrors,
} from '../components.tsx';
import { useI18n, type MessageKey } from '../i18n/index.tsx';
import type { Response } from '../transport/index.ts';
import { FingerprintCompare, ServerStep, WizardFrame } from './frame.tsx';
import { PairingProgress } from './IcingaWizard.tsx';
import { gorgoneAuthorizedClient } from './server-text.ts';
import { GorgoneTargetStatus } from './TargetStatus.tsx';
import type { WizardProps } from './wizards.tsx';

const STEPS: MessageKey[] = ['gorgone.step.authorize', 'gorgone.step.connect', 'gorgone.step.done'];
const FIELDS = ['name', 'host', 'port', 'nodeId', 'trustThumbprint'] as const;
/** gorgone.md §6: the tool the admin runs to print a key's thumbprint. */
const SERVER_THUMBPRINT_COMMAND =
  "perl /usr/share/centreon-gorgone/contrib/gorgone_key_thumbprint.pl --key-path='/var/lib/centreon-gorgone/.keys/rsakey.pub.pem'";

type ServerKey = Response<'gorgoneServerKey'>;
type PairResult = Response<'gorgonePair'>;

/**
 * Centreon Gorgone as a pull-mode node (gorgone.md §6, §8): the admin
 * authorises our thumbprint, we fetch the central's key and the person
 * confirms its thumbprint (trust on first use), then we register.
 */
export function GorgoneWizard(props: WizardProps) {
  const { t } = useI18n();
  const agent = useAgent();
  const ours = useCall('gorgoneThumbprint', {});
  const [step, setStep] = useState(0);
  const [name, setName] = useState(props.existing ?? 'centreon');
  const [host, setHost] = useState('');
  const [port, setPort] = useState('5556');
  const [nodeId, setNodeId] = useState('');
  const [serverKey, setServerKey] = useState<ServerKey | undefined>();
  const [trusted, setTrusted] = useState(false);
  const [result, setResult] = useState<PairResult | undefined>();
  const [errors, setErrors] = useState<FormErrors>(NO_ERRORS);
  const [busy, setBusy] = useState(false);
  const [progress, setProgress] = useState<string[]>([]);
  const [attempted, setAttempted] = useState(false);
  useEvent('pairing.step', (s) => {
    if (s.target === name && s.kind === 'gorgone')
      setProgress((p) => [...p, `${s.step}${s.detail === undefined ? '' : `: ${s.detail}`}`]);
  });
  const portValue = (/^\d+$/.test(port.trim()) ? Number(port) : port) as number;

  const fetchKey = (event: FormEvent): void => {
    event.preventDefault();
    setErrors(NO_ERRORS);
    setBusy(true);
    agent
      .call('gorgoneServerKey', { host, port: portValue, name })
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
    setProgress([]);
    if (props.existing === undefined) setAttempted(true);
    agent
      .call('gorgonePair', {
        name,
        host,
        port: portValue,
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
      {errors.general !== undefined && (
        <div className="banner banner-error" role="alert">
          {errors.general}
        </div>
      )}
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
            <Field
              label={t('pair.targetName')}
              hint={t('pair.targetNameHint')}
              error={errors.fields.name}
            >
              <input
                type="text"
                value={name}
                onChange={(e) => setName(e.target.value)}
                disabled={props.existing !== undefined}
              />
            </Field>
            <Field label={t('gorgone.host')} error={errors.fields.host}>
              <input
                type="text"
                value={host}
                onChange={(e) => setHost(e.target.value)}
                placeholder="centreon.example.org"
                spellCheck={false}
              />
            </Field>
            <Field label={t('gorgone.port')} error={errors.fields.port}>
              <input
                type="text"
                inputMode="numeric"
                value={port}
                onChange={(e) => setPort(e.target.value)}
              />
            </Field>
            <Field
              label={t('gorgone.nodeId')}
              hint={t('gorgone.nodeIdHint')}
              error={errors.fields.nodeId}
            >
              <input
                type="text"
                inputMode="numeric"
                value={nodeId}
                onChange={(e) => setNodeId(e.target.value)}
              />
            </Field>
          </div>
          <div className="form-actions">
            <button type="button" className="btn btn-ghost" onClick={props.done}>
              {t('common.cancel')}
            </button>
            <button type="submit" className="btn btn-primary" disabled={busy}>
              {busy ? t('icinga.fetching') : t('gorgone.fetchKey')}
            </button>
          </div>
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
          <label className="check">
            <input
              type="checkbox"
              checked={trusted}
              onChange={(e) => setTrusted(e.target.checked)}
            />
            <span>{t('gorgone.trustConfirm')}</span>
          </label>
          {errors.fields.trustThumbprint !== undefined && (
            <p className="field-error">{errors.fields.trustThumbprint}</p>
          )}
          <div className="form-actions">
            <button type="button" className="btn btn-ghost" onClick={() => setStep(0)}>
              {t('common.back')}
            </button>
            <button type="button" className="btn btn-ghost" onClick={cancel}>
              {t('common.cancel')}
            </button>
            <button
              type="button"
              className="btn btn-primary"
              disabled={!trusted || busy}
              onClick={pair}
            >
              {busy ? t('icinga.pairing') : t('gorgone.trustAndPair')}
            </button>
          </div>
          <PairingProgress lines={progress} />
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
          <div className="form-actions">
            <button type="button" className="btn btn-primary" onClick={props.done}>
              {t('pair.finish')}
            </button>
          </div>
        </div>
      )}
    </WizardFrame>
  );
  if (props.existing === undefined) return wizard;
  return (
    <>
      <GorgoneTargetStatus name={props.existing} />
      <h2 className="section-title">{t('icinga.pairAgain')}</h2>
      {wizard}
    </>
  );
}
