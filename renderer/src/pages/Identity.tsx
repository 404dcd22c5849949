import { useState, type FormEvent } from 'react';
import { useAgent, useCall } from '../agent.tsx';
import {
  Badge,
  Banner,
  Card,
  Code,
  CodeBlock,
  CopyButton,
  EmptyState,
  ErrorBanner,
  formatTime,
  formErrors,
  KeyValues,
  NO_ERRORS,
  PageHeader,
  type FormErrors,
} from '../components.tsx';
import { InputField } from '../fields.tsx';
import { useI18n } from '../i18n/index.tsx';
import type { Response } from '../transport/index.ts';

export function IdentityPage() {
  const { t, language } = useI18n();
  const identity = useCall('getIdentity', {});
  const id = identity.data;
  return (
    <>
      <PageHeader title={t('identity.title')} subtitle={t('identity.subtitle')} />
      <ErrorBanner error={identity.error} onRetry={identity.reload} />
      {id !== undefined && (
        <>
          {id.secretStore.encrypted ? (
            <Banner tone="success">
              {t('identity.encrypted', { backend: id.secretStore.backend })}
            </Banner>
          ) : (
            <Banner tone="warning">
              {t('identity.notEncrypted', { backend: id.secretStore.backend })}
            </Banner>
          )}
          <Card title={t('identity.agentKey')}>
            <KeyValues
              rows={[
                [
                  t('identity.thumbprint'),
                  <Code
                    key="t"
                    value={id.agentKey.thumbprint}
                    label={t('identity.copyThumbprint')}
                    testId="agent-thumbprint"
                  />,
                ],
                [t('identity.bits'), `RSA ${id.agentKey.bits}`],
                [
                  t('identity.privateKey'),
                  <code key="p" className="mono small">
                    {id.agentKey.privateKeyPath} (0600)
                  </code>,
                ],
                [
                  t('identity.publicKey'),
                  <code key="q" className="mono small">
                    {id.agentKey.publicKeyPath}
                  </code>,
                ],
              ]}
            />
            <details className="details">
              <summary>{t('identity.showPublicKey')}</summary>
              <CodeBlock text={id.agentKey.publicKeyPem} label={t('identity.publicKey')} />
            </details>
          </Card>
          <Card title={t('identity.certificates')}>
            {id.certificates.length === 0 ? (
              <EmptyState title={t('identity.noCertificates')} />
            ) : (
              <div className="stack">
                {id.certificates.map((cert) => (
                  <div key={`${cert.target}/${cert.role}`} className="subcard">
                    <h3>
                      {cert.target} ·{' '}
                      {cert.role === 'ca' ? t('identity.roleCa') : t('identity.roleClient')}{' '}
                      {cert.summary.daysLeft < 30 ? (
                        <Badge tone={cert.summary.daysLeft < 0 ? 'bad' : 'warn'}>
                          {cert.summary.daysLeft < 0
                            ? t('identity.expired')
                            : t('identity.expiresSoon', { days: cert.summary.daysLeft })}
                        </Badge>
                      ) : (
                        <Badge tone="ok">
                          {t('identity.valid', { days: cert.summary.daysLeft })}
                        </Badge>
                      )}
                    </h3>
                    <KeyValues
                      rows={[
                        [t('identity.subjectCn'), cert.summary.subjectCN ?? '—'],
                        [t('identity.issuerCn'), cert.summary.issuerCN ?? '—'],
                        [
                          t('identity.sha256'),
                          <Code
                            key="f"
                            value={cert.summary.fingerprintSha256}
                            label={t('identity.copyFingerprint')}
                          />,
                        ],
                        [
                          t('identity.validity'),
                          `${formatTime(cert.summary.notBefore, language)} → ${formatTime(cert.summary.notAfter, language)}`,
                        ],
                        [
                          t('identity.file'),
                          <code key="p" className="mono small">
                            {cert.path}
                          </code>,
                        ],
                      ]}
                    />
                  </div>
                ))}
              </div>
            )}
          </Card>
          <Card title={t('identity.pins')}>
            {id.pins.length === 0 ? (
              <EmptyState title={t('identity.noPins')} />
            ) : (
              <table className="table" aria-label={t('identity.pins')}>
                <thead>
                  <tr>
                    <th scope="col">{t('identity.target')}</th>
                    <th scope="col">{t('identity.pinPeer')}</th>
                    <th scope="col">{t('identity.pinKind')}</th>
                    <th scope="col">{t('identity.pinValue')}</th>
                    <th scope="col">{t('identity.pinnedAt')}</th>
                  </tr>
                </thead>
                <tbody>
                  {id.pins.map((pin) => (
                    <tr key={`${pin.target} ${pin.peer ?? ''}`} data-testid="pin">
                      <td>{pin.target}</td>
                      <td>{pin.peer ?? '—'}</td>
                      <td>
                        {pin.kind === 'tls-sha256' ? t('identity.pinTls') : t('identity.pinJwk')}
                      </td>
                      <td>
                        <Code value={pin.value} label={t('identity.copyFingerprint')} />
                        {pin.subject !== undefined && (
                          <span className="muted small">{pin.subject}</span>
                        )}
                      </td>
                      <td>{formatTime(pin.pinnedAt, language)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )}
          </Card>
          <Card title={t('identity.tickets')}>
            {id.tickets.length === 0 ? (
              <EmptyState title={t('identity.noTickets')} />
            ) : (
              <ul className="plain">
                {id.tickets.map((ticket) => (
                  <li key={ticket.target}>
                    <TicketRow target={ticket.target} masked={ticket.masked} />
                  </li>
                ))}
              </ul>
            )}
          </Card>
          <OtherKeyThumbprint />
        </>
      )}
    </>
  );
}

/**
 * Tickets arrive masked (first and last 4 characters). The whole value is
 * fetched only when the user clicks "reveal" (the core logs that, without the
 * value) and is dropped again on "hide".
 */
function TicketRow(props: { target: string; masked: string }) {
  const { t } = useI18n();
  const agent = useAgent();
  const [ticket, setTicket] = useState<string | undefined>();
  const [error, setError] = useState<string | undefined>();
  const reveal = (): void => {
    setError(undefined);
    agent.call('revealTicket', { target: props.target }).then(
      (answer) => setTicket(answer.ticket),
      (e: unknown) => setError((e as Error).message),
    );
  };
  return (
    <div className="code-row">
      <span>{props.target}</span>
      <code className="mono" aria-label={t('identity.ticketOf', { target: props.target })}>
        {ticket ?? props.masked}
      </code>
      {ticket === undefined ? (
        <button type="button" className="btn btn-small btn-ghost" onClick={reveal}>
          {t('identity.revealTicket')}
        </button>
      ) : (
        <>
          <button
            type="button"
            className="btn btn-small btn-ghost"
            onClick={() => setTicket(undefined)}
          >
            {t('identity.hideTicket')}
          </button>
          <CopyButton value={ticket} />
        </>
      )}
      {error !== undefined ? (
        <span className="field-error" role="alert">
          {error}
        </span>
      ) : (
        ticket === undefined && <span className="hint">{t('identity.ticketMasked')}</span>
      )}
    </div>
  );
}

function OtherKeyThumbprint() {
  const { t } = useI18n();
  const agent = useAgent();
  const [keyPath, setKeyPath] = useState('');
  const [result, setResult] = useState<Response<'getThumbprint'> | undefined>();
  const [errors, setErrors] = useState<FormErrors>(NO_ERRORS);
  const submit = (event: FormEvent): void => {
    event.preventDefault();
    setErrors(NO_ERRORS);
    setResult(undefined);
    agent
      .call('getThumbprint', { keyPath })
      .then(setResult, (error: unknown) => setErrors(formErrors(error, ['keyPath'])));
  };
  return (
    <Card title={t('identity.otherKey')}>
      <form className="form-inline" onSubmit={submit} noValidate>
        <InputField
          label={t('identity.keyPath')}
          hint={t('identity.keyPathHint')}
          error={errors.fields.keyPath}
          value={keyPath}
          onChange={setKeyPath}
          spellCheck={false}
        />
        <button type="submit" className="btn">
          {t('identity.compute')}
        </button>
      </form>
      {errors.general !== undefined && <p className="field-error">{errors.general}</p>}
      {result !== undefined && (
        <Code
          value={result.thumbprint}
          label={t('identity.copyThumbprint')}
          testId="other-thumbprint"
        />
      )}
    </Card>
  );
}
