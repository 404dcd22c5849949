/**
 * The masters of an Icinga target's parent zone (HA parents, issue #18): the
 * wizard's list of addresses, and the table of masters with each one's
 * connection and pinned certificate.
 */
import { Badge, Code } from '../components.tsx';
import { useI18n } from '../i18n/index.tsx';
import type { Response } from '../transport/index.ts';
import { STATE_TONE, stateLabel } from '../target-labels.ts';
import { HostPortFields, portValue } from './fields.tsx';

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
          <HostPortFields
            address={{
              ...master,
              setHost: (host) => set(i, { host }),
              setPort: (port) => set(i, { port }),
              portValue: portValue(master.port),
            }}
            hostLabel={single ? t('icinga.host') : t('icinga.hostN', { n: i + 1 })}
            hostError={i === props.errorIndex ? props.errors.host : undefined}
            placeholder={props.placeholder}
            portLabel={single ? t('icinga.port') : t('icinga.portN', { n: i + 1 })}
            portError={i === props.errorIndex ? props.errors.port : undefined}
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
