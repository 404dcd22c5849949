import type { ImportIssue } from '../../contract/import-report.ts';

/**
 * A reader for the part of the Icinga 2 configuration language that an
 * agent's `constants.conf` and `zones.conf` use (what `icinga2 node setup`
 * writes): `const Name = value`, `object Type "name" { key = value; … }` with
 * strings, numbers, booleans, arrays and references to constants.
 * Anything else is reported with its line, not guessed.
 */
export type IcingaValue = string | number | boolean | IcingaValue[] | { ref: string };

export interface IcingaObject {
  type: string;
  name: string;
  line: number;
  attrs: Map<string, { value: IcingaValue; line: number }>;
}

export interface IcingaConf {
  constants: Map<string, { value: IcingaValue; line: number }>;
  objects: IcingaObject[];
  problems: ImportIssue[];
}

interface Token {
  kind: 'word' | 'string' | 'number' | 'punct';
  text: string;
  line: number;
}

function tokenize(text: string, file: string, problems: ImportIssue[]): Token[] {
  const tokens: Token[] = [];
  let line = 1;
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (c === '\n') {
      line++;
      i++;
    } else if (/\s/.test(c)) {
      i++;
    } else if (c === '#' || (c === '/' && text[i + 1] === '/')) {
      while (i < text.length && text[i] !== '\n') i++;
    } else if (c === '/' && text[i + 1] === '*') {
      const end = text.indexOf('*/', i + 2);
      const stop = end === -1 ? text.length : end + 2;
      for (let j = i; j < stop; j++) if (text[j] === '\n') line++;
      i = stop;
    } else if (c === '"') {
      let s = '';
      const start = line;
      i++;
      while (i < text.length && text[i] !== '"') {
        if (text[i] === '\\' && i + 1 < text.length) {
          const n = text[++i]!;
          s += n === 'n' ? '\n' : n === 't' ? '\t' : n;
        } else {
          if (text[i] === '\n') line++;
          s += text[i];
        }
        i++;
      }
      if (i >= text.length) problems.push({ file, line: start, reason: 'unterminated string' });
      i++;
      tokens.push({ kind: 'string', text: s, line: start });
    } else if (/[0-9]/.test(c)) {
      const m = /^[0-9]+(\.[0-9]+)?[a-z]*/.exec(text.slice(i))![0];
      tokens.push({ kind: 'number', text: m, line });
      i += m.length;
    } else if (/[A-Za-z_]/.test(c)) {
      const m = /^[A-Za-z_][A-Za-z0-9_.]*/.exec(text.slice(i))![0];
      tokens.push({ kind: 'word', text: m, line });
      i += m.length;
    } else {
      const two = text.slice(i, i + 2);
      if (['+=', '-=', '==', '!=', '&&', '||'].includes(two)) {
        tokens.push({ kind: 'punct', text: two, line });
        i += 2;
      } else {
        tokens.push({ kind: 'punct', text: c, line });
        i++;
      }
    }
  }
  return tokens;
}

/** `known` carries constants from files read before (constants.conf before zones.conf). */
export function parseIcingaConf(
  text: string,
  file: string,
  known: Map<string, { value: IcingaValue; line: number }> = new Map(),
): IcingaConf {
  const problems: ImportIssue[] = [];
  const tokens = tokenize(text, file, problems);
  const constants = new Map(known);
  const objects: IcingaObject[] = [];
  let p = 0;
  const peek = (): Token | undefined => tokens[p];
  const next = (): Token | undefined => tokens[p++];

  const skipStatement = (from: Token, reason: string): void => {
    problems.push({ file, line: from.line, text: from.text, reason });
    // Skip to the end of the statement: a balanced `{…}` or the end of the line.
    let depth = 0;
    while (p < tokens.length) {
      const t = tokens[p]!;
      if (depth === 0 && t.line !== from.line && t.kind === 'word') break;
      p++;
      if (t.text === '{') depth++;
      if (t.text === '}') {
        depth--;
        if (depth <= 0) break;
      }
      if (depth === 0 && t.text === ';') break;
    }
  };

  const parseValue = (): IcingaValue | undefined => {
    const t = next();
    if (t === undefined) return undefined;
    if (t.kind === 'string') return t.text;
    if (t.kind === 'number') return /^[0-9.]+$/.test(t.text) ? Number(t.text) : t.text;
    if (t.kind === 'word') {
      if (t.text === 'true') return true;
      if (t.text === 'false') return false;
      return { ref: t.text };
    }
    if (t.text === '[') {
      const items: IcingaValue[] = [];
      while (peek() !== undefined && peek()!.text !== ']') {
        const v = parseValue();
        if (v === undefined) return undefined;
        items.push(v);
        if (peek()?.text === ',') p++;
      }
      p++;
      return items;
    }
    return undefined;
  };

  while (p < tokens.length) {
    const t = next()!;
    if (t.kind === 'word' && t.text === 'const') {
      const name = next();
      const eq = next();
      const value = eq?.text === '=' ? parseValue() : undefined;
      if (name?.kind !== 'word' || value === undefined) {
        problems.push({ file, line: t.line, reason: 'const without `Name = value`' });
        continue;
      }
      constants.set(name.text, { value, line: t.line });
      if (peek()?.text === ';') p++;
      continue;
    }
    if (t.kind === 'word' && t.text === 'object') {
      const type = next();
      const nameTok = next();
      if (
        type?.kind !== 'word' ||
        nameTok === undefined ||
        (nameTok.kind !== 'string' && nameTok.kind !== 'word') ||
        peek()?.text !== '{'
      ) {
        skipStatement(t, 'object declaration not understood');
        continue;
      }
      p++;
      const obj: IcingaObject = {
        type: type.text,
        name: nameTok.kind === 'string' ? nameTok.text : `\u0000ref:${nameTok.text}`,
        line: t.line,
        attrs: new Map(),
      };
      while (peek() !== undefined && peek()!.text !== '}') {
        const key = next()!;
        if (key.text === ';') continue;
        const op = next();
        if (key.kind !== 'word' || op?.text !== '=') {
          problems.push({
            file,
            line: key.line,
            text: key.text,
            reason: `attribute of ${type.text} '${nameTok.text}' not understood`,
          });
          while (
            peek() !== undefined &&
            peek()!.text !== ';' &&
            peek()!.text !== '}' &&
            peek()!.line === key.line
          )
            p++;
          continue;
        }
        const value = parseValue();
        if (value === undefined) {
          problems.push({
            file,
            line: key.line,
            text: key.text,
            reason: `value of ${key.text} not understood`,
          });
          while (
            peek() !== undefined &&
            peek()!.text !== ';' &&
            peek()!.text !== '}' &&
            peek()!.line === key.line
          )
            p++;
          continue;
        }
        obj.attrs.set(key.text, { value, line: key.line });
      }
      p++;
      if (obj.name.startsWith('\u0000ref:')) {
        const ref = obj.name.slice(5);
        const c = constants.get(ref)?.value;
        if (typeof c === 'string') obj.name = c;
        else {
          problems.push({
            file,
            line: t.line,
            text: ref,
            reason: `object name refers to constant ${ref}, which is not defined`,
          });
          continue;
        }
      }
      objects.push(obj);
      continue;
    }
    skipStatement(
      t,
      t.kind === 'word' && (t.text === 'include' || t.text === 'include_recursive')
        ? `${t.text} is not followed (only zones.conf and constants.conf are read)`
        : 'statement not understood',
    );
  }
  return { constants, objects, problems };
}

/** Resolves constant references (NodeName, ZoneName…) to plain values. */
export function resolveValue(
  value: IcingaValue,
  constants: Map<string, { value: IcingaValue }>,
): IcingaValue {
  if (Array.isArray(value)) return value.map((v) => resolveValue(v, constants));
  if (typeof value === 'object') return constants.get(value.ref)?.value ?? value;
  return value;
}
