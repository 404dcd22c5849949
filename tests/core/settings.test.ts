import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { defaultDataDir, resolveDataDir } from '../../main/core/paths.ts';
import { openFileBackend } from '../../main/core/settings/file-backend.ts';
import { CURRENT_SETTINGS_VERSION } from '../../main/core/settings/schema.ts';
import { migrateSettings, Settings } from '../../main/core/settings/settings.ts';
import { makeTempDir } from '../peers/util.ts';

describe('data directory', () => {
  it('prefers --data-dir, then OUTPOST_HOME, then the OS default', () => {
    expect(resolveDataDir('/flag', { OUTPOST_HOME: '/env' })).toBe('/flag');
    expect(resolveDataDir(undefined, { OUTPOST_HOME: '/env' })).toBe('/env');
    expect(resolveDataDir(undefined, { HOME: '/home/u' })).toBe(
      defaultDataDir(process.platform, { HOME: '/home/u' }),
    );
  });

  it("matches Electron's userData for an app named Outpost", () => {
    expect(defaultDataDir('linux', {}, '/home/u')).toBe('/home/u/.config/Outpost');
    expect(defaultDataDir('linux', { XDG_CONFIG_HOME: '/x' }, '/home/u')).toBe('/x/Outpost');
    expect(defaultDataDir('darwin', {}, '/Users/u')).toBe(
      '/Users/u/Library/Application Support/Outpost',
    );
    expect(
      defaultDataDir('win32', { APPDATA: 'C:\\Users\\u\\AppData\\Roaming' }, 'C:\\Users\\u'),
    ).toMatch(/AppData.Roaming.Outpost$/);
  });
});

describe('settings.json', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  beforeEach(async () => {
    ({ dir, cleanup } = await makeTempDir('settings'));
  });
  afterEach(() => cleanup());

  it('is created with the current schema version, defaults and mode 0600', async () => {
    const settings = new Settings(openFileBackend(dir));
    const data = settings.read();
    expect(data.schemaVersion).toBe(CURRENT_SETTINGS_VERSION);
    expect(data.agent.language).toBe('en');
    expect((await stat(join(dir, 'settings.json'))).mode & 0o777).toBe(0o600);
  });

  it('migrates an unversioned file (targets under `servers`) on open', async () => {
    await writeFile(
      join(dir, 'settings.json'),
      JSON.stringify({ servers: { m: { name: 'm', kind: 'icinga', createdAt: 'x', config: {} } } }),
    );
    const settings = new Settings(openFileBackend(dir));
    expect(Object.keys(settings.read().targets)).toEqual(['m']);
    const onDisk = JSON.parse(await readFile(join(dir, 'settings.json'), 'utf8')) as Record<
      string,
      unknown
    >;
    expect(onDisk.servers).toBeUndefined();
    expect(onDisk.schemaVersion).toBe(CURRENT_SETTINGS_VERSION);
  });

  it('refuses a file written by a newer Outpost instead of losing its data', () => {
    expect(() => migrateSettings({ schemaVersion: CURRENT_SETTINGS_VERSION + 1 })).toThrow(
      /newer Outpost/,
    );
  });

  it('runs every migration in order', () => {
    const steps = [
      (d: Record<string, unknown>) => ({ ...d, a: 1 }),
      (d: Record<string, unknown>) => ({ ...d, b: (d.a as number) + 1 }),
    ];
    expect(migrateSettings({}, steps)).toEqual({ a: 1, b: 2, schemaVersion: 2 });
    expect(migrateSettings({ schemaVersion: 1, a: 5 }, steps)).toEqual({
      a: 5,
      b: 6,
      schemaVersion: 2,
    });
  });

  it('sees a change written by another process (the CLI beside the tray app)', () => {
    const daemon = new Settings(openFileBackend(dir));
    const cli = new Settings(openFileBackend(dir));
    cli.update((d) => {
      d.agent.language = 'fr';
    });
    expect(daemon.read().agent.language).toBe('fr');
  });

  it('serves repeated reads from one frozen parse, and a write by another process ends it', () => {
    const daemon = new Settings(openFileBackend(dir));
    const cli = new Settings(openFileBackend(dir));
    const first = daemon.read();
    expect(daemon.read()).toBe(first);
    expect(() => {
      (first.agent as { language: string }).language = 'de';
    }).toThrow(TypeError);
    cli.update((d) => {
      d.agent.language = 'fr';
    });
    const after = daemon.read();
    expect(after).not.toBe(first);
    expect(after.agent.language).toBe('fr');
    // Its own writes end it too.
    daemon.update((d) => {
      d.agent.language = 'de';
    });
    expect(daemon.read().agent.language).toBe('de');
  });

  it('names the field of an invalid settings file', async () => {
    await writeFile(
      join(dir, 'settings.json'),
      JSON.stringify({ schemaVersion: 1, agent: { language: 'xx' } }),
    );
    expect(() => new Settings(openFileBackend(dir))).toThrow(/'agent.language'/);
  });

  it("is written in the shell's electron-store (conf) format, and a broken file is named, not replaced", async () => {
    const settings = new Settings(openFileBackend(dir));
    settings.update((d) => {
      d.agent.language = 'de';
    });
    const text = await readFile(join(dir, 'settings.json'), 'utf8');
    // conf's serialize: JSON.stringify(value, undefined, '\t').
    expect(text).toBe(JSON.stringify(settings.read(), undefined, '\t'));
    await writeFile(join(dir, 'settings.json'), '{"agent": {');
    expect(() => new Settings(openFileBackend(dir))).toThrow(
      `${join(dir, 'settings.json')} is not a JSON object`,
    );
    expect(await readFile(join(dir, 'settings.json'), 'utf8')).toBe('{"agent": {');
  });

  it('keeps sections owned by other modules untouched', () => {
    const settings = new Settings(openFileBackend(dir));
    settings.update((d) => {
      (d as Record<string, unknown>).gorgone = { listener: { enabled: false } };
    });
    expect(settings.section('gorgone')).toEqual({ listener: { enabled: false } });
  });
});
