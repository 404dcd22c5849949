import { useState, type ReactNode } from 'react';
import { useAgent, useCall } from '../agent.tsx';
import { Badge, Banner, Card, Code, ErrorBanner, formatTime, KeyValues } from '../components.tsx';
import { useI18n } from '../i18n/index.tsx';
import type { Response } from '../transport/index.ts';

/** A reopened OnSphere target: identity, configuration (fresh or last-known-good), broker session. */
export function OnsphereTargetStatus(props: { name: string }) {
  const { t, language } = useI18n();
  const status = useCall('getOnsphereStatus', { name: props.name, probe: false }, props.name);
  const s = status.data;
  return (
    <>
      <ErrorBanner error={status.error} onRetry={status.reload} />
      {s !== undefined && (
        <Card
          title={t('onsphere.current', { name: s.target })}
          actions={
            <Badge tone={s.session.state === 'ready' ? 'ok' : 'idle'}>{s.session.state}</Badge>
          }
        >
          {s.warnings.map((w) => (
            <Banner key={w.message} tone="warning">
              {w.message}
            </Banner>
          ))}
          <KeyValues
            rows={[
              [t('onsphere.host'), `${s.dispatcher.host}:${s.dispatcher.port}`],
              [t('onsphere.connector'), s.identity?.cn ?? '—'],
              [
                t('icinga.expires'),
                s.identity === undefined
                  ? '—'
                  : `${formatTime(s.identity.notAfter, language)} (${t('identity.valid', { days: s.identity.daysLeft })})`,
              ],
              [
                t('onsphere.certFingerprint'),
                s.identity === undefined ? (
                  '—'
                ) : (
                  <Code
                    key="c"
                    value={s.identity.certFingerprint}
                    label={t('identity.copyFingerprint')}
                  />
                ),
              ],
              [
                t('onsphere.configVersion'),
                s.config === undefined
                  ? '—'
                  : `${s.config.version}${s.config.stale ? ` (${t('onsphere.stale')})` : ''}`,
              ],
              [t('onsphere.pending'), String(s.session.pending)],
            ]}
          />
        </Card>
      )}
    </>
  );
}

interface GorgoneConfigView {
  host: string;
  port: number;
  nodeId: string;
}

/** A reopened Gorgone target: where it points, and a controller PING on demand. */
export function GorgoneTargetStatus(props: { name: string }) {
  const { t } = useI18n();
  const agent = useAgent();
  const targets = useCall('listTargets', {});
  const [ping, setPing] = useState<Response<'pingGorgone'> | undefined>();
  const [error, setError] = useState<Error | undefined>();
  const config = targets.data?.find((x) => x.name === props.name)?.config as
    GorgoneConfigView | undefined;
  if (config === undefined) return <ErrorBanner error={targets.error} onRetry={targets.reload} />;
  return (
    <Card
      title={t('gorgone.current', { name: props.name })}
      actions={
        <button
          type="button"
          className="btn btn-small"
          onClick={() => {
            setError(undefined);
            agent
              .call('pingGorgone', { name: props.name })
              .then(setPing, (e: Error) => setError(e));
          }}
        >
          {t('gorgone.ping')}
        </button>
      }
    >
      <ErrorBanner error={error} />
      <KeyValues
        rows={[
          [t('gorgone.host'), `${config.host}:${config.port}`],
          [t('gorgone.nodeId'), config.nodeId],
          ...(ping === undefined
            ? []
            : ([
                [t('gorgone.serverHostname'), ping.hostname],
                [
                  t('gorgone.serverThumbprint'),
                  <Code
                    key="s"
                    value={ping.serverThumbprint}
                    label={t('identity.copyThumbprint')}
                  />,
                ],
              ] as Array<[string, ReactNode]>)),
        ]}
      />
    </Card>
  );
}
