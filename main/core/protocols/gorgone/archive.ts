/**
 * Extracts a PROCESSCOPY `type: archive` payload (a tar.gz whose md5 was
 * already checked) into its destination folder, in two passes over the file:
 *
 * 1. read every header with `readTar` and check the plan against the
 *    destination (lstat only): any refusal — a link, a device, `..`, an
 *    absolute path, too many entries or bytes, a corrupt stream, a symlink or
 *    a type clash in the destination — stops here, before anything is written;
 * 2. read it again and write: directories made one component at a time with
 *    lstat checks (an existing symlink is never followed), each file written to
 *    a temporary name in its own directory (`O_EXCL | O_NOFOLLOW`) and renamed
 *    over the old one, so every file is replaced atomically.
 *
 * gorgone's node (`action_processcopy` with Archive::Tar, SAME_PERMISSIONS)
 * keeps the archive's permission bits; we do too, without setuid, setgid or
 * sticky. Owner and group are not applied: the agent runs unprivileged
 * (Archive::Tar chowns to the archive's uid/gid only when gorgoned is root).
 */
import { randomBytes } from 'node:crypto';
import { constants, createReadStream } from 'node:fs';
import { chmod, lstat, mkdir, open, rename, rm, type FileHandle } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { pipeline } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { AgentError } from '../../contract/errors.ts';
import { readTar, type TarEvent, type TarLimits } from './tar.ts';

/** Names the agent uses for its own temporary files: an archive may not hold them. */
export const RESERVED_PREFIX = '.outpost-';
/** Directories the archive makes without saying how (its parents are missing). */
const IMPLICIT_DIRECTORY_MODE = 0o755;
const GUNZIP_CHUNK_BYTES = 64 * 1024;
const O_NOFOLLOW = constants.O_NOFOLLOW ?? 0;

export interface ExtractResult {
  files: number;
  directories: number;
  /** Bytes of file content written. */
  bytes: number;
}

function refused(message: string): AgentError {
  return new AgentError('refused', message);
}

/** The tar events of a .tar.gz file; a gzip error becomes a readable AgentError. */
async function* tarGzEvents(payload: string, limits: TarLimits): AsyncGenerator<TarEvent> {
  const gunzip = createGunzip({ chunkSize: GUNZIP_CHUNK_BYTES });
  pipeline(createReadStream(payload), gunzip, () => {});
  try {
    yield* readTar(gunzip, limits);
  } catch (error) {
    if (error instanceof AgentError) throw error;
    throw new AgentError(
      'protocol',
      `the archive is not a valid gzip stream: ${(error as Error).message}`,
    );
  } finally {
    gunzip.destroy();
  }
}

function isMissing(error: unknown): boolean {
  return (error as NodeJS.ErrnoException).code === 'ENOENT';
}

async function lstatOrUndefined(path: string) {
  try {
    return await lstat(path);
  } catch (error) {
    if (isMissing(error)) return undefined;
    throw error;
  }
}

/** 'a/b/c' → ['a', 'a/b', 'a/b/c']. */
function prefixes(path: string): string[] {
  if (path === '') return [];
  const parts = path.split('/');
  return parts.map((_, i) => parts.slice(0, i + 1).join('/'));
}

/** What the archive makes each path into, checked for clashes inside the archive itself. */
class Plan {
  /** path → kind; parents of every entry are implicit directories. */
  readonly kinds = new Map<string, 'file' | 'directory'>();

  add(kind: 'file' | 'directory', path: string, name: string): void {
    if (path.split('/').some((part) => part.startsWith(RESERVED_PREFIX))) {
      throw refused(
        `archive entry '${name}' uses the agent's reserved name prefix '${RESERVED_PREFIX}' → refused`,
      );
    }
    if (path === '') {
      if (kind === 'file')
        throw refused(`archive entry '${name}' is a file at the destination itself → refused`);
      return;
    }
    const chain = prefixes(path);
    for (const parent of chain.slice(0, -1)) {
      if (this.kinds.get(parent) === 'file') {
        throw refused(
          `archive entry '${name}' is below '${parent}', which the archive holds as a file → refused`,
        );
      }
      this.kinds.set(parent, 'directory');
    }
    const before = this.kinds.get(path);
    if (before !== undefined && before !== kind) {
      throw refused(`archive holds '${path}' both as a file and as a directory → refused`);
    }
    this.kinds.set(path, kind);
  }
}

/** Joins a normalised entry path below `destination` and proves it stays there. */
function targetOf(destination: string, path: string): string {
  const target = path === '' ? destination : join(destination, ...path.split('/'));
  const rel = relative(destination, target);
  if (rel === '..' || rel.startsWith(`..${sep}`) || rel.includes(`${sep}..${sep}`)) {
    throw refused(`archive entry '${path}' escapes the destination`);
  }
  return target;
}

/**
 * Pass 1's view of the destination: nothing is written, but everything the
 * writes would trip over is found now. `root` is the configured folder (trusted
 * as the user set it); from there down, no component may be a symlink.
 */
async function checkDestination(root: string, destination: string, plan: Plan): Promise<void> {
  const below = relative(root, destination);
  const chain = below === '' ? [] : prefixes(below.split(sep).join('/'));
  for (const step of chain) {
    const path = join(root, ...step.split('/'));
    const stat = await lstatOrUndefined(path);
    if (stat === undefined) return; // nothing exists below: nothing to trip over
    if (stat.isSymbolicLink()) {
      throw refused(`the destination path ${path} is a symlink: refusing to write through it`);
    }
    if (!stat.isDirectory()) throw refused(`the destination path ${path} is not a directory`);
  }
  // Parents sort before their children, so a missing parent is seen first.
  const missing = new Set<string>();
  for (const [path, kind] of [...plan.kinds].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    const parent = path.includes('/') ? path.slice(0, path.lastIndexOf('/')) : '';
    if (parent !== '' && missing.has(parent)) {
      missing.add(path);
      continue;
    }
    const target = targetOf(destination, path);
    const stat = await lstatOrUndefined(target);
    if (stat === undefined) {
      missing.add(path);
      continue;
    }
    if (kind === 'directory') {
      if (stat.isSymbolicLink()) {
        throw refused(`'${path}' in the destination is a symlink: refusing to write through it`);
      }
      if (!stat.isDirectory()) {
        throw refused(
          `'${path}' in the destination is not a directory, but the archive holds a directory there`,
        );
      }
    } else if (stat.isDirectory()) {
      throw refused(
        `'${path}' in the destination is a directory, but the archive holds a file there`,
      );
    } else if (!stat.isFile() && !stat.isSymbolicLink()) {
      throw refused(`'${path}' in the destination is a special file: refusing to replace it`);
    }
  }
}

/** Pass 2's directories: made one component at a time, never through a symlink. */
class Directories {
  readonly #known = new Set<string>();
  /** Directories we made → the mode they get once their files are written. */
  readonly created = new Map<string, number>();

  async ensure(path: string, mode?: number): Promise<void> {
    if (this.#known.has(path)) {
      if (mode !== undefined && this.created.has(path)) this.created.set(path, mode);
      return;
    }
    const stat = await lstatOrUndefined(path);
    if (stat === undefined) {
      // Owner-only while we fill it; its own mode is applied at the end.
      await mkdir(path, { mode: 0o700 });
      this.created.set(path, mode ?? IMPLICIT_DIRECTORY_MODE);
    } else if (stat.isSymbolicLink()) {
      throw refused(`the destination path ${path} is a symlink: refusing to write through it`);
    } else if (!stat.isDirectory()) {
      throw refused(`the destination path ${path} is not a directory`);
    }
    this.#known.add(path);
  }

  /** Every component from `root` (exclusive) down to `path`. */
  async ensureBelow(root: string, path: string, mode?: number): Promise<void> {
    const rel = relative(root, path);
    if (rel === '') return;
    const parts = rel.split(sep);
    for (let i = 1; i <= parts.length; i++) {
      await this.ensure(join(root, ...parts.slice(0, i)), i === parts.length ? mode : undefined);
    }
  }

  /** Deepest first: a parent's mode may take away the search right its children need. */
  async applyModes(): Promise<void> {
    const paths = [...this.created.keys()].sort((a, b) => b.length - a.length);
    for (const path of paths) await chmod(path, this.created.get(path)!);
  }
}

/**
 * Makes every directory from `root` (exclusive, trusted as the user set it)
 * down to `path`, one component at a time, never through a symlink: what a
 * `type: regular` PROCESSCOPY does before (and while) writing its file.
 */
export async function ensureDirectoriesBelow(root: string, path: string): Promise<void> {
  const directories = new Directories();
  try {
    await directories.ensureBelow(root, path);
  } finally {
    await directories.applyModes();
  }
}

/**
 * Checks `payload` completely, then writes it below `destination` (inside the
 * configured `root`, or `root` itself). Throws an AgentError naming the entry
 * and the problem; a refusal from pass 1 means nothing was written.
 */
export async function extractArchive(
  payload: string,
  root: string,
  destination: string,
  limits: TarLimits,
): Promise<ExtractResult> {
  const plan = new Plan();
  try {
    for await (const event of tarGzEvents(payload, limits)) {
      if (event.type === 'entry') plan.add(event.entry.kind, event.entry.path, event.entry.name);
    }
    await checkDestination(root, destination, plan);
  } catch (error) {
    const code = error instanceof AgentError ? error.code : 'io';
    throw new AgentError(
      code,
      `${(error as Error).message} (nothing was written to ${destination})`,
    );
  }

  const directories = new Directories();
  const result: ExtractResult = { files: 0, directories: 0, bytes: 0 };
  let file:
    { handle: FileHandle; temp: string; target: string; mode: number; mtime: number } | undefined;
  let current = 'the destination folder';
  try {
    await directories.ensureBelow(root, destination);
    for await (const event of tarGzEvents(payload, limits)) {
      if (event.type === 'data') {
        if (file !== undefined) {
          await file.handle.write(event.bytes);
          result.bytes += event.bytes.length;
        }
        continue;
      }
      if (event.type === 'entry-end') {
        if (file !== undefined) {
          const done = file;
          file = undefined;
          await done.handle.chmod(done.mode);
          await done.handle.utimes(done.mtime, done.mtime);
          await done.handle.close();
          await rename(done.temp, done.target);
          result.files += 1;
        }
        continue;
      }
      const { entry } = event;
      current = `'${entry.name}'`;
      const target = targetOf(destination, entry.path);
      if (entry.kind === 'directory') {
        await directories.ensureBelow(root, target, entry.mode);
        if (entry.path !== '') result.directories += 1;
        continue;
      }
      const parent = entry.path.includes('/')
        ? targetOf(destination, entry.path.slice(0, entry.path.lastIndexOf('/')))
        : destination;
      await directories.ensureBelow(root, parent);
      const temp = join(parent, `${RESERVED_PREFIX}tmp-${randomBytes(8).toString('hex')}`);
      const handle = await open(
        temp,
        constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | O_NOFOLLOW,
        0o600,
      );
      file = { handle, temp, target, mode: entry.mode, mtime: entry.mtime };
    }
    await directories.applyModes();
    return result;
  } catch (error) {
    if (file !== undefined) {
      await file.handle.close().catch(() => undefined);
      await rm(file.temp, { force: true });
    }
    await directories.applyModes().catch(() => undefined);
    throw new AgentError(
      'io',
      `extracting into ${destination} stopped at ${current}: ${(error as Error).message}; ` +
        'the files before it were replaced (each one whole), the rest were not written',
      { cause: error },
    );
  }
}
