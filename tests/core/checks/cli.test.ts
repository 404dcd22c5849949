import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../cli/run-cli.ts';
import { makeTempDir } from '../../peers/util.ts';

const FIXTURES = join(import.meta.dirname, 'fixtures');
const DUMMY = '/usr/lib/nagios/plugins/check_dummy';

describe('outpost check and outpost import', () => {
  let tmp: { dir: string; cleanup(): Promise<void> };
  let env: NodeJS.ProcessEnv;
  beforeAll(async () => {
    tmp = await makeTempDir('checks-cli');
    env = { OUTPOST_HOME: tmp.dir };
  });
  afterAll(() => tmp.cleanup());

  it('imports a pandora_agent.conf, then adds, runs, lists and removes checks', async () => {
    const imported = await runCli(
      ['import', 'pandora', join(FIXTURES, 'pandora', 'pandora_agent.conf'), '--target', 'pfms'],
      env,
    );
    expect(imported.code).toBe(0);
    expect(imported.stdout).toContain('Target pfms (tentacle): created');
    expect(imported.stdout).toMatch(
      /pandora_agent\.conf:56: module_end: module_end without module_begin/,
    );
    expect(imported.stdout).not.toContain('s3cr3t');

    const added = await runCli(
      [
        'check',
        'add',
        'dummy',
        '--command',
        `${DUMMY} 1 'slow answer | t=2s;1;5'`,
        '--interval',
        '30',
        '--target',
        'pfms',
        '--module-name',
        'Dummy',
      ],
      env,
    );
    expect(added).toMatchObject({ code: 0 });
    expect(added.stdout).toContain('Added check dummy');
    const builtin = await runCli(
      ['check', 'add', 'port', '--builtin', 'tcp', '--port', '1', '--target', 'pfms'],
      env,
    );
    expect(builtin.code).toBe(0);

    const dry = await runCli(['check', 'run', 'dummy', '--dry-run'], env);
    expect(dry.code).toBe(0);
    expect(dry.stdout).toContain('state:    WARNING (1), exit code 1');
    expect(dry.stdout).toContain('output:   WARNING: slow answer');
    expect(dry.stdout).toMatch(/t\s+2\s+s\s+1\s+5/);
    expect(dry.stdout).toContain('Dry run: not delivered.');

    const json = await runCli(['check', 'run', 'port', '--json'], env);
    const outcome = JSON.parse(json.stdout) as {
      result: { stateName: string };
      deliveries: Array<{ target: string; itemIds: string[]; error?: string }>;
    };
    expect(outcome.result.stateName).toBe('CRITICAL');
    expect(outcome.deliveries).toEqual([
      expect.objectContaining({ target: 'pfms', itemIds: [expect.any(String)] }),
    ]);

    const list = await runCli(['check', 'list'], env);
    expect(list.stdout).toMatch(/^port\s+60s\s+builtin:tcp\s+CRITICAL/m);
    expect(list.stdout).toMatch(/^dummy\s+30s/m);

    expect((await runCli(['check', 'remove', 'dummy'], env)).code).toBe(0);
    const after = JSON.parse((await runCli(['check', 'list', '--json'], env)).stdout) as Array<{
      definition: { name: string };
    }>;
    expect(after.map((c) => c.definition.name)).not.toContain('dummy');
  });

  it('usage errors exit 2 with what to do', async () => {
    const neither = await runCli(['check', 'add', 'x', '--target', 'pfms'], env);
    expect(neither).toMatchObject({
      code: 2,
      stderr: expect.stringContaining('give either --command or --builtin'),
    });
    const needsPort = await runCli(
      ['check', 'add', 'x', '--builtin', 'tcp', '--target', 'pfms'],
      env,
    );
    expect(needsPort).toMatchObject({
      code: 2,
      stderr: expect.stringContaining('needs its port: --port'),
    });
    const badName = await runCli(
      ['check', 'add', 'x', '--command', '/bin/true', '--target', 'pfms', '--host', 'h'],
      env,
    );
    expect(badName).toMatchObject({
      code: 2,
      stderr: expect.stringContaining('--host applies to none of the targets given'),
    });
    const unknown = await runCli(['check', 'run', 'nope'], env);
    expect(unknown).toMatchObject({
      code: 1,
      stderr: expect.stringContaining("no check named 'nope'"),
    });
  });
});
