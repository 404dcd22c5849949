/**
 * Whether the desktop app may look for and install updates (issue #9). Pure,
 * so it is tested without Electron; main/shell/updater.ts applies it.
 *
 * Updates must be verifiable: on Windows electron-updater checks the
 * installer's Authenticode signature against `publisherName` in
 * app-update.yml and SKIPS the check when that is absent (an unsigned build),
 * so an unsigned Windows build never auto-updates. macOS's Squirrel.Mac checks
 * the update's code signature against the running app's. AppImage updates are
 * checked against the SHA-512 in the feed, fetched over HTTPS.
 */

/** app-update.yml, which electron-builder writes next to app.asar from `publish`. */
export interface UpdateFeed {
  provider: string;
  url?: string;
  publisherName?: string[];
}

export interface UpdateDecision {
  check: boolean;
  reason: string;
}

export function updateDecision(input: {
  isPackaged: boolean;
  platform: NodeJS.Platform;
  /** settings.json agent.autoUpdate (enterprises that deploy their own updates turn it off). */
  settingEnabled: boolean;
  feed: UpdateFeed | undefined;
}): UpdateDecision {
  if (!input.isPackaged) return { check: false, reason: 'not a packaged build' };
  if (!input.settingEnabled)
    return {
      check: false,
      reason: 'automatic updates are turned off (settings: agent.autoUpdate)',
    };
  const feed = input.feed;
  if (feed === undefined)
    return { check: false, reason: 'this build has no update feed (app-update.yml)' };
  if (feed.provider === 'generic' && !(feed.url ?? '').startsWith('https://')) {
    return { check: false, reason: `the update feed must be HTTPS, got '${feed.url ?? ''}'` };
  }
  if (input.platform === 'win32' && (feed.publisherName ?? []).length === 0) {
    return {
      check: false,
      reason: 'this Windows build is unsigned, so an update signature could not be checked',
    };
  }
  return {
    check: true,
    reason: `checking ${feed.provider} feed${feed.url === undefined ? '' : ` ${feed.url}`}`,
  };
}

/**
 * Reads the flat YAML electron-builder writes for app-update.yml
 * (`key: value` lines, `publisherName` as a `- item` list).
 */
export function parseUpdateFeed(text: string): UpdateFeed | undefined {
  const values: Record<string, string> = {};
  const lists: Record<string, string[]> = {};
  let listKey: string | undefined;
  for (const line of text.split(/\r?\n/)) {
    const item = /^\s+-\s+(.*)$/.exec(line);
    if (item !== null && listKey !== undefined) {
      (lists[listKey] ??= []).push(unquote(item[1]!));
      continue;
    }
    const pair = /^([A-Za-z][\w-]*):\s*(.*)$/.exec(line);
    if (pair === null) continue;
    listKey = pair[2] === '' ? pair[1] : undefined;
    if (pair[2] !== '') values[pair[1]!] = unquote(pair[2]!);
  }
  if (values.provider === undefined) return undefined;
  const feed: UpdateFeed = { provider: values.provider };
  if (values.url !== undefined) feed.url = values.url;
  const publishers =
    lists.publisherName ??
    (values.publisherName === undefined ? undefined : [values.publisherName]);
  if (publishers !== undefined) feed.publisherName = publishers;
  return feed;
}

function unquote(value: string): string {
  const v = value.trim();
  return /^(['"]).*\1$/.test(v) ? v.slice(1, -1) : v;
}
