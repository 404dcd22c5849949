import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, readlink, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { inflateSync } from 'node:zlib';
import { Ajv } from 'ajv';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AGENT_MODULES } from '../../main/core/agent.ts';
import {
  secretSeedParameters,
  seedParameters,
  seedSectionsOf,
} from '../../main/core/deploy/seed.ts';
import { APP_USER_MODEL_ID } from '../../main/shell/desktop-notifier.ts';
import {
  APP_SCHEME,
  APP_SCHEME_PRIVILEGES,
  rendererUrlFor,
} from '../../main/shell/renderer-url.ts';
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
  ontext: (text: string) => void;
  write(xml: string): { close(): void };
}
const sax = require('sax') as { parser(strict: boolean, options: object): SaxParser };

const CONFIG_FILES = [
  'electron-builder.config.cjs',
  'electron-builder.msi.cjs',
  'electron-builder.deb.cjs',
] as const;

/** Loads a build/electron-builder*.cjs afresh under `env` (it reads credentials from the environment). */
function loadConfig(
  env: Record<string, string>,
  file: (typeof CONFIG_FILES)[number] = 'electron-builder.config.cjs',
): Record<string, unknown> {
  const saved = { ...process.env };
  const configPath = require.resolve(join(BUILD, file));
  const cached = [...CONFIG_FILES.map((f) => join(BUILD, f)), join(BUILD, 'hooks', 'signing.cjs')];
  for (const key of Object.keys(process.env)) {
    if (
      /^(AZURE_|APPLE_|CSC_|WIN_CSC_|WIN_PUBLISHER|OUTPOST_UPDATE_URL|GITHUB_REPOSITORY)/.test(key)
    )
      delete process.env[key];
  }
  Object.assign(process.env, env);
  try {
    for (const path of cached) delete require.cache[require.resolve(path)];
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
    it(`validates against app-builder-lib/scheme.json with ${name} (main, MSI and deb configurations)`, async () => {
      const schema = JSON.parse(
        await readFile(join(ROOT, 'node_modules', 'app-builder-lib', 'scheme.json'), 'utf8'),
      ) as object;
      const ajv = new Ajv({ strict: false, allErrors: true });
      const validate = ajv.compile(schema);
      for (const file of CONFIG_FILES) {
        const ok = validate(loadConfig(env, file));
        expect(ajv.errorsText(validate.errors, { separator: '\n' }), file).toBe('No errors');
        expect(ok).toBe(true);
      }
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
    // Ad-hoc, never unsigned: flipped fuses invalidate Electron's own signature (issue #15 item 2).
    expect((bare.mac as Record<string, unknown>).identity).toBe('-');
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
    expect(c.asarUnpack).toEqual([
      '**/*.node',
      // What the outpost command reads from disk (issue #17).
      'out/cli/**',
      'node_modules/{zeromq,cmake-ts,node-forge}/**',
    ]);
    expect(c.extraResources).toEqual(
      expect.arrayContaining([
        { from: 'out/bin/${os}-${arch}', to: 'bin' },
        { from: 'out/renderer', to: 'ui' },
      ]),
    );
    expect((c.win as Record<string, unknown>).signExts).toContain('.node');
    expect((c.win as { target: Array<{ target: string; arch: string[] }> }).target).toEqual([
      { target: 'nsis', arch: ['x64', 'arm64'] },
    ]);
    expect((c.mac as { target: Array<{ target: string }> }).target.map((t) => t.target)).toEqual([
      'dmg',
      'pkg',
      'zip',
    ]);
    expect((c.mac as Record<string, unknown>).hardenedRuntime).toBe(true);
    expect((c.linux as { target: Array<{ target: string }> }).target.map((t) => t.target)).toEqual([
      'AppImage',
    ]);
    const deb = loadConfig({}, 'electron-builder.deb.cjs').linux as {
      target: Array<{ target: string }>;
    };
    expect(deb.target.map((t) => t.target)).toEqual(['deb']);
    const msi = loadConfig({}, 'electron-builder.msi.cjs').win as {
      target: Array<{ target: string }>;
    };
    expect(msi.target.map((t) => t.target)).toEqual(['msi']);
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

describe('what the app needs at run time (issue #15)', () => {
  it('never loads its page from file:// while the grantFileProtocolExtraPrivileges fuse is off (item 1)', () => {
    const fuses = loadConfig({}).electronFuses as Record<string, boolean>;
    expect(fuses.grantFileProtocolExtraPrivileges).toBe(false);
    // With the fuse off a file:// page can neither load its module script nor read app.asar.
    const page = new URL(rendererUrlFor(true, { ELECTRON_RENDERER_URL: 'http://localhost:5173/' }));
    expect(page.protocol).not.toBe('file:');
    expect(page.protocol).toBe(`${APP_SCHEME}:`);
    expect(APP_SCHEME_PRIVILEGES).toMatchObject({ standard: true, secure: true });
  });

  it('targets macOS 13+ and signs ad hoc without a Developer ID, with the entitlement ad hoc needs (items 2, 3)', async () => {
    for (const env of Object.values(ENVIRONMENTS)) {
      expect((loadConfig(env).mac as Record<string, unknown>).minimumSystemVersion).toBe('13.0');
    }
    const entitlements = await readFile(join(BUILD, 'entitlements.mac.plist'), 'utf8');
    expect(entitlements).toMatch(
      /<key>com\.apple\.security\.cs\.disable-library-validation<\/key>\s*<true\/>/,
    );
  });

  it("uses the installers' AppUserModelID as appId, the one the shell sets on Windows (item 5)", async () => {
    expect(loadConfig({}).appId).toBe(APP_USER_MODEL_ID);
    const index = await readFile(join(ROOT, 'main', 'shell', 'index.ts'), 'utf8');
    expect(index).toMatch(
      /if \(process\.platform === 'win32'\) app\.setAppUserModelId\(APP_USER_MODEL_ID\);/,
    );
  });

  it('refuses Azure Trusted Signing without the publisher name the schema requires (item 13)', () => {
    const azure = {
      ...ENVIRONMENTS['Azure Trusted Signing + Developer ID + notarization + GitHub feed']!,
    };
    delete azure.WIN_PUBLISHER_NAME;
    expect(() => loadConfig(azure)).toThrow(/WIN_PUBLISHER_NAME/);
  });

  it('writes the signing state into the packed package.json for the updater (item 6)', () => {
    expect((loadConfig({}).extraMetadata as Record<string, unknown>).outpostBuild).toEqual({
      signed: { win32: false, darwin: false },
    });
    expect(
      (
        loadConfig(
          ENVIRONMENTS['Azure Trusted Signing + Developer ID + notarization + GitHub feed']!,
        ).extraMetadata as Record<string, unknown>
      ).outpostBuild,
    ).toEqual({ signed: { win32: true, darwin: true } });
  });

  it("gives the .deb no update feed, in electron-builder's own reading of the configuration (item 9)", async () => {
    const env = { OUTPOST_UPDATE_URL: 'https://updates.example.org/outpost' };
    const { getAppUpdatePublishConfiguration } = require(
      join(ROOT, 'node_modules', 'app-builder-lib', 'out', 'publish', 'PublishManager.js'),
    ) as {
      getAppUpdatePublishConfiguration(
        packager: object,
        targetOptions: object | null,
        arch: number,
        errorIfCannot: boolean,
      ): Promise<unknown>;
    };
    const deb = loadConfig(env, 'electron-builder.deb.cjs');
    // What electron-builder's FpmTarget asks before writing app-update.yml and package-type.
    expect(
      await getAppUpdatePublishConfiguration(
        { config: deb, platformSpecificBuildOptions: deb.linux },
        deb.deb as object,
        1,
        false,
      ),
    ).toBe(null);
    // The AppImage's configuration keeps the feed.
    expect(loadConfig(env).publish).toEqual([{ provider: 'generic', url: env.OUTPOST_UPDATE_URL }]);
    const scripts = (
      JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as {
        scripts: Record<string, string>;
      }
    ).scripts;
    expect(scripts['dist:linux']).toContain('--config build/electron-builder.deb.cjs --linux');
    expect(scripts['dist:appimage']).toContain(
      '--config build/electron-builder.config.cjs --linux',
    );
  });

  it('builds the MSI with its own configuration: marked as an MSI, no update feed (item 10)', async () => {
    const msi = loadConfig(
      ENVIRONMENTS['Azure Trusted Signing + Developer ID + notarization + GitHub feed']!,
      'electron-builder.msi.cjs',
    );
    expect((msi.win as Record<string, unknown>).publish).toBeNull();
    expect((msi.extraMetadata as Record<string, unknown>).outpostBuild).toEqual({
      package: 'msi',
      signed: { win32: true, darwin: true },
    });
    const scripts = (
      JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as {
        scripts: Record<string, string>;
      }
    ).scripts;
    expect(scripts['dist:msi']).toContain('--config build/electron-builder.msi.cjs --win');
    expect(scripts['dist:win']).toContain('--config build/electron-builder.config.cjs --win');
  });
});

describe('silent-install parameters', () => {
  // Declared by the modules of the composition root (protocols/<name>/seed.ts).
  const sections = seedSectionsOf(AGENT_MODULES);
  const names = [...seedParameters(sections).keys()].sort();

  it('build/README.md documents every seed parameter, and only those', async () => {
    const readme = await readFile(join(BUILD, 'README.md'), 'utf8');
    const table = readme.slice(
      readme.indexOf('| parameter '),
      readme.indexOf('Paths must be absolute'),
    );
    const documented = [...table.matchAll(/`([A-Z][A-Z0-9_]+)`/g)].map((m) => m[1]);
    expect([...new Set(documented)].sort()).toEqual(names);
  });

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
      const properties = elements.filter(
        (e) => e.name === 'Property' && e.attributes.Id !== 'ADD_TO_PATH',
      );
      expect(properties.map((p) => p.attributes.Id).sort()).toEqual(names);
      expect(
        properties
          .filter((p) => p.attributes.Hidden === 'yes')
          .map((p) => p.attributes.Id)
          .sort(),
      ).toEqual([...secretSeedParameters(sections)].sort());
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
      // One component per parameter, and the PATH entry's (issue #17).
      expect(new Set(guids).size).toBe(names.length + 1);
      for (const guid of guids)
        expect(guid).toMatch(
          /^\{[0-9A-F]{8}-[0-9A-F]{4}-5[0-9A-F]{3}-A[0-9A-F]{3}-[0-9A-F]{12}\}$/,
        );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('the outpost command on PATH (issue #17)', () => {
  it('the MSI appends resources\\bin to the machine PATH, removed with the product, unless ADD_TO_PATH=0', async () => {
    const hook = require(join(BUILD, 'hooks', 'msi-project.cjs')) as { pathFragment(): string };
    const elements: Array<{ name: string; attributes: Record<string, string> }> = [];
    const texts: string[] = [];
    const parser = sax.parser(true, {});
    parser.onopentag = (node) => elements.push({ name: node.name, attributes: node.attributes });
    parser.ontext = (text) => texts.push(text.trim());
    parser.write(`<Fragment>${hook.pathFragment()}</Fragment>`).close();
    expect(elements.find((e) => e.name === 'Property')?.attributes).toMatchObject({
      Id: 'ADD_TO_PATH',
      Value: '1',
      Secure: 'yes',
    });
    expect(texts).toContain('ADD_TO_PATH = "1"');
    expect(elements.find((e) => e.name === 'Environment')?.attributes).toMatchObject({
      Name: 'PATH',
      Value: '[APPLICATIONFOLDER]resources\\bin',
      Action: 'set',
      Part: 'last',
      Permanent: 'no',
      System: 'yes',
    });
  });

  it('NSIS puts resources\\bin on PATH unless /NOPATH (kept for updates), and uninstalling removes it', async () => {
    const nsh = await readFile(join(BUILD, 'installer.nsh'), 'utf8');
    const install = /!macro customInstall\n([\s\S]*?)!macroend/.exec(nsh)![1]!;
    const uninstall = /!macro customUnInstall\n([\s\S]*?)!macroend/.exec(nsh)![1]!;
    expect(install).toContain('${GetOptions} $R0 "/NOPATH" $R1');
    expect(install).toMatch(/WriteRegDWORD SHCTX "Software\\Outpost" "NoPath" 1/);
    expect(install).toContain('!insertmacro outpostPath add');
    expect(uninstall).toMatch(/\$\{ifNot\} \$\{isUpdated\}[\s\S]*!insertmacro outpostPath remove/);
    expect(nsh).toContain('OUTPOST_PATH_DIR", t "$INSTDIR\\resources\\bin"');
  });
});

describe('the outpost command on PATH, Linux and macOS (issue #17)', () => {
  const APP = "'/opt/${sanitizedProductName}/${executable}'";
  const CLI = "'/opt/${sanitizedProductName}/resources/bin/outpost'";

  it("the .deb's /usr/bin/outpost is the command: electron-builder's maintainer scripts with that link changed", async () => {
    const deb = loadConfig({}, 'electron-builder.deb.cjs').deb as Record<string, string>;
    expect(deb).toMatchObject({
      afterInstall: 'build/linux/after-install.tpl',
      afterRemove: 'build/linux/after-remove.tpl',
    });
    const templates = join(ROOT, 'node_modules', 'app-builder-lib', 'templates', 'linux');
    for (const name of ['after-install.tpl', 'after-remove.tpl']) {
      const theirs = await readFile(join(templates, name), 'utf8');
      const ours = await readFile(join(BUILD, 'linux', name), 'utf8');
      expect(theirs, `${name}: electron-builder's link to the app`).toContain(APP);
      expect(ours, name).toBe(theirs.replaceAll(APP, CLI));
    }
  });

  describe('the PKG postinstall', () => {
    const script = join(BUILD, 'pkg-scripts', 'postinstall');
    let dir: string;
    beforeEach(async () => {
      dir = await mkdtemp(join(tmpdir(), 'outpost-pkg-'));
    });
    afterEach(() => rm(dir, { recursive: true, force: true }));
    const postinstall = (volume: string) =>
      promisify(execFile)('/bin/sh', [script, '/tmp/Outpost.pkg', '/Applications', volume]);
    const CLI_PATH = '/Applications/Outpost.app/Contents/Resources/bin/outpost';

    it('links /usr/local/bin/outpost to the command in the app, again at each install', async () => {
      await postinstall(dir);
      expect(await readlink(join(dir, 'usr', 'local', 'bin', 'outpost'))).toBe(CLI_PATH);
      await postinstall(`${dir}/`);
      expect(await readlink(join(dir, 'usr', 'local', 'bin', 'outpost'))).toBe(CLI_PATH);
    });

    it('links nothing when "Library/Application Support/Outpost/no-path" exists', async () => {
      await mkdir(join(dir, 'Library', 'Application Support', 'Outpost'), { recursive: true });
      await writeFile(join(dir, 'Library', 'Application Support', 'Outpost', 'no-path'), '');
      expect((await postinstall(dir)).stdout).toContain('not created (no-path)');
      await expect(readlink(join(dir, 'usr', 'local', 'bin', 'outpost'))).rejects.toThrow(/ENOENT/);
    });

    it("never replaces an outpost that is not Outpost.app's", async () => {
      await mkdir(join(dir, 'usr', 'local', 'bin'), { recursive: true });
      await writeFile(join(dir, 'usr', 'local', 'bin', 'outpost'), '#!/bin/sh\n');
      expect((await postinstall(dir)).stdout).toContain('is not ours: left alone');
      expect(await readFile(join(dir, 'usr', 'local', 'bin', 'outpost'), 'utf8')).toBe(
        '#!/bin/sh\n',
      );
    });
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
      windows: ['windows-latest', ['dist:win', 'dist:msi']],
      macos: ['macos-latest', ['dist:mac']],
      linux: ['ubuntu-latest', ['dist:linux', 'dist:appimage']],
    } as const;
    const scripts = (
      JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as {
        scripts: Record<string, string>;
      }
    ).scripts;
    for (const [job, [runner, dist]] of Object.entries(runners)) {
      const spec = workflow.jobs[job]!;
      expect(spec['runs-on']).toBe(runner);
      const runs = spec.steps.map((s) => s.run ?? '').join('\n');
      expect(runs).toContain('npm ci');
      for (const script of dist) {
        expect(runs).toContain(`npm run ${script} -- --publish never`);
        expect(scripts[script]).toMatch(
          /electron-builder --config build\/electron-builder\.\w+\.cjs/,
        );
      }
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
