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

/**
 * How this copy was installed, which decides who updates it (issue #15 items
 * 9 and 10): the NSIS installer and the AppImage update themselves; an MSI is
 * updated by deploying the next MSI (GPO, Intune, SCCM), a .deb by the package
 * manager, and a folder that is not an install (`--dir`, a dev run) by no one.
 */
export type PackageType = 'nsis' | 'msi' | 'mac' | 'appimage' | 'deb' | 'unknown';

/** What the build wrote into the packed package.json (electron-builder `extraMetadata.outpostBuild`). */
export interface BuildInfo {
  /** Set by the MSI's own build run (package.json `dist:win`). */
  package?: 'msi';
  /** Whether that platform's build was signed with a real identity (build/hooks/signing.cjs). */
  signed: { win32: boolean; darwin: boolean };
}

/**
 * Linux: the AppImage runtime sets APPIMAGE for the app it runs (electron-updater's
 * AppImageUpdater needs it); anything else packaged on Linux is the .deb.
 */
export function packageTypeFor(
  platform: NodeJS.Platform,
  env: NodeJS.ProcessEnv,
  build: BuildInfo | undefined,
): PackageType {
  if (platform === 'win32') return build?.package === 'msi' ? 'msi' : 'nsis';
  if (platform === 'darwin') return 'mac';
  if (platform === 'linux')
    return env.APPIMAGE !== undefined && env.APPIMAGE !== '' ? 'appimage' : 'deb';
  return 'unknown';
}

/**
 * Whether this kind of install may update itself at all. On macOS
 * electron-updater (Squirrel.Mac) installs an update only into a code-signed
 * app, so an unsigned (ad-hoc) build never tries. The .deb would otherwise get
 * electron-updater's DebUpdater, which installs through pkexec/sudo: Linux
 * updates only AppImages. The MSI would otherwise fetch the NSIS installer and
 * add a per-user copy next to the per-machine one.
 */
export function updateChannelFor(
  platform: NodeJS.Platform,
  packageType: PackageType,
  signed: boolean,
): UpdateDecision {
  if (packageType === 'msi')
    return {
      check: false,
      reason:
        'installed from the MSI: updates come from the MSI channel (deploy the next MSI with GPO, Intune or SCCM)',
    };
  if (packageType === 'deb')
    return {
      check: false,
      reason: 'installed from the .deb: updates come from the package manager (apt)',
    };
  if (platform === 'darwin' && !signed)
    return {
      check: false,
      reason: 'this macOS build is not signed with a Developer ID: macOS updates need a signed app',
    };
  if (packageType === 'unknown')
    return { check: false, reason: `no automatic updates on ${platform}` };
  return { check: true, reason: `${packageType} updates itself` };
}

export function updateDecision(input: {
  isPackaged: boolean;
  platform: NodeJS.Platform;
  packageType: PackageType;
  /** The build's own signing state (BuildInfo); Windows is also judged by the feed's publisherName. */
  signed: boolean;
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
  const channel = updateChannelFor(input.platform, input.packageType, input.signed);
  if (!channel.check) return channel;
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
 * The `outpostBuild` entry of the packed package.json, or undefined when it
 * is missing or malformed (an unpackaged run, an older build).
 */
export function parseBuildInfo(packageJson: string): BuildInfo | undefined {
  let data: unknown;
  try {
    data = JSON.parse(packageJson);
  } catch {
    return undefined;
  }
  if (typeof data !== 'object' || data === null || !Object.hasOwn(data, 'outpostBuild'))
    return undefined;
  const build = (data as { outpostBuild: unknown }).outpostBuild;
  if (typeof build !== 'object' || build === null) return undefined;
  const { signed, package: pkg } = build as { signed?: unknown; package?: unknown };
  const flags = (typeof signed === 'object' && signed !== null ? signed : {}) as Record<
    string,
    unknown
  >;
  return {
    ...(pkg === 'msi' ? { package: 'msi' as const } : {}),
    signed: { win32: flags.win32 === true, darwin: flags.darwin === true },
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
