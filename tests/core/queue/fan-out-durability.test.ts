/**
 * A file queued for several targets is spooled once and hard-linked once per
 * further target. A link is a directory entry: it survives a power cut only
 * once the directory is fsynced, and that must happen before the commit that
 * acknowledges the items. Every directory fsync is recorded here with what
 * the directory held at that moment.
 */
import { readdirSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { afterEach, beforeEach, expect, it, vi } from 'vitest';
import { Agent } from '../../../main/core/agent.ts';
import { QueueStore, type NewItem } from '../../../main/core/queue/store.ts';
import { makeTempDir } from '../../peers/util.ts';
import { ackModule } from './ack-driver.ts';

type Event = { op: 'fsync'; dir: string; entries: string[] } | { op: 'commit'; files: string[] };
const events: Event[] = [];

vi.mock('../../../main/core/fsutil.ts', async (importOriginal) => {
  const original = await importOriginal<typeof import('../../../main/core/fsutil.ts')>();
  return {
    ...original,
    syncDir: async (dir: string) => {
      events.push({ op: 'fsync', dir, entries: readdirSync(dir) });
      await original.syncDir(dir);
    },
  };
});

let dir: string;
let cleanup: () => Promise<void>;
let agent: Agent;

beforeEach(async () => {
  ({ dir, cleanup } = await makeTempDir('fan-out'));
  agent = await Agent.open({ dataDir: dir, logToFile: false, modules: [ackModule({ window: 1 })] });
  for (const name of ['a', 'b', 'c']) agent.context.targets.save(name, 'ack', { port: 1 });
  const insert = QueueStore.prototype.insert;
  vi.spyOn(QueueStore.prototype, 'insert').mockImplementation(function (
    this: QueueStore,
    items: readonly NewItem[],
  ) {
    events.push({
      op: 'commit',
      files: items.flatMap((i) =>
        i.payload.kind === 'file' ? [basename(i.payload.file.path)] : [],
      ),
    });
    insert.call(this, items);
  });
  events.length = 0;
});

afterEach(async () => {
  vi.restoreAllMocks();
  await agent.close();
  await cleanup();
});

it('fsyncs the spool directory after the fan-out hard links and before the commit that acknowledges them', async () => {
  const source = join(dir, 'report.data');
  await writeFile(source, 'x'.repeat(10_000));
  const { items } = await agent.api.enqueueFile({ targets: ['a', 'b', 'c'], path: source });
  expect(items).toHaveLength(3);

  const commit = events.findIndex((e) => e.op === 'commit');
  const committed = (events[commit] as { files: string[] }).files;
  expect(committed).toHaveLength(3);
  const spoolSyncs = events
    .slice(0, commit)
    .filter(
      (e): e is Extract<Event, { op: 'fsync' }> =>
        e.op === 'fsync' && e.dir === agent.context.paths.spoolDir,
    );
  // The last spool fsync before the commit saw every item's file in place.
  expect(spoolSyncs.at(-1)?.entries.sort()).toEqual([...committed].sort());
});
