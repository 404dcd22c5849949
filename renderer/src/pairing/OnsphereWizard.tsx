import { useState, type FormEvent } from 'react';
import { useAgent, useEvent } from '../agent.tsx';
import {
  Badge,
  Banner,
  Code,
  Field,
  formatTime,
  formErrors,
  KeyValues,
  NO_ERRORS,
  type FormErrors,
} from '../components.tsx';
import { useI18n, type MessageKey } from '../i18n/index.tsx';
import type { Response } from '../transport/index.ts';
import { PairingProgress } from './IcingaWizard.tsx';
import { ServerStep, WizardFrame } from './frame.tsx';
import { ONSPHERE_FILES } from './server-text.ts';
import { OnsphereTargetStatus } from './TargetStatus.tsx';
import type { WizardProps } from './wizards.tsx';

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
  const [host, setHost] = useState('');
  const [port, setPort] = useState('10000');
  const [errors, setErrors] = useState<FormErrors>(NO_ERRORS);
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState<PairResult | undefined>();
  const [progress, setProgress] = useState<string[]>([]);
  useEvent('pairing.step', (s) => {
    if (s.target === name && s.kind === 'onsphere')
      setProgress((p) => [...p, `${s.step}${s.detail === undefined ? '' : `: ${s.detail}`}`]);
  });

  const pair = (event: FormEvent): void => {
    event.preventDefault();
    setErrors(NO_ERRORS);
    setBusy(true);
    setProgress([]);
    agent
      .call('pairOnsphere', {
        name,
        dispatcher: {
          host: host.trim(),
          port: (/^\d+$/.test(port.trim()) ? Number(port) : port) as number,
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
      {errors.general !== undefined && (
        <div className="banner banner-error" role="alert">
          {errors.general}
        </div>
      )}
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
            <Field label={t('onsphere.caFile')} error={errors.fields.caFile}>
              <input
                type="text"
                value={caFile}
                onChange={(e) => setCaFile(e.target.value)}
                spellCheck={false}
                placeholder="/path/to/ca.crt"
              />
            </Field>
            <Field label={t('onsphere.certFile')} error={errors.fields.certFile}>
              <input
                type="text"
                value={certFile}
                onChange={(e) => setCertFile(e.target.value)}
                spellCheck={false}
                placeholder="/path/to/module.crt"
              />
            </Field>
            <Field
              label={t('onsphere.keyFile')}
              hint={t('onsphere.keyFileHint')}
              error={errors.fields.keyFile}
            >
              <input
                type="text"
                value={keyFile}
                onChange={(e) => setKeyFile(e.target.value)}
                spellCheck={false}
                placeholder="/path/to/module.key"
              />
            </Field>
          </div>
          <div className="form-actions">
            <button type="button" className="btn btn-ghost" onClick={props.done}>
              {t('common.cancel')}
            </button>
            <button type="submit" className="btn btn-primary">
              {t('common.next')}
            </button>
          </div>
        </form>
      )}
      {step === 1 && (
        <form onSubmit={pair} noValidate>
          <h2>{t('onsphere.step.dispatcher')}</h2>
          <div className="form-grid">
            <Field
              label={t('onsphere.host')}
              hint={t('onsphere.hostHint')}
              error={errors.fields['dispatcher.host']}
            >
              <input
                type="text"
                value={host}
                onChange={(e) => setHost(e.target.value)}
                spellCheck={false}
              />
            </Field>
            <Field label={t('onsphere.port')} error={errors.fields['dispatcher.port']}>
              <input
                type="text"
                inputMode="numeric"
                value={port}
                onChange={(e) => setPort(e.target.value)}
              />
            </Field>
          </div>
          <div className="form-actions">
            <button type="button" className="btn btn-ghost" onClick={() => setStep(0)}>
              {t('common.back')}
            </button>
            <button type="button" className="btn btn-ghost" onClick={props.done}>
              {t('common.cancel')}
            </button>
            <button type="submit" className="btn btn-primary" disabled={busy}>
              {busy ? t('icinga.pairing') : t('onsphere.connect')}
            </button>
          </div>
          <PairingProgress lines={progress} />
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
            <Banner key={w} tone="warning">
              {w}
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
      <OnsphereTargetStatus name={props.existing} />
      <h2 className="section-title">{t('icinga.pairAgain')}</h2>
      {wizard}
    </>
  );
}
