import { useCall, useReloadOn } from '../agent.tsx';
import {
  Badge,
  Banner,
  Card,
  EmptyState,
  ErrorBanner,
  formatTime,
  PageHeader,
} from '../components.tsx';
import { useI18n } from '../i18n/index.tsx';
import { kindLabel, STATE_TONE, stateLabel } from '../target-labels.ts';
import type { PageProps } from './page.ts';

export function OverviewPage(props: PageProps) {
  const { t, language } = useI18n();
  const targets = useCall('listTargets', {});
  const info = useCall('getAgentInfo', {});
  const stats = useCall('getQueueStats', {});
  useReloadOn(['target.state', 'pairing.step'], targets.reload);
  useReloadOn(['queue.item'], stats.reload);

  return (
    <>
      <PageHeader
        title={t('overview.title')}
        subtitle={
          info.data === undefined
            ? undefined
            : t('overview.subtitle', { version: info.data.version })
        }
        actions={
          <button type="button" className="btn btn-primary" onClick={() => props.navigate('pair')}>
            {t('overview.pair')}
          </button>
        }
      />
      {info.data !== undefined && !info.data.secretStore.encrypted && (
        <Banner tone="warning">
          {t('identity.notEncrypted', { backend: info.data.secretStore.backend })}
        </Banner>
      )}
      <ErrorBanner error={targets.error} onRetry={targets.reload} />
      {targets.data !== undefined && targets.data.length === 0 && (
        <Card>
          <EmptyState title={t('overview.emptyTitle')}>
            <p className="muted">{t('overview.emptyBody')}</p>
            <button
              type="button"
              className="btn btn-primary"
              onClick={() => props.navigate('pair')}
            >
              {t('overview.pair')}
            </button>
          </EmptyState>
        </Card>
      )}
      <div className="grid">
        {targets.data?.map((target) => (
          <Card
            key={target.name}
            className="target-card"
            title={
              <>
                <span data-testid="target-name">{target.name}</span>
                <span className="muted small"> · {kindLabel(target.kind)}</span>
              </>
            }
            actions={
              <Badge tone={target.paused ? 'idle' : STATE_TONE[target.status.state]}>
                {target.paused ? t('state.paused') : t(stateLabel(target.status.state))}
              </Badge>
            }
          >
            <QueueCounts counts={targetCounts(stats.data?.targets, target.name)} />
            <dl className="kv">
              <div className="kv-row">
                <dt>{t('overview.lastDelivery')}</dt>
                <dd>{formatTime(target.status.lastDeliveryAt, language)}</dd>
              </div>
              {target.status.detail !== undefined && (
                <div className="kv-row">
                  <dt>{t('overview.detail')}</dt>
                  <dd>{target.status.detail}</dd>
                </div>
              )}
              <div className="kv-row">
                <dt>{t('overview.lastError')}</dt>
                <dd className={target.status.lastError === undefined ? 'muted' : 'text-bad'}>
                  {target.status.lastError ?? t('overview.none')}
                </dd>
              </div>
            </dl>
            <div className="card-foot">
              <a href={`#/queue/${encodeURIComponent(target.name)}`}>{t('overview.viewQueue')}</a>
              <a href={`#/pair/${target.kind}/${encodeURIComponent(target.name)}`}>
                {t('overview.settings')}
              </a>
            </div>
          </Card>
        ))}
      </div>
    </>
  );
}

type Counts = Record<'queued' | 'sending' | 'delivered' | 'failed' | 'cancelled', number>;

/**
 * A target's items per state, with those of its copy destinations (queue
 * address `<target>/…`, e.g. a Tentacle secondary server in `always` mode).
 */
function targetCounts(
  rows: Array<{ target: string; counts: Counts }> | undefined,
  name: string,
): Counts | undefined {
  const own = (rows ?? []).filter((x) => x.target === name || x.target.startsWith(`${name}/`));
  if (own.length === 0) return undefined;
  const sum: Counts = { queued: 0, sending: 0, delivered: 0, failed: 0, cancelled: 0 };
  for (const row of own)
    for (const state of Object.keys(sum) as Array<keyof Counts>) sum[state] += row.counts[state];
  return sum;
}

/** Items of one target per state, each a link to the queue filtered on it. */
function QueueCounts(props: { counts: Counts | undefined }) {
  const { t } = useI18n();
  const c = props.counts ?? { queued: 0, sending: 0, delivered: 0, failed: 0, cancelled: 0 };
  return (
    <div className="counts" aria-label={t('overview.queueCounts')}>
      <span>
        <strong>{c.queued + c.sending}</strong> {t('overview.waiting')}
      </span>
      <span>
        <strong>{c.delivered}</strong> {t('queue.state.delivered')}
      </span>
      <span className={c.failed > 0 ? 'text-bad' : undefined}>
        <strong>{c.failed}</strong> {t('queue.state.failed')}
      </span>
    </div>
  );
}
