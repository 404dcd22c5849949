import { describe, expect, it } from 'vitest';
import {
  parseUpdateFeed,
  updateDecision,
  type UpdateFeed,
} from '../../main/shell/update-policy.ts';

const signedGithub: UpdateFeed = { provider: 'github', publisherName: ['Outpost Contributors'] };

describe('automatic update policy', () => {
  it('checks a packaged, signed build with the setting on', () => {
    for (const platform of ['win32', 'darwin', 'linux'] as const) {
      expect(
        updateDecision({ isPackaged: true, platform, settingEnabled: true, feed: signedGithub })
          .check,
      ).toBe(true);
    }
  });

  it('never checks when the setting is off, in development, or without a feed', () => {
    expect(
      updateDecision({
        isPackaged: true,
        platform: 'win32',
        settingEnabled: false,
        feed: signedGithub,
      }),
    ).toEqual({
      check: false,
      reason: 'automatic updates are turned off (settings: agent.autoUpdate)',
    });
    expect(
      updateDecision({
        isPackaged: false,
        platform: 'linux',
        settingEnabled: true,
        feed: signedGithub,
      }).reason,
    ).toBe('not a packaged build');
    expect(
      updateDecision({ isPackaged: true, platform: 'linux', settingEnabled: true, feed: undefined })
        .reason,
    ).toMatch(/no update feed/);
  });

  it('refuses a plain-HTTP feed and an unsigned Windows build', () => {
    expect(
      updateDecision({
        isPackaged: true,
        platform: 'darwin',
        settingEnabled: true,
        feed: { provider: 'generic', url: 'http://x/outpost' },
      }).check,
    ).toBe(false);
    expect(
      updateDecision({
        isPackaged: true,
        platform: 'win32',
        settingEnabled: true,
        feed: { provider: 'github' },
      }).check,
    ).toBe(false);
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
