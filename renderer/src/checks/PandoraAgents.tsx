import { useState } from 'react';
import { useAgent, useEvent } from '../agent.tsx';
import { Badge, Banner, Card } from '../components.tsx';
import { useI18n, type MessageKey, type Translate } from '../i18n/index.tsx';
import type { PandoraAgentSummary, PandoraConfChange } from './types.ts';

/** "configuration changed by the Pandora server: 1 module added, 2 removed", in the UI's language. */
export function describeChange(t: Translate, change: PandoraConfChange): string {
  const count = (n: number, one: MessageKey, other: MessageKey): string | undefined =>
    n === 0 ? undefined : n === 1 ? t(one) : t(other, { count: n });
  const counts = [
    count(change.added, 'pandora.addedOne', 'pandora.added'),
    count(change.changed, 'pandora.changedOne', 'pandora.changed'),
    count(change.removed, 'pandora.removedOne', 'pandora.removed'),
  ].filter((c): c is string => c !== undefined);
  const what = counts.length === 0 ? t('pandora.noModuleChanged') : counts.join(', ');
  return change.by === 'server'
    ? t('pandora.changedByServer', { what })
    : t('pandora.imported', { what });
}

/**
 * Pandora agent definitions (issue #18 part 3): who manages each conf, what
 * last changed it, a refused download, and "check now". A change the server
 * makes while the page is open shows as a notice.
 */
export function PandoraAgentsCard(props: { agents: PandoraAgentSummary[]; onChanged(): void }) {
  const { t, language } = useI18n();
  const agent = useAgent();
  const [notice, setNotice] = useState<string | undefined>();
  const [error, setError] = useState<string | undefined>();
  useEvent('pandora.agent-changed', ({ agent: name, outcome }) => {
    if (outcome.action === 'applied') {
      const changes = outcome.changes;
      setNotice(
        `${name}: ${describeChange(t, {
          by: 'server',
          at: Date.now(),
          summary: outcome.message,
          added: changes?.added.length ?? 0,
          changed: changes?.replaced.length ?? 0,
          removed: changes?.removed.length ?? 0,
        })}`,
      );
    }
    props.onChanged();
  });
  const syncNow = (name: string): void => {
    setError(undefined);
    agent
      .call('syncPandoraAgent', { name })
      .then(props.onChanged, (e: Error) => setError(e.message));
  };
  if (props.agents.length === 0) return null;
  return (
    <Card title={t('pandora.title')}>
      {notice !== undefined && <Banner tone="info">{notice}</Banner>}
      {error !== undefined && <Banner tone="warning">{error}</Banner>}
      <ul className="plain stack" data-testid="pandora-agents">
        {props.agents.map(({ definition: d, key }) => (
          <li key={d.name} className="subcard">
            <h3>
              {d.name}{' '}
              <Badge tone={d.remoteConfig ? 'ok' : 'idle'}>
                {d.remoteConfig ? t('pandora.managedByServer') : t('pandora.local')}
              </Badge>{' '}
              {d.standby && <Badge tone="warn">{t('pandora.standby')}</Badge>}
            </h3>
            <p className="hint">
              {t('pandora.identity', { agentName: d.agentName, target: d.target, key })}
            </p>
            {d.remoteConfig && <p className="small">{t('pandora.editInConsole')}</p>}
            {d.standby && <p className="small">{t('pandora.standbyHint')}</p>}
            {d.lastChange !== undefined && (
              <p className="small">
                {t('pandora.lastChange', {
                  when: new Date(d.lastChange.at).toLocaleString(language),
                  what: describeChange(t, d.lastChange),
                })}
              </p>
            )}
            {d.problem !== undefined && (
              <p className="small text-bad">
                {t('pandora.problem', {
                  when: new Date(d.problem.at).toLocaleString(language),
                  message: d.problem.message,
                })}
              </p>
            )}
            {d.remoteConfig && (
              <button type="button" className="btn btn-small" onClick={() => syncNow(d.name)}>
                {t('pandora.syncNow')}
              </button>
            )}
          </li>
        ))}
      </ul>
    </Card>
  );
}
