/**
 * What a central may ask this node to do (gorgone.md §8 COMMAND / PROCESSCOPY
 * rows, §9), shared by the pull node and the push listener. Both are OFF by
 * default; outcomes are history rows with the request's token, which reach the
 * central through GETLOG/SETLOGS.
 */
import { createHash } from 'node:crypto';
import { constants } from 'node:fs';
import { mkdir, open, readdir, rename, rm } from 'node:fs/promises';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { AgentError } from '../../contract/errors.ts';
import { splitCommandLine } from '../../contract/command-line.ts';
import { authorizeCommand } from '../../exec/policy.ts';
import { type CommandPolicy } from '../../contract/command-policy.ts';
import { runCommand } from '../../exec/run-command.ts';
import type { Logger } from '../../log.ts';
import { ensureDirectoriesBelow, extractArchive, RESERVED_PREFIX } from './archive.ts';
import { CODE } from './codec.ts';
import type { HistoryStore } from './history.ts';
import { DEFAULT_MAX_ARCHIVE_BYTES, DEFAULT_MAX_ARCHIVE_ENTRIES } from './tar.ts';
import { DEFAULT_COPY_IDLE_TIMEOUT_SECONDS, DEFAULT_MAX_FILE_BYTES } from './config.ts';

export interface ProcessCopyPolicy {
  enabled: boolean;
  /** The one folder files may be written into (and below). */
  destination?: string | undefined;
  /** `type: archive`: cap on the unpacked tar stream, and on the transferred tar.gz. */
  maxArchiveBytes?: number | undefined;
  /** `type: archive`: cap on files + directories. */
  maxArchiveEntries?: number | undefined;
  /** `type: regular`: cap on the file. */
  maxFileBytes?: number | undefined;
  /** A transfer that gets no chunk for this long is abandoned and its partial file removed. */
  idleTimeoutSeconds?: number | undefined;
}

/** A `type: regular` file is assembled next to its target under this suffix. */
const PART_SUFFIX = '.outpost-part';
/** The start-up sweep stops after this many directory entries (a destination is a config folder). */
const MAX_SWEPT_ENTRIES = 200_000;

const O_NOFOLLOW = constants.O_NOFOLLOW ?? 0;
const APPEND_FLAGS = constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | O_NOFOLLOW;
/** Tokens whose transfer already failed: their later chunks are dropped without more rows. */
const MAX_REMEMBERED_FAILURES = 1_000;

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
 * The file a PROCESSCOPY may write (or, with `allowRoot`, the folder an archive
 * is extracted into, which may be the configured folder itself): inside
 * `processcopy.destination`, no traversal. A relative destination is taken
 * below the folder; an absolute one must already be inside it.
 */
export function resolveCopyDestination(
  policy: ProcessCopyPolicy,
  requested: string,
  options: { allowRoot?: boolean } = {},
): string {
  if (!policy.enabled || policy.destination === undefined) {
    throw new AgentError('refused', 'file deployment (PROCESSCOPY) is disabled on this agent');
  }
  if (requested === '' || requested.includes('\0')) {
    throw new AgentError('invalid-request', 'PROCESSCOPY destination is empty or invalid', {
      field: 'destination',
    });
  }
  const parts = requested.split(/[\\/]/);
  if (parts.includes('..')) {
    throw new AgentError(
      'refused',
      `PROCESSCOPY destination '${requested}' contains '..': path traversal refused`,
      { field: 'destination' },
    );
  }
  if (parts.some(isPartialFile)) {
    throw new AgentError(
      'refused',
      `PROCESSCOPY destination '${requested}' uses a name the agent keeps for its partial files ('${RESERVED_PREFIX}…', '…${PART_SUFFIX}')`,
      { field: 'destination' },
    );
  }
  const root = resolve(policy.destination);
  const target = isAbsolute(requested) ? resolve(requested) : resolve(root, requested);
  const rel = relative(root, target);
  if (
    (rel === '' && options.allowRoot !== true) ||
    rel.startsWith(`..${sep}`) ||
    rel === '..' ||
    isAbsolute(rel)
  ) {
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

/**
 * Partial files a previous run left behind (killed mid-transfer): `*.outpost-part`
 * of regular copies, `.outpost-copy-…part` of archives, `.outpost-tmp-…` of an
 * extraction. Removed once per destination and process, before the first
 * transfer into it: pull nodes and the listener share the folder, and every
 * receiver waits for the sweep before writing, so no live transfer is swept.
 * Symlinks are not followed. Never rejects: failures are logged.
 */
export function sweepAbandonedCopies(policy: ProcessCopyPolicy, log: Logger): Promise<void> {
  if (!policy.enabled || policy.destination === undefined) return Promise.resolve();
  const root = resolve(policy.destination);
  let sweep = sweeps.get(root);
  if (sweep === undefined) {
    sweep = sweepFolder(root, log).catch((error: unknown) =>
      log.warn('gorgone PROCESSCOPY: leftover partial files not swept', {
        folder: root,
        error: (error as Error).message,
      }),
    );
    sweeps.set(root, sweep);
  }
  return sweep;
}

const sweeps = new Map<string, Promise<void>>();

function isPartialFile(name: string): boolean {
  return name.endsWith(PART_SUFFIX) || name.startsWith(RESERVED_PREFIX);
}

async function sweepFolder(root: string, log: Logger): Promise<void> {
  const removed: string[] = [];
  const pending = [root];
  let seen = 0;
  while (pending.length > 0 && seen < MAX_SWEPT_ENTRIES) {
    const folder = pending.pop()!;
    let entries;
    try {
      entries = await readdir(folder, { withFileTypes: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') continue;
      throw error;
    }
    for (const entry of entries) {
      seen++;
      const path = join(folder, entry.name);
      // Dirent types come from lstat semantics: a symlink is neither a file nor a directory.
      if (entry.isDirectory()) pending.push(path);
      else if (entry.isFile() && isPartialFile(entry.name)) {
        await rm(path, { force: true });
        removed.push(path);
      }
    }
  }
  if (removed.length > 0) {
    log.info('gorgone PROCESSCOPY: removed partial files of unfinished transfers', {
      folder: root,
      files: removed,
    });
  }
}

interface CopyInProgress {
  type: 'regular' | 'archive';
  /** The destination as the central wrote it, for messages. */
  requested: string;
  /** The file to write (regular) or the folder to extract into (archive). */
  path: string;
  /** Where the chunks are assembled. */
  part: string;
  md5: ReturnType<typeof createHash>;
  bytes: number;
  /** Abandons the transfer when no chunk comes for idleTimeoutSeconds. */
  idle: NodeJS.Timeout;
}

/**
 * PROCESSCOPY chunks of one token (§8), like gorgone's `action_processcopy`:
 * appended in order, md5 of the whole payload checked at `end`, then a
 * regular file is renamed into place (`<file>.outpost-part` → `<file>`) and an
 * archive (tar.gz of a folder) is checked completely and extracted
 * (archive.ts). Rows: 101 per chunk, 2 or 1 at the end. Every folder on the
 * way to a regular file is walked like an archive's (no symlink from the
 * configured folder down), before the first chunk, before each append and
 * before the rename.
 */
export class ProcessCopyReceiver {
  readonly #copies = new Map<string, CopyInProgress>();
  readonly #failed = new Set<string>();
  /** Chunks arrive as separate messages: apply them strictly in order. */
  #chain: Promise<void> = Promise.resolve();
  #closed = false;

  /** Never rejects: a failure is a code-1 row, or a log line when even that fails. */
  handle(env: NodeActionEnv, token: string, data: unknown): Promise<void> {
    this.#chain = this.#chain
      .then(() => this.#handleOne(env, token, data))
      .catch((error: unknown) =>
        env.log.error('gorgone PROCESSCOPY failed', { error: (error as Error).message }),
      );
    return this.#chain;
  }

  /** The node or listener stops: transfers in progress cannot finish, their partial files go. */
  async close(log: Logger): Promise<void> {
    this.#closed = true;
    await this.#chain;
    for (const [token, copy] of this.#copies) {
      await this.#drop(token, copy);
      log.info('gorgone PROCESSCOPY interrupted by shutdown: partial file removed', {
        destination: copy.requested,
      });
    }
  }

  async #handleOne(env: NodeActionEnv, token: string, data: unknown): Promise<void> {
    if (this.#closed) return;
    const content = asObject(asObject(data).content);
    if (this.#failed.has(token)) {
      // One failure row per transfer: the rest of a refused transfer is dropped.
      if (content.status === 'end') this.#failed.delete(token);
      return;
    }
    try {
      await this.#handle(env, token, content);
    } catch (error) {
      const message = (error as Error).message;
      const copy = this.#copies.get(token);
      if (copy !== undefined) await this.#drop(token, copy);
      if (content.status !== 'end') this.#rememberFailure(token);
      env.log.warn('gorgone PROCESSCOPY refused', { who: env.who, reason: message });
      env.history.record({ code: CODE.FINISH_KO, token, data: { message } });
    }
  }

  async #drop(token: string, copy: CopyInProgress): Promise<void> {
    this.#copies.delete(token);
    clearTimeout(copy.idle);
    await rm(copy.part, { force: true });
  }

  #rememberFailure(token: string): void {
    this.#failed.add(token);
    if (this.#failed.size > MAX_REMEMBERED_FAILURES) {
      this.#failed.delete(this.#failed.values().next().value!);
    }
  }

  /** Runs in the chain, after any chunk being written: the transfer may have ended meanwhile. */
  async #abandon(env: NodeActionEnv, token: string, copy: CopyInProgress): Promise<void> {
    if (this.#copies.get(token) !== copy) return;
    await this.#drop(token, copy);
    this.#rememberFailure(token);
    const seconds = env.processcopy.idleTimeoutSeconds ?? DEFAULT_COPY_IDLE_TIMEOUT_SECONDS;
    const message = `PROCESSCOPY to ${copy.requested} abandoned: no chunk for ${seconds} s; the partial file was removed`;
    env.log.warn('gorgone PROCESSCOPY abandoned', { who: env.who, reason: message });
    env.history.record({ code: CODE.FINISH_KO, token, data: { message } });
  }

  async #start(
    env: NodeActionEnv,
    token: string,
    type: CopyInProgress['type'],
    requested: string,
    path: string,
  ): Promise<CopyInProgress> {
    // The configured folder is trusted as the user set it; below it, no symlink.
    const root = resolve(env.processcopy.destination!);
    await mkdir(root, { recursive: true });
    let part: string;
    if (type === 'regular') {
      await ensureDirectoriesBelow(root, dirname(path));
      part = `${path}${PART_SUFFIX}`;
    } else {
      // The tar.gz waits in the configured folder (never in the central's
      // cache_dir): writes stay inside it, and archives may not use the name.
      const id = createHash('sha256').update(token).digest('hex').slice(0, 16);
      part = join(root, `${RESERVED_PREFIX}copy-${id}.tar.gz.part`);
    }
    await rm(part, { force: true });
    const seconds = env.processcopy.idleTimeoutSeconds ?? DEFAULT_COPY_IDLE_TIMEOUT_SECONDS;
    const copy: CopyInProgress = {
      type,
      requested,
      path,
      part,
      md5: createHash('md5'),
      bytes: 0,
      idle: setTimeout(() => {
        this.#chain = this.#chain
          .then(() => this.#abandon(env, token, copy))
          .catch((error: unknown) =>
            env.log.warn('gorgone PROCESSCOPY: abandoned transfer not cleaned up', {
              error: (error as Error).message,
            }),
          );
      }, seconds * 1000),
    };
    copy.idle.unref();
    return copy;
  }

  async #handle(
    env: NodeActionEnv,
    token: string,
    content: Record<string, unknown>,
  ): Promise<void> {
    const type = content.type ?? 'regular';
    if (type !== 'regular' && type !== 'archive') {
      throw new AgentError(
        'refused',
        `PROCESSCOPY type '${typeof type === 'string' ? type.slice(0, 64) : typeof type}' is not supported by this agent (regular or archive)`,
      );
    }
    const destination = typeof content.destination === 'string' ? content.destination : '';
    const path = resolveCopyDestination(env.processcopy, destination, {
      allowRoot: type === 'archive',
    });
    const root = resolve(env.processcopy.destination!);
    let copy = this.#copies.get(token);
    if (copy !== undefined && (copy.path !== path || copy.type !== type)) {
      throw new AgentError(
        'invalid-request',
        'PROCESSCOPY destination or type changed in the middle of a transfer',
      );
    }
    if (copy === undefined) {
      // Once per transfer, not per chunk: the sweep is memoized, and a started copy already waited for it.
      await sweepAbandonedCopies(env.processcopy, env.log);
      copy = await this.#start(env, token, type, destination, path);
      this.#copies.set(token, copy);
    }
    const maxArchiveBytes = env.processcopy.maxArchiveBytes ?? DEFAULT_MAX_ARCHIVE_BYTES;
    const maxFileBytes = env.processcopy.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES;
    const chunk = asObject(content.chunk);
    if (typeof chunk.data === 'string') {
      const bytes = Buffer.from(chunk.data.replace(/\s+/g, ''), 'base64');
      if (copy.type === 'archive' && copy.bytes + bytes.length > maxArchiveBytes) {
        throw new AgentError(
          'refused',
          `PROCESSCOPY archive for ${destination} is larger than ${maxArchiveBytes} bytes → refused (processcopy.maxArchiveBytes)`,
        );
      }
      if (copy.type === 'regular') {
        if (copy.bytes + bytes.length > maxFileBytes) {
          throw new AgentError(
            'refused',
            `PROCESSCOPY file ${destination} is larger than ${maxFileBytes} bytes → refused (processcopy.maxFileBytes)`,
          );
        }
        // Again before each append: a folder swapped for a symlink since is refused.
        await ensureDirectoriesBelow(root, dirname(copy.path));
      }
      const handle = await open(copy.part, APPEND_FLAGS, copy.type === 'regular' ? 0o644 : 0o600);
      try {
        await handle.write(bytes);
      } finally {
        await handle.close();
      }
      copy.md5.update(bytes);
      copy.bytes += bytes.length;
    }
    if (content.status !== 'end') {
      copy.idle.refresh();
      env.history.record({
        code: CODE.PROCESSCOPY_INPROGRESS,
        token,
        data: { message: 'process copy inprogress' },
      });
      return;
    }
    this.#copies.delete(token);
    clearTimeout(copy.idle);
    const actual = copy.md5.digest('hex');
    const expected = typeof content.md5 === 'string' ? content.md5.toLowerCase() : '';
    if (actual !== expected) {
      await rm(copy.part, { force: true });
      throw new AgentError(
        'refused',
        `PROCESSCOPY md5 mismatch for ${destination}: expected ${expected || '(none)'}, got ${actual}`,
      );
    }
    if (copy.type === 'regular') {
      try {
        await ensureDirectoriesBelow(root, dirname(copy.path));
        // rename() replaces a symlink standing at the target; it never follows it.
        await rename(copy.part, copy.path);
      } catch (error) {
        await rm(copy.part, { force: true });
        throw error;
      }
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
    let extracted;
    try {
      extracted = await extractArchive(copy.part, root, copy.path, {
        maxBytes: maxArchiveBytes,
        maxEntries: env.processcopy.maxArchiveEntries ?? DEFAULT_MAX_ARCHIVE_ENTRIES,
      });
    } finally {
      await rm(copy.part, { force: true });
    }
    env.log.info('gorgone PROCESSCOPY extracted an archive', {
      who: env.who,
      path: copy.path,
      ...extracted,
    });
    env.history.record({
      code: CODE.FINISH_OK,
      token,
      data: {
        message: 'process copy finished successfully',
        destination: copy.path,
        type: 'archive',
        files: extracted.files,
        directories: extracted.directories,
        size: extracted.bytes,
      },
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
