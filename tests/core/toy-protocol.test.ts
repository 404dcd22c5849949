/**
 * Issue #16: adding a protocol touches one new folder and one line in the
 * composition root. The toy protocol (tests/core/toy-protocol/) is that folder;
 * `[...AGENT_MODULES, toy.module]` is that line. It pairs, receives a check
 * result fanned out with a built-in protocol's target, and delivers through the
 * durable queue, with no edit to main/.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Agent, AGENT_MODULES } from '../../main/core/agent.ts';
import { captureInstance } from '../module-instance.ts';
import { makeTempDir } from '../peers/util.ts';
import { startToyServer } from './toy-protocol/server.ts';
import { toyModule } from './toy-protocol/index.ts';

const DUMMY = '/usr/lib/nagios/plugins/check_dummy';

describe('a fifth protocol added as one folder and one line', () => {
  let server: Awaited<ReturnType<typeof startToyServer>>;
  let agent: Agent;
  let cleanup: () => Promise<void>;
  const toy = captureInstance(toyModule);

  beforeAll(async () => {
    server = await startToyServer();
    const temp = await makeTempDir('toy');
    cleanup = temp.cleanup;
    agent = await Agent.open({
      dataDir: temp.dir,
      logToFile: false,
      modules: [...AGENT_MODULES, toy.module],
    });
  });
  afterAll(async () => {
    await agent.close();
    await server.close();
    await cleanup();
  });

  it('pairs: the target is saved under its own kind and the server key is pinned', async () => {
    const { key } = await toy.instance().pair('lab', '127.0.0.1', server.port);
    expect(key).toBe(server.key);
    const [target] = await agent.api.listTargets({});
    expect(target).toMatchObject({ name: 'lab', kind: 'toy', checkNaming: ['service'] });
    expect(await agent.context.identity.pin('lab')).toMatchObject({ value: server.key });
  });

  it('receives a fanned-out check result and delivers it through the queue', async () => {
    await agent.api.addTentacleTarget({
      name: 'pandora',
      connection: { host: '127.0.0.1', port: 1 },
    });
    await agent.api.addCheck({
      name: 'web',
      command: { argv: [DUMMY, '1', 'slow answer'] },
      targets: [{ target: 'lab', service: 'intranet' }, { target: 'pandora' }],
    });
    const outcome = await agent.api.runCheckNow({ name: 'web' });
    const toyDelivery = outcome.deliveries.find((d) => d.target === 'lab');
    expect(toyDelivery).toMatchObject({ kind: 'toy', itemIds: [expect.any(String)] });
    expect(outcome.deliveries.find((d) => d.target === 'pandora')?.itemIds).toHaveLength(1);

    const run = new AbortController();
    const daemon = agent.run(run.signal);
    try {
      await expect
        .poll(() => agent.api.getQueueItem({ id: toyDelivery!.itemIds[0]! }), { timeout: 15_000 })
        .toMatchObject({ state: 'delivered' });
    } finally {
      run.abort();
      await daemon;
    }
    expect(server.received).toEqual([
      {
        id: toyDelivery!.itemIds[0],
        result: {
          host: expect.any(String),
          service: 'intranet',
          state: 1,
          output: 'WARNING: slow answer',
        },
      },
    ]);
  });

  it('refuses a naming field its driver does not read', async () => {
    await expect(
      agent.api.addCheck({
        name: 'other',
        command: { argv: [DUMMY, '0', 'fine'] },
        targets: [{ target: 'lab', valueId: 'a.b' }],
      }),
    ).rejects.toMatchObject({ code: 'invalid-request', field: 'targets.0.valueId' });
  });
});
