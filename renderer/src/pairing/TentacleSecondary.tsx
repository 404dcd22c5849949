import { useState } from 'react';
import { TENTACLE_DEFAULT_PORT } from '../../../main/core/contract/ports.ts';
import type { AgentRequest } from '../../../main/core/contract/index.ts';
import type { TentacleTargetConfig } from '../../../main/core/contract/tentacle.ts';
import { Badge, KeyValues } from '../components.tsx';
import { CheckboxField, InputField, SelectField } from '../fields.tsx';
import type { Response } from '../transport/index.ts';
import { WizardError } from './frame.tsx';
import { useI18n } from '../i18n/index.tsx';
import { HostPortFields, useServerAddress } from './fields.tsx';

type Mode = 'none' | 'on_error' | 'always';

type SecondaryInput = NonNullable<AgentRequest<'addTentacleTarget'>['secondary']>;
/** What the form does not show (set by `tentacle add` or an import) and keeps as it was. */
type Kept = Pick<SecondaryInput, 'zip' | 'proxy' | 'bindAddress' | 'idleTimeoutSeconds'>;

/** The secondary server as the target's settings keep it (contract/tentacle.ts secondarySchema). */
export type StoredSecondary = NonNullable<TentacleTargetConfig['secondary']>;

/** Fields of addTentacleTarget the core blames for the secondary server. */
export const SECONDARY_FIELDS = [
  'secondary.mode',
  'secondary.host',
  'secondary.port',
  'secondary.caFile',
  'secondary.certFile',
  'secondary.keyFile',
  'secondary.insecure',
  'secondaryPassword',
  'secondaryKeyPassphrase',
] as const;

type SecondaryRequest = Pick<AgentRequest<'addTentacleTarget'>, 'secondary' | 'secondaryPassword'>;

/** The wizard's secondary-server state: loaded from a saved target, turned into the request. */
export function useSecondaryServer() {
  const [mode, setMode] = useState<Mode>('none');
  const address = useServerAddress(TENTACLE_DEFAULT_PORT);
  const [tls, setTls] = useState(true);
  const [caFile, setCaFile] = useState('');
  const [insecure, setInsecure] = useState(false);
  const [certFile, setCertFile] = useState('');
  const [keyFile, setKeyFile] = useState('');
  const [password, setPassword] = useState('');
  const [allowPlainPassword, setAllowPlainPassword] = useState(false);
  const [kept, setKept] = useState<Kept>({});

  const load = (stored: StoredSecondary | undefined): void => {
    if (stored === undefined) return;
    setMode(stored.mode);
    address.setHost(stored.host);
    address.setPort(String(stored.port));
    setTls(stored.tls);
    setCaFile(stored.caFile ?? '');
    setInsecure(stored.insecure);
    setCertFile(stored.certFile ?? '');
    setKeyFile(stored.keyFile ?? '');
    setAllowPlainPassword(stored.allowPlainPassword);
    const { zip, proxy, bindAddress, idleTimeoutSeconds } = stored;
    setKept({ zip, proxy, bindAddress, idleTimeoutSeconds });
  };

  /** Absent mode: no secondary (a saved one is removed with its secrets). */
  const request = (): SecondaryRequest => {
    if (mode === 'none') return {};
    const clientCert = tls && (certFile.trim() !== '' || keyFile.trim() !== '');
    return {
      secondary: {
        ...kept,
        mode,
        host: address.host,
        port: address.portValue,
        tls,
        insecure: tls && insecure,
        allowPlainPassword: !tls && allowPlainPassword,
        ...(tls && !insecure && caFile.trim() !== '' ? { caFile: caFile.trim() } : {}),
        ...(clientCert ? { certFile: certFile.trim(), keyFile: keyFile.trim() } : {}),
      },
      ...(password === '' ? {} : { secondaryPassword: password }),
    };
  };

  return {
    mode,
    setMode,
    address,
    tls,
    setTls,
    caFile,
    setCaFile,
    insecure,
    setInsecure,
    certFile,
    setCertFile,
    keyFile,
    setKeyFile,
    password,
    setPassword,
    allowPlainPassword,
    setAllowPlainPassword,
    load,
    request,
  };
}

export type SecondaryServer = ReturnType<typeof useSecondaryServer>;

/**
 * The wizard's "secondary server" section (pandora-remote-config.md §11–§14):
 * when it gets files, and its own address, TLS, client certificate and password.
 */
export function SecondaryServerFields(props: {
  server: SecondaryServer;
  errors: Record<string, string | undefined>;
}) {
  const { t } = useI18n();
  const s = props.server;
  const e = props.errors;
  return (
    <fieldset>
      <legend>{t('tentacle.secondary')}</legend>
      <p className="hint">{t('tentacle.secondaryHint')}</p>
      <SelectField
        label={t('tentacle.secondaryMode')}
        error={e['secondary.mode']}
        value={s.mode}
        onChange={(value) => s.setMode(value as Mode)}
      >
        <option value="none">{t('tentacle.secondaryNone')}</option>
        <option value="on_error">{t('tentacle.secondaryOnError')}</option>
        <option value="always">{t('tentacle.secondaryAlways')}</option>
      </SelectField>
      {s.mode !== 'none' && (
        <>
          <div className="form-grid">
            <HostPortFields
              address={s.address}
              hostLabel={t('tentacle.secondaryHost')}
              hostError={e['secondary.host'] ?? e.secondary}
              placeholder="pandora-backup.example.org"
              portLabel={t('tentacle.secondaryPort')}
              portError={e['secondary.port']}
            />
          </div>
          <CheckboxField label={t('tentacle.secondaryTls')} checked={s.tls} onChange={s.setTls} />
          {s.tls && (
            <div className="form-grid">
              <InputField
                label={t('tentacle.secondaryCaFile')}
                hint={t('tentacle.caFileHint')}
                error={e['secondary.caFile']}
                value={s.caFile}
                onChange={s.setCaFile}
                disabled={s.insecure}
                spellCheck={false}
              />
              <CheckboxField
                label={t('tentacle.secondaryInsecure')}
                hint={t('tentacle.insecureHint')}
                checked={s.insecure}
                onChange={s.setInsecure}
              />
              <InputField
                label={t('tentacle.secondaryCertFile')}
                error={e['secondary.certFile']}
                value={s.certFile}
                onChange={s.setCertFile}
                spellCheck={false}
              />
              <InputField
                label={t('tentacle.secondaryKeyFile')}
                error={e['secondary.keyFile']}
                value={s.keyFile}
                onChange={s.setKeyFile}
                spellCheck={false}
              />
            </div>
          )}
          <div className="form-grid">
            <InputField
              label={t('tentacle.secondaryPassword')}
              hint={t('tentacle.secondaryPasswordHint')}
              error={e.secondaryPassword}
              type="password"
              value={s.password}
              onChange={s.setPassword}
              autoComplete="new-password"
            />
            {!s.tls && (
              <CheckboxField
                label={t('tentacle.secondaryAllowPlain')}
                hint={t('tentacle.allowPlainHint')}
                checked={s.allowPlainPassword}
                onChange={s.setAllowPlainPassword}
              />
            )}
          </div>
        </>
      )}
    </fieldset>
  );
}

/** The secondary server's part of the wizard's test: its own answer, TLS details or error. */
export function SecondaryTestResult(props: {
  result: NonNullable<Response<'testTentacleTarget'>['secondary']>;
}) {
  const { t } = useI18n();
  const r = props.result;
  return (
    <section>
      <h3>
        {t('tentacle.secondaryTest', { server: `${r.server} (${r.mode})` })}{' '}
        <Badge tone={r.ok ? 'ok' : 'bad'}>
          {r.ok ? t('tentacle.testOk') : t('tentacle.testFailed')}
        </Badge>
      </h3>
      <WizardError message={r.error?.message} />
      {r.tls !== undefined && (
        <KeyValues
          rows={[
            [t('tentacle.tlsVersion'), r.tls.version],
            [t('identity.subjectCn'), r.tls.peerSubject],
            [t('identity.issuerCn'), r.tls.peerIssuer],
          ]}
        />
      )}
    </section>
  );
}
