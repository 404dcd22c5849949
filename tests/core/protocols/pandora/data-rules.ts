/**
 * The Pandora FMS data server's reading of an agent data file, written from
 * pandora-data.md for tests: a strict XML 1.0 reader (what expat rejects, this
 * rejects: bad UTF-8, forbidden characters, mismatched tags, bad entities)
 * followed by the XML::Simple consequences of §3.2 and the value rules of
 * §3.3–§5. Independent of the builder it checks.
 */
export interface XmlElement {
  name: string;
  attrs: Record<string, string>;
  children: XmlElement[];
  text: string;
}

const NAME = /^[A-Za-z_:][A-Za-z0-9_:.-]*/;
const FORBIDDEN =
  // eslint-disable-next-line no-control-regex
  /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

function decodeEntities(text: string, where: string): string {
  return text.replace(/&([^;]*);|&/g, (m, body: string | undefined) => {
    if (body === undefined) throw new Error(`${where}: bare '&'`);
    const named: Record<string, string> = { amp: '&', lt: '<', gt: '>', apos: "'", quot: '"' };
    if (body in named) return named[body]!;
    const num = /^#(\d+)$/.exec(body) ?? /^#x([0-9A-Fa-f]+)$/.exec(body);
    if (num !== null) {
      const cp = Number.parseInt(num[1]!, body.startsWith('#x') ? 16 : 10);
      const ch = String.fromCodePoint(cp);
      if (FORBIDDEN.test(ch)) throw new Error(`${where}: reference to a forbidden character ${m}`);
      return ch;
    }
    throw new Error(`${where}: unknown entity ${m}`);
  });
}

/** Strict parse; throws with the reason, as expat would refuse the file. */
export function parseXml(bytes: Uint8Array): XmlElement {
  const text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  if (FORBIDDEN.test(text)) throw new Error('forbidden character in the document (§3.1)');
  let i = 0;
  const fail = (why: string): never => {
    throw new Error(`${why} at offset ${i}`);
  };
  if (text.startsWith('<?xml')) {
    const end = text.indexOf('?>');
    if (end === -1) fail('unterminated declaration');
    const decl = text.slice(0, end);
    const enc = /encoding=(['"])([^'"]*)\1/.exec(decl)?.[2];
    if (enc !== undefined && enc.toUpperCase() !== 'UTF-8')
      fail(`declared encoding ${enc}, content read as UTF-8`);
    i = end + 2;
  }
  const skipMisc = (): void => {
    for (;;) {
      while (i < text.length && /\s/.test(text[i]!)) i++;
      if (text.startsWith('<!--', i)) {
        const end = text.indexOf('-->', i);
        if (end === -1) fail('unterminated comment');
        i = end + 3;
      } else return;
    }
  };
  const element = (): XmlElement => {
    if (text[i] !== '<') fail('expected an element');
    i++;
    const name = NAME.exec(text.slice(i))?.[0] ?? fail('bad element name');
    i += name.length;
    const el: XmlElement = { name, attrs: {}, children: [], text: '' };
    for (;;) {
      const ws = /^\s*/.exec(text.slice(i))![0];
      i += ws.length;
      if (text.startsWith('/>', i)) {
        i += 2;
        return el;
      }
      if (text[i] === '>') {
        i++;
        break;
      }
      if (ws === '') fail('attributes must be separated by white space');
      const an = NAME.exec(text.slice(i))?.[0] ?? fail('bad attribute name');
      i += an.length;
      const eq = /^\s*=\s*/.exec(text.slice(i))?.[0] ?? fail(`attribute ${an} without '='`);
      i += eq.length;
      const q = text[i];
      if (q !== "'" && q !== '"') fail(`attribute ${an} not quoted`);
      const end = text.indexOf(q!, i + 1);
      if (end === -1) fail(`unterminated attribute ${an}`);
      const raw = text.slice(i + 1, end);
      if (raw.includes('<')) fail(`'<' in attribute ${an}`);
      if (an in el.attrs) fail(`duplicate attribute ${an}`);
      // Attribute value normalisation: literal TAB/CR/LF become spaces.
      el.attrs[an] = decodeEntities(raw.replace(/[\t\r\n]/g, ' '), `attribute ${an}`);
      i = end + 1;
    }
    for (;;) {
      if (i >= text.length) fail(`unclosed <${name}>`);
      if (text.startsWith('</', i)) {
        i += 2;
        const close = NAME.exec(text.slice(i))?.[0];
        if (close !== name) fail(`</${close}> closes <${name}>`);
        i += name.length;
        const ws = /^\s*>/.exec(text.slice(i)) ?? fail('bad end tag');
        i += ws[0].length;
        return el;
      }
      if (text.startsWith('<![CDATA[', i)) {
        const end = text.indexOf(']]>', i + 9);
        if (end === -1) fail('unterminated CDATA');
        el.text += text.slice(i + 9, end);
        i = end + 3;
      } else if (text.startsWith('<!--', i)) {
        const end = text.indexOf('-->', i);
        if (end === -1) fail('unterminated comment');
        i = end + 3;
      } else if (text[i] === '<') {
        el.children.push(element());
      } else {
        const next = text.indexOf('<', i);
        const chunk = text.slice(i, next === -1 ? text.length : next);
        if (chunk.includes(']]>')) fail("']]>' in text");
        el.text += decodeEntities(chunk, `text of <${name}>`);
        i = next === -1 ? text.length : next;
      }
    }
  };
  skipMisc();
  const root = element();
  skipMisc();
  if (i !== text.length) fail('content after the root element');
  return root;
}

export const MODULE_TYPES = [
  'generic_data',
  'generic_proc',
  'generic_data_string',
  'generic_data_inc',
  'generic_data_inc_abs',
  'async_proc',
  'async_data',
  'async_string',
  'log4x',
];
const NUMERIC_TYPES = new Set([
  'generic_data',
  'generic_proc',
  'generic_data_inc',
  'generic_data_inc_abs',
  'async_proc',
  'async_data',
]);
/** §4: optional sign, digits, optional `.`/`,` fraction. */
const PANDORA_NUMBER = /^[-+]?\d+([.,]\d+)?$|^[-+]?[.,]\d+$/;
const TIMESTAMP =
  /^\d{4}\/\d{2}\/\d{2} \d{2}:\d{2}:\d{2}$|^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$|AUTO/;
/** §2: `<key>[._]<digits>.data` with none of Tentacle's refused characters. */
export const DATA_FILE_NAME = /^(?<key>[^?[\]/\\=+<>:;',*~]+)[._](?<number>\d+)\.data$/;

export interface ReadModule {
  name: string;
  type: string;
  /** The first non-empty data text; undefined when the value is absent/empty (rejected). */
  data: string | undefined;
  /** Whether the server would store the value (§4 rules). */
  valueAccepted: boolean;
  children: Record<string, string>;
}

export interface ReadDataFile {
  agent: Record<string, string>;
  modules: ReadModule[];
}

/** The server's reading (§3.2–§5). Throws what would make it drop the whole file. */
export function readDataFile(fileName: string, bytes: Uint8Array): ReadDataFile {
  if (!DATA_FILE_NAME.test(fileName))
    throw new Error(`file name '${fileName}' is never picked up (§2)`);
  const root = parseXml(bytes);
  if (root.name !== 'agent_data')
    throw new Error(`root element is <${root.name}>, not <agent_data>`);
  for (const reserved of ['server_name', 'connection_source', 'ipam_source']) {
    if (reserved in root.attrs) throw new Error(`reserved attribute ${reserved} (§3.3)`);
  }
  const agentName = root.attrs.agent_name ?? '';
  if (agentName.trim() === '')
    throw new Error('no agent_name: file dropped as an unnamed agent (§5.2)');
  const ts = root.attrs.timestamp;
  if (ts !== undefined && ts !== '' && !TIMESTAMP.test(ts))
    throw new Error(`timestamp '${ts}' makes every value fail (§3.3)`);
  const interval = root.attrs.interval;
  if (interval !== undefined && interval !== '' && !/^\d+$/.test(interval))
    throw new Error(`interval '${interval}' is not a positive integer`);
  for (const child of root.children) {
    if (child.name in root.attrs || ['agent_name', 'interval', 'timestamp'].includes(child.name)) {
      throw new Error(`agent field <${child.name}> as an element is read as ARRAY(0x…) (§3.2)`);
    }
  }
  const modules: ReadModule[] = [];
  for (const m of root.children.filter((c) => c.name === 'module')) {
    if (Object.keys(m.attrs).length > 0)
      throw new Error(
        `<module> with attributes ${Object.keys(m.attrs).join(',')}: not read (§3.2)`,
      );
    const children: Record<string, string> = {};
    for (const c of m.children) {
      if (Object.keys(c.attrs).length > 0)
        throw new Error(`<${c.name}> inside a module has attributes: it reads as empty (§3.2)`);
      if (c.children.length > 0 && c.name !== 'datalist')
        throw new Error(`<${c.name}> has child elements`);
      // Repeated child: the first non-empty wins.
      if (children[c.name] === undefined || children[c.name]!.trim() === '')
        children[c.name] = c.text;
    }
    const name = (children.name ?? '').replace(/[\r\n]/g, '');
    if (name.trim() === '') throw new Error('module without a name: skipped (§3.5)');
    const type =
      children.type === undefined || children.type.trim() === '' ? 'generic_data' : children.type;
    if (!MODULE_TYPES.includes(type))
      throw new Error(`module '${name}': unknown type '${type}' (§4)`);
    for (const numeric of [
      'module_interval',
      'min_warning',
      'max_warning',
      'min_critical',
      'max_critical',
    ]) {
      const v = children[numeric];
      if (v !== undefined && v.trim() !== '' && !PANDORA_NUMBER.test(v))
        throw new Error(`module '${name}': ${numeric} '${v}' is not a number`);
    }
    for (const flag of ['warning_inverse', 'critical_inverse']) {
      const v = children[flag];
      if (v !== undefined && !/^[01]$/.test(v))
        throw new Error(`module '${name}': ${flag} must be 0 or 1`);
    }
    if (children.status !== undefined && !/^(NORMAL|WARNING|CRITICAL)$/i.test(children.status)) {
      throw new Error(`module '${name}': status '${children.status}' is ignored (§3.5)`);
    }
    const raw = children.data;
    const data = raw === undefined || raw.trim() === '' ? undefined : raw;
    const valueAccepted =
      data !== undefined && (NUMERIC_TYPES.has(type) ? PANDORA_NUMBER.test(data) : true);
    modules.push({ name, type, data, valueAccepted, children });
  }
  return { agent: root.attrs, modules };
}
