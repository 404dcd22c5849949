import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pkg from '../../package.json' with { type: 'json' };
import { makeTempDir } from '../peers/util.ts';
import { thumbprintVectors } from '../vectors.ts';
import { attachDashValues } from '../../main/cli/index.ts';
import { computeTicket } from '../../main/core/protocols/icinga/ticket.ts';
import { runCli } from './run-cli.ts';

let dir: string;
let cleanup: () => Promise<void>;
beforeAll(async () => {
  ({ dir, cleanup } = await makeTempDir('cli'));
});
afterAll(() => cleanup());

describe('outpost CLI basics', () => {
  it('prints its version with --version and -V', async () => {
    const result = await runCli(['--version']);
    expect(result).toMatchObject({ code: 0, stdout: `outpost ${pkg.version}\n` });
    const json = await runCli(['-V', '--json']);
    expect(JSON.parse(json.stdout)).toEqual({ version: pkg.version });
  });

  it('exits 2 with usage on no command, an unknown command or an unknown flag', async () => {
    expect((await runCli([])).code).toBe(2);
    const unknown = await runCli(['frobnicate']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("unknown command 'frobnicate'");
    const badFlag = await runCli(['identity', 'thumbprint', '--bogus', '--data-dir', dir]);
    expect(badFlag.code).toBe(2);
    expect(badFlag.stderr).toMatch(/bogus/);
  });

  it('shows help for a command with exit 0', async () => {
    const result = await runCli(['identity', 'thumbprint', '--help']);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('--key-path');
  });
});

describe('option values that start with a dash', () => {
  const options = {
    cn: { type: 'string' },
    salt: { type: 'string', short: 's' },
    json: { type: 'boolean' },
    verbose: { type: 'boolean', short: 'v' },
    all: { type: 'boolean', short: 'a' },
  } as const;

  // A JWK thumbprint (base64url) starts with '-' once in 64 keys: parseArgs alone calls
  // `--trust-thumbprint -abc…` ambiguous, which failed a Gorgone CLI test in CI.
  it('are taken as values unless they are one of the command options', () => {
    expect(
      attachDashValues(['--cn', '-Xy_9', '-s', '-1', 'pos', '--salt', '--json'], options),
    ).toEqual(['--cn=-Xy_9', '-s-1', 'pos', '--salt', '--json']);
    // Object.prototype's members are not options: '--toString' is a value like any other.
    expect(attachDashValues(['--cn', '--toString', '--salt', '--constructor'], options)).toEqual([
      '--cn=--toString',
      '--salt=--constructor',
    ]);
    expect(attachDashValues(['--cn', '-v', '--json', '--', '--cn', '-z'], options)).toEqual([
      '--cn',
      '-v',
      '--json',
      '--',
      '--cn',
      '-z',
    ]);
  });

  it('as positionals, move after a "--" unless they are the command\'s short flags', () => {
    // A thumbprint that starts with '-' failed a Gorgone CLI test in CI (`authorized add -Xy…`).
    expect(attachDashValues(['first', '-Xy_9', '--json', 'third'], options)).toEqual([
      '--json',
      '--',
      'first',
      '-Xy_9',
      'third',
    ]);
    // Half of all thumbprints hold a '-' further in, too.
    expect(attachDashValues(['-Q-x_-', '--json'], options)).toEqual(['--json', '--', '-Q-x_-']);
    expect(attachDashValues(['--cn', 'v', '-Ab', '-va', '-sX', '--', '-z'], options)).toEqual([
      '--cn',
      'v',
      '-va',
      '-sX',
      '--',
      '-Ab',
      '-z',
    ]);
    // Without one, the order is untouched, and an unknown option stays one (parseArgs names it).
    expect(attachDashValues(['a', '-va', '--nope', 'b', '-'], options)).toEqual([
      'a',
      '-va',
      '--nope',
      'b',
      '-',
    ]);
  });

  it('reach the command: icinga ticket with a CN and a salt that start with a dash', async () => {
    const res = await runCli([
      'icinga',
      'ticket',
      '--cn',
      '-dash.test',
      '--salt',
      '-s4lt',
      '--json',
    ]);
    expect(res.code, res.stderr).toBe(0);
    expect(JSON.parse(res.stdout)).toMatchObject({
      ticket: await computeTicket('-dash.test', '-s4lt'),
    });
  });
});

describe('outpost identity', () => {
  for (const vector of thumbprintVectors()) {
    it(`thumbprint --key-path prints the real Gorgone thumbprint for ${vector.name}`, async () => {
      const keyPath = join(dir, `${vector.name.replace(/\W+/g, '_')}.pem`);
      await writeFile(keyPath, `${vector.pem}\n`);
      const result = await runCli([
        'identity',
        'thumbprint',
        '--key-path',
        keyPath,
        '--data-dir',
        dir,
      ]);
      expect(result.stderr).toBe('');
      expect(result.stdout.trim()).toBe(vector.thumbprint);
    });
  }

  it('generates the agent key on first use and shows the same thumbprint in identity show', async () => {
    const home = join(dir, 'home1');
    const thumb = await runCli(['identity', 'thumbprint', '--json'], { OUTPOST_HOME: home });
    expect(thumb.code).toBe(0);
    const { thumbprint } = JSON.parse(thumb.stdout) as { thumbprint: string };
    expect(thumbprint).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const show = await runCli(['identity', 'show', '--data-dir', home, '--json']);
    const identity = JSON.parse(show.stdout) as {
      agentKey: { thumbprint: string; bits: number; privateKeyPath: string };
    };
    expect(identity.agentKey.thumbprint).toBe(thumbprint);
    expect(identity.agentKey.bits).toBe(4096);
    expect(await readFile(identity.agentKey.privateKeyPath, 'utf8')).toContain('PRIVATE KEY');
    const human = await runCli(['identity', 'show', '--data-dir', home]);
    expect(human.stdout).toContain(thumbprint);
    expect(human.stdout).toContain('NOT encrypted');
  });

  it('reports a missing key file as a failure naming the path, in JSON when asked', async () => {
    const result = await runCli([
      'identity',
      'thumbprint',
      '--key-path',
      join(dir, 'absent.pem'),
      '--data-dir',
      dir,
      '--json',
    ]);
    expect(result.code).toBe(1);
    const { error } = JSON.parse(result.stderr) as {
      error: { code: string; field: string; message: string };
    };
    expect(error).toMatchObject({ code: 'not-found', field: 'keyPath' });
    expect(error.message).toContain('absent.pem');
  });
});
