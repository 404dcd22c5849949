/**
 * What a central may ask this node to do (gorgone.md §8 COMMAND / PROCESSCOPY
 * rows, §9), shared by the pull node and the push listener. Both are OFF by
 * default; outcomes are history rows with the request's token, which reach the
 * central through GETLOG/SETLOGS.
 */
import { createHash } from 'node:crypto';
import { mkdir, open, rename, rm } from 'node:fs/promises';
import { dirname, isAbsolute, relative, resolve, sep } from 'node:path';
import { AgentError } from '../../errors.ts';
import { authorizeCommand, splitCommandLine, type CommandPolicy } from '../../exec/policy.ts';
import { runCommand } from '../../exec/run-command.ts';
import type { Logger } from '../../log.ts';
import { CODE } from './codec.ts';
import type { HistoryStore } from './history.ts';

export interface ProcessCopyPolicy {
  enabled: boolean;
  /** The one folder files may be written into (and below). */
  destination?: string | undefined;
}

export interface NodeActionEnv {
  history: HistoryStore;
  commandPolicy: CommandPolicy;
  processcopy: ProcessCopyPolicy;
  log: Logger;
  /** Who asked, for refusals and the log: `central tcp://…` or `central <thumbprint>`. */
  who: string;
}

function asObject(value: unknown): Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : {};
}

/** `[COMMAND] [token] [N] {"content":[{"command","timeout","continue_on_error","metadata"}]}` (§8). */
export async function runCommandAction(
  env: NodeActionEnv,
  token: string,
  data: unknown,
): Promise<void> {
  const content = asObject(data).content;
  const commands = (Array.isArray(content) ? content : [content]).map(asObject);
  env.history.record({
    code: CODE.BEGIN,
    token,
    data: { message: 'commands processing has started', request_content: commands },
  });
  let allOk = true;
  for (const entry of commands) {
    const commandLine = typeof entry.command === 'string' ? entry.command : '';
    const requested =
      typeof entry.timeout === 'number' ? entry.timeout : Number(entry.timeout ?? NaN);
    let limits: { timeoutMs: number; maxOutputBytes: number };
    let argv: string[];
    try {
      if (commandLine.trim() === '') throw new AgentError('invalid-request', 'command is empty');
      limits = authorizeCommand(
        env.commandPolicy,
        commandLine,
        Number.isFinite(requested) ? requested : undefined,
        env.who,
      );
      argv = env.commandPolicy.allowShell ? [commandLine] : splitCommandLine(commandLine);
    } catch (error) {
      const message = (error as Error).message;
      env.log.warn('gorgone COMMAND refused', {
        who: env.who,
        command: commandLine,
        reason: message,
      });
      env.history.record({
        code: CODE.FINISH_KO,
        token,
        data: { message, command: commandLine, error: 'refused' },
      });
      return;
    }
    env.history.record({
      code: CODE.BEGIN,
      token,
      data: { message: 'command has started', command: commandLine, metadata: entry.metadata },
    });
    const run = await runCommand({ argv, shell: env.commandPolicy.allowShell, ...limits });
    const ok = run.exitCode === 0 && !run.timedOut && run.spawnError === undefined;
    env.log.info('gorgone COMMAND ran', {
      who: env.who,
      command: commandLine,
      exitCode: run.exitCode,
      timedOut: run.timedOut,
    });
    env.history.record({
      code: CODE.COMMAND_RESULT,
      token,
      data: {
        message: ok
          ? 'command has finished successfully'
          : run.timedOut
            ? 'command has timed out'
            : 'command has finished with an error',
        command: commandLine,
        result: {
          exit_code: run.exitCode ?? -1,
          stdout: run.stdout + run.stderr,
          ...(run.truncated ? { truncated: true } : {}),
        },
        metrics: { start: run.startedAt, end: run.endedAt, duration: run.endedAt - run.startedAt },
        metadata: entry.metadata,
        ...(run.spawnError === undefined ? {} : { error: run.spawnError }),
      },
    });
    if (!ok) {
      allOk = false;
      if (entry.continue_on_error !== true && entry.continue_on_error !== 1) break;
    }
  }
  env.history.record({
    code: allOk ? CODE.FINISH_OK : CODE.FINISH_KO,
    token,
    data: {
      message: allOk
        ? 'commands processing has finished successfully'
        : 'commands processing has finished with errors',
    },
  });
}

/**
 * The file a PROCESSCOPY may write: inside `processcopy.destination`, no
 * traversal. A relative destination is taken below the folder; an absolute one
 * must already be inside it.
 */
export function resolveCopyDestination(policy: ProcessCopyPolicy, requested: string): string {
  if (!policy.enabled || policy.destination === undefined) {
    throw new AgentError('refused', 'file deployment (PROCESSCOPY) is disabled on this agent');
  }
  if (requested === '' || requested.includes('\0')) {
    throw new AgentError('invalid-request', 'PROCESSCOPY destination is empty or invalid', {
      field: 'destination',
    });
  }
  if (requested.split(/[\\/]/).includes('..')) {
    throw new AgentError(
      'refused',
      `PROCESSCOPY destination '${requested}' contains '..': path traversal refused`,
      { field: 'destination' },
    );
  }
  const root = resolve(policy.destination);
  const target = isAbsolute(requested) ? resolve(requested) : resolve(root, requested);
  const rel = relative(root, target);
  if (rel === '' || rel.startsWith(`..${sep}`) || rel === '..' || isAbsolute(rel)) {
    throw new AgentError(
      'refused',
      `PROCESSCOPY destination '${requested}' is outside the allowed folder ${root}`,
      {
        field: 'destination',
      },
    );
  }
  return target;
}

interface CopyInProgress {
  path: string;
  part: string;
  md5: ReturnType<typeof createHash>;
  bytes: number;
}

/** PROCESSCOPY chunks of one token, assembled in `<file>.outpost-part` then renamed once the md5 matches (§8). */
export class ProcessCopyReceiver {
  readonly #copies = new Map<string, CopyInProgress>();
  /** Chunks arrive as separate messages: apply them strictly in order. */
  #chain: Promise<void> = Promise.resolve();

  handle(env: NodeActionEnv, token: string, data: unknown): Promise<void> {
    this.#chain = this.#chain.then(() => this.#handleOne(env, token, data));
    return this.#chain;
  }

  async #handleOne(env: NodeActionEnv, token: string, data: unknown): Promise<void> {
    try {
      await this.#handle(env, token, asObject(asObject(data).content));
    } catch (error) {
      const message = (error as Error).message;
      const copy = this.#copies.get(token);
      this.#copies.delete(token);
      if (copy !== undefined) await rm(copy.part, { force: true });
      env.log.warn('gorgone PROCESSCOPY refused', { who: env.who, reason: message });
      env.history.record({ code: CODE.FINISH_KO, token, data: { message } });
    }
  }

  async #handle(
    env: NodeActionEnv,
    token: string,
    content: Record<string, unknown>,
  ): Promise<void> {
    if (content.type !== undefined && content.type !== 'regular') {
      throw new AgentError(
        'refused',
        `PROCESSCOPY type '${String(content.type)}' is not supported by this agent (regular files only)`,
      );
    }
    const destination = typeof content.destination === 'string' ? content.destination : '';
    const path = resolveCopyDestination(env.processcopy, destination);
    let copy = this.#copies.get(token);
    if (copy !== undefined && copy.path !== path) {
      throw new AgentError(
        'invalid-request',
        'PROCESSCOPY destination changed in the middle of a transfer',
      );
    }
    if (copy === undefined) {
      await mkdir(dirname(path), { recursive: true });
      copy = { path, part: `${path}.outpost-part`, md5: createHash('md5'), bytes: 0 };
      await rm(copy.part, { force: true });
      this.#copies.set(token, copy);
    }
    const chunk = asObject(content.chunk);
    if (typeof chunk.data === 'string') {
      const bytes = Buffer.from(chunk.data.replace(/\s+/g, ''), 'base64');
      const handle = await open(copy.part, 'a', 0o644);
      try {
        await handle.write(bytes);
      } finally {
        await handle.close();
      }
      copy.md5.update(bytes);
      copy.bytes += bytes.length;
    }
    if (content.status === 'end') {
      this.#copies.delete(token);
      const actual = copy.md5.digest('hex');
      const expected = typeof content.md5 === 'string' ? content.md5.toLowerCase() : '';
      if (actual !== expected) {
        await rm(copy.part, { force: true });
        throw new AgentError(
          'refused',
          `PROCESSCOPY md5 mismatch for ${destination}: expected ${expected || '(none)'}, got ${actual}`,
        );
      }
      await rename(copy.part, copy.path);
      env.log.info('gorgone PROCESSCOPY wrote a file', {
        who: env.who,
        path: copy.path,
        bytes: copy.bytes,
      });
      env.history.record({
        code: CODE.FINISH_OK,
        token,
        data: {
          message: 'process copy finished successfully',
          destination: copy.path,
          size: copy.bytes,
        },
      });
      return;
    }
    env.history.record({
      code: CODE.PROCESSCOPY_INPROGRESS,
      token,
      data: { message: 'process copy inprogress' },
    });
  }
}

/** §8: module events a non-gorgone node does not know → a code-1 row with the token. */
export function recordUnknownAction(env: NodeActionEnv, token: string, action: string): void {
  env.history.record({
    code: CODE.FINISH_KO,
    token,
    data: { error: 'unknown_action', message: `action '${action}' is unknown` },
  });
}
