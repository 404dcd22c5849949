import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Agent } from '../../../../main/core/agent.ts';
import type { PandoraSyncOutcome } from '../../../../main/core/contract/pandora-agents.ts';
import { confKey } from '../../../../main/core/protocols/pandora/conf-key.ts';
import type { TentacleServer } from '../../../peers/tentacle-server.ts';
import { freePort, makeTempDir } from '../../../peers/util.ts';
import { eventually } from '../../../poll.ts';
import { remoteConf, startPandoraTentacle } from './remote-fixtures.ts';

/**
 * Issue #18, secondary server and remote configuration together
 * (pandora-remote-config.md §12.5): with the primary down, data files reach
 * the secondary, while remote configuration never asks the secondary — it
 * reports the primary unreachable and, once the primary is back, registers
 * there. Real sockets, two reference servers laid out as Pandora's.
 */
const AGENT_NAME = 'outpost-ha-0007';
const KEY = confKey(AGENT_NAME);

describe('Pandora remote configuration with a secondary server', () => {
  let tmp: { dir: string; cleanup(): Promise<void> };
  let secondary: TentacleServer;
  let primary: TentacleServer | undefined;
  let primaryPort: number;
  let agent: Agent;
  const controller = new AbortController();
  let daemon: Promise<void> | undefined;
  const outcomes: PandoraSyncOutcome[] = [];
  const files = async (root: string, ...sub: string[]): Promise<string[]> =>
    readdir(join(root, 'data_in', ...sub)).catch(() => []);

  beforeAll(async () => {
    tmp = await makeTempDir('pandora-remote-secondary');
    secondary = await startPandoraTentacle(join(tmp.dir, 'secondary'));
    primaryPort = await freePort();
    agent = await Agent.open({ dataDir: join(tmp.dir, 'agent'), logToFile: false });
    agent.events.on('pandora.agent-changed', (e) => outcomes.push(e.outcome));
    const conf = remoteConf({
      port: primaryPort,
      agentName: AGENT_NAME,
      interval: 1,
      modules: [['answer', 'echo 42']],
      extra: [
        'secondary_mode on_error',
        'secondary_server_ip 127.0.0.1',
        `secondary_server_port ${secondary.port}`,
      ],
    });
    const report = await agent.api.importPandora({ content: conf, target: 'pandora' });
    expect(report.target?.config).toMatchObject({
      port: primaryPort,
      secondary: { host: '127.0.0.1', port: secondary.port, mode: 'on_error' },
    });
  }, 30_000);

  afterAll(async () => {
    controller.abort();
    await daemon?.catch(() => undefined);
    await agent?.close();
    await primary?.stop();
    await secondary?.stop();
    await tmp?.cleanup();
  });

  it('primary down: data reaches the secondary, remote configuration stays on the primary and says it is unreachable', async () => {
    daemon = agent.run(controller.signal);
    await eventually(
      async () =>
        (await files(join(tmp.dir, 'secondary'))).find((n) => n.endsWith('.data')) !== undefined,
      { timeout: 20_000, interval: 100, what: 'a data file on the secondary' },
    );
    const unreachable = await eventually(() => outcomes.find((o) => o.action === 'unreachable'), {
      timeout: 20_000,
      interval: 100,
      what: "an 'unreachable' outcome",
    });
    expect(unreachable.message).toContain('remote configuration not checked');
    const [summary] = await agent.api.listPandoraAgents({});
    expect(summary!.definition.problem?.message).toBe(unreachable.message);
    // §12.5: the secondary never sees the remote configuration files.
    expect(await files(join(tmp.dir, 'secondary'), 'conf')).toEqual([]);
    expect(await files(join(tmp.dir, 'secondary'), 'md5')).toEqual([]);
    // Told once, not every interval (interval 1 s: several runs have failed by now).
    await new Promise((resolve) => setTimeout(resolve, 2_500));
    expect(outcomes.filter((o) => o.action === 'unreachable')).toHaveLength(1);
  }, 40_000);

  it('primary back: the conf registers on the primary and the problem clears', async () => {
    primary = await startPandoraTentacle(join(tmp.dir, 'primary'), primaryPort);
    await eventually(() => outcomes.find((o) => o.action === 'registered'), {
      timeout: 20_000,
      interval: 100,
      what: "a 'registered' outcome",
      context: () => JSON.stringify(outcomes),
    });
    expect(await files(join(tmp.dir, 'primary'), 'conf')).toEqual([`${KEY}.conf`]);
    expect(await files(join(tmp.dir, 'primary'), 'md5')).toEqual([`${KEY}.md5`]);
    const [summary] = await agent.api.listPandoraAgents({});
    expect(summary!.definition.problem).toBeUndefined();
    expect(await files(join(tmp.dir, 'secondary'), 'conf')).toEqual([]);
  }, 40_000);
});
