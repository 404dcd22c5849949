import { createInterface } from 'node:readline/promises';
import { Writable } from 'node:stream';
import type { CliContext } from './command.ts';
import { UsageError } from './command.ts';

/**
 * Questions a command asks a person on the terminal. Without a terminal
 * (scripts, pipes) nobody is there to answer: a confirmation is then a "no",
 * and the command says which flag gives the answer in advance.
 */

/** A yes/no question on stderr; true only for "y" or "yes" typed on a terminal. */
export async function confirm(question: string): Promise<boolean> {
  if (process.stdin.isTTY !== true) return false;
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return /^y(es)?$/i.test((await rl.question(question)).trim());
  } finally {
    rl.close();
  }
}

/**
 * A passphrase from the terminal, not echoed: readline still handles the
 * editing keys, but its echo goes into a sink instead of the terminal.
 */
export async function askPassphrase(ctx: CliContext, question: string): Promise<string> {
  const sink = new Writable({ write: (_chunk, _encoding, done) => done() });
  const rl = createInterface({ input: process.stdin, output: sink, terminal: true });
  const cancelled = new AbortController();
  rl.once('SIGINT', () => cancelled.abort());
  rl.once('close', () => cancelled.abort());
  ctx.prompt(question);
  try {
    return await rl.question('', { signal: cancelled.signal });
  } catch (error) {
    if (cancelled.signal.aborted) throw new UsageError('the passphrase prompt was cancelled');
    throw error;
  } finally {
    rl.close();
    // The answer was not echoed: end the question's line.
    ctx.prompt('\n');
  }
}
