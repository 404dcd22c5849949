/**
 * The masters of an Icinga target's parent zone (HA parents, issue #18): the
 * wizard's list of addresses, and the table of masters with each one's
 * connection and pinned certificate.
 */
import { Badge, Code } from '../components.tsx';
import { InputField } from '../fields.tsx';
import { useI18n } from '../i18n/index.tsx';
import type { Response } from '../transport/index.ts';
import { STATE_TONE, stateLabel } from '../target-labels.ts';

export interface MasterAddress {
  host: string;
  port: string;
}

/** The wizard's masters: host and port of each, one more added on demand. */
export function MasterAddressFields(props: {
  masters: MasterAddress[];
  onChange(masters: MasterAddress[]): void;
  defaultPort: number;
  /** Field errors of the core's refusal, for the master at `errorIndex`. */
  errors: { host?: string | undefined; port?: string | undefined };
  errorIndex: number;
  placeholder: string;
}) {
  const { t } = useI18n();
  const set = (index: number, change: Partial<MasterAddress>): void =>
    props.onChange(props.masters.map((m, i) => (i === index ? { ...m, ...change } : m)));
  const single = props.masters.length === 1;
  return (
    <fieldset>
      <legend>{t('icinga.masters')}</legend>
      <p className="muted small">{t('icinga.mastersHint')}</p>
      {props.masters.map((master, i) => (
        <div key={i} className="form-grid">
          <InputField
            label={single ? t('icinga.host') : t('icinga.hostN', { n: i + 1 })}
            error={i === props.errorIndex ? props.errors.host : undefined}
            value={master.host}
            onChange={(host) => set(i, { host })}
            placeholder={props.placeholder}
            spellCheck={false}
          />
          <InputField
            label={single ? t('icinga.port') : t('icinga.portN', { n: i + 1 })}
            error={i === props.errorIndex ? props.errors.port : undefined}
            inputMode="numeric"
            value={master.port}
            onChange={(port) => set(i, { port })}
          />
          {i > 0 && (
            <div className="form-actions">
              <button
                type="button"
                className="btn btn-ghost"
                onClick={() => props.onChange(props.masters.filter((_, j) => j !== i))}
              >
                {t('icinga.removeMaster', { n: i + 1 })}
              </button>
            </div>
          )}
        </div>
      ))}
      <div className="form-actions">
        <button
          type="button"
          className="btn"
          onClick={() =>
            props.onChange([...props.masters, { host: '', port: String(props.defaultPort) }])
          }
        >
          {t('icinga.addMaster')}
        </button>
      </div>
    </fieldset>
  );
}

type MasterRow = Pick<
  Response<'getIcingaStatus'>['masters'][number],
  'host' | 'port' | 'endpoint' | 'fingerprint'
> & { state?: Response<'getIcingaStatus'>['masters'][number]['state']; detail?: string };

/** Each master: endpoint, address, its connection (when known) and the certificate pinned for it. */
export function IcingaMastersTable(props: { masters: MasterRow[] }) {
  const { t } = useI18n();
  const withState = props.masters.some((m) => m.state !== undefined);
  return (
    <table className="table" aria-label={t('icinga.masters')}>
      <thead>
        <tr>
          <th scope="col">{t('icinga.endpoint')}</th>
          <th scope="col">{t('icinga.masterAddress')}</th>
          {withState && <th scope="col">{t('icinga.masterState')}</th>}
          <th scope="col">{t('icinga.masterFingerprint')}</th>
        </tr>
      </thead>
      <tbody>
        {props.masters.map((m) => (
          <tr key={m.endpoint} data-testid="icinga-master">
            <td>{m.endpoint}</td>
            <td className="mono">{`${m.host}:${m.port}`}</td>
            {withState && (
              <td>
                {m.state !== undefined && (
                  <Badge tone={STATE_TONE[m.state]}>{t(stateLabel(m.state))}</Badge>
                )}
                {m.detail !== undefined && <span className="muted small"> {m.detail}</span>}
              </td>
            )}
            <td>
              {m.fingerprint === undefined ? (
                '—'
              ) : (
                <Code value={m.fingerprint} label={t('identity.copyFingerprint')} />
              )}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
