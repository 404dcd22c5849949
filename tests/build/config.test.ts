import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { inflateSync } from 'node:zlib';
import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import { SEED_PARAMETERS } from '../../main/core/deploy/seed.ts';
import {
  appIconPng,
  ICNS_TYPES,
  TRAY_STATES,
  trayPng,
  trayTemplatePng,
} from '../../build/icons/generate.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const BUILD = join(ROOT, 'build');
const require = createRequire(import.meta.url);

/** The part of `sax` (already installed with electron-updater) used to check the WiX fragment is well-formed XML. */
interface SaxParser {
  onopentag: (node: { name: string; attributes: Record<string, string> }) => void;
  write(xml: string): { close(): void };
}
const sax = require('sax') as { parser(strict: boolean, options: object): SaxParser };

/** Loads build/electron-builder.config.cjs afresh under `env` (it reads credentials from the environment). */
function loadConfig(env: Record<string, string>): Record<string, unknown> {
  const saved = { ...process.env };
  const configPath = require.resolve(join(BUILD, 'electron-builder.config.cjs'));
  const signingPath = require.resolve(join(BUILD, 'hooks', 'signing.cjs'));
  for (const key of Object.keys(process.env)) {
    if (
      /^(AZURE_|APPLE_|CSC_|WIN_CSC_|WIN_PUBLISHER|OUTPOST_UPDATE_URL|GITHUB_REPOSITORY)/.test(key)
    )
      delete process.env[key];
  }
  Object.assign(process.env, env);
  try {
    delete require.cache[configPath];
    delete require.cache[signingPath];
    return require(configPath) as Record<string, unknown>;
  } finally {
    for (const key of Object.keys(process.env)) if (!(key in saved)) delete process.env[key];
    Object.assign(process.env, saved);
  }
}

const ENVIRONMENTS: Record<string, Record<string, string>> = {
  'no credentials': {},
  'Azure Trusted Signing + Developer ID + notarization + GitHub feed': {
    AZURE_TENANT_ID: 't',
    AZURE_CLIENT_ID: 'c',
    AZURE_CLIENT_SECRET: 's',
    AZURE_SIGNING_ENDPOINT: 'https://weu.codesigning.azure.net',
    AZURE_SIGNING_ACCOUNT: 'outpost',
    AZURE_SIGNING_PROFILE: 'public',
    WIN_PUBLISHER_NAME: 'Outpost Contributors',
    CSC_LINK: '/tmp/devid.p12',
    CSC_KEY_PASSWORD: 'x',
    APPLE_API_KEY: '/tmp/AuthKey.p8',
    APPLE_API_KEY_ID: 'ABC123',
    APPLE_API_ISSUER: '00000000-0000-0000-0000-000000000000',
    GITHUB_REPOSITORY: 'outpost/outpost',
  },
  'PFX + generic feed': {
    WIN_CSC_LINK: '/tmp/code.pfx',
    WIN_CSC_KEY_PASSWORD: 'x',
    OUTPOST_UPDATE_URL: 'https://updates.example.org/outpost',
  },
};

describe('electron-builder configuration', () => {
  for (const [name, env] of Object.entries(ENVIRONMENTS)) {
    it(`validates against app-builder-lib/scheme.json with ${name}`, async () => {
      const schema = JSON.parse(
        await readFile(join(ROOT, 'node_modules', 'app-builder-lib', 'scheme.json'), 'utf8'),
      ) as object;
      const ajv = new Ajv({ strict: false, allErrors: true });
      const validate = ajv.compile(schema);
      const config = loadConfig(env);
      const ok = validate(config);
      expect(ajv.errorsText(validate.errors, { separator: '\n' })).toBe('No errors');
      expect(ok).toBe(true);
    });
  }

  it('is checked by the validator: a wrong key or type fails', async () => {
    const schema = JSON.parse(
      await readFile(join(ROOT, 'node_modules', 'app-builder-lib', 'scheme.json'), 'utf8'),
    ) as object;
    const validate = new Ajv({ strict: false }).compile(schema);
    const config = loadConfig({});
    expect(validate({ ...config, npmRebuild: 'no' })).toBe(false);
    expect(validate({ ...config, win: { ...(config.win as object), signExtz: ['.node'] } })).toBe(
      false,
    );
  });

  it('signs only with credentials, and says so', () => {
    const bare = loadConfig({});
    expect((bare.mac as Record<string, unknown>).identity).toBeNull();
    expect((bare.mac as Record<string, unknown>).notarize).toBe(false);
    expect((bare.win as Record<string, unknown>).azureSignOptions).toBeUndefined();
    expect(bare.publish).toBeNull();
    const full = loadConfig(
      ENVIRONMENTS['Azure Trusted Signing + Developer ID + notarization + GitHub feed']!,
    );
    expect((full.mac as Record<string, unknown>).notarize).toBe(true);
    expect((full.mac as Record<string, unknown>).identity).toBeUndefined();
    expect((full.win as Record<string, unknown>).azureSignOptions).toMatchObject({
      codeSigningAccountName: 'outpost',
      publisherName: 'Outpost Contributors',
    });
    expect(full.publish).toEqual([
      { provider: 'github', owner: 'outpost', repo: 'outpost', releaseType: 'release' },
    ]);

    const { describeSigning } = require(join(BUILD, 'hooks', 'signing.cjs')) as {
      describeSigning(p: string, env: object): string;
    };
    expect(describeSigning('win32', {})).toMatch(/UNSIGNED/);
    expect(describeSigning('darwin', {})).toMatch(/UNSIGNED/);
    expect(describeSigning('darwin', { CSC_NAME: 'Developer ID Application: X' })).toMatch(
      /NOT NOTARIZED/,
    );
    expect(describeSigning('win32', { WIN_CSC_LINK: 'x' })).toMatch(/PFX/);
  });

  it('has the targets, native-module rules and security settings the issue asks for', () => {
    const c = loadConfig({}) as Record<string, Record<string, unknown>> & Record<string, unknown>;
    expect(c.npmRebuild).toBe(false);
    expect(c.asarUnpack).toEqual(['**/*.node']);
    expect((c.win as Record<string, unknown>).signExts).toContain('.node');
    expect((c.win as { target: Array<{ target: string; arch: string[] }> }).target).toEqual([
      { target: 'nsis', arch: ['x64', 'arm64'] },
      { target: 'msi', arch: ['x64', 'arm64'] },
    ]);
    expect((c.mac as { target: Array<{ target: string }> }).target.map((t) => t.target)).toEqual([
      'dmg',
      'pkg',
      'zip',
    ]);
    expect((c.mac as Record<string, unknown>).hardenedRuntime).toBe(true);
    expect((c.linux as { target: Array<{ target: string }> }).target.map((t) => t.target)).toEqual([
      'AppImage',
      'deb',
    ]);
    expect(c.nsis).toMatchObject({
      oneClick: false,
      perMachine: false,
      allowElevation: true,
      include: 'build/installer.nsh',
    });
    expect(c.electronFuses).toMatchObject({
      runAsNode: false,
      onlyLoadAppFromAsar: true,
      enableNodeOptionsEnvironmentVariable: false,
    });
  });
});

describe('silent-install parameters', () => {
  const names = Object.keys(SEED_PARAMETERS).sort();

  it('the NSIS include writes every seed parameter, and only those', async () => {
    const nsh = await readFile(join(BUILD, 'installer.nsh'), 'utf8');
    const written = [...nsh.matchAll(/^\s*!insertmacro outpostSeedParameter (\w+)$/gm)]
      .map((m) => m[1])
      .sort();
    expect(written).toEqual(names);
  });

  it('the MSI hook declares every seed parameter as a property and writes it to seed.ini, as well-formed WiX', async () => {
    const hook = require(join(BUILD, 'hooks', 'msi-project.cjs')) as {
      PARAMETERS: string[];
      default(path: string): Promise<void>;
    };
    expect([...hook.PARAMETERS].sort()).toEqual(names);
    const { mkdtemp, writeFile, rm } = await import('node:fs/promises');
    const { tmpdir } = await import('node:os');
    const dir = await mkdtemp(join(tmpdir(), 'outpost-msi-'));
    try {
      const project = join(dir, 'project.wxs');
      await writeFile(
        project,
        '<?xml version="1.0"?><Wix xmlns="http://wixtoolset.org/schemas/v4/wxs"><Product Id="*"><Directory Id="TARGETDIR" Name="SourceDir"/></Product></Wix>',
      );
      await hook.default(project);
      const wxs = await readFile(project, 'utf8');
      const elements: Array<{ name: string; attributes: Record<string, string> }> = [];
      const parser = sax.parser(true, {});
      parser.onopentag = (node) => elements.push({ name: node.name, attributes: node.attributes });
      parser.write(wxs).close();
      const properties = elements.filter((e) => e.name === 'Property');
      expect(properties.map((p) => p.attributes.Id).sort()).toEqual(names);
      expect(
        properties
          .filter((p) => p.attributes.Hidden === 'yes')
          .map((p) => p.attributes.Id)
          .sort(),
      ).toEqual(['ICINGA_TICKET', 'TENTACLE_PASSWORD']);
      const ini = elements.filter((e) => e.name === 'IniFile');
      expect(
        ini.map((e) => [
          e.attributes.Name,
          e.attributes.Section,
          e.attributes.Key,
          e.attributes.Value,
        ]),
      ).toEqual(hook.PARAMETERS.map((p) => ['seed.ini', 'seed', p, `[${p}]`]));
      const guids = elements.filter((e) => e.name === 'Component').map((e) => e.attributes.Guid);
      expect(new Set(guids).size).toBe(names.length);
      for (const guid of guids)
        expect(guid).toMatch(
          /^\{[0-9A-F]{8}-[0-9A-F]{4}-5[0-9A-F]{3}-A[0-9A-F]{3}-[0-9A-F]{12}\}$/,
        );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('release workflow', () => {
  interface Step {
    run?: string;
    env?: Record<string, string>;
  }
  interface Job {
    'runs-on': string;
    steps: Step[];
    needs?: string[];
  }
  const yaml = require('js-yaml') as { load(text: string): unknown };

  it('builds on hosted Windows, macOS and Linux runners with the dist scripts, then publishes on a tag', async () => {
    const workflow = yaml.load(
      await readFile(join(ROOT, '.github', 'workflows', 'release.yml'), 'utf8'),
    ) as {
      on: { push: { tags: string[] } };
      jobs: Record<string, Job>;
    };
    expect(workflow.on.push.tags).toEqual(['v*.*.*']);
    const runners = {
      windows: ['windows-latest', 'dist:win'],
      macos: ['macos-latest', 'dist:mac'],
      linux: ['ubuntu-latest', 'dist:linux'],
    };
    const scripts = (
      JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as {
        scripts: Record<string, string>;
      }
    ).scripts;
    for (const [job, [runner, script]] of Object.entries(runners)) {
      const spec = workflow.jobs[job]!;
      expect(spec['runs-on']).toBe(runner);
      const runs = spec.steps.map((s) => s.run ?? '').join('\n');
      expect(runs).toContain('npm ci');
      expect(runs).toContain(`npm run ${script!} -- --publish never`);
      expect(scripts[script!]).toContain(
        'electron-builder --config build/electron-builder.config.cjs',
      );
      // The runners download Electron: nothing may skip it there.
      expect(JSON.stringify(spec)).not.toContain('ELECTRON_SKIP_BINARY_DOWNLOAD');
    }
    expect(workflow.jobs.publish!.needs).toEqual(['windows', 'macos', 'linux']);
  });

  it('passes every signing variable build/hooks/signing.cjs reads', async () => {
    const workflow = await readFile(join(ROOT, '.github', 'workflows', 'release.yml'), 'utf8');
    const signing = await readFile(join(BUILD, 'hooks', 'signing.cjs'), 'utf8');
    const read = new Set(
      [...signing.matchAll(/'((?:AZURE|APPLE|CSC|WIN_CSC)_[A-Z_]+)'/g)].map((m) => m[1]!),
    );
    expect(read.size).toBeGreaterThan(8);
    for (const name of read) {
      if (name === 'CSC_NAME') continue; // a keychain identity: not used on hosted runners
      expect(workflow, name).toMatch(new RegExp(`\\b${name}\\b`));
    }
  });
});

/** Width and height of a PNG, after checking its signature and that its image data inflates to the right size. */
function pngSize(png: Buffer): [number, number] {
  expect(png.subarray(0, 8).toString('hex')).toBe('89504e470d0a1a0a');
  const width = png.readUInt32BE(16);
  const height = png.readUInt32BE(20);
  const idat: Buffer[] = [];
  for (let at = 8; at < png.length;) {
    const length = png.readUInt32BE(at);
    if (png.toString('latin1', at + 4, at + 8) === 'IDAT')
      idat.push(png.subarray(at + 8, at + 8 + length));
    at += length + 12;
  }
  expect(inflateSync(Buffer.concat(idat)).length).toBe(height * (width * 4 + 1));
  return [width, height];
}

describe('icons', () => {
  it('the committed PNGs are what build/icons/generate.ts draws', async () => {
    expect((await readFile(join(BUILD, 'icons', 'png', '16x16.png'))).equals(appIconPng(16))).toBe(
      true,
    );
    expect((await readFile(join(BUILD, 'icons', 'png', '64x64.png'))).equals(appIconPng(64))).toBe(
      true,
    );
    for (const state of TRAY_STATES) {
      expect((await readFile(join(BUILD, `tray-${state}.png`))).equals(trayPng(state, 16))).toBe(
        true,
      );
      expect((await readFile(join(BUILD, `tray-${state}@2x.png`))).equals(trayPng(state, 32))).toBe(
        true,
      );
      expect(
        (await readFile(join(BUILD, `tray-${state}Template.png`))).equals(
          trayTemplatePng(state, 16),
        ),
      ).toBe(true);
      expect(
        (await readFile(join(BUILD, `tray-${state}Template@2x.png`))).equals(
          trayTemplatePng(state, 32),
        ),
      ).toBe(true);
    }
  });

  it('provides the names main/shell/tray-state.ts loads, template images on macOS', async () => {
    const { TRAY_ICON_FILES, trayIconFile } = await import('../../main/shell/tray-state.ts');
    for (const state of Object.keys(TRAY_ICON_FILES) as Array<keyof typeof TRAY_ICON_FILES>) {
      for (const platform of ['win32', 'darwin', 'linux'] as const) {
        const file = trayIconFile(state, platform);
        expect(file.endsWith('Template.png')).toBe(platform === 'darwin');
        expect(pngSize(await readFile(join(BUILD, file)))).toEqual([16, 16]);
        expect(pngSize(await readFile(join(BUILD, file.replace('.png', '@2x.png'))))).toEqual([
          32, 32,
        ]);
      }
    }
  });

  it('has a 1024 px app icon, a Linux set, an ICO and an ICNS that hold valid PNGs of the sizes they declare', async () => {
    expect(pngSize(await readFile(join(BUILD, 'icons', 'icon.png')))).toEqual([1024, 1024]);
    expect(pngSize(await readFile(join(BUILD, 'icons', 'png', '512x512.png')))).toEqual([512, 512]);

    const ico = await readFile(join(BUILD, 'icons', 'icon.ico'));
    expect(ico.readUInt16LE(2)).toBe(1);
    const count = ico.readUInt16LE(4);
    const sizes: number[] = [];
    for (let i = 0; i < count; i++) {
      const entry = 6 + 16 * i;
      const declared = ico[entry] === 0 ? 256 : ico[entry]!;
      const png = ico.subarray(
        ico.readUInt32LE(entry + 12),
        ico.readUInt32LE(entry + 12) + ico.readUInt32LE(entry + 8),
      );
      expect(pngSize(png)).toEqual([declared, declared]);
      sizes.push(declared);
    }
    expect(sizes).toEqual([16, 24, 32, 48, 64, 128, 256]);

    const icns = await readFile(join(BUILD, 'icons', 'icon.icns'));
    expect(icns.toString('latin1', 0, 4)).toBe('icns');
    expect(icns.readUInt32BE(4)).toBe(icns.length);
    const found: Array<[string, number]> = [];
    for (let at = 8; at < icns.length;) {
      const type = icns.toString('latin1', at, at + 4);
      const length = icns.readUInt32BE(at + 4);
      found.push([type, pngSize(icns.subarray(at + 8, at + length))[0]]);
      at += length;
    }
    expect(found).toEqual(ICNS_TYPES);
  });
});
