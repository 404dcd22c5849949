/**
 * Issue #16 item 4: deploy/ loops over the modules' seed sections and never
 * switches on a protocol. The toy protocol (tests/core/toy-protocol/, which
 * main/ does not know) declares `TOY_SERVER` / `TOY_TARGET` in its own
 * seed.ts; registered as one more module, its section is parsed and applied
 * by deploy/ unchanged.
 */
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Agent, AGENT_MODULES } from '../../../main/core/agent.ts';
import { applyPendingSeeds } from '../../../main/core/deploy/apply.ts';
import type { ModuleEntry } from '../../../main/core/modules.ts';
import { makeTempDir } from '../../peers/util.ts';
import { startToyServer } from '../toy-protocol/server.ts';
import { toyModule } from '../toy-protocol/index.ts';

describe('the installer seed of a protocol deploy/ has never heard of', () => {
  const cleanups: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0)) await c();
  });

  async function setup(modules: readonly ModuleEntry[]) {
    const temp = await makeTempDir('outpost-seed-toy-');
    const server = await startToyServer();
    const agent = await Agent.open({ dataDir: join(temp.dir, 'data'), modules, logToFile: false });
    cleanups.push(async () => {
      await agent.close();
      await server.close();
      await temp.cleanup();
    });
    return { agent, server, seedFile: join(temp.dir, 'data', 'seed.ini') };
  }

  it('pairs the target its section names, with the agent-wide parameters beside it', async () => {
    const { agent, server, seedFile } = await setup([...AGENT_MODULES, toyModule]);
    await writeFile(
      seedFile,
      `[seed]\nAGENT_NAME=ws-7\nTOY_SERVER=127.0.0.1:${server.port}\nTOY_TARGET=lab\n`,
    );
    const [report] = await applyPendingSeeds(agent, [seedFile]);
    expect(report).toMatchObject({
      status: 'applied',
      targets: [
        {
          target: 'lab',
          kind: 'toy',
          outcome: 'created',
          detail: `paired with 127.0.0.1:${server.port}, key ${server.key}`,
        },
      ],
      sourceRemoved: true,
    });
    expect((await agent.api.getSettings({})).agent.name).toBe('ws-7');
    expect(await agent.api.listTargets({})).toEqual([
      expect.objectContaining({
        name: 'lab',
        kind: 'toy',
        config: { host: '127.0.0.1', port: server.port },
      }),
    ]);
    // The key came over the socket at pairing.
    expect(await agent.context.identity.pin('lab')).toMatchObject({ value: server.key });
    const applied = await readFile(join(agent.context.paths.root, 'seed.applied.ini'), 'utf8');
    expect(applied).toContain(`TOY_SERVER=127.0.0.1:${server.port}`);
    expect(applied).toContain("# toy target 'lab': created");
  });

  it("refuses the section's bad values naming its parameter, and its parameters without its lead", async () => {
    const { agent, seedFile } = await setup([...AGENT_MODULES, toyModule]);
    const cases: Array<[string, RegExp]> = [
      ['TOY_SERVER=127.0.0.1:0', /^TOY_SERVER: port '0' must be a number from 1 to 65535/],
      ['TOY_SERVER=h\nTOY_TARGET=a b', /^TOY_TARGET: .*not a valid target name/],
      ['TOY_TARGET=lab', /^TOY_TARGET: is only meaningful with TOY_SERVER \(the toy server\)/],
      ['TOY_SERVR=h', /^TOY_SERVR: unknown parameter .*, TOY_SERVER, TOY_TARGET$/],
      ['', /^seed: the file sets nothing: give at least one server \(.*, TOY_SERVER\)$/],
    ];
    for (const [text, error] of cases) {
      await writeFile(seedFile, `${text}\n`);
      const [report] = await applyPendingSeeds(agent, [seedFile]);
      expect(report?.status, text).toBe('invalid');
      expect(report?.error, text).toMatch(error);
    }
    expect(await agent.api.listTargets({})).toEqual([]);
  });

  it('knows the parameters of the modules it is given, and no others', async () => {
    const { agent, server, seedFile } = await setup(AGENT_MODULES);
    await writeFile(seedFile, `TOY_SERVER=127.0.0.1:${server.port}\n`);
    const [report] = await applyPendingSeeds(agent, [seedFile]);
    expect(report?.status).toBe('invalid');
    expect(report?.error).toMatch(/^TOY_SERVER: unknown parameter/);
  });

  it('deploy/ names no protocol: each protocol part lives in its own folder', async () => {
    const dir = join(import.meta.dirname, '..', '..', '..', 'main', 'core', 'deploy');
    for (const file of await readdir(dir)) {
      const text = await readFile(join(dir, file), 'utf8');
      expect(text, file).not.toMatch(/icinga|tentacle|pandora|gorgone|centreon|onsphere/i);
    }
  });
});
