import { useState, type FormEvent } from 'react';
import { ONSPHERE_DISPATCHER_PORT } from '../../../main/core/contract/ports.ts';
import { useAgent } from '../agent.tsx';
import {
  Badge,
  Banner,
  Code,
  formatTime,
  formErrors,
  KeyValues,
  NO_ERRORS,
  type FormErrors,
} from '../components.tsx';
import { InputField } from '../fields.tsx';
import { useI18n, type MessageKey } from '../i18n/index.tsx';
import type { Response } from '../transport/index.ts';
import { HostPortFields, TargetNameField, useServerAddress } from './fields.tsx';
import { PairAgain, ServerStep, WizardActions, WizardError, WizardFrame } from './frame.tsx';
import { PairingProgress, usePairingProgress } from './progress.tsx';
import { ONSPHERE_FILES } from './server-text.ts';
import { OnsphereTargetStatus } from './TargetStatus.tsx';
import type { WizardProps } from './wizard-props.ts';

const STEPS: MessageKey[] = [
  'onsphere.step.files',
  'onsphere.step.dispatcher',
  'onsphere.step.done',
];
const FIELDS = [
  'name',
  'dispatcher.host',
  'dispatcher.port',
  'caFile',
  'certFile',
  'keyFile',
] as const;

type PairResult = Response<'pairOnsphere'>;

/**
 * OnSphere (onsphere.md §2–§4): the three PEM files exported from the stack,
 * the configuration dispatcher's address, then Outpost imports the identity,
 * fetches the configuration and joins the broker; the target is saved only
 * when all of that worked.
 */
export function OnsphereWizard(props: WizardProps) {
  const { t, language } = useI18n();
  const agent = useAgent();
  const [step, setStep] = useState(0);
  const [name, setName] = useState(props.existing ?? 'onsphere');
  const [caFile, setCaFile] = useState('');
  const [certFile, setCertFile] = useState('');
  const [keyFile, setKeyFile] = useState('');
  const address = useServerAddress(ONSPHERE_DISPATCHER_PORT);
  const [errors, setErrors] = useState<FormErrors>(NO_ERRORS);
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState<PairResult | undefined>();
  const progress = usePairingProgress('onsphere', name);

  const pair = (event: FormEvent): void => {
    event.preventDefault();
    setErrors(NO_ERRORS);
    setBusy(true);
    progress.clear();
    agent
      .call('pairOnsphere', {
        name,
        dispatcher: {
          host: address.host.trim(),
          port: address.portValue,
        },
        caFile: caFile.trim(),
        certFile: certFile.trim(),
        keyFile: keyFile.trim(),
      })
      .then(
        (r) => {
          setResult(r);
          setStep(2);
        },
        (error: unknown) => {
          const e = formErrors(error, FIELDS);
          setErrors(e);
          if (
            e.fields.caFile !== undefined ||
            e.fields.certFile !== undefined ||
            e.fields.keyFile !== undefined ||
            e.fields.name !== undefined
          ) {
            setStep(0);
          }
        },
      )
      .finally(() => setBusy(false));
  };

  const server = (
    <ServerStep title={t('onsphere.server.files')}>
      <p className="muted small">{t('onsphere.server.filesHint')}</p>
      <ul className="file-list">
        {ONSPHERE_FILES.map((file) => (
          <li key={file}>
            <code className="mono">{file}</code> — {t(`onsphere.file.${file}`)}
          </li>
        ))}
      </ul>
    </ServerStep>
  );

  const wizard = (
    <WizardFrame steps={STEPS} current={step} server={server} finished={step === 2}>
      <WizardError message={errors.general} />
      {step === 0 && (
        <form
          onSubmit={(e) => {
            e.preventDefault();
            setErrors(NO_ERRORS);
            setStep(1);
          }}
          noValidate
        >
          <h2>{t('onsphere.step.files')}</h2>
          <p>{t('onsphere.intro')}</p>
          <div className="form-grid">
            <TargetNameField
              value={name}
              onChange={setName}
              error={errors.fields.name}
              locked={props.existing !== undefined}
            />
            <InputField
              label={t('onsphere.caFile')}
              error={errors.fields.caFile}
              value={caFile}
              onChange={setCaFile}
              spellCheck={false}
              placeholder="/path/to/ca.crt"
            />
            <InputField
              label={t('onsphere.certFile')}
              error={errors.fields.certFile}
              value={certFile}
              onChange={setCertFile}
              spellCheck={false}
              placeholder="/path/to/module.crt"
            />
            <InputField
              label={t('onsphere.keyFile')}
              hint={t('onsphere.keyFileHint')}
              error={errors.fields.keyFile}
              value={keyFile}
              onChange={setKeyFile}
              spellCheck={false}
              placeholder="/path/to/module.key"
            />
          </div>
          <WizardActions onCancel={props.done} action={t('common.next')} />
        </form>
      )}
      {step === 1 && (
        <form onSubmit={pair} noValidate>
          <h2>{t('onsphere.step.dispatcher')}</h2>
          <div className="form-grid">
            <HostPortFields
              address={address}
              hostLabel={t('onsphere.host')}
              hostHint={t('onsphere.hostHint')}
              hostError={errors.fields['dispatcher.host']}
              portLabel={t('onsphere.port')}
              portError={errors.fields['dispatcher.port']}
            />
          </div>
          <WizardActions
            onBack={() => setStep(0)}
            onCancel={props.done}
            action={busy ? t('icinga.pairing') : t('onsphere.connect')}
            disabled={busy}
          />
          <PairingProgress lines={progress.lines} />
        </form>
      )}
      {step === 2 && result !== undefined && (
        <div>
          <h2>
            {t('onsphere.step.done')}{' '}
            <Badge tone={result.broker.connected ? 'ok' : 'warn'}>
              {result.broker.connected ? t('state.ready') : t('state.retrying')}
            </Badge>
          </h2>
          {result.warnings.map((w) => (
            <Banner key={w.message} tone="warning">
              {w.message}
            </Banner>
          ))}
          <KeyValues
            rows={[
              [t('onsphere.connector'), result.identity.cn],
              [t('identity.issuerCn'), result.identity.issuer],
              [
                t('icinga.expires'),
                `${formatTime(result.identity.notAfter, language)} (${t('identity.valid', { days: result.identity.daysLeft })})`,
              ],
              [
                t('onsphere.certFingerprint'),
                <Code
                  key="c"
                  value={result.identity.certFingerprint}
                  label={t('identity.copyFingerprint')}
                />,
              ],
              [
                t('onsphere.caFingerprint'),
                <Code
                  key="a"
                  value={result.identity.caFingerprint}
                  label={t('identity.copyFingerprint')}
                />,
              ],
              [t('onsphere.configVersion'), `${result.config.version} (${result.config.vhost})`],
              [t('onsphere.broker'), `${result.broker.host}:${result.broker.port}`],
            ]}
          />
          <WizardActions action={t('pair.finish')} onAction={props.done} />
        </div>
      )}
    </WizardFrame>
  );
  if (props.existing === undefined) return wizard;
  return <PairAgain current={<OnsphereTargetStatus name={props.existing} />}>{wizard}</PairAgain>;
}
