import { parseNumber, parseRange, isRange } from './thresholds.ts';
import {
  PERFDATA_UOMS,
  type PerfdataUom,
  type PerfdataItem,
  type PerfdataError,
} from '../contract/check-results.ts';

export interface ParsedPerfdata {
  items: PerfdataItem[];
  errors: PerfdataError[];
}

const VALUE = /^(-?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?|U)([A-Za-z%]*)$/;

/** Parses a perfdata string; bad items are reported, good ones kept. */
export function parsePerfdata(text: string): ParsedPerfdata {
  const items: PerfdataItem[] = [];
  const errors: PerfdataError[] = [];
  let i = 0;
  const n = text.length;
  const isSpace = (c: string | undefined): boolean =>
    c === ' ' || c === '\t' || c === '\n' || c === '\r';
  while (i < n) {
    while (i < n && isSpace(text[i])) i++;
    if (i >= n) break;
    const itemStart = i;
    let label = '';
    let labelError: string | undefined;
    if (text[i] === "'") {
      i++;
      let closed = false;
      while (i < n) {
        if (text[i] === "'") {
          if (text[i + 1] === "'") {
            label += "'";
            i += 2;
            continue;
          }
          closed = true;
          i++;
          break;
        }
        label += text[i];
        i++;
      }
      if (!closed) labelError = 'unterminated quoted label';
    } else {
      while (i < n && text[i] !== '=' && !isSpace(text[i])) {
        label += text[i];
        i++;
      }
    }
    // The rest of the item runs to the next whitespace.
    let rest = '';
    while (i < n && !isSpace(text[i])) {
      rest += text[i];
      i++;
    }
    const raw = text.slice(itemStart, i);
    if (labelError !== undefined) {
      errors.push({ text: raw, reason: labelError });
      continue;
    }
    if (!rest.startsWith('=')) {
      errors.push({ text: raw, reason: "expected 'label=value'" });
      continue;
    }
    if (label === '') {
      errors.push({ text: raw, reason: 'empty label' });
      continue;
    }
    const parsed = parseFields(label, rest.slice(1));
    if ('reason' in parsed) errors.push({ text: raw, reason: parsed.reason });
    else items.push(parsed);
  }
  return { items, errors };
}

function parseFields(label: string, fields: string): PerfdataItem | { reason: string } {
  const parts = fields.split(';');
  if (parts.length > 5) return { reason: 'more than 5 fields (value;warn;crit;min;max)' };
  const [valueText = '', warn = '', crit = '', minText = '', maxText = ''] = parts;
  const match = VALUE.exec(valueText);
  if (match === null) return { reason: `value '${valueText}' is not a number (or U)` };
  const uom = match[2] ?? '';
  if (uom !== '' && !(PERFDATA_UOMS as readonly string[]).includes(uom)) {
    return { reason: `unit '${uom}' is not one of ${PERFDATA_UOMS.join(' ')}` };
  }
  const item: PerfdataItem = {
    label,
    value: match[1] === 'U' ? undefined : Number(match[1]),
    uom: uom as PerfdataUom,
  };
  if (item.value !== undefined && !Number.isFinite(item.value))
    return { reason: `value '${valueText}' is out of range` };
  for (const [name, t] of [
    ['warn', warn],
    ['crit', crit],
  ] as const) {
    if (t === '') continue;
    const range = parseRange(t);
    if (!isRange(range)) return { reason: `${name}: ${range.error}` };
    item[name] = t;
  }
  for (const [name, t] of [
    ['min', minText],
    ['max', maxText],
  ] as const) {
    if (t === '') continue;
    const v = parseNumber(t);
    if (v === undefined || !Number.isFinite(v)) return { reason: `${name} '${t}' is not a number` };
    item[name] = v;
  }
  return item;
}

/** Quotes a label when the grammar needs it. */
export function formatLabel(label: string): string {
  return /[\s'=]/.test(label) ? `'${label.replaceAll("'", "''")}'` : label;
}

function formatNumber(value: number): string {
  return String(value);
}

/** One item back to text, trailing empty fields dropped. */
export function formatPerfdataItem(item: PerfdataItem): string {
  const fields = [
    `${item.value === undefined ? 'U' : formatNumber(item.value)}${item.uom}`,
    item.warn ?? '',
    item.crit ?? '',
    item.min === undefined ? '' : formatNumber(item.min),
    item.max === undefined ? '' : formatNumber(item.max),
  ];
  while (fields.length > 1 && fields.at(-1) === '') fields.pop();
  return `${formatLabel(item.label)}=${fields.join(';')}`;
}
