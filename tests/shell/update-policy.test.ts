import { describe, expect, it } from 'vitest';
import {
  packageTypeFor,
  parseBuildInfo,
  parseUpdateFeed,
  updateChannelFor,
  updateDecision,
  type PackageType,
  type UpdateFeed,
} from '../../main/shell/update-policy.ts';

const signedGithub: UpdateFeed = { provider: 'github', publisherName: ['Outpost Contributors'] };
const base = { isPackaged: true, settingEnabled: true, signed: true, feed: signedGithub };
const installs: Array<[NodeJS.Platform, PackageType]> = [
  ['win32', 'nsis'],
  ['darwin', 'mac'],
  ['linux', 'appimage'],
];

describe('automatic update policy', () => {
  it('checks a packaged, signed NSIS, macOS or AppImage install with the setting on', () => {
    for (const [platform, packageType] of installs)
      expect(updateDecision({ ...base, platform, packageType }).check, platform).toBe(true);
  });

  it('never checks when the setting is off, in development, or without a feed', () => {
    expect(
      updateDecision({ ...base, platform: 'win32', packageType: 'nsis', settingEnabled: false }),
    ).toEqual({
      check: false,
      reason: 'automatic updates are turned off (settings: agent.autoUpdate)',
    });
    expect(
      updateDecision({ ...base, isPackaged: false, platform: 'linux', packageType: 'appimage' })
        .reason,
    ).toBe('not a packaged build');
    expect(
      updateDecision({ ...base, platform: 'linux', packageType: 'appimage', feed: undefined })
        .reason,
    ).toMatch(/no update feed/);
  });

  it('refuses a plain-HTTP feed and an unsigned Windows build', () => {
    expect(
      updateDecision({
        ...base,
        platform: 'darwin',
        packageType: 'mac',
        feed: { provider: 'generic', url: 'http://x/outpost' },
      }).check,
    ).toBe(false);
    expect(
      updateDecision({
        ...base,
        platform: 'win32',
        packageType: 'nsis',
        feed: { provider: 'github' },
      }).check,
    ).toBe(false);
  });

  it('the .deb never updates itself, even with a feed (issue #15 item 9: DebUpdater would use pkexec/sudo)', () => {
    expect(updateDecision({ ...base, platform: 'linux', packageType: 'deb' })).toEqual({
      check: false,
      reason: 'installed from the .deb: updates come from the package manager (apt)',
    });
  });

  it('an MSI install is updated from the MSI channel, never through NSIS (item 10)', () => {
    const decision = updateDecision({ ...base, platform: 'win32', packageType: 'msi' });
    expect(decision.check).toBe(false);
    expect(decision.reason).toMatch(/MSI channel/);
  });

  it('an unsigned macOS build does not look for updates (item 6: Squirrel.Mac needs a signed app)', () => {
    const decision = updateDecision({
      ...base,
      platform: 'darwin',
      packageType: 'mac',
      signed: false,
    });
    expect(decision.check).toBe(false);
    expect(decision.reason).toMatch(/not signed/);
    expect(updateChannelFor('darwin', 'mac', true).check).toBe(true);
  });

  it('tells the install from the environment and the build info', () => {
    expect(packageTypeFor('linux', { APPIMAGE: '/home/u/Outpost.AppImage' }, undefined)).toBe(
      'appimage',
    );
    expect(packageTypeFor('linux', {}, undefined)).toBe('deb');
    expect(packageTypeFor('linux', { APPIMAGE: '' }, undefined)).toBe('deb');
    expect(
      packageTypeFor('win32', {}, { package: 'msi', signed: { win32: true, darwin: false } }),
    ).toBe('msi');
    expect(packageTypeFor('win32', {}, undefined)).toBe('nsis');
    expect(packageTypeFor('darwin', {}, undefined)).toBe('mac');
    expect(packageTypeFor('freebsd', {}, undefined)).toBe('unknown');
  });

  it('reads the build info electron-builder writes into the packed package.json', () => {
    expect(
      parseBuildInfo(
        JSON.stringify({
          name: 'outpost',
          outpostBuild: { package: 'msi', signed: { win32: true, darwin: false } },
        }),
      ),
    ).toEqual({ package: 'msi', signed: { win32: true, darwin: false } });
    expect(parseBuildInfo('{"outpostBuild":{"signed":{"darwin":"yes"}}}')).toEqual({
      signed: { win32: false, darwin: false },
    });
    expect(parseBuildInfo('{"name":"outpost"}')).toBeUndefined();
    expect(parseBuildInfo('{"outpostBuild":null}')).toBeUndefined();
    expect(parseBuildInfo('not json')).toBeUndefined();
  });

  it('reads app-update.yml as electron-builder writes it', () => {
    expect(
      parseUpdateFeed(
        'owner: outpost\nrepo: outpost\nprovider: github\nreleaseType: release\npublisherName:\n  - Outpost Contributors\n  - "Outpost, Inc."\nupdaterCacheDirName: outpost-updater\n',
      ),
    ).toEqual({
      provider: 'github',
      publisherName: ['Outpost Contributors', 'Outpost, Inc.'],
    });
    expect(parseUpdateFeed("provider: generic\nurl: 'https://u.example/outpost'\n")).toEqual({
      provider: 'generic',
      url: 'https://u.example/outpost',
    });
    expect(parseUpdateFeed('')).toBeUndefined();
  });
});
