import { AgentError } from '../../contract/errors.ts';

/** tentacle.md §6: the server refuses a name holding any of these 14 characters. */
export const FORBIDDEN_CHARACTERS = "?[]/\\=+<>:;',*~";

/**
 * Longest name we send, in UTF-8 bytes: the usual file-system limit, and it
 * keeps `ZSEND <name> SIZE n\n` far below the server's 1024-byte line (§2).
 */
export const MAX_NAME_BYTES = 255;

/** Why a name cannot be sent, or undefined when it can (tentacle.md §6, §17.4). */
export function fileNameProblem(name: string): string | undefined {
  if (name === '') return 'the name is empty';
  if (name === '.' || name === '..') return `'${name}' is a directory name`;
  for (const char of name) {
    const code = char.codePointAt(0) ?? 0;
    if (code < 0x20 || code === 0x7f) {
      return `it contains the control character 0x${code.toString(16).padStart(2, '0')}`;
    }
    if (FORBIDDEN_CHARACTERS.includes(char)) {
      return `it contains '${char}' (the server refuses any of ${FORBIDDEN_CHARACTERS.split('').join(' ')})`;
    }
  }
  // §5/P30: the server strips trailing whitespace when it writes, which
  // silently overwrites another file even with overwrite off.
  if (/\s$/u.test(name)) return 'it ends with a space';
  // §6: a stored name ending in '|' is run as a shell command on a later RECV.
  if (name.endsWith('|')) return "it ends with '|'";
  if (Buffer.byteLength(name, 'utf8') > MAX_NAME_BYTES)
    return `it is longer than ${MAX_NAME_BYTES} bytes`;
  return undefined;
}

/** Throws an AgentError naming the field and the rule when `name` cannot be sent. */
export function assertFileName(name: string, field = 'name'): string {
  const problem = fileNameProblem(name);
  if (problem !== undefined) {
    throw new AgentError(
      'invalid-request',
      `${field} '${printable(name)}' cannot be sent to a Tentacle server: ${problem}. Use a plain file name such as 'agent.1732288000.data'`,
      { field },
    );
  }
  return name;
}

/** The last path component, for '/' and '\\' separators alike (the reference client sends base names only). */
export function baseName(path: string): string {
  const parts = path.split(/[/\\]/);
  return parts.at(-1) ?? '';
}

function printable(name: string): string {
  let out = '';
  for (const char of name) {
    const code = char.codePointAt(0) ?? 0;
    out += code < 0x20 || code === 0x7f ? `\\x${code.toString(16).padStart(2, '0')}` : char;
  }
  return out;
}
