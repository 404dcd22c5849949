import { Badge, KeyValues } from '../components.tsx';
import { useI18n } from '../i18n/index.tsx';
import { stateTone, type CheckResult } from './types.ts';

/** A parsed result as the plugin conventions read it: state, output, long output, perfdata. */
export function ResultView(props: { result: CheckResult }) {
  const { t, language } = useI18n();
  const r = props.result;
  return (
    <div className="stack" data-testid="check-result">
      <KeyValues
        rows={[
          [
            t('checks.state'),
            <Badge
              key="s"
              tone={stateTone(r.state)}
            >{`${r.stateName}${r.exitCode === undefined ? '' : ` (exit ${r.exitCode})`}`}</Badge>,
          ],
          [
            t('checks.output'),
            <span key="o" className="mono small">
              {r.output || '—'}
            </span>,
          ],
          ...(r.reason === undefined ? [] : [[t('checks.reason'), r.reason] as [string, string]]),
          [
            t('checks.ranAt'),
            `${new Date(r.executionStart * 1000).toLocaleString(language)} · ${(r.executionEnd - r.executionStart).toFixed(3)} s`,
          ],
        ]}
      />
      {r.longOutput !== '' && (
        <pre className="code-block mono small" tabIndex={0} aria-label={t('checks.longOutput')}>
          {r.longOutput}
        </pre>
      )}
      {r.perfdata.length > 0 && (
        <table className="table">
          <caption className="visually-hidden">{t('checks.perfdata')}</caption>
          <thead>
            <tr>
              {['label', 'value', 'warn', 'crit', 'min', 'max'].map((h) => (
                <th key={h} scope="col">
                  {t(`checks.perf.${h}` as 'checks.perf.label')}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {r.perfdata.map((p, i) => (
              <tr key={`${p.label}-${i}`}>
                <td>{p.label}</td>
                <td className="mono">{`${p.value === undefined ? 'U' : p.value}${p.uom}`}</td>
                <td className="mono">{p.warn ?? ''}</td>
                <td className="mono">{p.crit ?? ''}</td>
                <td className="mono">{p.min ?? ''}</td>
                <td className="mono">{p.max ?? ''}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {r.perfdataErrors.map((e, i) => (
        <p key={i} className="hint">
          {t('checks.perfIgnored', { text: e.text, reason: e.reason })}
        </p>
      ))}
    </div>
  );
}
