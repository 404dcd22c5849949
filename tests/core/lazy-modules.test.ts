import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { Agent, AGENT_MODULES, IN_USE_CHECK_MS } from '../../main/core/agent.ts';
import { agentContract, type AgentMethod } from '../../main/core/contract/index.ts';
import type { LazyAgentModule } from '../../main/core/modules.ts';
import type { TargetDriver } from '../../main/core/targets/driver.ts';
import { makeTempDir, sleep } from '../peers/util.ts';

/**
 * Issue #17: the agent's modules are listed by their entry and their code is
 * loaded on first use. A stand-in protocol records when its code is loaded
 * and started; it owns one real method of the contract (computeIcingaTicket).
 */
function lazyToy(): { entry: LazyAgentModule; loads: number; runs: number } {
  const state = { loads: 0, runs: 0 };
  const driver: TargetDriver = {
    kind: 'lazytoy',
    configSchema: z.object({ port: z.number() }).strict(),
    accepts: ['value'],
    window: 1,
    async deliver() {},
  };
  const entry: LazyAgentModule = {
    name: 'lazytoy',
    methods: ['computeIcingaTicket'],
    kinds: [{ kind: 'lazytoy', configSchema: driver.configSchema }],
    async load() {
      state.loads += 1;
      return {
        name: 'lazytoy',
        create: () => ({
          drivers: [driver],
          handlers: {
            computeIcingaTicket: async ({ cn }) => ({ cn, ticket: 'from the toy' }),
          },
          async run(signal) {
            state.runs += 1;
            await new Promise((resolve) => signal.addEventListener('abort', resolve));
          },
        }),
      };
    },
  };
  return Object.assign(state, { entry }) as { entry: LazyAgentModule; loads: number; runs: number };
}

let dir: string;
let cleanup: () => Promise<void>;
const agents: Agent[] = [];
beforeEach(async () => {
  ({ dir, cleanup } = await makeTempDir('lazy'));
});
afterEach(async () => {
  for (const agent of agents.splice(0)) await agent.close();
  await cleanup();
});

async function open(entry: LazyAgentModule): Promise<Agent> {
  const agent = await Agent.open({ dataDir: dir, logToFile: false, modules: [entry] });
  agents.push(agent);
  return agent;
}

describe('lazy agent modules (issue #17)', () => {
  it('the composition root lists every method of the contract once, core and queue aside', () => {
    const owned = AGENT_MODULES.flatMap((m) => m.methods);
    expect(new Set(owned).size).toBe(owned.length);
    for (const method of owned) expect(Object.hasOwn(agentContract, method), method).toBe(true);
  });

  it("each entry's module implements exactly the methods its entry declares, and drives its kinds", async () => {
    const agent = await Agent.open({ dataDir: dir, logToFile: false });
    agents.push(agent);
    for (const entry of AGENT_MODULES) {
      const instance = await (await entry.load()).create(agent.context);
      expect(Object.keys(instance.handlers ?? {}).sort(), entry.name).toEqual(
        [...entry.methods].sort(),
      );
      expect((instance.drivers ?? []).map((d) => d.kind).sort(), entry.name).toEqual(
        entry.kinds.map((k) => k.kind).sort(),
      );
      await instance.close?.();
    }
  });

  it('loads nothing at open; the first call to one of its methods loads it, once', async () => {
    const toy = lazyToy();
    const agent = await open(toy.entry);
    expect(toy.loads).toBe(0);
    expect(agent.has('computeIcingaTicket' as AgentMethod)).toBe(true);
    await expect(agent.api.computeIcingaTicket({ cn: 'a', salt: 's' })).resolves.toEqual({
      cn: 'a',
      ticket: 'from the toy',
    });
    await agent.api.computeIcingaTicket({ cn: 'b', salt: 's' });
    expect(toy.loads).toBe(1);
  });

  it('checks a target of its kind with its schema before loading it, and loads it once one is saved', async () => {
    const toy = lazyToy();
    const agent = await open(toy.entry);
    expect(() => agent.context.targets.save('bad', 'lazytoy', { port: 'x' })).toThrow();
    expect(toy.loads).toBe(0);
    agent.context.targets.save('lab', 'lazytoy', { port: 1 });
    await agent.context.targets.loaded('lazytoy');
    expect(toy.loads).toBe(1);
    expect(agent.context.targets.driver('lazytoy').kind).toBe('lazytoy');
  });

  it('run starts a module only when a target of its kind exists, and one paired meanwhile by another process', async () => {
    const toy = lazyToy();
    const agent = await open(toy.entry);
    const stop = new AbortController();
    const running = agent.run(stop.signal);
    try {
      await sleep(300);
      expect(toy.loads).toBe(0);
      // Another process (here a second agent on the same data dir) pairs a target of its kind.
      const other = lazyToy();
      const cli = await Agent.open({ dataDir: dir, logToFile: false, modules: [other.entry] });
      cli.context.targets.save('lab', 'lazytoy', { port: 1 });
      await cli.context.targets.loaded('lazytoy');
      await cli.close();
      const deadline = Date.now() + IN_USE_CHECK_MS + 10_000;
      while (toy.runs === 0 && Date.now() < deadline) await sleep(100);
      expect(toy).toMatchObject({ loads: 1, runs: 1 });
    } finally {
      stop.abort();
      await running;
    }
  }, 30_000);
});
