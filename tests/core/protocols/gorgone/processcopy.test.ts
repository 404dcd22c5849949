/**
 * Issue #14: PROCESSCOPY `type: regular` from an authorized central, over real
 * ZMQ sockets to our push-mode listener (the pull node shares the receiver,
 * actions.ts): no write through a symlink in the destination folder, a size
 * cap, and no `.outpost-part` file left by a transfer that never finished.
 */
import { randomBytes } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ProcessCopyPolicy } from '../../../../main/core/protocols/gorgone/actions.ts';
import { generateToken } from '../../../../main/core/protocols/gorgone/codec.ts';
import type { GorgoneController } from '../../../../main/core/protocols/gorgone/controller.ts';
import {
  controllerFor,
  processCopyMessages,
  startTestListener,
  testKey,
  treeOf,
  type Cleanups,
} from './helpers.ts';
import { eventually } from '../../../poll.ts';
import { makeTempDirSync } from '../../../peers/util.ts';

type Key = Awaited<ReturnType<typeof testKey>>;
let agentKey: Key;
let centralKey: Key;
const cleanups: Cleanups = [];

beforeAll(async () => {
  [agentKey, centralKey] = await Promise.all([testKey(), testKey()]);
});
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** A temporary folder with `deploy/` (the configured destination) and `elsewhere/` next to it. */
function folders() {
  const temp = makeTempDirSync('gorgone');
  cleanups.push(temp.cleanup);
  const root = join(temp.dir, 'deploy');
  const elsewhere = join(temp.dir, 'elsewhere');
  mkdirSync(root);
  mkdirSync(elsewhere);
  return { root, elsewhere };
}

async function listenerWith(processcopy: ProcessCopyPolicy) {
  const started = await startTestListener(
    cleanups,
    { agent: agentKey, central: centralKey },
    { processcopy },
  );
  const controller = await controllerFor(cleanups, started.endpoint, {
    agent: agentKey,
    central: centralKey,
  });
  return { ...started, controller };
}

/** Sends the messages gorgone's proxy sends (ACK each), then GETLOG until the token's final row. */
async function push(
  controller: GorgoneController,
  payload: Buffer,
  destination: string,
  messages = processCopyMessages(payload, { type: 'regular', destination }),
) {
  const token = generateToken();
  for (const message of messages) {
    const ack = await controller.session.request('PROCESSCOPY', message, { token });
    expect(ack.json).toEqual({ code: 0, data: null });
  }
  return finalRows(controller, token);
}

function finalRows(controller: GorgoneController, token: string) {
  return eventually(
    async () => {
      const rows = await controller.getlog({ token });
      return rows.some((row) => row.code === 1 || row.code === 2) ? rows : undefined;
    },
    { timeout: 5_000, interval: 25 },
  );
}

function messageOf(row: { data: unknown }): string {
  return (row.data as { message: string }).message;
}

describe('PROCESSCOPY type regular (issue #14)', () => {
  it('never writes through a symlink in the destination folder, at any depth, relative or absolute', async () => {
    const { root, elsewhere } = folders();
    symlinkSync(elsewhere, join(root, 'link'));
    mkdirSync(join(root, 'etc'));
    symlinkSync(elsewhere, join(root, 'etc', 'engine'));
    const { controller } = await listenerWith({ enabled: true, destination: root });
    const payload = Buffer.from('pwned\n');

    for (const [destination, symlink] of [
      ['link/pwned.txt', join(root, 'link')],
      ['etc/engine/deeper/pwned.txt', join(root, 'etc', 'engine')],
      [`${root}/link/absolute.txt`, join(root, 'link')],
    ] as const) {
      const rows = await push(controller, payload, destination);
      expect(rows.map((r) => r.code)).toEqual([1]);
      expect(messageOf(rows[0]!)).toBe(
        `the destination path ${symlink} is a symlink: refusing to write through it`,
      );
    }
    expect(readdirSync(elsewhere)).toEqual([]);
    // The folders on the way are made as before, and the file lands.
    const rows = await push(controller, payload, 'etc/centreon/conf.d/ok.cfg');
    expect(rows.map((r) => r.code)).toEqual([101, 2]);
    expect(readFileSync(join(root, 'etc', 'centreon', 'conf.d', 'ok.cfg'), 'utf8')).toBe('pwned\n');
  });

  it('refuses a file over processcopy.maxFileBytes at the first chunk past it, with one row and nothing left', async () => {
    const { root } = folders();
    const { controller } = await listenerWith({
      enabled: true,
      destination: root,
      maxFileBytes: 700_000,
    });
    const rows = await push(controller, randomBytes(1_200_000), 'big.bin');
    expect(rows.map((r) => r.code)).toEqual([101, 1]);
    expect(messageOf(rows[1]!)).toBe(
      'PROCESSCOPY file big.bin is larger than 700000 bytes → refused (processcopy.maxFileBytes)',
    );
    expect(treeOf(root)).toEqual([]);
    // Under the cap, the same transfer goes through.
    const payload = randomBytes(600_000);
    expect((await push(controller, payload, 'ok.bin')).map((r) => r.code)).toEqual([101, 101, 2]);
    expect(readFileSync(join(root, 'ok.bin')).equals(payload)).toBe(true);
  });

  it('refuses destinations named like its partial files', async () => {
    const { root } = folders();
    const { controller } = await listenerWith({ enabled: true, destination: root });
    for (const destination of [
      'a.cfg.outpost-part',
      '.outpost-copy-1.tar.gz.part',
      'x/.outpost-tmp-1',
    ]) {
      const rows = await push(controller, Buffer.from('x'), destination);
      expect(messageOf(rows.at(-1)!)).toMatch(/uses a name the agent keeps for its partial files/);
    }
    expect(treeOf(root)).toEqual([]);
  });

  it('abandons a transfer that gets no chunk for idleTimeoutSeconds: partial file removed, a code-1 row, its late chunks dropped', async () => {
    const { root } = folders();
    const { controller } = await listenerWith({
      enabled: true,
      destination: root,
      idleTimeoutSeconds: 0.3,
    });
    const payload = randomBytes(700_000);
    const [first, second, end] = processCopyMessages(payload, {
      type: 'regular',
      destination: 'conf/slow.cfg',
    });
    const token = generateToken();
    await controller.session.request('PROCESSCOPY', first, { token });
    const rows = await finalRows(controller, token);
    expect(rows.map((r) => r.code)).toEqual([101, 1]);
    expect(messageOf(rows[1]!)).toBe(
      'PROCESSCOPY to conf/slow.cfg abandoned: no chunk for 0.3 s; the partial file was removed',
    );
    expect(treeOf(root)).toEqual([{ path: 'conf', kind: 'directory', mode: 0o755 }]);
    // The central's late chunks change nothing.
    await controller.session.request('PROCESSCOPY', second, { token });
    await controller.session.request('PROCESSCOPY', end, { token });
    await controller.ping();
    expect((await controller.getlog({ token })).map((r) => r.code)).toEqual([101, 1]);
    expect(treeOf(root)).toEqual([{ path: 'conf', kind: 'directory', mode: 0o755 }]);
  });

  it('removes the partial file of a transfer in progress when the listener stops', async () => {
    const { root } = folders();
    const { controller, listener } = await listenerWith({ enabled: true, destination: root });
    const [first] = processCopyMessages(randomBytes(700_000), {
      type: 'regular',
      destination: 'stopped.cfg',
    });
    await controller.session.request('PROCESSCOPY', first, { token: generateToken() });
    await eventually(() => readdirSync(root).includes('stopped.cfg.outpost-part'), {
      timeout: 5_000,
      interval: 25,
    });
    await listener.close();
    expect(readdirSync(root)).toEqual([]);
  });

  it('at start-up, removes the partial files a killed agent left (not following symlinks), and keeps everything else', async () => {
    const { root, elsewhere } = folders();
    mkdirSync(join(root, 'conf.d'));
    const leftovers = [
      join(root, 'centengine.cfg.outpost-part'),
      join(root, 'conf.d', 'hosts.cfg.outpost-part'),
      join(root, '.outpost-copy-0123456789abcdef.tar.gz.part'),
      join(root, 'conf.d', '.outpost-tmp-0123456789abcdef'),
    ];
    for (const path of leftovers) writeFileSync(path, 'half a file');
    writeFileSync(join(root, 'conf.d', 'hosts.cfg'), 'kept\n');
    writeFileSync(join(elsewhere, 'other.outpost-part'), 'not ours to remove');
    symlinkSync(elsewhere, join(root, 'conf.d', 'link'));

    const { lines } = await listenerWith({ enabled: true, destination: root });
    await eventually(() => leftovers.every((path) => !existsSync(path)), {
      timeout: 5_000,
      interval: 25,
    });
    expect(treeOf(root).map((e) => e.path)).toEqual(['conf.d', 'conf.d/hosts.cfg', 'conf.d/link']);
    expect(readFileSync(join(elsewhere, 'other.outpost-part'), 'utf8')).toBe('not ours to remove');
    const line = lines.find((l) => l.message.includes('removed partial files'))!;
    expect((line.fields as { files: string[] }).files.sort()).toEqual([...leftovers].sort());
  });
});
