import { useEffect, useState, type FormEvent } from 'react';
import { useAgent, useCall, useEvent } from '../agent.tsx';
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
import { FingerprintCompare, ServerStep, WizardFrame } from './frame.tsx';
import { IcingaSettings } from './IcingaSettings.tsx';
import { icingaSignCommand, icingaTicketCommand, icingaZonesSnippet } from './server-text.ts';
import type { WizardProps } from './wizards.tsx';

const STEPS: MessageKey[] = [
  'icinga.step.master',
  'icinga.step.trust',
  'icinga.step.sign',
  'icinga.step.done',
];
const MASTER_FIELDS = ['name', 'host', 'port', 'cn', 'zone', 'ticket', 'trustFingerprint'] as const;

type Certificate = Response<'fetchIcingaMasterCertificate'>;
type PairResult = Response<'pairIcinga'>;

/**
 * Icinga 2 pairing (icinga2.md §3): master address → confirm its certificate
 * (trust on first use) → ticket or on-demand signing → paired. Nothing is
 * written before the last step; cancelling a pending request removes the
 * target this wizard created.
 */
export function IcingaWizard(props: WizardProps) {
  const { t, language } = useI18n();
  const agent = useAgent();
  const settings = useCall('getSettings', {});
  const [step, setStep] = useState(0);
  const [name, setName] = useState(props.existing ?? 'icinga');
  const [host, setHost] = useState('');
  const [port, setPort] = useState('5665');
  const [cn, setCn] = useState('');
  const [zone, setZone] = useState('');
  const [parentZone, setParentZone] = useState('master');
  const [mode, setMode] = useState<'ticket' | 'on-demand'>('ticket');
  const [ticket, setTicket] = useState('');
  const [certificate, setCertificate] = useState<Certificate | undefined>();
  const [trusted, setTrusted] = useState(false);
  const [result, setResult] = useState<PairResult | undefined>();
  const [createdHere, setCreatedHere] = useState(false);
  const [busy, setBusy] = useState(false);
  const [errors, setErrors] = useState<FormErrors>(NO_ERRORS);
  const [progress, setProgress] = useState<string[]>([]);

  useEffect(() => {
    const agentName = settings.data?.agent.name;
    if (agentName !== undefined && cn === '') setCn(agentName);
  }, [settings.data]);

  // Reopening a paired target shows its current settings.
  useEffect(() => {
    if (props.existing === undefined) return;
    agent.call('icingaStatus', { name: props.existing, probe: false }).then(
      (status) => {
        setHost(status.host);
        setPort(String(status.port));
        setCn(status.cn);
        setZone(status.zone);
      },
      (error: unknown) => setErrors(formErrors(error, [])),
    );
  }, [agent, props.existing]);

  useEvent('pairing.step', (s) => {
    if (s.target === name && s.kind === 'icinga')
      setProgress((p) => [...p, `${s.step}${s.detail === undefined ? '' : `: ${s.detail}`}`]);
  });

  const effectiveCn = cn.trim() === '' ? t('icinga.cnPlaceholder') : cn.trim();
  // A non-number goes to the core as typed, so its schema names the field and says what is right.
  const portValue = (/^\d+$/.test(port.trim()) ? Number(port) : port) as number;

  const fetchCertificate = (event: FormEvent): void => {
    event.preventDefault();
    setErrors(NO_ERRORS);
    setBusy(true);
    agent
      .call('fetchIcingaMasterCertificate', { host, port: portValue })
      .then(
        (cert) => {
          setCertificate(cert);
          setTrusted(false);
          setStep(1);
        },
        (error: unknown) => setErrors(formErrors(error, MASTER_FIELDS)),
      )
      .finally(() => setBusy(false));
  };

  const pair = (): void => {
    if (certificate === undefined) return;
    setErrors(NO_ERRORS);
    setBusy(true);
    setProgress([]);
    const existedBefore = props.existing !== undefined;
    agent
      .call('pairIcinga', {
        name,
        host,
        port: portValue,
        trustFingerprint: certificate.fingerprint,
        ...(cn.trim() === '' ? {} : { cn: cn.trim() }),
        ...(zone.trim() === '' ? {} : { zone: zone.trim() }),
        ...(mode === 'ticket' ? { ticket: ticket.trim() } : {}),
      })
      .then(
        (r) => {
          setResult(r);
          if (!existedBefore) setCreatedHere(true);
          setStep(r.state === 'paired' ? 3 : 2);
        },
        (error: unknown) => {
          // A refused request may still have saved the target: cancelling must remove it.
          if (!existedBefore) setCreatedHere(true);
          const e = formErrors(error, MASTER_FIELDS);
          setErrors(e);
          if (
            e.fields.name !== undefined ||
            e.fields.host !== undefined ||
            e.fields.port !== undefined
          )
            setStep(0);
        },
      )
      .finally(() => setBusy(false));
  };

  const cancel = (): void => {
    // A pending request created a target; cancelling must not leave it half-configured.
    if (createdHere && result?.state !== 'paired') {
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
        title={t('icinga.server.zones')}
        text={icingaZonesSnippet(effectiveCn, parentZone || 'master')}
      >
        <p className="muted small">{t('icinga.server.zonesHint')}</p>
      </ServerStep>
      {mode === 'ticket' ? (
        <ServerStep title={t('icinga.server.ticket')} text={icingaTicketCommand(effectiveCn)}>
          <p className="muted small">{t('icinga.server.ticketHint')}</p>
        </ServerStep>
      ) : (
        <ServerStep
          title={t('icinga.server.sign')}
          text={
            result?.signCommand ??
            (result !== undefined
              ? icingaSignCommand(result.requestFingerprint)
              : 'icinga2 ca list')
          }
        >
          <p className="muted small">{t('icinga.server.signHint')}</p>
        </ServerStep>
      )}
    </>
  );

  const wizard = (
    <WizardFrame steps={STEPS} current={step} server={server} finished={step === 3}>
      {errors.general !== undefined && (
        <div className="banner banner-error" role="alert">
          {errors.general}
        </div>
      )}
      {step === 0 && (
        <form onSubmit={fetchCertificate} noValidate>
          <h2>{t('icinga.step.master')}</h2>
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
            <Field label={t('icinga.host')} error={errors.fields.host}>
              <input
                type="text"
                value={host}
                onChange={(e) => setHost(e.target.value)}
                placeholder="icinga-master.example.org"
                spellCheck={false}
              />
            </Field>
            <Field label={t('icinga.port')} error={errors.fields.port}>
              <input
                type="text"
                inputMode="numeric"
                value={port}
                onChange={(e) => setPort(e.target.value)}
              />
            </Field>
            <Field label={t('icinga.cn')} hint={t('icinga.cnHint')} error={errors.fields.cn}>
              <input
                type="text"
                value={cn}
                onChange={(e) => setCn(e.target.value)}
                spellCheck={false}
              />
            </Field>
            <Field label={t('icinga.zone')} hint={t('icinga.zoneHint')} error={errors.fields.zone}>
              <input
                type="text"
                value={zone}
                onChange={(e) => setZone(e.target.value)}
                spellCheck={false}
              />
            </Field>
            <Field label={t('icinga.parentZone')} hint={t('icinga.parentZoneHint')}>
              <input
                type="text"
                value={parentZone}
                onChange={(e) => setParentZone(e.target.value)}
                spellCheck={false}
              />
            </Field>
          </div>
          <div className="form-actions">
            <button type="button" className="btn btn-ghost" onClick={cancel}>
              {t('common.cancel')}
            </button>
            <button type="submit" className="btn btn-primary" disabled={busy}>
              {busy ? t('icinga.fetching') : t('icinga.fetch')}
            </button>
          </div>
        </form>
      )}
      {step === 1 && certificate !== undefined && (
        <div>
          <h2>{t('icinga.step.trust')}</h2>
          <p>{t('icinga.trustIntro', { host: `${certificate.host}:${certificate.port}` })}</p>
          <KeyValues
            rows={[
              [t('icinga.endpoint'), certificate.endpoint],
              [t('identity.subjectCn'), certificate.subject],
              [t('identity.issuerCn'), certificate.issuer],
              [t('icinga.expires'), formatTime(certificate.notAfter, language)],
            ]}
          />
          <FingerprintCompare
            presented={certificate.fingerprintSpaced}
            subject={certificate.subject}
            serverCommand={`openssl x509 -noout -fingerprint -sha256 -in /var/lib/icinga2/certs/${certificate.endpoint}.crt`}
          />
          <label className="check">
            <input
              type="checkbox"
              checked={trusted}
              onChange={(e) => setTrusted(e.target.checked)}
            />
            <span>{t('icinga.trustConfirm')}</span>
          </label>
          <fieldset className="signing">
            <legend>{t('icinga.signing')}</legend>
            <div className="radio-cards">
              <label className="radio-card">
                <input
                  type="radio"
                  name="signing"
                  checked={mode === 'ticket'}
                  onChange={() => setMode('ticket')}
                />
                <span>
                  <strong>{t('icinga.withTicket')}</strong>
                  <span className="hint block">{t('icinga.withTicketHint')}</span>
                </span>
              </label>
              <label className="radio-card">
                <input
                  type="radio"
                  name="signing"
                  checked={mode === 'on-demand'}
                  onChange={() => setMode('on-demand')}
                />
                <span>
                  <strong>{t('icinga.onDemand')}</strong>
                  <span className="hint block">{t('icinga.onDemandHint')}</span>
                </span>
              </label>
            </div>
            {mode === 'ticket' && (
              <Field
                label={t('icinga.ticket')}
                hint={t('icinga.ticketHint', { command: icingaTicketCommand(effectiveCn) })}
                error={errors.fields.ticket}
              >
                <input
                  type="password"
                  autoComplete="off"
                  value={ticket}
                  onChange={(e) => setTicket(e.target.value)}
                  spellCheck={false}
                />
              </Field>
            )}
          </fieldset>
          {errors.fields.trustFingerprint !== undefined && (
            <p className="field-error">{errors.fields.trustFingerprint}</p>
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
              {busy ? t('icinga.pairing') : t('icinga.trustAndPair')}
            </button>
          </div>
          <PairingProgress lines={progress} />
        </div>
      )}
      {step === 2 && result !== undefined && (
        <div>
          <h2>{t('icinga.step.sign')}</h2>
          <Banner tone="warning">{t('icinga.pending')}</Banner>
          <p>{t('icinga.pendingRun')}</p>
          <Code
            value={result.signCommand ?? icingaSignCommand(result.requestFingerprint)}
            label={t('icinga.server.sign')}
          />
          <div className="form-actions">
            <button type="button" className="btn btn-ghost" onClick={cancel}>
              {t('common.cancel')}
            </button>
            <button type="button" className="btn btn-primary" disabled={busy} onClick={pair}>
              {busy ? t('icinga.pairing') : t('icinga.checkAgain')}
            </button>
          </div>
          <PairingProgress lines={progress} />
        </div>
      )}
      {step === 3 && result !== undefined && (
        <div>
          <h2>
            {t('icinga.step.done')} <Badge tone="ok">{t('icinga.paired')}</Badge>
          </h2>
          <KeyValues
            rows={[
              [t('pair.targetName'), result.target],
              [t('icinga.cn'), result.cn],
              [t('icinga.endpoint'), result.endpoint],
              [
                t('icinga.masterPin'),
                <Code
                  key="m"
                  value={result.masterFingerprint}
                  label={t('identity.copyFingerprint')}
                />,
              ],
              [t('icinga.certificateExpires'), formatTime(result.certificateExpires, language)],
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
      <IcingaSettings name={props.existing} />
      <h2 className="section-title">{t('icinga.pairAgain')}</h2>
      {wizard}
    </>
  );
}

export function PairingProgress(props: { lines: string[] }) {
  if (props.lines.length === 0) return null;
  return (
    <ol className="progress-list" aria-live="polite">
      {props.lines.map((line, i) => (
        <li key={i}>
          <span aria-hidden="true">•</span> {line}
        </li>
      ))}
    </ol>
  );
}
