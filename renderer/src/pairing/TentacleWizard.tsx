import { useEffect, useState, type FormEvent } from 'react';
import { TENTACLE_DEFAULT_PORT } from '../../../main/core/contract/ports.ts';
import type { TentacleTargetConfig } from '../../../main/core/contract/tentacle.ts';
import { useAgent } from '../agent.tsx';
import {
  Badge,
  Banner,
  formErrors,
  KeyValues,
  NO_ERRORS,
  type FormErrors,
} from '../components.tsx';
import { CheckboxField, InputField, RadioCards, SelectField } from '../fields.tsx';
import { useI18n, type MessageKey } from '../i18n/index.tsx';
import type { Response } from '../transport/index.ts';
import { HostPortFields, TargetNameField, useServerAddress } from './fields.tsx';
import {
  FingerprintCompare,
  ServerStep,
  WizardActions,
  WizardError,
  WizardFrame,
} from './frame.tsx';
import { tentacleServerCommand } from './server-text.ts';
import {
  SECONDARY_FIELDS,
  SecondaryServerFields,
  SecondaryTestResult,
  useSecondaryServer,
} from './TentacleSecondary.tsx';
import type { WizardProps } from './wizard-props.ts';

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
  ...SECONDARY_FIELDS,
] as const;

type TestResult = Response<'testTentacleTarget'>;

/** The target's settings as the core keeps them. */
type StoredConfig = TentacleTargetConfig;

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
  const address = useServerAddress(TENTACLE_DEFAULT_PORT);
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
  const secondary = useSecondaryServer();
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
        address.setHost(config.host);
        address.setPort(String(config.port));
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
        secondary.load(config.secondary);
      },
      () => undefined,
    );
  }, [agent, props.existing]);

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
          host: address.host,
          port: address.portValue,
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
        ...secondary.request(),
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
          port: Number(address.port) || TENTACLE_DEFAULT_PORT,
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
    <WizardFrame
      steps={STEPS}
      current={step}
      server={server}
      finished={test?.ok === true && test.secondary?.ok !== false}
    >
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
          <h2>{t('tentacle.step.server')}</h2>
          <div className="form-grid">
            <TargetNameField
              value={name}
              onChange={setName}
              error={errors.fields.name}
              locked={props.existing !== undefined}
            />
            <HostPortFields
              address={address}
              hostLabel={t('tentacle.host')}
              hostError={errors.fields.host}
              placeholder="pandora.example.org"
              portLabel={t('tentacle.port')}
              portError={errors.fields.port}
            />
          </div>
          <WizardActions onCancel={cancel} action={t('common.next')} />
        </form>
      )}
      {step === 1 && (
        <form onSubmit={saveAndTest} noValidate>
          <h2>{t('tentacle.step.security')}</h2>
          <CheckboxField
            label={t('tentacle.tls')}
            hint={t('tentacle.tlsHint')}
            checked={tls}
            onChange={setTls}
          />
          {tls && (
            <fieldset>
              <legend>{t('tentacle.verify')}</legend>
              <RadioCards
                name="verify"
                value={verify}
                onChange={setVerify}
                options={[
                  { value: 'ca', title: t('tentacle.verifyCa'), hint: t('tentacle.verifyCaHint') },
                  {
                    value: 'insecure',
                    title: t('tentacle.insecure'),
                    hint: t('tentacle.insecureHint'),
                  },
                ]}
              />
              {verify === 'ca' && (
                <InputField
                  label={t('tentacle.caFile')}
                  hint={t('tentacle.caFileHint')}
                  error={errors.fields.caFile}
                  value={caFile}
                  onChange={setCaFile}
                  spellCheck={false}
                />
              )}
              {errors.fields.insecure !== undefined && (
                <p className="field-error">{errors.fields.insecure}</p>
              )}
              <CheckboxField
                label={t('tentacle.clientCert')}
                checked={clientCert}
                onChange={setClientCert}
              />
              {clientCert && (
                <div className="form-grid">
                  <InputField
                    label={t('tentacle.certFile')}
                    error={errors.fields.certFile}
                    value={certFile}
                    onChange={setCertFile}
                    spellCheck={false}
                  />
                  <InputField
                    label={t('tentacle.keyFile')}
                    error={errors.fields.keyFile}
                    value={keyFile}
                    onChange={setKeyFile}
                    spellCheck={false}
                  />
                  <InputField
                    label={t('tentacle.keyPassphrase')}
                    error={errors.fields.keyPassphrase}
                    type="password"
                    value={keyPassphrase}
                    onChange={setKeyPassphrase}
                    autoComplete="off"
                  />
                </div>
              )}
            </fieldset>
          )}
          <CheckboxField
            label={t('tentacle.usePassword')}
            checked={usePassword}
            onChange={setUsePassword}
          />
          {usePassword && (
            <div className="form-grid">
              <InputField
                label={t('tentacle.password')}
                hint={t('tentacle.passwordHint')}
                error={errors.fields.password}
                type="password"
                value={password}
                onChange={setPassword}
                autoComplete="new-password"
              />
              {!tls && (
                <CheckboxField
                  label={t('tentacle.allowPlain')}
                  hint={t('tentacle.allowPlainHint')}
                  checked={allowPlainPassword}
                  onChange={setAllowPlainPassword}
                />
              )}
            </div>
          )}
          <CheckboxField label={t('tentacle.zip')} checked={zip} onChange={setZip} />
          <fieldset>
            <legend>{t('tentacle.outbox')}</legend>
            <div className="form-grid">
              <InputField
                label={t('tentacle.outboxDir')}
                hint={t('tentacle.outboxDirHint')}
                error={errors.fields['outbox.dir'] ?? errors.fields.outbox}
                value={outboxDir}
                onChange={setOutboxDir}
                spellCheck={false}
              />
              <SelectField
                label={t('tentacle.afterDelivery')}
                value={afterDelivery}
                onChange={(value) => setAfterDelivery(value as 'remove' | 'move')}
              >
                <option value="move">{t('tentacle.afterMove')}</option>
                <option value="remove">{t('tentacle.afterRemove')}</option>
              </SelectField>
            </div>
          </fieldset>
          <SecondaryServerFields server={secondary} errors={errors.fields} />
          <WizardActions
            onBack={() => setStep(0)}
            onCancel={cancel}
            action={busy ? t('tentacle.testing') : t('tentacle.saveAndTest')}
            disabled={busy}
          />
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
          <WizardError message={test?.error?.message} />
          {test?.warnings.map((w) => (
            <Banner key={w.message} tone="warning">
              {w.message}
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
          {test?.secondary !== undefined && <SecondaryTestResult result={test.secondary} />}
          <WizardActions
            onBack={() => setStep(1)}
            onCancel={cancel}
            action={t('pair.finish')}
            onAction={props.done}
            disabled={test === undefined}
          />
        </div>
      )}
    </WizardFrame>
  );
}
