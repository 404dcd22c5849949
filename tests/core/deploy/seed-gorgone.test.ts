/**
 * A Gorgone pairing seeded by a silent install (build/README.md) is a real
 * pull-mode node once the agent runs: it handshakes with the pinned server
 * key and registers with the reference server over real ZMQ sockets.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { Agent } from '../../../main/core/agent.ts';
import { applyPendingSeeds } from '../../../main/core/deploy/apply.ts';
import { gorgoneModule } from '../../../main/core/protocols/gorgone/index.ts';
import { GorgoneReferenceServer } from '../../peers/gorgone-server.ts';
import { makeTempDir } from '../../peers/util.ts';
import { testKey } from '../protocols/gorgone/helpers.ts';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

it('a seeded Gorgone target pins the server key and registers as a pull node when the agent runs', async () => {
  const temp = await makeTempDir('seed-gorgone');
  cleanups.push(temp.cleanup);
  const agent = await Agent.open({
    dataDir: join(temp.dir, 'data'),
    modules: [gorgoneModule],
    logToFile: false,
  });
  cleanups.push(() => agent.close());
  const { thumbprint } = await agent.api.getThumbprint({});
  const serverKey = await testKey();
  const server = new GorgoneReferenceServer({
    privateKeyPem: serverKey.privateKeyPem,
    publicKeyPem: serverKey.publicKeyPem,
    authorized: [thumbprint],
  });
  await server.start();
  cleanups.push(async () => server.close());
  const port = /:(\d+)$/.exec(server.endpoint)![1];

  await writeFile(join(temp.dir, 'central.pub'), serverKey.publicKeyPem);
  await writeFile(
    join(temp.dir, 'data', 'seed.ini'),
    [
      '[seed]',
      `GORGONE_SERVER=127.0.0.1:${port}`,
      'GORGONE_NODE_ID=9',
      `GORGONE_PUBKEY=${join(temp.dir, 'central.pub')}`,
    ].join('\n'),
  );
  const [report] = await applyPendingSeeds(agent);
  expect(report?.status).toBe('applied');
  const pins = await agent.context.identity.pins();
  expect(pins.find((p) => p.kind === 'jwk-thumbprint')?.value).toBe(serverKey.thumbprint);

  const stop = new AbortController();
  const running = agent.run(stop.signal);
  cleanups.push(async () => {
    stop.abort();
    await running;
  });
  const register = await server.waitFor((r) => r.action === 'REGISTERNODES', 15_000);
  expect(register.data).toMatchObject({ nodes: [{ id: '9', type: 'pull' }] });
});
