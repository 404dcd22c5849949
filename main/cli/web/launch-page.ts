import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface LaunchPage {
  /** What the browser is started with: a file path, no secret. */
  path: string;
  remove(): Promise<void>;
}

function escapeHtml(text: string): string {
  return text.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!,
  );
}

/**
 * How `outpost ui` hands its sign-in URL to the browser (issue #14 item 5).
 * A browser is started as `xdg-open ARG` / `open ARG` / `cmd /c start "" ARG`,
 * and every local user can read a process's arguments while it starts: a URL
 * there could be used by someone else before our browser gets to it. So the
 * argument is the path of a page only this user can read (0600 in a fresh
 * 0700 folder) that sends the browser on to the URL. Browsers confined to
 * their own /tmp (snap, flatpak) cannot open it; the URL printed on the
 * terminal is the way in then. The page is removed once the code is used, and
 * when `outpost ui` stops.
 */
export async function writeLaunchPage(url: string): Promise<LaunchPage> {
  const dir = await mkdtemp(join(tmpdir(), 'outpost-ui-'));
  const path = join(dir, 'open-outpost.html');
  const href = escapeHtml(url);
  await writeFile(
    path,
    `<!doctype html><meta charset="utf-8"><meta name="referrer" content="no-referrer"><meta http-equiv="refresh" content="0; url=${href}"><title>Outpost</title><p><a href="${href}">Open Outpost</a></p>\n`,
    { mode: 0o600, flag: 'wx' },
  );
  return { path, remove: () => rm(dir, { recursive: true, force: true }) };
}
