import { useState } from 'react';
import type { AgentEvents } from '../../../main/core/contract/index.ts';
import { useAgent, useCall, useEvent, useReloadOn } from '../agent.tsx';
import {
  Badge,
  Card,
  EmptyState,
  ErrorBanner,
  Field,
  formatBytes,
  formatDuration,
  formatTime,
  PageHeader,
  type Tone,
} from '../components.tsx';
import { useI18n, type MessageKey } from '../i18n/index.tsx';
import { CheckResultForm, FileDrop, ValueForm } from '../queue/forms.tsx';
import type { Response } from '../transport/index.ts';
import type { PageProps } from './page.ts';

type Item = Response<'listQueue'>[number];
type ItemState = Item['state'];
type Progress = AgentEvents['queue.progress'];

const STATES: readonly ItemState[] = ['queued', 'sending', 'delivered', 'failed', 'cancelled'];
export const ITEM_TONE: Record<ItemState, Tone> = {
  queued: 'idle',
  sending: 'busy',
  delivered: 'ok',
  failed: 'bad',
  cancelled: 'idle',
};
export const ITEM_STATE_LABEL: Record<ItemState, MessageKey> = {
  queued: 'queue.state.queued',
  sending: 'queue.state.sending',
  delivered: 'queue.state.delivered',
  failed: 'queue.state.failed',
  cancelled: 'queue.state.cancelled',
};

/** What an item carries, in a few words. */
function describe(item: Item): string {
  const p = item.payload;
  switch (p.kind) {
    case 'file':
      return p.file.fileName;
    case 'check-result':
      return `${p.result.host}${p.result.service === undefined ? '' : ` / ${p.result.service}`} · ${['OK', 'WARNING', 'CRITICAL', 'UNKNOWN'][p.result.state] ?? p.result.state}`;
    case 'value':
      return `${p.value.valueId} = ${String(p.value.value)}`;
    case 'message':
      return JSON.stringify(p.message).slice(0, 80);
  }
}

/**
 * The transfer queue (issue #3 seen by a person): every item with its state,
 * live progress (bytes, rate, ETA), retry/cancel, per-target pause, drop
 * counters and caps, and the forms that put things in it.
 */
export function QueuePage(props: PageProps) {
  const { t, language } = useI18n();
  const agent = useAgent();
  const [state, setState] = useState<ItemState | ''>('');
  const [target, setTarget] = useState(
    props.params[0] === undefined ? '' : decodeURIComponent(props.params[0]),
  );
  const request = {
    limit: 200,
    ...(state === '' ? {} : { state }),
    ...(target === '' ? {} : { target }),
  };
  const items = useCall('listQueue', request, request);
  const stats = useCall('getQueueStats', {});
  const targets = useCall('listTargets', {});
  const [progress, setProgress] = useState<Record<string, Progress>>({});
  const [actionError, setActionError] = useState<Error | undefined>();
  const reload = (): void => {
    items.reload();
    stats.reload();
  };
  useReloadOn(['queue.item'], reload);
  useEvent('queue.progress', (p) => setProgress((all) => ({ ...all, [p.id]: p })));

  const act = (call: Promise<unknown>): void => {
    setActionError(undefined);
    call.then(reload, (error: Error) => setActionError(error));
  };

  const s = stats.data;
  return (
    <>
      <PageHeader
        title={t('queue.title')}
        subtitle={t('queue.subtitle')}
        actions={
          s !== undefined && (
            <>
              {s.totals.failed > 0 && (
                <button
                  type="button"
                  className="btn"
                  onClick={() => act(agent.call('retryFailed', {}))}
                >
                  {t('queue.retryFailed', { count: s.totals.failed })}
                </button>
              )}
              <button
                type="button"
                className={s.paused ? 'btn btn-primary' : 'btn'}
                onClick={() =>
                  act(s.paused ? agent.call('resumeSending', {}) : agent.call('pauseSending', {}))
                }
              >
                {s.paused ? t('queue.resumeAll') : t('queue.pauseAll')}
              </button>
            </>
          )
        }
      />
      <ErrorBanner error={stats.error ?? actionError} onRetry={reload} />
      {s?.paused === true && <div className="banner banner-warning">{t('queue.pausedBanner')}</div>}
      {s !== undefined && (
        <div className="stats" role="list" aria-label={t('queue.totals')}>
          {STATES.map((st) => (
            <div key={st} className="stat" role="listitem">
              <strong>{s.totals[st]}</strong>
              <span>{t(ITEM_STATE_LABEL[st])}</span>
            </div>
          ))}
          <div className="stat" role="listitem">
            <strong>{formatBytes(s.totals.pendingBytes)}</strong>
            <span>{t('queue.pendingBytes')}</span>
          </div>
          <div className="stat" role="listitem">
            <strong data-testid="drops-total">{s.totals.drops}</strong>
            <span>{t('queue.drops')}</span>
          </div>
        </div>
      )}

      <Card title={t('queue.items')}>
        <div className="form-inline">
          <Field label={t('queue.filterState')}>
            <select value={state} onChange={(e) => setState(e.target.value as ItemState | '')}>
              <option value="">{t('queue.all')}</option>
              {STATES.map((st) => (
                <option key={st} value={st}>
                  {t(ITEM_STATE_LABEL[st])}
                </option>
              ))}
            </select>
          </Field>
          <Field label={t('queue.filterTarget')}>
            <select value={target} onChange={(e) => setTarget(e.target.value)}>
              <option value="">{t('queue.all')}</option>
              {targets.data?.map((x) => (
                <option key={x.name} value={x.name}>
                  {x.name}
                </option>
              ))}
            </select>
          </Field>
        </div>
        <ErrorBanner error={items.error} onRetry={items.reload} />
        {items.data !== undefined && items.data.length === 0 && (
          <EmptyState title={t('queue.empty')} />
        )}
        <ul className="plain" aria-label={t('queue.items')}>
          {items.data?.map((item) => {
            const live = progress[item.id];
            const sent =
              item.state === 'sending' && live !== undefined ? live.bytesSent : item.bytesSent;
            const total = item.bytesTotal;
            return (
              <li
                key={item.id}
                className="queue-item"
                data-testid="queue-item"
                data-state={item.state}
              >
                <div>
                  <div className="queue-title">
                    <strong>{describe(item)}</strong> <span className="muted">→ {item.target}</span>{' '}
                    <Badge tone={ITEM_TONE[item.state]}>{t(ITEM_STATE_LABEL[item.state])}</Badge>
                  </div>
                  <div className="meta">
                    {t(`queue.kind.${item.payload.kind}`)} ·{' '}
                    {t('queue.created', { when: formatTime(item.createdAt, language) })}
                    {item.attempts > 0 && <> · {t('queue.attempts', { count: item.attempts })}</>}
                    {item.deliveredAt !== undefined && (
                      <>
                        {' '}
                        · {t('queue.deliveredAt', { when: formatTime(item.deliveredAt, language) })}
                      </>
                    )}
                  </div>
                  {total > 0 && (item.state === 'sending' || item.state === 'queued') && (
                    <div className="progress-row">
                      <progress
                        max={total}
                        value={sent}
                        aria-label={t('queue.progressOf', { name: describe(item) })}
                      />
                      <span className="meta">
                        {formatBytes(sent)} / {formatBytes(total)}
                        {live !== undefined && item.state === 'sending' && (
                          <>
                            {' '}
                            · {formatBytes(live.rateBytesPerSecond)}/s
                            {live.etaSeconds !== undefined && (
                              <> · {t('queue.eta', { time: formatDuration(live.etaSeconds) })}</>
                            )}
                          </>
                        )}
                      </span>
                    </div>
                  )}
                  {item.lastError !== undefined && item.state !== 'delivered' && (
                    <p className="text-bad small item-error">{item.lastError}</p>
                  )}
                </div>
                <div className="actions">
                  {(item.state === 'failed' || item.state === 'cancelled') && (
                    <button
                      type="button"
                      className="btn btn-small"
                      onClick={() => act(agent.call('retryQueueItem', { id: item.id }))}
                    >
                      {t('queue.retry')}
                    </button>
                  )}
                  {(item.state === 'queued' || item.state === 'failed') && (
                    <button
                      type="button"
                      className="btn btn-small btn-danger"
                      onClick={() => act(agent.call('cancelQueueItem', { id: item.id }))}
                    >
                      {t('common.cancel')}
                    </button>
                  )}
                </div>
              </li>
            );
          })}
        </ul>
      </Card>

      {s !== undefined && s.targets.length > 0 && (
        <Card title={t('queue.perTarget')}>
          <table className="table">
            <thead>
              <tr>
                <th scope="col">{t('identity.target')}</th>
                <th scope="col">{t('queue.state.queued')}</th>
                <th scope="col">{t('queue.state.failed')}</th>
                <th scope="col">{t('queue.pendingBytes')}</th>
                <th scope="col">{t('queue.oldest')}</th>
                <th scope="col">{t('queue.drops')}</th>
                <th scope="col">{t('queue.policy')}</th>
                <th scope="col">
                  <span className="visually-hidden">{t('queue.actions')}</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {s.targets.map((row) => (
                <tr key={row.target}>
                  <td>
                    {row.target} {row.paused && <Badge tone="idle">{t('state.paused')}</Badge>}
                  </td>
                  <td>{row.counts.queued}</td>
                  <td>{row.counts.failed}</td>
                  <td>{formatBytes(row.pendingBytes)}</td>
                  <td>
                    {row.oldestQueuedAgeSeconds === undefined
                      ? '—'
                      : formatDuration(row.oldestQueuedAgeSeconds)}
                  </td>
                  <td>
                    {row.drops.length === 0
                      ? 0
                      : row.drops.map((d) => (
                          <span key={d.reason} className="block small">
                            {d.count} × {d.reason} ({formatBytes(d.bytes)})
                          </span>
                        ))}
                  </td>
                  <td>{row.policy}</td>
                  <td>
                    <button
                      type="button"
                      className="btn btn-small"
                      onClick={() =>
                        act(
                          row.paused
                            ? agent.call('resumeTarget', { target: row.target })
                            : agent.call('pauseTarget', { target: row.target }),
                        )
                      }
                    >
                      {row.paused ? t('queue.resume') : t('queue.pause')}
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          <p className="hint">
            {t('queue.caps', {
              age: s.caps.maxAgeHours === 0 ? '∞' : `${s.caps.maxAgeHours} h`,
              bytes: formatBytes(s.caps.maxTotalBytes),
              free: formatBytes(s.caps.minFreeBytes),
            })}{' '}
            <a href="#/settings">{t('queue.editCaps')}</a>
          </p>
        </Card>
      )}

      <div className="grid">
        <Card title={t('queue.sendFile')}>
          <FileDrop
            targets={(targets.data ?? []).filter((x) => x.kind === 'tentacle').map((x) => x.name)}
            onQueued={reload}
          />
        </Card>
        <Card title={t('queue.checkResult')}>
          <CheckResultForm
            targets={(targets.data ?? [])
              .filter((x) => x.kind === 'icinga' || x.kind === 'onsphere')
              .map((x) => x.name)}
            onQueued={reload}
          />
        </Card>
        <Card title={t('queue.value')}>
          <ValueForm
            targets={(targets.data ?? []).filter((x) => x.kind === 'onsphere').map((x) => x.name)}
            onQueued={reload}
          />
        </Card>
      </div>
    </>
  );
}
