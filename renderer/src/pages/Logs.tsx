import { useState } from 'react';
import type { AgentEvents } from '../../../main/core/contract/index.ts';
import { useCall, useEvent } from '../agent.tsx';
import { Card, EmptyState, ErrorBanner, Field, PageHeader } from '../components.tsx';
import { useI18n } from '../i18n/index.tsx';

type LogLine = AgentEvents['log'];
type Level = LogLine['level'];
const LEVELS: readonly Level[] = ['debug', 'info', 'warn', 'error'];
const ORDER: Record<Level, number> = { debug: 0, info: 1, warn: 2, error: 3 };

export function LogsPage() {
  const { t, language } = useI18n();
  const [level, setLevel] = useState<Level>('info');
  const [contains, setContains] = useState('');
  const [live, setLive] = useState<LogLine[]>([]);
  const request = { level, limit: 500, ...(contains === '' ? {} : { contains }) };
  const logs = useCall('getRecentLogs', request, request);
  useEvent('log', (line) => {
    if (ORDER[line.level] < ORDER[level]) return;
    if (contains !== '' && !JSON.stringify(line).toLowerCase().includes(contains.toLowerCase()))
      return;
    setLive((l) => [...l.slice(-499), line]);
  });
  const lines = [
    ...(logs.data ?? []),
    ...live.filter(
      (l) => !(logs.data ?? []).some((d) => d.time === l.time && d.message === l.message),
    ),
  ];

  return (
    <>
      <PageHeader title={t('logs.title')} subtitle={t('logs.subtitle')} />
      <Card>
        <div className="form-inline">
          <Field label={t('logs.level')}>
            <select
              value={level}
              onChange={(e) => {
                setLive([]);
                setLevel(e.target.value as Level);
              }}
            >
              {LEVELS.map((l) => (
                <option key={l} value={l}>
                  {t(`logs.level.${l}`)}
                </option>
              ))}
            </select>
          </Field>
          <Field label={t('logs.filter')}>
            <input
              type="search"
              value={contains}
              maxLength={200}
              onChange={(e) => {
                setLive([]);
                setContains(e.target.value);
              }}
            />
          </Field>
        </div>
        <ErrorBanner error={logs.error} onRetry={logs.reload} />
        {lines.length === 0 ? (
          <EmptyState title={t('logs.empty')} />
        ) : (
          <ol className="log-lines" aria-label={t('logs.title')} tabIndex={0}>
            {lines
              .slice()
              .reverse()
              .map((line, i) => (
                <li key={`${line.time}-${i}`} className={`log-line log-${line.level}`}>
                  <time dateTime={line.time}>
                    {new Date(line.time).toLocaleTimeString(language)}
                  </time>
                  <span className="log-level">{line.level}</span>
                  <span className="log-scope">{line.scope}</span>
                  <span className="log-message">
                    {line.message}
                    {line.fields !== undefined && (
                      <span className="muted"> {JSON.stringify(line.fields)}</span>
                    )}
                  </span>
                </li>
              ))}
          </ol>
        )}
      </Card>
    </>
  );
}
