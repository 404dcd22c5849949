import { confKey } from './conf-key.ts';

/**
 * The Pandora FMS agent data file (spec pandora-data.md): one XML document per
 * agent run, named `<agent_name>.<unix_time>.data`, shaped as the Unix agent
 * writes it (single-quoted declaration and attributes, one `<module>` per
 * value, every text child in CDATA) but with the escaping the agent omits
 * (§3.1: attributes escaped, `]]>` split, forbidden characters removed).
 */
export const MODULE_TYPES = [
  'generic_data',
  'generic_proc',
  'generic_data_string',
  'generic_data_inc',
  'generic_data_inc_abs',
  'async_proc',
  'async_data',
  'async_string',
] as const;
export type PandoraModuleType = (typeof MODULE_TYPES)[number];

export interface PandoraAgentHeader {
  agentName: string;
  /** Seconds (§3.3: unit of module_interval and of unknown detection). */
  interval: number;
  /** Written in this machine's local time, as the stock agents do (§5.4). */
  timestamp: Date;
  description?: string;
  group?: string;
  osName?: string;
  osVersion?: string;
  version?: string;
  agentAlias?: string;
  address?: string;
  parentAgentName?: string;
  customId?: string;
  urlAddress?: string;
}

export interface PandoraModule {
  name: string;
  type: PandoraModuleType;
  description?: string;
  /** Multiplier of the agent interval (§3.5), not seconds. */
  moduleInterval?: number;
  /** undefined writes an empty `<data></data>`: the value is rejected but the description still refreshes (§7 A). */
  data: string | number | undefined;
  /** Forces this value's state (§3.5); UNKNOWN cannot be sent. */
  status?: 'NORMAL' | 'WARNING' | 'CRITICAL';
  unit?: string;
  minWarning?: number;
  maxWarning?: number;
  warningInverse?: boolean;
  minCritical?: number;
  maxCritical?: number;
  criticalInverse?: boolean;
  moduleParent?: string;
}

/**
 * §3.1: C0 controls other than TAB/LF/CR and U+FFFE/U+FFFF make the whole file
 * _BADXML: drop them. Lone surrogates (invalid UTF-8 once encoded) become U+FFFD.
 */
export function stripForbiddenXmlChars(text: string): string {
  return (
    text
      .replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '\uFFFD')
      // eslint-disable-next-line no-control-regex
      .replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/g, '')
  );
}

/** CDATA that survives `]]>` inside the text (§3.1: end after `]]`, reopen with `>`). */
export function cdata(text: string): string {
  return `<![CDATA[${stripForbiddenXmlChars(text).replaceAll(']]>', ']]]]><![CDATA[>')}]]>`;
}

/** Single-quoted attribute value (§3.1: escape `&`, `<`, the quote; TAB/CR/LF as character references). */
export function attribute(text: string): string {
  return stripForbiddenXmlChars(text)
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll("'", '&apos;')
    .replaceAll('\t', '&#9;')
    .replaceAll('\n', '&#10;')
    .replaceAll('\r', '&#13;');
}

/** `YYYY/MM/DD HH:MM:SS`, zero-padded, 24 h, local time (§3.3, the Unix agent's format). */
export function formatPandoraTimestamp(date: Date): string {
  const p = (n: number): string => String(n).padStart(2, '0');
  return `${date.getFullYear()}/${p(date.getMonth() + 1)}/${p(date.getDate())} ${p(date.getHours())}:${p(date.getMinutes())}:${p(date.getSeconds())}`;
}

/** A plain decimal with a dot (§4: no exponent, no comma). */
export function formatPandoraNumber(value: number): string {
  if (!Number.isFinite(value)) throw new RangeError(`cannot send ${value} to Pandora FMS`);
  if (Math.abs(value) >= 1e21) return BigInt(Math.round(value)).toString();
  const fixed = value.toFixed(6);
  const trimmed = fixed.includes('.') ? fixed.replace(/0+$/, '').replace(/\.$/, '') : fixed;
  return trimmed === '-0' ? '0' : trimmed;
}

/** Tentacle's safe name rule (tentacle.md §6 recommendation). */
const SAFE_KEY = /^[A-Za-z0-9][A-Za-z0-9._-]{0,200}$/;

/**
 * `<agent_name>.<unix_time>.data` (§2). An agent name Tentacle would refuse
 * is replaced by its lowercase hex MD5, as the Unix agent has done since 2023;
 * the server reads the agent from the `agent_name` attribute, never the name.
 */
export function dataFileName(agentName: string, unixTime: number): string {
  const key = SAFE_KEY.test(agentName) ? agentName : confKey(agentName);
  return `${key}.${Math.floor(unixTime)}.data`;
}

function headerAttributes(h: PandoraAgentHeader): Array<[string, string]> {
  // The Unix agent's order (§3.3): description, group, os_name, os_version,
  // interval, version, timestamp, agent_name, agent_alias, timezone_offset,
  // custom_id, url_address, then the optional ones.
  const attrs: Array<[string, string | undefined]> = [
    ['description', h.description ?? ''],
    ['group', h.group ?? ''],
    ['os_name', h.osName ?? ''],
    ['os_version', h.osVersion ?? ''],
    ['interval', String(Math.max(1, Math.round(h.interval)))],
    ['version', h.version ?? ''],
    ['timestamp', formatPandoraTimestamp(h.timestamp)],
    ['agent_name', h.agentName],
    ['agent_alias', h.agentAlias ?? h.agentName],
    ['timezone_offset', '0'],
    ['custom_id', h.customId ?? ''],
    ['url_address', h.urlAddress ?? ''],
    ['address', h.address],
    ['parent_agent_name', h.parentAgentName],
  ];
  return attrs.filter((a): a is [string, string] => a[1] !== undefined);
}

function moduleXml(m: PandoraModule): string {
  // The server strips CR/LF from names (§3.5); do it here so what we show is what it stores.
  const name = m.name.replace(/[\r\n]+/g, ' ');
  const lines = ['<module>', `\t<name>${cdata(name)}</name>`];
  if (m.description !== undefined && m.description !== '')
    lines.push(`\t<description>${cdata(m.description)}</description>`);
  lines.push(`\t<type>${m.type}</type>`);
  lines.push(
    `\t<module_interval>${cdata(String(Math.max(1, Math.round(m.moduleInterval ?? 1))))}</module_interval>`,
  );
  const numeric: Array<[string, number | undefined]> = [
    ['min_warning', m.minWarning],
    ['max_warning', m.maxWarning],
    ['min_critical', m.minCritical],
    ['max_critical', m.maxCritical],
  ];
  if (m.unit !== undefined && m.unit !== '') lines.push(`\t<unit>${cdata(m.unit)}</unit>`);
  for (const [tag, value] of numeric) {
    if (value !== undefined) lines.push(`\t<${tag}>${cdata(formatPandoraNumber(value))}</${tag}>`);
  }
  if (m.warningInverse !== undefined)
    lines.push(`\t<warning_inverse>${cdata(m.warningInverse ? '1' : '0')}</warning_inverse>`);
  if (m.criticalInverse !== undefined)
    lines.push(`\t<critical_inverse>${cdata(m.criticalInverse ? '1' : '0')}</critical_inverse>`);
  if (m.moduleParent !== undefined)
    lines.push(`\t<module_parent>${cdata(m.moduleParent)}</module_parent>`);
  if (m.status !== undefined) lines.push(`\t<status>${m.status}</status>`);
  const data =
    m.data === undefined ? '' : typeof m.data === 'number' ? formatPandoraNumber(m.data) : m.data;
  lines.push(data === '' ? '\t<data></data>' : `\t<data>${cdata(data)}</data>`);
  lines.push('</module>');
  return lines.join('\n');
}

/** The whole document, UTF-8, declared (§3.1). */
export function buildDataFile(
  header: PandoraAgentHeader,
  modules: readonly PandoraModule[],
): string {
  if (header.agentName.trim() === '')
    throw new RangeError('agent_name must not be empty (pandora-data.md §5.2)');
  const attrs = headerAttributes(header)
    .map(([k, v]) => `${k}='${attribute(v)}'`)
    .join(' ');
  return [
    `<?xml version='1.0' encoding='UTF-8'?>`,
    `<agent_data ${attrs}>`,
    ...modules.map(moduleXml),
    '</agent_data>',
    '',
  ].join('\n');
}
