/**
 * Outbox folders (like the Pandora agent's `temporal` spool): a file that
 * appears in a target's folder and stops growing is queued to that target;
 * once the queue reports it delivered it is removed or moved to `sent/`.
 *
 * A journal file in the folder maps each queued file to its queue item, so an
 * agent stopped at any point neither loses a file nor forgets to clean it up:
 * the original stays in place until the delivery is confirmed. (A stop
 * between the enqueue and the journal write queues that file once more on
 * restart: at least once, never lost.)
 */
import { mkdir, readdir, readFile, rename, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { AgentContext } from '../../context.ts';
import { toAgentError } from '../../contract/errors.ts';
import { writeFileAtomic } from '../../fsutil.ts';
import type { TentacleTargetConfig } from './config.ts';
import { fileNameProblem } from './names.ts';
import { pause } from '../../abort.ts';

/** How often folders are scanned: polling works the same on every OS and file system. */
export const OUTBOX_POLL_MS = 1000;
/** How often the settings are looked at while no Tentacle target has an outbox (issue #17). */
export const OUTBOX_IDLE_MS = 5_000;
/** A file must keep the same size and mtime this long before it counts as complete. */
export const OUTBOX_STABLE_MS = 1000;
export const OUTBOX_JOURNAL = '.outpost-outbox.json';
export const SENT_DIR = 'sent';

interface JournalEntry {
  itemId: string;
  size: number;
  mtimeMs: number;
}

/** By file name: a Map, since a file may be called '__proto__' or 'constructor'. */
type Journal = Map<string, JournalEntry>;

export class Outbox {
  readonly target: string;
  readonly dir: string;
  readonly #ctx: AgentContext;
  readonly #afterDelivery: 'remove' | 'move';
  readonly #stableMs: number;
  /** Last observation of each not-yet-queued file, and when we first saw it like that. */
  readonly #seen = new Map<string, { size: number; mtimeMs: number; since: number }>();
  readonly #rejected = new Set<string>();

  constructor(
    ctx: AgentContext,
    target: string,
    outbox: NonNullable<TentacleTargetConfig['outbox']>,
    stableMs = OUTBOX_STABLE_MS,
  ) {
    this.#ctx = ctx;
    this.target = target;
    this.dir = outbox.dir;
    this.#afterDelivery = outbox.afterDelivery;
    this.#stableMs = stableMs;
  }

  async #journal(): Promise<Journal> {
    try {
      const stored = JSON.parse(await readFile(join(this.dir, OUTBOX_JOURNAL), 'utf8')) as Record<
        string,
        JournalEntry
      >;
      return new Map(Object.entries(stored));
    } catch {
      return new Map();
    }
  }

  async #save(journal: Journal): Promise<void> {
    // Object.fromEntries defines own properties, '__proto__' included.
    const stored = JSON.stringify(Object.fromEntries(journal), null, 2);
    await writeFileAtomic(join(this.dir, OUTBOX_JOURNAL), stored, 0o600);
  }

  /** One pass: clean up delivered files, queue complete new ones. */
  async scan(): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    const journal = await this.#journal();
    let changed = false;
    for (const [name, entry] of journal) {
      const item = this.#ctx.queue.get(entry.itemId);
      if (item === undefined) {
        // The queue no longer knows it (its store was reset): queue the file again.
        journal.delete(name);
        changed = true;
      } else if (item.state === 'delivered') {
        await this.#finish(name);
        journal.delete(name);
        changed = true;
        this.#ctx.events.emit('tentacle.outbox', {
          target: this.target,
          file: name,
          itemId: entry.itemId,
          action: 'delivered',
        });
      }
    }
    if (changed) await this.#save(journal);

    const now = Date.now();
    for (const entry of await readdir(this.dir, { withFileTypes: true })) {
      // Dot files are files still being written (write-then-rename) and our journal.
      if (!entry.isFile() || entry.name.startsWith('.')) continue;
      const name = entry.name;
      const info = await stat(join(this.dir, name)).catch(() => undefined);
      if (info === undefined) continue;
      const queued = journal.get(name);
      if (queued !== undefined && queued.size === info.size && queued.mtimeMs === info.mtimeMs)
        continue;
      const last = this.#seen.get(name);
      const unchanged =
        last !== undefined && last.size === info.size && last.mtimeMs === info.mtimeMs;
      const since = unchanged ? last.since : now;
      this.#seen.set(name, { size: info.size, mtimeMs: info.mtimeMs, since });
      // At rest for stableMs by the file's own clock, or by ours: an mtime in
      // the future (`cp -p` from a host whose clock is ahead, a skewed share)
      // would otherwise hold the file back until our clock caught up. Ours
      // also makes stableMs 0 mean "unchanged across two scans": Date.now()
      // is whole ms while mtimeMs has a fraction, so a file written in the
      // current millisecond looks a fraction of a millisecond old.
      const stable =
        unchanged && (now - since >= this.#stableMs || now - info.mtimeMs >= this.#stableMs);
      if (!stable) continue;
      const problem = fileNameProblem(name);
      if (problem !== undefined) {
        if (!this.#rejected.has(name)) {
          this.#rejected.add(name);
          this.#ctx.log.warn('outbox file cannot be sent to a Tentacle server', {
            target: this.target,
            file: name,
            reason: problem,
          });
          this.#ctx.events.emit('tentacle.outbox', {
            target: this.target,
            file: name,
            action: 'rejected',
            detail: problem,
          });
        }
        continue;
      }
      const [item] = await this.#ctx.queue.enqueue({
        kind: 'file',
        targets: [this.target],
        filePath: join(this.dir, name),
        fileName: name,
      });
      if (item === undefined) continue;
      journal.set(name, { itemId: item.id, size: info.size, mtimeMs: info.mtimeMs });
      await this.#save(journal);
      this.#seen.delete(name);
      this.#ctx.log.info('outbox file queued', { target: this.target, file: name, item: item.id });
      this.#ctx.events.emit('tentacle.outbox', {
        target: this.target,
        file: name,
        itemId: item.id,
        action: 'queued',
      });
    }
  }

  async #finish(name: string): Promise<void> {
    const path = join(this.dir, name);
    try {
      if (this.#afterDelivery === 'remove') {
        await unlink(path);
        return;
      }
      const sent = join(this.dir, SENT_DIR);
      await mkdir(sent, { recursive: true });
      let dest = join(sent, name);
      if (
        await stat(dest).then(
          () => true,
          () => false,
        )
      )
        dest = join(sent, `${name}.${Date.now()}`);
      await rename(path, dest);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
  }
}

/** The daemon side: scans every Tentacle target's outbox until `signal` aborts. */
export async function runOutboxes(
  ctx: AgentContext,
  signal: AbortSignal,
  pollMs = OUTBOX_POLL_MS,
  stableMs = OUTBOX_STABLE_MS,
): Promise<void> {
  const outboxes = new Map<string, Outbox>();
  while (!signal.aborted) {
    for (const record of ctx.targets.list()) {
      const config = record.config as Partial<TentacleTargetConfig>;
      if (record.kind !== 'tentacle' || record.paused || config.outbox === undefined) {
        outboxes.delete(record.name);
        continue;
      }
      let outbox = outboxes.get(record.name);
      if (outbox === undefined || outbox.dir !== config.outbox.dir) {
        outbox = new Outbox(
          ctx,
          record.name,
          { dir: config.outbox.dir, afterDelivery: config.outbox.afterDelivery ?? 'move' },
          stableMs,
        );
        outboxes.set(record.name, outbox);
      }
      try {
        await outbox.scan();
      } catch (error) {
        ctx.log.error('outbox scan failed', {
          target: record.name,
          dir: outbox.dir,
          error: toAgentError(error).message,
        });
      }
    }
    // With no outbox to watch only the settings are looked at: a new outbox is picked up within that.
    await pause(outboxes.size > 0 ? pollMs : Math.max(pollMs, OUTBOX_IDLE_MS), signal);
  }
}
