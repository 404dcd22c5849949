import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { Agent } from '../../../../main/core/agent.ts';
import type { PairingStep } from '../../../../main/core/contract/index.ts';
import { TestCa } from '../../../peers/pki.ts';
import { freePort, makeTempDir } from '../../../peers/util.ts';

/**
 * A pairing request without a dispatcher takes DISPATCHER_HOST /
 * DISPATCHER_PORT from the agent's environment (onsphere.md §2.2), in the
 * core, so every UI gets what `outpost onsphere pair` without --dispatcher did.
 */
describe('pairOnsphere without a dispatcher', () => {
  let cleanup: () => Promise<void>;
  let agent: Agent;
  let files: { caFile: string; certFile: string; keyFile: string };
  const steps: PairingStep[] = [];

  beforeAll(async () => {
    let dir: string;
    ({ dir, cleanup } = await makeTempDir('onsphere-env'));
    const ca = TestCa.create('OnSphere env CA');
    const connector = ca.issue({ cn: 'osp-env-connector', serverAuth: false });
    const folder = join(dir, 'files');
    await mkdir(folder);
    files = {
      caFile: join(folder, 'ca.crt'),
      certFile: join(folder, 'module.crt'),
      keyFile: join(folder, 'module.key'),
    };
    await writeFile(files.caFile, ca.certPem);
    await writeFile(files.certFile, connector.certPem);
    await writeFile(files.keyFile, connector.keyPem, { mode: 0o600 });
    agent = await Agent.open({ dataDir: join(dir, 'data'), logToFile: false });
    agent.events.on('pairing.step', (step) => steps.push(step));
  });
  afterAll(async () => {
    vi.unstubAllEnvs();
    await agent.close();
    await cleanup();
  });

  it('is refused naming the dispatcher when DISPATCHER_HOST is not set either, before any step', async () => {
    vi.stubEnv('DISPATCHER_HOST', '');
    vi.stubEnv('DISPATCHER_PORT', '');
    await expect(agent.api.pairOnsphere({ name: 'osp', ...files })).rejects.toMatchObject({
      code: 'invalid-request',
      field: 'dispatcher',
      message: 'dispatcher: HOST[:PORT] is required (or set DISPATCHER_HOST)',
    });
    expect(steps).toEqual([]);
  });

  it('asks the dispatcher DISPATCHER_HOST:DISPATCHER_PORT names', async () => {
    const port = await freePort();
    vi.stubEnv('DISPATCHER_HOST', '127.0.0.1');
    vi.stubEnv('DISPATCHER_PORT', String(port));
    // Nothing listens there: the pairing stops at the dispatcher step, having asked that address.
    await expect(agent.api.pairOnsphere({ name: 'osp', ...files })).rejects.toMatchObject({
      code: 'unreachable',
    });
    const asked = steps.find((s) => s.step === 'dispatcher' && s.status === 'running');
    expect(asked?.detail).toContain(`from 127.0.0.1:${port} `);
    expect(agent.context.targets.list()).toEqual([]);
  });
});
