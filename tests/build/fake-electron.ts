import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * Stand-ins for Electron's runtime, which cannot be downloaded here, so that
 * electron-builder's real packer runs offline (`-c.electronDist=DIR`). The
 * binary that carries the fuses holds a real fuse wire (the sentinel
 * @electron/fuses looks for, wire version 1, eight fuses in Electron's default
 * state), which shows that the configured fuses get flipped.
 */
export const FUSE_SENTINEL = 'dL7pKGdnNz796PbbjQWNKmHXBZaB9tsX';
export const FUSE_ORDER = [
  'RunAsNode',
  'EnableCookieEncryption',
  'EnableNodeOptionsEnvironmentVariable',
  'EnableNodeCliInspectArguments',
  'EnableEmbeddedAsarIntegrityValidation',
  'OnlyLoadAppFromAsar',
  'LoadBrowserProcessSpecificV8Snapshot',
  'GrantFileProtocolExtraPrivileges',
];
const ELECTRON_DEFAULT_WIRE = '10110001';

function withFuseWire(prefix: string): Buffer {
  return Buffer.concat([
    Buffer.from(prefix),
    Buffer.from(FUSE_SENTINEL, 'latin1'),
    Buffer.from([1, FUSE_ORDER.length]),
    Buffer.from(ELECTRON_DEFAULT_WIRE, 'latin1'),
    Buffer.from('\n'),
  ]);
}

export function readFuses(binary: Buffer): Record<string, boolean> {
  const at = binary.indexOf(FUSE_SENTINEL, 0, 'latin1') + FUSE_SENTINEL.length;
  const wire = binary.subarray(at + 2, at + 2 + binary[at + 1]!).toString('latin1');
  return Object.fromEntries(FUSE_ORDER.map((name, i) => [name, wire[i] === '1']));
}

async function electronVersion(root: string): Promise<string> {
  return (
    JSON.parse(await readFile(join(root, 'node_modules', 'electron', 'package.json'), 'utf8')) as {
      version: string;
    }
  ).version;
}

async function executable(path: string, content: Buffer | string): Promise<void> {
  await writeFile(path, content);
  await chmod(path, 0o755);
}

/** Linux and Windows layout: the executable, resources/, locales/, version, licences. */
export async function fakeElectronDist(
  dir: string,
  root: string,
  platform: 'linux' | 'win32',
): Promise<void> {
  await mkdir(join(dir, 'resources'), { recursive: true });
  await mkdir(join(dir, 'locales'), { recursive: true });
  const name = platform === 'win32' ? 'electron.exe' : 'electron';
  await executable(
    join(dir, name),
    withFuseWire('#!/bin/sh\necho "stand-in for the Electron runtime"\nexit 0\n# '),
  );
  await writeFile(join(dir, 'version'), await electronVersion(root));
  await writeFile(join(dir, 'LICENSE'), 'Electron license stand-in\n');
  await writeFile(join(dir, 'LICENSES.chromium.html'), '<html></html>\n');
  await writeFile(join(dir, 'locales', 'en-US.pak'), '');
}

function infoPlist(executableName: string, identifier: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<plist version="1.0"><dict>
<key>CFBundleExecutable</key><string>${executableName}</string>
<key>CFBundleIdentifier</key><string>${identifier}</string>
<key>CFBundleName</key><string>${executableName}</string>
</dict></plist>
`;
}

/** macOS layout: Electron.app with its Info.plist, a helper app and the framework binary that holds the fuses. */
export async function fakeElectronMacDist(dir: string, root: string): Promise<void> {
  const contents = join(dir, 'Electron.app', 'Contents');
  const helper = join(contents, 'Frameworks', 'Electron Helper.app', 'Contents');
  const framework = join(contents, 'Frameworks', 'Electron Framework.framework');
  for (const d of [
    join(contents, 'MacOS'),
    join(contents, 'Resources'),
    join(helper, 'MacOS'),
    framework,
  ])
    await mkdir(d, { recursive: true });
  await writeFile(join(contents, 'Info.plist'), infoPlist('Electron', 'com.github.Electron'));
  await writeFile(
    join(helper, 'Info.plist'),
    infoPlist('Electron Helper', 'com.github.Electron.helper'),
  );
  await executable(join(contents, 'MacOS', 'Electron'), '#!/bin/sh\n');
  await executable(join(helper, 'MacOS', 'Electron Helper'), '#!/bin/sh\n');
  await writeFile(join(framework, 'Electron Framework'), withFuseWire('framework stand-in # '));
  await writeFile(join(dir, 'version'), await electronVersion(root));
}
