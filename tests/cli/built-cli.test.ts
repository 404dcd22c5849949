import { spawn } from 'node:child_process';
import { cp, mkdir, readdir, readFile, symlink, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pkg from '../../package.json' with { type: 'json' };
import { helpText } from '../../main/cli/index.ts';
import { describeCommands } from '../../main/cli/commands/manifest.ts';
import { CURRENT_SETTINGS_VERSION } from '../../main/core/settings/schema.ts';
import { captureOutput, makeTempDir, startProcess, stopProcess } from '../peers/util.ts';
import { TentacleServer } from '../peers/tentacle-server.ts';
import { thumbprintVectors } from '../vectors.ts';
import { ROOT } from './built-cli.ts';
import { CLI } from './run-cli.ts';

/**
 * Issue #17: the `outpost` command as the build emits it runs without any
 * TypeScript source, and a command loads only what it uses.
 */
const RECORDER = join(import.meta.dirname, 'record-modules.ts');

interface Run {
  code: number;
  stdout: string;
  stderr: string;
  /** Modules the process loaded: URLs, and the source files bundled in the chunks among them. */
  urls: string[];
  sources: string[];
}

async function runBin(bin: string, args: string[], dataDir: string): Promise<Run> {
  const record = join(dataDir, `modules-${Date.now()}-${Math.random()}.txt`);
  const child = spawn(
    process.execPath,
    ['--import', RECORDER, bin, ...args, '--data-dir', dataDir],
    {
      env: { ...process.env, OUTPOST_RECORD_MODULES: record },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  const code = await new Promise<number>((resolve) => child.once('close', (c) => resolve(c ?? -1)));
  return { code, stdout, stderr, ...(await loaded(record, dirname(bin))) };
}

/** Reads what record-modules.ts wrote; a chunk's sources are its `// <path>` region comments. */
async function loaded(
  record: string,
  binDir: string,
): Promise<{ urls: string[]; sources: string[] }> {
  const urls = (await readFile(record, 'utf8')).split('\n').filter((u) => u !== '');
  const sources: string[] = [];
  for (const url of urls) {
    if (!url.startsWith('file:')) continue;
    const path = fileURLToPath(url);
    if (!path.startsWith(binDir)) continue;
    for (const m of (await readFile(path, 'utf8')).matchAll(/^\/\/ (\S+\.(?:[cm]?[jt]s|json))$/gm))
      sources.push(m[1]!);
  }
  return { urls, sources };
}

/** Nothing of the agent: no core, no contract schemas, no protocol, no command group's code. */
const AGENT_CODE =
  /main\/core\/agent\.ts|main\/core\/contract\/index\.ts|node_modules\/zod\/|main\/core\/protocols\/|main\/cli\/commands\/(?!index\.ts|manifest\.ts)/;
/** The code of the modules a Tentacle-only command must not load, and their heavy dependencies. */
const OTHER_PROTOCOLS =
  /main\/core\/protocols\/(gorgone|icinga|onsphere)\/index\.ts|main\/core\/checks\/module\.ts|node_modules\/(zeromq|amqplib|node-forge|prom-client|systeminformation)\//;

describe('the built CLI (issue #17)', () => {
  let temp: { dir: string; cleanup(): Promise<void> };
  let copy: string;
  let bin: string;
  let server: TentacleServer;
  let data: string;

  beforeAll(async () => {
    temp = await makeTempDir('built-cli');
    // A copy of the project with no source: the bundle, package.json and the dependencies.
    copy = join(temp.dir, 'project');
    await cp(dirname(CLI), join(copy, 'out', 'cli'), { recursive: true });
    await cp(join(ROOT, 'package.json'), join(copy, 'package.json'));
    await symlink(join(ROOT, 'node_modules'), join(copy, 'node_modules'));
    bin = join(copy, 'out', 'cli', 'outpost.js');
    server = await TentacleServer.start({ dir: join(temp.dir, 'incoming') });
    // Targets of other kinds are paired: a Tentacle command must still load Tentacle only.
    data = join(temp.dir, 'data');
    await mkdir(data, { recursive: true });
    const target = (name: string, kind: string, config: object) => ({
      name,
      kind,
      createdAt: new Date(0).toISOString(),
      config,
    });
    await writeFile(
      join(data, 'settings.json'),
      JSON.stringify({
        schemaVersion: CURRENT_SETTINGS_VERSION,
        targets: {
          pandora: target('pandora', 'tentacle', { host: '127.0.0.1', port: server.port }),
          master: target('master', 'icinga', { host: '127.0.0.1', port: 1 }),
          central: target('central', 'gorgone', { host: '127.0.0.1', port: 1 }),
        },
      }),
    );
  });
  afterAll(async () => {
    await server?.stop();
    await temp?.cleanup();
  });

  it('holds no TypeScript source', async () => {
    const files = await readdir(join(copy, 'out'), { recursive: true });
    expect(files.length).toBeGreaterThan(3);
    expect(files.filter((f) => /\.[cm]?tsx?$/.test(f))).toEqual([]);
  });

  it('--version and --help run from the copy and load nothing of the agent', async () => {
    const version = await runBin(bin, ['--version'], data);
    expect(version).toMatchObject({ code: 0, stdout: `outpost ${pkg.version}\n` });
    const help = await runBin(bin, ['--help'], data);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('outpost tentacle send');
    for (const run of [version, help]) {
      expect(run.sources.length).toBeGreaterThan(0);
      expect(run.sources.filter((s) => AGENT_CODE.test(s))).toEqual([]);
    }
  });

  it('shows the same help for every command as the sources do (the manifest is the commands)', async () => {
    const commands = await describeCommands();
    expect(commands.length).toBeGreaterThan(20);
    for (const command of commands) {
      const run = await runBin(bin, [...command.path, '--help'], data);
      expect(run.code, command.path.join(' ')).toBe(0);
      expect(run.stdout, command.path.join(' ')).toBe(helpText(command.path));
      expect(run.sources.filter((s) => AGENT_CODE.test(s))).toEqual([]);
    }
  });

  it('identity thumbprint runs from the copy', async () => {
    const vector = thumbprintVectors()[0]!;
    const pem = join(temp.dir, 'key.pem');
    await writeFile(pem, vector.pem);
    const run = await runBin(bin, ['identity', 'thumbprint', '--key-path', pem], data);
    expect(run).toMatchObject({ code: 0, stdout: `${vector.thumbprint}\n` });
  });

  it('tentacle send delivers from the copy, loading Tentacle and no other protocol', async () => {
    const file = join(temp.dir, 'ten-bytes.dat');
    await writeFile(file, '0123456789');
    const run = await runBin(
      bin,
      ['tentacle', 'send', file, '-a', '127.0.0.1', '-p', String(server.port)],
      data,
    );
    expect(run.code, run.stderr).toBe(0);
    expect(await readFile(join(temp.dir, 'incoming', 'ten-bytes.dat'), 'utf8')).toBe('0123456789');
    expect(run.sources).toContain('main/core/protocols/tentacle/index.ts');
    expect(run.sources.filter((s) => OTHER_PROTOCOLS.test(s))).toEqual([]);
    expect(run.urls.filter((u) => OTHER_PROTOCOLS.test(u))).toEqual([]);
    // A plain send needs no TLS, no HTTP and no child process: each costs every start milliseconds.
    expect(run.urls.filter((u) => /^node:(tls|https?|child_process)$/.test(u))).toEqual([]);
  });

  it('outpost run with Tentacle targets only loads Tentacle, never ZeroMQ, AMQP or the checks engine', async () => {
    const only = join(temp.dir, 'tentacle-only');
    await mkdir(only);
    const settings = JSON.parse(await readFile(join(data, 'settings.json'), 'utf8')) as {
      targets: Record<string, unknown>;
    };
    await writeFile(
      join(only, 'settings.json'),
      JSON.stringify({ ...settings, targets: { pandora: settings.targets.pandora } }),
    );
    const record = join(only, 'modules.txt');
    const daemon = startProcess(
      process.execPath,
      ['--import', RECORDER, bin, 'run', '--data-dir', only],
      {
        env: { ...process.env, OUTPOST_RECORD_MODULES: record },
      },
    );
    const output = captureOutput(daemon);
    try {
      await expect.poll(output, { timeout: 30_000 }).toMatch(/running on/);
      // The modules in use load as the daemon starts, right after that line.
      await new Promise((resolve) => setTimeout(resolve, 1_500));
    } finally {
      await stopProcess(daemon);
    }
    const { urls, sources } = await loaded(record, dirname(bin));
    expect(sources, output()).toContain('main/core/protocols/tentacle/index.ts');
    expect(sources.filter((s) => OTHER_PROTOCOLS.test(s))).toEqual([]);
    expect(urls.filter((u) => OTHER_PROTOCOLS.test(u))).toEqual([]);
  });
});
