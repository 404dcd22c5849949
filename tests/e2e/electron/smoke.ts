import { expect, type Page } from '@playwright/test';
import { readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { TentacleServer } from '../../peers/tentacle-server.ts';
import { makeTempDir } from '../../peers/util.ts';

/**
 * The desktop smoke of issue #15, shared by the unpackaged run (desktop.spec.ts,
 * `_electron`) and the packaged app (packaged.spec.ts): the window shows the
 * Overview from app://outpost/, a file queued through the window reaches the
 * reference Tentacle server, a refused one posts a notification, and the tray
 * is up. What the main process did is read from its log (`main.log` in the
 * data folder): the packaged app's fuses keep tests out of its main process.
 */
export const SMOKE_TARGET = 'pandora-smoke';
const SMALL = 'delivered by the desktop smoke\n';
/** Over the server's size limit: refused for good, so the queue item fails and notifies. */
const MAX_SIZE = 4096;

export async function expectOverviewFromAppScheme(page: Page): Promise<void> {
  await expect(page.getByRole('navigation', { name: 'Main' })).toBeVisible({ timeout: 60_000 });
  expect(page.url()).toMatch(/^app:\/\/outpost\/index\.html(#.*)?$/);
}

export async function expectDeliveryAndNotification(page: Page, dataDir: string): Promise<void> {
  const temp = await makeTempDir('smoke-files');
  const server = await TentacleServer.start({ dir: join(temp.dir, 'incoming'), maxSize: MAX_SIZE });
  try {
    const small = join(temp.dir, 'smoke.txt');
    const big = join(temp.dir, 'too-big.bin');
    await writeFile(small, SMALL);
    await writeFile(big, Buffer.alloc(MAX_SIZE * 4, 1));
    await page.evaluate(
      async ({ target, port, files }) => {
        const api = (
          window as unknown as {
            outpost: {
              addTentacleTarget(r: object): Promise<unknown>;
              enqueueFile(r: object): Promise<unknown>;
            };
          }
        ).outpost;
        await api.addTentacleTarget({ name: target, connection: { host: '127.0.0.1', port } });
        for (const path of files) await api.enqueueFile({ targets: [target], path });
      },
      { target: SMOKE_TARGET, port: server.port, files: [small, big] },
    );
    await expect
      .poll(async () => readIfThere(join(temp.dir, 'incoming', 'smoke.txt')), { timeout: 60_000 })
      .toBe(SMALL);
    await expect
      .poll(async () => mainLog(dataDir), { timeout: 60_000 })
      .toMatch(new RegExp(`notification.*Delivery to ${SMOKE_TARGET} failed`));
  } finally {
    await server.stop();
    await temp.cleanup();
  }
}

export async function expectTrayUp(dataDir: string): Promise<void> {
  await expect.poll(async () => mainLog(dataDir), { timeout: 30_000 }).toContain('tray ready');
}

async function readIfThere(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch {
    return undefined;
  }
}

/** The shell's log (main/shell/logging.ts), wherever electron-log rotated it. */
export async function mainLog(dataDir: string): Promise<string> {
  const dir = join(dataDir, 'logs');
  let names: string[];
  try {
    names = (await readdir(dir)).filter((n) => n.startsWith('main'));
  } catch {
    return '';
  }
  const parts = await Promise.all(names.map((n) => readFile(join(dir, n), 'utf8')));
  return parts.join('\n');
}
