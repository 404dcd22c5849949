import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open, rename, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Writable } from 'node:stream';
import { AgentError } from '../contract/errors.ts';
import { ensurePrivateDir, syncDir } from '../fsutil.ts';

export interface SpooledFile {
  path: string;
  size: number;
  sha256: string;
}

/**
 * Copies a file into the spool, streaming (memory flat in file size), hashing
 * as it goes: tmp → fsync → rename → fsync(dir). We copy rather than reference
 * the original: a file the user edits or deletes after queueing it is still
 * delivered exactly as it was when Outpost acknowledged it.
 */
export async function copyIntoSpool(
  source: string,
  spoolDir: string,
  id: string,
): Promise<SpooledFile> {
  let info;
  try {
    info = await stat(source);
  } catch (error) {
    throw new AgentError(
      'not-found',
      `cannot queue '${source}': ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message}`,
      {
        field: 'path',
      },
    );
  }
  if (!info.isFile()) {
    throw new AgentError('invalid-request', `cannot queue '${source}': not a regular file`, {
      field: 'path',
    });
  }
  await ensurePrivateDir(spoolDir);
  const finalPath = join(spoolDir, id);
  const tmpPath = `${finalPath}.tmp`;
  const hash = createHash('sha256');
  let size = 0;
  const handle = await open(tmpPath, 'w', 0o600);
  try {
    const sink = new Writable({
      highWaterMark: 1 << 20,
      write(chunk: Buffer, _encoding, done) {
        hash.update(chunk);
        size += chunk.length;
        handle.write(chunk).then(() => done(), done);
      },
    });
    try {
      await pipeline(createReadStream(source, { highWaterMark: 1 << 20 }), sink);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOSPC')
        throw new AgentError('capacity', `no space left to spool '${source}'`, { cause: error });
      throw new AgentError('io', `cannot read '${source}': ${(error as Error).message}`, {
        field: 'path',
        cause: error,
      });
    }
    await handle.sync();
  } catch (error) {
    await handle.close().catch(() => undefined);
    await unlink(tmpPath).catch(() => undefined);
    throw error;
  }
  await handle.close();
  await rename(tmpPath, finalPath);
  await syncDir(spoolDir);
  return { path: finalPath, size, sha256: hash.digest('hex') };
}

export async function removeSpooled(path: string): Promise<void> {
  await unlink(path).catch(() => undefined);
}
