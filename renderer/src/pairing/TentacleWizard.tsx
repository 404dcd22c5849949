import { useEffect, useState, type FormEvent } from 'react';
import { useAgent } from '../agent.tsx';
import {
  Badge,
  Banner,
  Field,
  formErrors,
  KeyValues,
  NO_ERRORS,
  type FormErrors,
} from '../components.tsx';
import { useI18n, type MessageKey } from '../i18n/index.tsx';
import type { Response } from '../transport/index.ts';
import { FingerprintCompare, ServerStep, WizardFrame } from './frame.tsx';
import { tentacleServerCommand } from './server-text.ts';
import type { WizardProps } from './wizards.tsx';

const STEPS: MessageKey[] = [
  'tentacle.step.server',
  'tentacle.step.security',
  'tentacle.step.test',
];
/** Fields of addTentacleTarget; the core blames connection fields as `connection.x` or `x`. */
const FIELDS = [
  'name',
  'host',
  'port',
  'caFile',
  'certFile',
  'keyFile',
  'insecure',
  'password',
  'keyPassphrase',
  'outbox.dir',
  'outbox',
] as const;

type TestResult = Response<'testTentacleTarget'>;

interface StoredConfig {
  host: string;
  port: number;
  tls: boolean;
  caFile?: string;
  certFile?: string;
  keyFile?: string;
  insecure: boolean;
  allowPlainPassword: boolean;
  zip: boolean;
  outbox?: { dir: string; afterDelivery: 'remove' | 'move' };
}

function tentacleErrors(error: unknown): FormErrors {
  const e = formErrors(error, FIELDS.map((f) => `connection.${f}`).concat(FIELDS));
  const fields: Record<string, string> = {};
  for (const [k, v] of Object.entries(e.fields)) fields[k.replace(/^connection\./, '')] = v;
  return { fields, general: e.general };
}

/**
 * Pandora FMS Tentacle (tentacle.md): server address → security (TLS,
 * verification, client certificate, password) → save and test. The server
 * panel shows the `tentacle_server` flags matching the choices.
 */
export function TentacleWizard(props: WizardProps) {
  const { t } = useI18n();
  const agent = useAgent();
  const [step, setStep] = useState(0);
  const [name, setName] = useState(props.existing ?? 'pandora');
  const [host, setHost] = useState('');
  const [port, setPort] = useState('41121');
  const [tls, setTls] = useState(true);
  const [verify, setVerify] = useState<'ca' | 'insecure'>('ca');
  const [caFile, setCaFile] = useState('');
  const [clientCert, setClientCert] = useState(false);
  const [certFile, setCertFile] = useState('');
  const [keyFile, setKeyFile] = useState('');
  const [keyPassphrase, setKeyPassphrase] = useState('');
  const [usePassword, setUsePassword] = useState(false);
  const [password, setPassword] = useState('');
  const [allowPlainPassword, setAllowPlainPassword] = useState(false);
  const [zip, setZip] = useState(false);
  const [outboxDir, setOutboxDir] = useState('');
  const [afterDelivery, setAfterDelivery] = useState<'remove' | 'move'>('move');
  const [errors, setErrors] = useState<FormErrors>(NO_ERRORS);
  const [busy, setBusy] = useState(false);
  const [savedHere, setSavedHere] = useState(false);
  const [test, setTest] = useState<TestResult | undefined>();

  // Reopening a saved target shows its current settings (secrets stay in the store: shown as set, never read back).
  useEffect(() => {
    if (props.existing === undefined) return;
    agent.call('listTargets', {}).then(
      (targets) => {
        const config = targets.find((x) => x.name === props.existing)?.config as
          StoredConfig | undefined;
        if (config === undefined) return;
        setHost(config.host);
        setPort(String(config.port));
        setTls(config.tls);
        setVerify(config.insecure ? 'insecure' : 'ca');
        setCaFile(config.caFile ?? '');
        setClientCert(config.certFile !== undefined);
        setCertFile(config.certFile ?? '');
        setKeyFile(config.keyFile ?? '');
        setAllowPlainPassword(config.allowPlainPassword);
        setZip(config.zip);
        setOutboxDir(config.outbox?.dir ?? '');
        setAfterDelivery(config.outbox?.afterDelivery ?? 'move');
      },
      () => undefined,
    );
  }, [agent, props.existing]);

  const portValue = (/^\d+$/.test(port.trim()) ? Number(port) : port) as number;

  const saveAndTest = (event: FormEvent): void => {
    event.preventDefault();
    setErrors(NO_ERRORS);
    setTest(undefined);
    setBusy(true);
    const existedBefore = props.existing !== undefined;
    agent
      .call('addTentacleTarget', {
        name,
        connection: {
          host,
          port: portValue,
          tls,
          insecure: tls && verify === 'insecure',
          allowPlainPassword: !tls && usePassword && allowPlainPassword,
          zip,
          ...(tls && verify === 'ca' && caFile.trim() !== '' ? { caFile: caFile.trim() } : {}),
          ...(tls && clientCert ? { certFile: certFile.trim(), keyFile: keyFile.trim() } : {}),
        },
        ...(outboxDir.trim() === '' ? {} : { outbox: { dir: outboxDir.trim(), afterDelivery } }),
        ...(usePassword && password !== '' ? { password } : {}),
        ...(tls && clientCert && keyPassphrase !== '' ? { keyPassphrase } : {}),
      })
      .then(
        async () => {
          if (!existedBefore) setSavedHere(true);
          setStep(2);
          setTest(await agent.call('testTentacleTarget', { name }));
        },
        (error: unknown) => {
          const e = tentacleErrors(error);
          setErrors(e);
          if (
            e.fields.name !== undefined ||
            e.fields.host !== undefined ||
            e.fields.port !== undefined
          )
            setStep(0);
        },
      )
      .catch((error: unknown) => setErrors(tentacleErrors(error)))
      .finally(() => setBusy(false));
  };

  const cancel = (): void => {
    if (savedHere) {
      void agent
        .call('removeTarget', { name })
        .catch(() => undefined)
        .finally(props.done);
    } else {
      props.done();
    }
  };

  const server = (
    <>
      <ServerStep
        title={t('tentacle.server.command')}
        text={tentacleServerCommand({
          tls,
          clientCertificate: tls && clientCert,
          password: usePassword,
          port: Number(port) || 41121,
        })}
      >
        <p className="muted small">{t('tentacle.server.commandHint')}</p>
      </ServerStep>
      {tls && (
        <ServerStep
          title={t('tentacle.server.fingerprint')}
          text="openssl x509 -noout -fingerprint -sha256 -in /etc/tentacle/server.crt"
        >
          <p className="muted small">{t('tentacle.server.fingerprintHint')}</p>
        </ServerStep>
      )}
    </>
  );

  return (
    <WizardFrame steps={STEPS} current={step} server={server} finished={test?.ok === true}>
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
          <h2>{t('tentacle.step.server')}</h2>
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
            <Field label={t('tentacle.host')} error={errors.fields.host}>
              <input
                type="text"
                value={host}
                onChange={(e) => setHost(e.target.value)}
                placeholder="pandora.example.org"
                spellCheck={false}
              />
            </Field>
            <Field label={t('tentacle.port')} error={errors.fields.port}>
              <input
                type="text"
                inputMode="numeric"
                value={port}
                onChange={(e) => setPort(e.target.value)}
              />
            </Field>
          </div>
          <div className="form-actions">
            <button type="button" className="btn btn-ghost" onClick={cancel}>
              {t('common.cancel')}
            </button>
            <button type="submit" className="btn btn-primary">
              {t('common.next')}
            </button>
          </div>
        </form>
      )}
      {step === 1 && (
        <form onSubmit={saveAndTest} noValidate>
          <h2>{t('tentacle.step.security')}</h2>
          <label className="check">
            <input type="checkbox" checked={tls} onChange={(e) => setTls(e.target.checked)} />
            <span>
              {t('tentacle.tls')}
              <span className="hint block">{t('tentacle.tlsHint')}</span>
            </span>
          </label>
          {tls && (
            <fieldset>
              <legend>{t('tentacle.verify')}</legend>
              <div className="radio-cards">
                <label className="radio-card">
                  <input
                    type="radio"
                    name="verify"
                    checked={verify === 'ca'}
                    onChange={() => setVerify('ca')}
                  />
                  <span>
                    <strong>{t('tentacle.verifyCa')}</strong>
                    <span className="hint block">{t('tentacle.verifyCaHint')}</span>
                  </span>
                </label>
                <label className="radio-card">
                  <input
                    type="radio"
                    name="verify"
                    checked={verify === 'insecure'}
                    onChange={() => setVerify('insecure')}
                  />
                  <span>
                    <strong>{t('tentacle.insecure')}</strong>
                    <span className="hint block">{t('tentacle.insecureHint')}</span>
                  </span>
                </label>
              </div>
              {verify === 'ca' && (
                <Field
                  label={t('tentacle.caFile')}
                  hint={t('tentacle.caFileHint')}
                  error={errors.fields.caFile}
                >
                  <input
                    type="text"
                    value={caFile}
                    onChange={(e) => setCaFile(e.target.value)}
                    spellCheck={false}
                  />
                </Field>
              )}
              {errors.fields.insecure !== undefined && (
                <p className="field-error">{errors.fields.insecure}</p>
              )}
              <label className="check">
                <input
                  type="checkbox"
                  checked={clientCert}
                  onChange={(e) => setClientCert(e.target.checked)}
                />
                <span>{t('tentacle.clientCert')}</span>
              </label>
              {clientCert && (
                <div className="form-grid">
                  <Field label={t('tentacle.certFile')} error={errors.fields.certFile}>
                    <input
                      type="text"
                      value={certFile}
                      onChange={(e) => setCertFile(e.target.value)}
                      spellCheck={false}
                    />
                  </Field>
                  <Field label={t('tentacle.keyFile')} error={errors.fields.keyFile}>
                    <input
                      type="text"
                      value={keyFile}
                      onChange={(e) => setKeyFile(e.target.value)}
                      spellCheck={false}
                    />
                  </Field>
                  <Field label={t('tentacle.keyPassphrase')} error={errors.fields.keyPassphrase}>
                    <input
                      type="password"
                      value={keyPassphrase}
                      onChange={(e) => setKeyPassphrase(e.target.value)}
                      autoComplete="off"
                    />
                  </Field>
                </div>
              )}
            </fieldset>
          )}
          <label className="check">
            <input
              type="checkbox"
              checked={usePassword}
              onChange={(e) => setUsePassword(e.target.checked)}
            />
            <span>{t('tentacle.usePassword')}</span>
          </label>
          {usePassword && (
            <div className="form-grid">
              <Field
                label={t('tentacle.password')}
                hint={t('tentacle.passwordHint')}
                error={errors.fields.password}
              >
                <input
                  type="password"
                  value={password}
                  onChange={(e) => setPassword(e.target.value)}
                  autoComplete="new-password"
                />
              </Field>
              {!tls && (
                <label className="check">
                  <input
                    type="checkbox"
                    checked={allowPlainPassword}
                    onChange={(e) => setAllowPlainPassword(e.target.checked)}
                  />
                  <span>
                    {t('tentacle.allowPlain')}
                    <span className="hint block">{t('tentacle.allowPlainHint')}</span>
                  </span>
                </label>
              )}
            </div>
          )}
          <label className="check">
            <input type="checkbox" checked={zip} onChange={(e) => setZip(e.target.checked)} />
            <span>{t('tentacle.zip')}</span>
          </label>
          <fieldset>
            <legend>{t('tentacle.outbox')}</legend>
            <div className="form-grid">
              <Field
                label={t('tentacle.outboxDir')}
                hint={t('tentacle.outboxDirHint')}
                error={errors.fields['outbox.dir'] ?? errors.fields.outbox}
              >
                <input
                  type="text"
                  value={outboxDir}
                  onChange={(e) => setOutboxDir(e.target.value)}
                  spellCheck={false}
                />
              </Field>
              <Field label={t('tentacle.afterDelivery')}>
                <select
                  value={afterDelivery}
                  onChange={(e) => setAfterDelivery(e.target.value as 'remove' | 'move')}
                >
                  <option value="move">{t('tentacle.afterMove')}</option>
                  <option value="remove">{t('tentacle.afterRemove')}</option>
                </select>
              </Field>
            </div>
          </fieldset>
          <div className="form-actions">
            <button type="button" className="btn btn-ghost" onClick={() => setStep(0)}>
              {t('common.back')}
            </button>
            <button type="button" className="btn btn-ghost" onClick={cancel}>
              {t('common.cancel')}
            </button>
            <button type="submit" className="btn btn-primary" disabled={busy}>
              {busy ? t('tentacle.testing') : t('tentacle.saveAndTest')}
            </button>
          </div>
        </form>
      )}
      {step === 2 && (
        <div>
          <h2>
            {t('tentacle.step.test')}{' '}
            {test !== undefined && (
              <Badge tone={test.ok ? 'ok' : 'bad'}>
                {test.ok ? t('tentacle.testOk') : t('tentacle.testFailed')}
              </Badge>
            )}
          </h2>
          {test === undefined && <p className="muted">{t('tentacle.testing')}</p>}
          {test?.error !== undefined && (
            <div className="banner banner-error" role="alert">
              {test.error.message}
            </div>
          )}
          {test?.warnings.map((w) => (
            <Banner key={w} tone="warning">
              {w}
            </Banner>
          ))}
          {test?.tls !== undefined && (
            <>
              <KeyValues
                rows={[
                  [t('tentacle.tlsVersion'), test.tls.version],
                  [t('identity.subjectCn'), test.tls.peerSubject],
                  [t('identity.issuerCn'), test.tls.peerIssuer],
                ]}
              />
              <FingerprintCompare
                presented={test.tls.fingerprint256}
                subject={test.tls.peerSubject}
                serverCommand="openssl x509 -noout -fingerprint -sha256 -in /etc/tentacle/server.crt"
              />
            </>
          )}
          <div className="form-actions">
            <button type="button" className="btn btn-ghost" onClick={() => setStep(1)}>
              {t('common.back')}
            </button>
            <button type="button" className="btn btn-ghost" onClick={cancel}>
              {t('common.cancel')}
            </button>
            <button
              type="button"
              className="btn btn-primary"
              disabled={test === undefined}
              onClick={props.done}
            >
              {t('pair.finish')}
            </button>
          </div>
        </div>
      )}
    </WizardFrame>
  );
}
