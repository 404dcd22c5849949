/**
 * PANDORA_CONF (issue #18): a silent install deploys a Pandora FMS agent's
 * pandora_agent.conf, imported on first start as a Pandora agent definition,
 * as the Pandora installer's `--remote_config 1` does for the console's
 * deploy wizard (pandora-remote-config.md §15). Applied against the
 * reference Tentacle server laid out as Pandora's (stock filters).
 */
import { access, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Agent } from '../../../main/core/agent.ts';
import { applyPendingSeeds } from '../../../main/core/deploy/apply.ts';
import { confKey, md5Hex } from '../../../main/core/protocols/pandora/conf-key.ts';
import { makeTempDir } from '../../peers/util.ts';
import { startPandoraTentacle } from '../protocols/pandora/remote-fixtures.ts';

const AGENT_NAME = 'ws-0042.fleet';

function pandoraConf(port: number, remoteConfig: 0 | 1): string {
  return [
    'server_ip 127.0.0.1',
    `server_port ${port}`,
    `agent_name ${AGENT_NAME}`,
    'interval 60',
    `remote_config ${remoteConfig}`,
    'module_begin',
    'module_name uptime',
    'module_type generic_data',
    'module_exec echo 7',
    'module_end',
    '',
  ].join('\n');
}

describe('installer seed with a Pandora agent configuration', () => {
  const cleanups: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  async function setup() {
    const temp = await makeTempDir('outpost-seed-pandora-');
    cleanups.push(temp.cleanup);
    // Every module of the build, loaded on first use, as `outpost run` opens the agent.
    const agent = await Agent.open({ dataDir: join(temp.dir, 'data'), logToFile: false });
    cleanups.push(() => agent.close());
    const seedFile = join(temp.dir, 'data', 'seed.ini');
    return {
      dir: temp.dir,
      agent,
      seedFile,
      apply: async () => (await applyPendingSeeds(agent, [seedFile]))[0]!,
    };
  }

  it('imports the conf as an agent definition managed by the Pandora server, which gets it at the first exchange', async () => {
    const { dir, agent, seedFile, apply } = await setup();
    const server = await startPandoraTentacle(dir);
    cleanups.push(() => server.stop());
    const confFile = join(dir, 'pandora_agent.conf');
    const conf = pandoraConf(server.port, 1);
    await writeFile(confFile, conf);
    await writeFile(seedFile, `[seed]\nPANDORA_CONF=${confFile}\nPANDORA_AGENT=desktops\n`);

    const report = await apply();
    expect(report).toMatchObject({
      status: 'applied',
      targets: [
        {
          target: 'pandora',
          kind: 'tentacle',
          outcome: 'created',
          detail: `Pandora agent 'desktops' (agent_name ${AGENT_NAME}) imported from ${confFile}: 1 of 1 checks created, data to 127.0.0.1:${server.port} (target 'pandora'); remote_config 1: managed by the Pandora server`,
        },
      ],
    });
    const [summary] = await agent.api.listPandoraAgents({});
    expect(summary).toMatchObject({
      definition: {
        name: 'desktops',
        target: 'pandora',
        agentName: AGENT_NAME,
        remoteConfig: true,
        interval: 60,
      },
      checks: ['uptime'],
    });
    expect((await agent.api.listTargets({})).map((t) => [t.name, t.kind, t.config])).toEqual([
      ['pandora', 'tentacle', expect.objectContaining({ host: '127.0.0.1', port: server.port })],
    ]);

    // Remote configuration (§9 run 1): the server gets the deployed conf, byte for byte.
    const sync = await agent.api.syncPandoraAgent({ name: 'desktops' });
    expect(sync.action).toBe('registered');
    const key = confKey(AGENT_NAME);
    expect(await readFile(join(dir, 'data_in', 'conf', `${key}.conf`), 'utf8')).toBe(conf);
    expect(await readFile(join(dir, 'data_in', 'md5', `${key}.md5`), 'utf8')).toBe(md5Hex(conf));

    // The seed is consumed; the administrator's conf stays where it was.
    await expect(access(seedFile)).rejects.toThrow();
    expect(await readFile(confFile, 'utf8')).toBe(conf);
    expect(await readFile(join(dir, 'data', 'seed.applied.ini'), 'utf8')).toContain(
      `PANDORA_CONF=${confFile}`,
    );
  });

  it('with remote_config 0, the definition is named after the target and the conf stays the source of truth', async () => {
    const { dir, agent, seedFile, apply } = await setup();
    const confFile = join(dir, 'pandora_agent.conf');
    await writeFile(confFile, pandoraConf(41121, 0));
    await writeFile(seedFile, `PANDORA_CONF=${confFile}\n`);
    const report = await apply();
    expect(report.targets[0]).toMatchObject({
      outcome: 'created',
      detail: expect.stringContaining(
        'remote_config off: the conf imported here is the source of truth',
      ) as string,
    });
    expect((await agent.api.listPandoraAgents({})).map((a) => a.definition)).toEqual([
      expect.objectContaining({ name: 'pandora', target: 'pandora', remoteConfig: false }),
    ]);
  });

  it('reports a conf it cannot read or that names no server, naming PANDORA_CONF', async () => {
    const { dir, agent, seedFile, apply } = await setup();
    const missing = join(dir, 'missing.conf');
    await writeFile(seedFile, `PANDORA_CONF=${missing}\n`);
    expect((await apply()).targets[0]).toMatchObject({
      target: 'pandora',
      outcome: 'failed',
      detail: expect.stringMatching(new RegExp(`^PANDORA_CONF: cannot read ${missing}`)) as string,
    });
    const noServer = join(dir, 'no-server.conf');
    await writeFile(noServer, `agent_name ${AGENT_NAME}\n`);
    await writeFile(seedFile, `PANDORA_CONF=${noServer}\n`);
    expect((await apply()).targets[0]).toMatchObject({
      outcome: 'failed',
      detail: expect.stringMatching(/^PANDORA_CONF: .*has no server_ip/) as string,
    });
    expect(await agent.api.listTargets({})).toEqual([]);
    expect(await agent.api.listPandoraAgents({})).toEqual([]);
  });

  it('refuses PANDORA_CONF with TENTACLE_SERVER, naming both, and applies nothing', async () => {
    const { dir, agent, seedFile, apply } = await setup();
    const confFile = join(dir, 'pandora_agent.conf');
    await writeFile(confFile, pandoraConf(41121, 1));
    await writeFile(seedFile, `TENTACLE_SERVER=pandora.example\nPANDORA_CONF=${confFile}\n`);
    const report = await apply();
    expect(report.status).toBe('invalid');
    expect(report.error).toMatch(
      /^PANDORA_CONF: cannot be given with TENTACLE_SERVER: the conf names its own Tentacle server/,
    );
    expect(await agent.api.listTargets({})).toEqual([]);
    expect(await readFile(seedFile, 'utf8')).toContain('PANDORA_CONF=');
  });
});
