import { useEffect, useState, type FormEvent } from 'react';
import { ICINGA_DEFAULT_PORT } from '../../../main/core/contract/ports.ts';
import { useAgent, useCall } from '../agent.tsx';
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
import { CheckboxField, InputField, RadioCards } from '../fields.tsx';
import { useI18n, type MessageKey } from '../i18n/index.tsx';
import type { Response } from '../transport/index.ts';
import { portValue, TargetNameField } from './fields.tsx';
import {
  FingerprintCompare,
  PairAgain,
  ServerStep,
  WizardActions,
  WizardError,
  WizardFrame,
} from './frame.tsx';
import { IcingaMastersTable, MasterAddressFields, type MasterAddress } from './IcingaMasters.tsx';
import { IcingaSettings } from './IcingaSettings.tsx';
import { PairingProgress, usePairingProgress } from './progress.tsx';
import { icingaSignCommand, icingaTicketCommand, icingaZonesSnippet } from './server-text.ts';
import type { WizardProps } from './wizard-props.ts';

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
 * Icinga 2 pairing (icinga2.md §3): master addresses (each endpoint of the
 * parent zone: two for an HA zone, issue #18) → confirm each certificate
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
  const [masters, setMasters] = useState<MasterAddress[]>([
    { host: '', port: String(ICINGA_DEFAULT_PORT) },
  ]);
  /** The master the host/port errors are about. */
  const [errorIndex, setErrorIndex] = useState(0);
  const [cn, setCn] = useState('');
  const [zone, setZone] = useState('');
  const [parentZone, setParentZone] = useState('master');
  const [mode, setMode] = useState<'ticket' | 'on-demand'>('ticket');
  const [ticket, setTicket] = useState('');
  const [certificates, setCertificates] = useState<Certificate[]>([]);
  const [trusted, setTrusted] = useState(false);
  const [result, setResult] = useState<PairResult | undefined>();
  const [createdHere, setCreatedHere] = useState(false);
  const [busy, setBusy] = useState(false);
  const [errors, setErrors] = useState<FormErrors>(NO_ERRORS);
  const progress = usePairingProgress('icinga', name);

  useEffect(() => {
    const agentName = settings.data?.agent.name;
    if (agentName !== undefined && cn === '') setCn(agentName);
  }, [settings.data]);

  // Reopening a paired target shows its current settings.
  useEffect(() => {
    if (props.existing === undefined) return;
    agent.call('getIcingaStatus', { name: props.existing, probe: false }).then(
      (status) => {
        setMasters(status.masters.map((m) => ({ host: m.host, port: String(m.port) })));
        setCn(status.cn);
        setZone(status.zone);
      },
      (error: unknown) => setErrors(formErrors(error, [])),
    );
  }, [agent, props.existing]);

  const effectiveCn = cn.trim() === '' ? t('icinga.cnPlaceholder') : cn.trim();

  /** Every master's certificate, in order; a refusal marks the master it is about. */
  const fetchCertificates = async (): Promise<void> => {
    const fetched: Certificate[] = [];
    for (const [i, master] of masters.entries()) {
      try {
        fetched.push(
          await agent.call('fetchIcingaMasterCertificate', {
            host: master.host,
            port: portValue(master.port),
          }),
        );
      } catch (error) {
        setErrorIndex(i);
        setErrors(formErrors(error, MASTER_FIELDS));
        return;
      }
    }
    setCertificates(fetched);
    setTrusted(false);
    setStep(1);
  };

  const fetchCertificate = (event: FormEvent): void => {
    event.preventDefault();
    setErrors(NO_ERRORS);
    setBusy(true);
    void fetchCertificates().finally(() => setBusy(false));
  };

  const pair = (): void => {
    if (certificates.length === 0) return;
    setErrors(NO_ERRORS);
    setBusy(true);
    progress.clear();
    const existedBefore = props.existing !== undefined;
    agent
      .call('pairIcinga', {
        name,
        masters: certificates.map((c) => ({
          host: c.host,
          port: c.port,
          trustFingerprint: c.fingerprint,
        })),
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
      <WizardError message={errors.general} />
      {step === 0 && (
        <form onSubmit={fetchCertificate} noValidate>
          <h2>{t('icinga.step.master')}</h2>
          <div className="form-grid">
            <TargetNameField
              value={name}
              onChange={setName}
              error={errors.fields.name}
              locked={props.existing !== undefined}
            />
          </div>
          <MasterAddressFields
            masters={masters}
            onChange={setMasters}
            defaultPort={ICINGA_DEFAULT_PORT}
            errors={{ host: errors.fields.host, port: errors.fields.port }}
            errorIndex={errorIndex}
            placeholder="icinga-master.example.org"
          />
          <div className="form-grid">
            <InputField
              label={t('icinga.cn')}
              hint={t('icinga.cnHint')}
              error={errors.fields.cn}
              value={cn}
              onChange={setCn}
              spellCheck={false}
            />
            <InputField
              label={t('icinga.zone')}
              hint={t('icinga.zoneHint')}
              error={errors.fields.zone}
              value={zone}
              onChange={setZone}
              spellCheck={false}
            />
            <InputField
              label={t('icinga.parentZone')}
              hint={t('icinga.parentZoneHint')}
              value={parentZone}
              onChange={setParentZone}
              spellCheck={false}
            />
          </div>
          <WizardActions
            onCancel={cancel}
            action={busy ? t('icinga.fetching') : t('icinga.fetch')}
            disabled={busy}
          />
        </form>
      )}
      {step === 1 && certificates.length > 0 && (
        <div>
          <h2>{t('icinga.step.trust')}</h2>
          {certificates.map((certificate, i) => (
            <section key={certificate.endpoint} aria-label={t('icinga.masterN', { n: i + 1 })}>
              {certificates.length > 1 && <h3>{t('icinga.masterN', { n: i + 1 })}</h3>}
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
            </section>
          ))}
          <CheckboxField
            label={
              certificates.length === 1 ? t('icinga.trustConfirm') : t('icinga.trustConfirmMany')
            }
            checked={trusted}
            onChange={setTrusted}
          />
          <fieldset className="signing">
            <legend>{t('icinga.signing')}</legend>
            <RadioCards
              name="signing"
              value={mode}
              onChange={setMode}
              options={[
                {
                  value: 'ticket',
                  title: t('icinga.withTicket'),
                  hint: t('icinga.withTicketHint'),
                },
                { value: 'on-demand', title: t('icinga.onDemand'), hint: t('icinga.onDemandHint') },
              ]}
            />
            {mode === 'ticket' && (
              <InputField
                label={t('icinga.ticket')}
                hint={t('icinga.ticketHint', { command: icingaTicketCommand(effectiveCn) })}
                error={errors.fields.ticket}
                type="password"
                autoComplete="off"
                value={ticket}
                onChange={setTicket}
                spellCheck={false}
              />
            )}
          </fieldset>
          {errors.fields.trustFingerprint !== undefined && (
            <p className="field-error">{errors.fields.trustFingerprint}</p>
          )}
          <WizardActions
            onBack={() => setStep(0)}
            onCancel={cancel}
            action={busy ? t('icinga.pairing') : t('icinga.trustAndPair')}
            onAction={pair}
            disabled={!trusted || busy}
          />
          <PairingProgress lines={progress.lines} />
        </div>
      )}
      {step === 2 && result !== undefined && (
        <div>
          <h2>{t('icinga.step.sign')}</h2>
          <Banner tone="warning">{t('icinga.pending')}</Banner>
          <p>
            {result.signOn === undefined
              ? t('icinga.pendingRun')
              : t('icinga.pendingRunOn', { endpoint: result.signOn })}
          </p>
          <Code
            value={result.signCommand ?? icingaSignCommand(result.requestFingerprint)}
            label={t('icinga.server.sign')}
          />
          <WizardActions
            onCancel={cancel}
            action={busy ? t('icinga.pairing') : t('icinga.checkAgain')}
            onAction={pair}
            disabled={busy}
          />
          <PairingProgress lines={progress.lines} />
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
              [t('icinga.certificateExpires'), formatTime(result.certificateExpires, language)],
            ]}
          />
          <IcingaMastersTable masters={result.masters} />
          <WizardActions action={t('pair.finish')} onAction={props.done} />
        </div>
      )}
    </WizardFrame>
  );
  if (props.existing === undefined) return wizard;
  return <PairAgain current={<IcingaSettings name={props.existing} />}>{wizard}</PairAgain>;
}
