/**
 * Names from outside (the CLI, IPC, files, peers) that every plain object
 * inherits from Object.prototype are ordinary unknown names: a target, pin or
 * check called 'constructor' or 'toString' is looked up as an own property.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Agent } from '../../main/core/agent.ts';
import { queueSettingsSchema } from '../../main/core/contract/queue-settings.ts';
import { policyFor } from '../../main/core/queue/settings.ts';
import { makeTempDir } from '../peers/util.ts';

/** The Object.prototype members a name pattern of ours lets through. */
const INHERITED = ['constructor', 'toString', 'valueOf', 'hasOwnProperty', 'isPrototypeOf'];

describe('names Object.prototype carries', () => {
  let cleanup: () => Promise<void>;
  let agent: Agent;
  beforeEach(async () => {
    const temp = await makeTempDir('inherited');
    cleanup = temp.cleanup;
    agent = await Agent.open({ dataDir: temp.dir, logToFile: false });
  });
  afterEach(async () => {
    await agent.close();
    await cleanup();
  });

  it('are unknown targets until saved, then ordinary ones', async () => {
    for (const name of INHERITED) {
      expect(agent.context.targets.find(name), name).toBeUndefined();
      await expect(agent.api.removeTarget({ name })).rejects.toMatchObject({ code: 'not-found' });
    }
    await agent.api.addTentacleTarget({
      name: 'constructor',
      connection: { host: '127.0.0.1', port: 41121 },
    });
    expect(agent.context.targets.get('constructor')).toMatchObject({
      name: 'constructor',
      kind: 'tentacle',
    });
    expect((await agent.api.listTargets({})).map((t) => t.name)).toEqual(['constructor']);
  });

  it('have no pinned fingerprint', async () => {
    for (const name of INHERITED) expect(await agent.context.identity.pin(name)).toBeUndefined();
  });

  it('are check names without a last result until one runs', async () => {
    await agent.api.addTentacleTarget({
      name: 'pandora',
      connection: { host: '127.0.0.1', port: 41121 },
    });
    for (const name of INHERITED)
      await agent.api.addCheck({
        name,
        command: { argv: ['/bin/true'] },
        targets: [{ target: 'pandora' }],
      });
    const listed = await agent.api.listChecks({});
    expect(listed.map((c) => [c.definition.name, c.lastResult])).toEqual(
      INHERITED.map((name) => [name, undefined]),
    );
    await agent.api.runCheckNow({ name: 'toString' });
    const ran = (await agent.api.listChecks({})).find((c) => c.definition.name === 'toString');
    expect(ran?.lastResult?.state).toBe(0);
  });

  it('are secrets nobody stored, and targets with the default cap policy', async () => {
    const secrets = agent.context.secrets;
    await secrets.set('real', 'value');
    const settings = queueSettingsSchema.parse({ defaultPolicy: 'drop-oldest' });
    for (const name of INHERITED) {
      expect(await secrets.get(name), name).toBeUndefined();
      expect(policyFor(settings, name), name).toBe('drop-oldest');
    }
  });
});
