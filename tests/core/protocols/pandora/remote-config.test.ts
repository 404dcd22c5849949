import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Agent } from '../../../../main/core/agent.ts';
import type { PandoraSyncOutcome } from '../../../../main/core/contract/pandora-agents.ts';
import { confKey, md5Hex } from '../../../../main/core/protocols/pandora/conf-key.ts';
import { confPath } from '../../../../main/core/protocols/pandora/conf-store.ts';
import type { TentacleServer } from '../../../peers/tentacle-server.ts';
import { makeTempDir } from '../../../peers/util.ts';
import { eventually } from '../../../poll.ts';
import { readDataFile } from './data-rules.ts';
import {
  consoleWrites as consoleWritesTo,
  nextOutcome as nextOutcomeOf,
  remoteConf,
  startPandoraTentacle,
} from './remote-fixtures.ts';

/**
 * Issue #18 "Done when", remote configuration: a running agent imported from a
 * `remote_config 1` conf, against the reference Tentacle server with Pandora's
 * stock filters and overwrite off, over real sockets. The console's edits are
 * what it does on disk (pandora-remote-config.md §8.1): rewrite conf/KEY.conf,
 * then md5/KEY.md5.
 */
const AGENT_NAME = 'outpost-ws-0042';
const KEY = confKey(AGENT_NAME);

function conf(port: number, modules: Array<[string, string]>, extra = ''): string {
  return remoteConf({ port, agentName: AGENT_NAME, interval: 2, modules, extra: [extra] });
}

describe('Pandora remote configuration, live', () => {
  let tmp: { dir: string; cleanup(): Promise<void> };
  let server: TentacleServer;
  let agent: Agent;
  const controller = new AbortController();
  let daemon: Promise<void> | undefined;
  const outcomes: PandoraSyncOutcome[] = [];
  const dataIn = (...parts: string[]): string => join(tmp.dir, 'data_in', ...parts);
  let original: string;
  let second: TentacleServer | undefined;

  const consoleWrites = (text: string, md5?: string): Promise<void> =>
    consoleWritesTo(tmp.dir, KEY, text, md5);
  const nextOutcome = (
    action: PandoraSyncOutcome['action'],
    from: number,
  ): Promise<PandoraSyncOutcome> => nextOutcomeOf(outcomes, action, from);

  /** Data files the server holds, parsed as its data server would, numbered after `sinceSeconds`. */
  async function dataFilesSince(sinceSeconds: number) {
    const names = (await readdir(dataIn())).filter((n) => n.endsWith('.data'));
    const files = [];
    for (const name of names) {
      const number = Number(/\.(\d+)\.data$/.exec(name)![1]);
      if (number <= sinceSeconds) continue;
      files.push(readDataFile(name, await readFile(dataIn(name))));
    }
    return files;
  }

  beforeAll(async () => {
    tmp = await makeTempDir('pandora-remote');
    server = await startPandoraTentacle(tmp.dir);
    agent = await Agent.open({ dataDir: join(tmp.dir, 'agent'), logToFile: false });
    agent.events.on('pandora.agent-changed', (e) => outcomes.push(e.outcome));
    original = conf(server.port, [['uptime', 'echo 7']]);
    const report = await agent.api.importPandora({ content: original, target: 'pandora' });
    expect(report.pandoraAgent).toEqual({
      name: 'pandora',
      agentName: AGENT_NAME,
      remoteConfig: true,
      created: true,
    });
    expect(report.checks).toEqual([{ name: 'uptime', created: true }]);
  }, 30_000);

  afterAll(async () => {
    controller.abort();
    await daemon?.catch(() => undefined);
    await agent?.close();
    await server?.stop();
    await second?.stop();
    await tmp?.cleanup();
  });

  it('first contact uploads conf then md5 with the exact names and bytes', async () => {
    daemon = agent.run(controller.signal);
    const registered = await nextOutcome('registered', 0);
    expect(registered.message).toContain(`${KEY}.conf and ${KEY}.md5 uploaded`);
    expect(await readFile(dataIn('conf', `${KEY}.conf`), 'utf8')).toBe(original);
    expect(await readFile(dataIn('md5', `${KEY}.md5`))).toEqual(Buffer.from(md5Hex(original)));
    // The agent's own copy, private, is the same bytes.
    const local = confPath(agent.context, 'pandora');
    expect(await readFile(local, 'utf8')).toBe(original);
    if (process.platform !== 'win32') {
      const { stat } = await import('node:fs/promises');
      expect((await stat(local)).mode & 0o777).toBe(0o600);
    }
    // The uptime module's value reaches the server in a data file.
    await eventually(
      async () => (await dataFilesSince(0)).some((f) => f.modules.some((m) => m.name === 'uptime')),
      { timeout: 20_000, interval: 200, what: 'a data file with uptime' },
    );
  }, 40_000);

  it('refuses local edits of its checks, saying to edit in the Pandora console', async () => {
    const [uptime] = (await agent.api.listChecks({})).filter((c) => c.definition.name === 'uptime');
    await expect(
      agent.api.updateCheck({
        name: 'uptime',
        definition: { ...uptime!.definition, interval: 60 },
      }),
    ).rejects.toMatchObject({ code: 'refused', message: expect.stringMatching(/Pandora console/) });
    await expect(agent.api.removeCheck({ name: 'uptime' })).rejects.toMatchObject({
      code: 'refused',
    });
    await expect(
      agent.api.addCheck({
        name: 'extra',
        command: { argv: ['echo 1'], shell: true },
        targets: [{ target: 'pandora', agentName: AGENT_NAME, moduleName: 'extra' }],
      }),
    ).rejects.toMatchObject({ code: 'refused', message: expect.stringMatching(/Pandora console/) });
    await expect(
      agent.api.importPandora({ content: original, target: 'pandora' }),
    ).rejects.toMatchObject({ code: 'refused' });
    expect((await agent.api.listChecks({})).map((c) => c.definition.name)).toEqual(['uptime']);
  });

  it("a console edit reaches the running agent within one interval: new modules' values arrive, the removed one stops", async () => {
    const from = outcomes.length;
    const edited = conf(server.port, [
      ['console_added', 'echo 42'],
      ['load', 'echo 3'],
    ]);
    await consoleWrites(edited);
    const applied = await nextOutcome('applied', from);
    const appliedAt = Math.floor(Date.now() / 1000);
    expect(applied.message).toBe(
      'configuration changed by the Pandora server: 2 modules added, 1 removed',
    );
    expect(applied.changes).toEqual({
      added: ['console_added', 'load'],
      replaced: [],
      removed: ['uptime'],
    });
    expect(await readFile(confPath(agent.context, 'pandora'), 'utf8')).toBe(edited);
    // The previous conf is kept as the one backup.
    expect(await readFile(`${confPath(agent.context, 'pandora')}.bak`, 'utf8')).toBe(original);
    const checks = await agent.api.listChecks({});
    expect(checks.map((c) => [c.definition.name, c.definition.pandoraAgent])).toEqual([
      ['console_added', 'pandora'],
      ['load', 'pandora'],
    ]);
    const [summary] = await agent.api.listPandoraAgents({});
    expect(summary!.definition.lastChange).toMatchObject({
      by: 'server',
      summary: 'configuration changed by the Pandora server: 2 modules added, 1 removed',
    });
    expect(summary!.confMd5).toBe(md5Hex(edited));

    const files = await eventually(
      async () => {
        const later = await dataFilesSince(appliedAt + 1);
        return later.some((f) => f.modules.some((m) => m.name === 'console_added'))
          ? later
          : undefined;
      },
      { timeout: 20_000, interval: 200, what: 'a data file with the new module' },
    );
    const added = files.flatMap((f) => f.modules).find((m) => m.name === 'console_added');
    expect(added).toMatchObject({ type: 'generic_data', data: '42', valueAccepted: true });
    expect(files.every((f) => f.agent.agent_name === AGENT_NAME)).toBe(true);
    // The removed module stops: no file made after the change carries it.
    expect(files.flatMap((f) => f.modules).some((m) => m.name === 'uptime')).toBe(false);
  }, 40_000);

  it('a conf that does not parse is refused and reported; the previous one stays in force', async () => {
    const before = await readFile(confPath(agent.context, 'pandora'), 'utf8');
    const from = outcomes.length;
    const broken = `${conf(server.port, [['console_added', 'echo 42']])}module_begin\nmodule_name half\n`;
    await consoleWrites(broken);
    const refused = await nextOutcome('refused', from);
    expect(refused.message).toMatch(/does not parse \(line \d+: module_begin without module_end/);
    expect(refused.message).toContain('previous configuration stays in force');
    expect(await readFile(confPath(agent.context, 'pandora'), 'utf8')).toBe(before);
    expect((await agent.api.listChecks({})).map((c) => c.definition.name)).toEqual([
      'console_added',
      'load',
    ]);
    const [summary] = await agent.api.listPandoraAgents({});
    expect(summary!.definition.problem?.message).toBe(refused.message);

    // A conf without a server address is refused too (§10.5).
    const from2 = outcomes.length;
    await consoleWrites(`agent_name ${AGENT_NAME}\ninterval 2\nremote_config 1\n`);
    const noServer = await nextOutcome('refused', from2);
    expect(noServer.message).toMatch(/has no server_ip/);
    expect(await readFile(confPath(agent.context, 'pandora'), 'utf8')).toBe(before);
  }, 40_000);

  it('a conf whose MD5 is not the announced one is refused', async () => {
    const before = await readFile(confPath(agent.context, 'pandora'), 'utf8');
    const from = outcomes.length;
    const text = conf(server.port, [['never', 'echo 1']]);
    await consoleWrites(text, md5Hex(`${text}#`));
    const refused = await nextOutcome('refused', from);
    expect(refused.message).toContain(
      `has MD5 ${md5Hex(text)} but the server's ${KEY}.md5 says ${md5Hex(`${text}#`)}: discarded`,
    );
    expect(await readFile(confPath(agent.context, 'pandora'), 'utf8')).toBe(before);
    expect((await agent.api.listChecks({})).map((c) => c.definition.name)).not.toContain('never');

    // Once the console's md5 agrees, the same conf goes in and the problem is cleared.
    const from2 = outcomes.length;
    await consoleWrites(text);
    const applied = await nextOutcome('applied', from2);
    expect(applied.message).toBe(
      'configuration changed by the Pandora server: 1 module added, 2 removed',
    );
    const [summary] = await agent.api.listPandoraAgents({});
    expect(summary!.definition.problem).toBeUndefined();
  }, 40_000);

  it("a conf that moves the server changes the target's settings live: data and remote configuration follow", async () => {
    second = await startPandoraTentacle(join(tmp.dir, 'second'));
    {
      const from = outcomes.length;
      const moved = conf(second.port, [['never', 'echo 1']]).replace('interval 2', 'interval 3');
      await consoleWrites(moved);
      const applied = await nextOutcome('applied', from);
      expect(applied.message).toBe(
        "configuration changed by the Pandora server: 1 module changed, interval 2 s → 3 s, server settings of target 'pandora' changed",
      );
      expect(agent.context.targets.get('pandora').config).toMatchObject({
        host: '127.0.0.1',
        port: second.port,
      });
      const [summary] = await agent.api.listPandoraAgents({});
      expect(summary!.definition.interval).toBe(3);
      // The next run talks to the new server: first contact there.
      const registered = await nextOutcome('registered', from);
      expect(registered.agent).toBe('pandora');
      expect(
        await readFile(join(tmp.dir, 'second', 'data_in', 'conf', `${KEY}.conf`), 'utf8'),
      ).toBe(moved);
      await eventually(
        async () =>
          (await readdir(join(tmp.dir, 'second', 'data_in'))).some((n) => n.endsWith('.data')),
        { timeout: 20_000, interval: 200, what: 'a data file on the new server' },
      );
    }
  }, 40_000);

  it('a conf that renames the agent re-keys it: the next run registers under the new name', async () => {
    const renamed = 'outpost-ws-0043';
    const newKey = confKey(renamed);
    const from = outcomes.length;
    const text = conf(second!.port, [['never', 'echo 1']])
      .replace('interval 2', 'interval 3')
      .replace(`agent_name ${AGENT_NAME}`, `agent_name ${renamed}`);
    const secondIn = (...parts: string[]): string => join(tmp.dir, 'second', 'data_in', ...parts);
    await writeFile(secondIn('conf', `${KEY}.conf`), text);
    await writeFile(secondIn('md5', `${KEY}.md5`), md5Hex(text));
    const applied = await nextOutcome('applied', from);
    expect(applied.message).toBe(
      `configuration changed by the Pandora server: 1 module changed, agent name '${AGENT_NAME}' → '${renamed}'`,
    );
    await nextOutcome('registered', from);
    expect(await readFile(secondIn('conf', `${newKey}.conf`), 'utf8')).toBe(text);
    expect(await readFile(secondIn('md5', `${newKey}.md5`), 'utf8')).toBe(md5Hex(text));
    const [check] = await agent.api.listChecks({});
    expect(check!.definition.targets[0]!.agentName).toBe(renamed);
  }, 40_000);
});
