import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { confKey, md5Hex } from '../../../main/core/protocols/pandora/conf-key.ts';
import type { TentacleServer } from '../../peers/tentacle-server.ts';
import { makeTempDir } from '../../peers/util.ts';
import { remoteConf, startPandoraTentacle } from '../../core/protocols/pandora/remote-fixtures.ts';
import { runCli } from '../run-cli.ts';

/** `outpost pandora sync|list` and `outpost check list` on a remotely configured agent (issue #18). */
const KEY = confKey('cli-agent');

describe('outpost pandora', () => {
  let tmp: { dir: string; cleanup(): Promise<void> };
  let server: TentacleServer;
  let env: NodeJS.ProcessEnv;
  const conf = (port: number, modules: string[]): string =>
    remoteConf({ port, agentName: 'cli-agent', interval: 60, modules });

  beforeAll(async () => {
    tmp = await makeTempDir('pandora-cli');
    server = await startPandoraTentacle(tmp.dir);
    env = { OUTPOST_HOME: join(tmp.dir, 'home') };
  });
  afterAll(async () => {
    await server.stop();
    await tmp.cleanup();
  });

  it('imports, registers, applies a console edit and shows it in check list; local edits refused', async () => {
    const file = join(tmp.dir, 'pandora_agent.conf');
    const original = conf(server.port, ['first']);
    await writeFile(file, original);
    const imported = await runCli(['import', 'pandora', file, '--target', 'pfms'], env);
    expect(imported.code).toBe(0);
    expect(imported.stdout).toContain(
      'Pandora agent pfms (agent_name cli-agent): created, managed by the Pandora server (remote_config 1)',
    );

    const first = await runCli(['pandora', 'sync', 'pfms'], env);
    expect(first).toMatchObject({ code: 0 });
    expect(first.stdout).toContain(`first contact: ${KEY}.conf and ${KEY}.md5 uploaded`);
    const dataIn = join(tmp.dir, 'data_in');
    expect(await readFile(join(dataIn, 'conf', `${KEY}.conf`), 'utf8')).toBe(original);
    expect(await readFile(join(dataIn, 'md5', `${KEY}.md5`), 'utf8')).toBe(md5Hex(original));

    const again = await runCli(['pandora', 'sync', 'pfms'], env);
    expect(again.stdout).toContain("the server's configuration is ours");

    const edited = conf(server.port, ['first', 'second', 'third']).replace(
      'remote_config 1\n',
      'remote_config 1\nudp_server 1\n',
    );
    await writeFile(join(dataIn, 'conf', `${KEY}.conf`), edited);
    await writeFile(join(dataIn, 'md5', `${KEY}.md5`), `${md5Hex(edited)}\n`);
    const applied = await runCli(['pandora', 'sync', 'pfms'], env);
    expect(applied.code).toBe(0);
    expect(applied.stdout).toContain(
      'Pandora agent pfms: configuration changed by the Pandora server: 2 modules added',
    );
    // The import's line-numbered report, for the conf the server sent.
    expect(applied.stdout).toMatch(
      new RegExp(`Not mapped:\\n  ${KEY}\\.conf from the Pandora server:6: udp_server 1: not used`),
    );

    const list = await runCli(['check', 'list'], env);
    expect(list.stdout).toMatch(/second \(Pandora server\)/);
    expect(list.stdout).toContain(
      'Pandora agent pfms (agent_name cli-agent, target pfms): managed by the Pandora server (remote_config 1): edit it in the Pandora console',
    );
    expect(list.stdout).toMatch(
      /last change \d{4}-\d\d-\d\dT[\d:.]+Z: configuration changed by the Pandora server: 2 modules added/,
    );
    const agents = await runCli(['pandora', 'list', '--json'], env);
    expect(JSON.parse(agents.stdout)).toMatchObject([
      { key: KEY, confMd5: md5Hex(edited), checks: ['first', 'second', 'third'] },
    ]);

    const removed = await runCli(['check', 'remove', 'second'], env);
    expect(removed.code).not.toBe(0);
    expect(removed.stderr).toContain('edit its configuration in the Pandora console');

    await writeFile(join(dataIn, 'conf', `${KEY}.conf`), 'server_ip 127.0.0.1\nmodule_end\n');
    await writeFile(join(dataIn, 'md5', `${KEY}.md5`), md5Hex('server_ip 127.0.0.1\nmodule_end\n'));
    const broken = await runCli(['pandora', 'sync', 'pfms'], env);
    expect(broken.code).toBe(1);
    expect(broken.stdout).toContain('does not parse (line 2: module_end without module_begin)');
    expect((await runCli(['pandora', 'list'], env)).stdout).toMatch(/problem .*does not parse/);
  }, 120_000);
});
