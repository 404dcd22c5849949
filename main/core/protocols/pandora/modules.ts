import type { PandoraModule } from './data-file.ts';
import type { PandoraValueModule } from '../../contract/check-definitions.ts';
import type { PerfdataItem } from '../../contract/check-results.ts';
import type { CheckResult } from '../../contract/check-results.ts';
import {
  evaluateThresholds,
  isRange,
  parseRange,
  type ThresholdRange,
} from '../../checks/thresholds.ts';

/**
 * A check result as Pandora FMS modules, following pandora-data.md §7:
 * A. one generic_proc state module (1 OK, 2 WARNING, 0 CRITICAL, empty data
 *    for UNKNOWN) with min_warning 2 / max_warning 3;
 * B. one module per perfdata value, its state evaluated here with the plugin
 *    rules and sent as `status`, the ranges also sent as Pandora thresholds.
 */
const DESCRIPTION_MAX = 1000;

export function checkResultModules(
  result: CheckResult,
  moduleName: string,
  moduleInterval = 1,
): PandoraModule[] {
  const description = firstLine(
    result.state === 3 && !/^UNKNOWN/i.test(result.output)
      ? `UNKNOWN: ${result.output}`
      : result.output,
  );
  const state: PandoraModule = {
    name: moduleName,
    type: 'generic_proc',
    description,
    moduleInterval,
    minWarning: 2,
    maxWarning: 3,
    data: [1, 2, 0, undefined][result.state],
  };
  const status = (['NORMAL', 'WARNING', 'CRITICAL', undefined] as const)[result.state];
  if (status !== undefined) state.status = status;
  const modules = [state];
  for (const item of result.perfdata) {
    const m = perfdataModule(item, moduleName, moduleInterval);
    if (m !== undefined) modules.push(m);
  }
  return modules;
}

function firstLine(text: string): string {
  const line = text.split('\n')[0] ?? '';
  return line.length > DESCRIPTION_MAX ? `${line.slice(0, DESCRIPTION_MAX - 1)}…` : line;
}

function range(text: string | undefined): ThresholdRange | undefined {
  if (text === undefined) return undefined;
  const r = parseRange(text);
  return isRange(r) ? r : undefined;
}

/** §7 B table: a plugin range as Pandora's (min, max, inverse), or undefined when Pandora cannot express it. */
export function pandoraLevel(
  r: ThresholdRange,
): { min: number; max: number; inverse: boolean } | undefined {
  const finiteStart = Number.isFinite(r.start);
  const finiteEnd = Number.isFinite(r.end);
  let level: { min: number; max: number; inverse: boolean } | undefined;
  if (finiteStart && finiteEnd) level = { min: r.start, max: r.end, inverse: !r.inside };
  // max < min means "x ≥ min" in Pandora (§5.5): N: and @N:.
  else if (finiteStart) level = { min: r.start, max: r.start - 1, inverse: !r.inside };
  // ~:N alerts above N: in level when x ≥ N.
  else if (finiteEnd) level = { min: r.end, max: r.end - 1, inverse: r.inside };
  // min = max turns the level off in Pandora: rely on `status` instead.
  if (level !== undefined && level.min === level.max) return undefined;
  return level;
}

function perfdataModule(
  item: PerfdataItem,
  check: string,
  moduleInterval: number,
): PandoraModule | undefined {
  // §7 B: value U → no module this run.
  if (item.value === undefined) return undefined;
  const warn = range(item.warn);
  const crit = range(item.crit);
  const m: PandoraModule = {
    name: `${check} ${item.label}`,
    type: item.uom === 'c' ? 'generic_data_inc' : 'generic_data',
    moduleInterval,
    data: item.value,
    moduleParent: check,
  };
  if (item.uom !== '' && item.uom !== 'c') m.unit = item.uom;
  const w = warn === undefined ? undefined : pandoraLevel(warn);
  const c = crit === undefined ? undefined : pandoraLevel(crit);
  if (w !== undefined)
    Object.assign(m, { minWarning: w.min, maxWarning: w.max, warningInverse: w.inverse });
  if (c !== undefined)
    Object.assign(m, { minCritical: c.min, maxCritical: c.max, criticalInverse: c.inverse });
  if (warn !== undefined || crit !== undefined) {
    m.status = (['NORMAL', 'WARNING', 'CRITICAL'] as const)[
      evaluateThresholds(item.value, warn, crit)
    ];
  }
  return m;
}

/**
 * A Pandora agent's module_exec semantics: the first output line is the
 * value, the module keeps its declared type and thresholds, the server
 * decides the state. A run that produced no value (UNKNOWN from a timeout,
 * a missing program…) sends empty data: rejected, description refreshed (§7 A).
 */
export function valueModule(
  result: CheckResult,
  moduleName: string,
  spec: PandoraValueModule,
  moduleInterval = 1,
): PandoraModule {
  const failed = result.state === 3 && (result.reason !== undefined || result.output === '');
  const value = result.output.split('\n')[0]?.trim() ?? '';
  const m: PandoraModule = {
    name: moduleName,
    type: spec.type,
    moduleInterval,
    data: failed || value === '' ? undefined : value,
  };
  const description = failed ? `UNKNOWN: ${result.reason ?? result.output}` : spec.description;
  if (description !== undefined) m.description = description;
  if (spec.unit !== undefined) m.unit = spec.unit;
  for (const key of [
    'minWarning',
    'maxWarning',
    'warningInverse',
    'minCritical',
    'maxCritical',
    'criticalInverse',
  ] as const) {
    if (spec[key] !== undefined) Object.assign(m, { [key]: spec[key] });
  }
  return m;
}
