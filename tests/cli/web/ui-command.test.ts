import { connect } from 'node:net';
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startOutpostUi, type OutpostUi } from '../../e2e/outpost-ui.ts';
import { makeTempDir } from '../../peers/util.ts';
import { eventually } from '../../poll.ts';
import { get, signIn } from './sign-in.ts';

/** Writes raw bytes and returns what the server answered before closing. */
function raw(port: number, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.end(text));
    let answer = '';
    socket.on('data', (c: Buffer) => (answer += c.toString('latin1')));
    socket.once('close', () => resolve(answer));
    socket.once('error', reject);
  });
}

/**
 * The real `outpost ui` process (issue #14 items 1 and 5), with an xdg-open
 * on PATH that records what it was asked to open.
 */
describe.skipIf(process.platform !== 'linux')('outpost ui, the command', () => {
  let ui: OutpostUi;
  let cleanup: () => Promise<void>;

  beforeAll(async () => {
    const temp = await makeTempDir('ui-command');
    cleanup = temp.cleanup;
    const staticDir = join(temp.dir, 'static');
    await mkdir(staticDir);
    await writeFile(join(staticDir, 'index.html'), '<!doctype html><title>Outpost</title>');
    ui = await startOutpostUi(undefined, { OUTPOST_UI_DIR: staticDir });
  }, 60_000);
  afterAll(async () => {
    await ui?.stop();
    await cleanup?.();
  });

  it('starts the browser on a private launch page: no reusable secret in its arguments', async () => {
    const code = new URL(ui.url).searchParams.get('code')!;
    expect(code).toMatch(/^[\w-]{43}$/);
    expect(ui.openerArgs).toHaveLength(1);
    const page = ui.openerArgs[0]!;
    expect(page).not.toContain(code);
    expect((await stat(page)).mode & 0o777).toBe(0o600);
    expect((await stat(dirname(page))).mode & 0o777).toBe(0o700);
    // The page leads the browser to the printed URL.
    expect(await readFile(page, 'utf8')).toContain(
      `<meta http-equiv="refresh" content="0; url=${ui.url}">`,
    );
  });

  it('keeps serving after a WebSocket upgrade for `GET http://[` (it used to exit with TypeError: Invalid URL)', async () => {
    const answer = await raw(
      ui.port,
      `GET http://[ HTTP/1.1\r\nHost: 127.0.0.1:${ui.port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n`,
    );
    expect(answer).toMatch(/^HTTP\/1\.1 400 /);
    expect(ui.output()).not.toContain('Invalid URL');
    // Still there: the printed URL signs in.
    const cookie = await signIn(ui.url);
    const page = await get(ui.port, '/', { Host: `127.0.0.1:${ui.port}`, Cookie: cookie });
    expect(page.status).toBe(200);
  });

  it('refuses the printed URL once used, and removes the launch page', async () => {
    // The test above signed in with it.
    const { pathname, search } = new URL(ui.url);
    const again = await get(ui.port, `${pathname}${search}`, { Host: `127.0.0.1:${ui.port}` });
    expect(again.status).toBe(410);
    expect(again.body).toContain('This sign-in link was already used');
    // Its whole folder goes: the page is removed first, the folder right after.
    const folder = dirname(ui.openerArgs[0]!);
    await eventually(async () => (await stat(folder).catch(() => undefined)) === undefined, {
      timeout: 10_000,
      interval: 50,
      what: `the launch page's folder ${folder} removed`,
    });
  });
});
