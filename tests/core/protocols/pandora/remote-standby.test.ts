import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Agent } from '../../../../main/core/agent.ts';
import type { PandoraSyncOutcome } from '../../../../main/core/contract/pandora-agents.ts';
import { confKey } from '../../../../main/core/protocols/pandora/conf-key.ts';
import type { TentacleServer } from '../../../peers/tentacle-server.ts';
import { makeTempDir, sleep } from '../../../peers/util.ts';
import { eventually } from '../../../poll.ts';
import {
  consoleWrites as consoleWritesTo,
  nextOutcome,
  remoteConf,
  startPandoraTentacle,
} from './remote-fixtures.ts';

/**
 * The console's "disable agent" (pandora-remote-config.md §8.2) rewrites
 * `standby 1` in the remote conf: the running agent stops its checks and
 * sends nothing, while still polling its remote configuration (§15), so
 * "enable" (`standby 0`) brings the data back. Real sockets, reference server
 * with Pandora's stock filters.
 */
const AGENT_NAME = 'outpost-standby-01';
const KEY = confKey(AGENT_NAME);

describe('Pandora remote configuration: standby from the console', () => {
  let tmp: { dir: string; cleanup(): Promise<void> };
  let server: TentacleServer;
  let agent: Agent;
  const controller = new AbortController();
  let daemon: Promise<void> | undefined;
  const outcomes: PandoraSyncOutcome[] = [];
  const dataIn = (...parts: string[]): string => join(tmp.dir, 'data_in', ...parts);
  const conf = (extra: string[]): string =>
    remoteConf({
      port: server.port,
      agentName: AGENT_NAME,
      interval: 1,
      modules: [['beat', 'echo 1']],
      extra,
    });
  const dataFiles = async (): Promise<string[]> =>
    (await readdir(dataIn())).filter((n) => n.endsWith('.data'));
  const consoleWrites = (text: string): Promise<void> => consoleWritesTo(tmp.dir, KEY, text);
  const nextApplied = (from: number): Promise<PandoraSyncOutcome> =>
    nextOutcome(outcomes, 'applied', from);

  beforeAll(async () => {
    tmp = await makeTempDir('pandora-standby');
    server = await startPandoraTentacle(tmp.dir);
    agent = await Agent.open({ dataDir: join(tmp.dir, 'agent'), logToFile: false });
    agent.events.on('pandora.agent-changed', (e) => outcomes.push(e.outcome));
    await agent.api.importPandora({ content: conf([]), target: 'pandora' });
    daemon = agent.run(controller.signal);
    await eventually(() => outcomes.find((o) => o.action === 'registered'), {
      timeout: 20_000,
      interval: 100,
      what: 'first contact',
    });
  }, 40_000);

  afterAll(async () => {
    controller.abort();
    await daemon?.catch(() => undefined);
    await agent?.close();
    await server?.stop();
    await tmp?.cleanup();
  });

  it('standby 1 stops the checks and the data; remote configuration keeps polling; standby 0 resumes', async () => {
    await eventually(async () => (await dataFiles()).length > 0, {
      timeout: 20_000,
      interval: 100,
      what: 'a first data file',
    });

    let from = outcomes.length;
    await consoleWrites(conf(['standby 1']));
    const stopped = await nextApplied(from);
    expect(stopped.message).toContain('standby: its checks stopped, no data sent');
    const [summary] = await agent.api.listPandoraAgents({});
    expect(summary!.definition.standby).toBe(true);
    expect((await agent.api.listChecks({})).map((c) => c.definition.enabled)).toEqual([false]);
    // Whatever was already queued drains; after that nothing new comes (interval 1 s).
    await sleep(2_500);
    const settled = await dataFiles();
    await sleep(3_000);
    expect(await dataFiles()).toEqual(settled);

    // Still polled while on standby: the console's "enable" comes through.
    from = outcomes.length;
    await consoleWrites(conf(['standby 0']));
    const resumed = await nextApplied(from);
    expect(resumed.message).toContain('standby off: its checks run again');
    expect((await agent.api.listChecks({})).map((c) => c.definition.enabled)).toEqual([true]);
    await eventually(async () => (await dataFiles()).length > settled.length, {
      timeout: 20_000,
      interval: 100,
      what: 'a data file after standby 0',
    });
  }, 60_000);
});
