import { AgentError } from './errors.ts';

/**
 * Splits a command line into argv without a shell: whitespace separates,
 * single and double quotes group, backslash escapes inside double quotes.
 * How a check's `--command 'PROG ARG…'`, an Icinga CheckCommand's mapped line
 * and a Gorgone COMMAND become the argv that runs.
 */
export function splitCommandLine(line: string): string[] {
  const out: string[] = [];
  let current = '';
  let quote: '"' | "'" | undefined;
  let started = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quote !== undefined) {
      if (c === quote) quote = undefined;
      else if (c === '\\' && quote === '"' && i + 1 < line.length) current += line[++i];
      else current += c;
    } else if (c === '"' || c === "'") {
      quote = c;
      started = true;
    } else if (/\s/.test(c)) {
      if (started) out.push(current);
      current = '';
      started = false;
    } else {
      current += c;
      started = true;
    }
  }
  if (quote !== undefined) {
    throw new AgentError('invalid-request', `unterminated ${quote} quote in command line`, {
      field: 'command',
    });
  }
  if (started) out.push(current);
  return out;
}
