import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { ParseArgsOptionsConfig } from 'node:util';
import type { CliContext, CommandArgs } from './command.ts';
import { stringOption, UsageError } from './command.ts';

/**
 * Every secret flag (`--password PWD`, `--ticket T`, …) has a `--…-file FILE`
 * twin: a value on the command line is visible to every user of the machine
 * in the process list and stays in shell histories; a file or a pipe is not.
 */

/** Passwords, tickets and passphrases are short; a bigger file is not one. */
const MAX_SECRET_BYTES = 64 * 1024;

/** The help lines that explain every command's `--…-file FILE` flags. */
export const SECRET_FILE_HELP = [
  "A secret's --…-file FILE reads it from FILE ('-': a piped stdin): one line, its line break",
  'dropped; a FILE other users can read or change draws a warning. Unlike a value on the',
  'command line, it does not show in the process list or the shell history.',
];

/** The `--NAME-file` options for the given secret names. */
export function secretFileOptions(...names: string[]): ParseArgsOptionsConfig {
  return Object.fromEntries(names.map((name) => [`${name}-file`, { type: 'string' }]));
}

/**
 * The values of the named secrets, from `--NAME VALUE` or `--NAME-file FILE`
 * (a name may have only the file form). `stdinTakenBy` names whatever else
 * reads stdin, so '-' cannot be given to both.
 */
export async function secretOptions<Name extends string>(
  ctx: CliContext,
  args: CommandArgs,
  names: readonly Name[],
  stdinTakenBy?: string,
): Promise<Partial<Record<Name, string>>> {
  const values: Partial<Record<Name, string>> = {};
  let stdinFlag = stdinTakenBy;
  for (const name of names) {
    const fileFlag = `--${name}-file`;
    const file = stringOption(args, `${name}-file`);
    const direct = stringOption(args, name);
    if (file === undefined) {
      if (direct !== undefined) values[name] = direct;
      continue;
    }
    if (direct !== undefined)
      throw new UsageError(`--${name} and ${fileFlag} contradict each other: give one`);
    if (file === '-') {
      if (stdinFlag !== undefined)
        throw new UsageError(
          `${fileFlag} - and ${stdinFlag} both read stdin: give the secret in a file`,
        );
      stdinFlag = `${fileFlag} -`;
    }
    values[name] = secretLine(
      file === '-' ? await readStdin(fileFlag) : await readSecretFile(ctx, file, fileFlag),
      `${fileFlag} ${file}`,
    );
  }
  return values;
}

/** The one line a secret file holds, without its line break. */
function secretLine(content: Buffer, source: string): string {
  const text = content.toString('utf8').replace(/\r?\n$/, '');
  if (text === '') throw new UsageError(`${source}: the secret is empty`);
  if (/[\r\n]/.test(text))
    throw new UsageError(`${source}: holds more than one line; a secret is one line`);
  return text;
}

/**
 * A file others can read draws a warning (as ssh does for keys) rather than a
 * refusal: container and configuration-management secrets often arrive 0644
 * (Kubernetes mounts them so by default) inside a machine no one else uses.
 * A pipe is fine too: `--password-file <(pass show tentacle)`.
 */
async function readSecretFile(ctx: CliContext, path: string, fileFlag: string): Promise<Buffer> {
  try {
    const info = await stat(path);
    if (!info.isFile() && !info.isFIFO())
      throw new UsageError(`${fileFlag} ${path}: not a regular file or a pipe`);
    // Windows has no mode bits to check: ACLs decide there.
    if (info.isFile() && process.platform !== 'win32' && (info.mode & 0o077) !== 0) {
      ctx.progress(
        `outpost: WARNING: ${path} (${fileFlag}) can be read or changed by other users (mode ${(info.mode & 0o777).toString(8).padStart(4, '0')}): chmod 600 ${path}\n`,
      );
    }
    return await capped(createReadStream(path), `${fileFlag} ${path}`);
  } catch (error) {
    if (error instanceof UsageError) throw error;
    throw new UsageError(`${fileFlag} ${path}: cannot read it: ${(error as Error).message}`);
  }
}

/** All of `source`, refused once it grows past what a secret can be. */
async function capped(source: AsyncIterable<Buffer>, what: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of source) {
    size += chunk.length;
    if (size > MAX_SECRET_BYTES)
      throw new UsageError(`${what}: more than ${MAX_SECRET_BYTES} bytes is not a secret`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

async function readStdin(fileFlag: string): Promise<Buffer> {
  if (process.stdin.isTTY === true)
    throw new UsageError(
      `${fileFlag} - reads stdin, which is a terminal here (it would echo the secret): pipe it in or name a file`,
    );
  return capped(process.stdin as AsyncIterable<Buffer>, `${fileFlag} -`);
}
