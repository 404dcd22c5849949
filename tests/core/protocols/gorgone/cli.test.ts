/**
 * `outpost gorgone …` and `outpost run` as an admin uses them, against the
 * reference server and the reference central on 127.0.0.1.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, runCli } from '../../../cli/run-cli.ts';
import { GorgoneReferenceClient, GorgoneReferenceServer } from '../../../peers/gorgone-server.ts';
import { freePort, startProcess, stopProcess } from '../../../peers/util.ts';
import { testKey } from './helpers.ts';
import { eventually } from '../../../poll.ts';
import { makeTempDirSync } from '../../../peers/util.ts';

type Key = Awaited<ReturnType<typeof testKey>>;
let agentKey: Key;
let serverKey: Key;
let otherKey: Key;
let centralKey: Key;
let dir: string;
let data: string;
const cleanups: Array<() => void | Promise<void>> = [];

beforeAll(async () => {
  [agentKey, serverKey, otherKey, centralKey] = await Promise.all([
    testKey(),
    testKey(),
    testKey(),
    testKey(),
  ]);
  const temp = makeTempDirSync('gorgone');
  cleanups.push(temp.cleanup);
  dir = temp.dir;
  data = join(dir, 'data');
  // A 2048-bit agent key, so that the CLI does not spend seconds generating a 4096-bit one.
  mkdirSync(join(data, 'identity'), { recursive: true, mode: 0o700 });
  writeFileSync(join(data, 'identity', 'agent.key'), agentKey.privateKeyPem, { mode: 0o600 });
  writeFileSync(join(dir, 'server.pub.pem'), serverKey.publicKeyPem);
  writeFileSync(join(dir, 'central.pub.pem'), centralKey.publicKeyPem);
});
afterAll(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function server(key: Key, port?: number): Promise<GorgoneReferenceServer> {
  const s = new GorgoneReferenceServer({
    privateKeyPem: key.privateKeyPem,
    publicKeyPem: key.publicKeyPem,
    authorized: [agentKey.thumbprint],
  });
  await s.start(port === undefined ? undefined : `tcp://127.0.0.1:${port}`);
  cleanups.push(() => s.close());
  return s;
}

describe('outpost gorgone', () => {
  it('thumbprint prints our JWK thumbprint and the authorized_clients line', async () => {
    const human = await runCli(['gorgone', 'thumbprint', '--data-dir', data]);
    expect(human.code).toBe(0);
    expect(human.stdout).toContain(`- key: ${agentKey.thumbprint}`);
    const json = await runCli(['gorgone', 'thumbprint', '--json', '--data-dir', data]);
    expect(JSON.parse(json.stdout)).toMatchObject({
      thumbprint: agentKey.thumbprint,
      bits: 2048,
      authorizedClientsLine: `- key: ${agentKey.thumbprint}`,
    });
  });

  it('pair refuses a server whose key is not the expected one, pairs with --server-pubkey, ping prints the node map', async () => {
    const central = await server(serverKey);
    const port = central.endpoint.split(':').at(-1)!;
    const wrong = await runCli([
      'gorgone',
      'pair',
      'central',
      '--server',
      `127.0.0.1:${port}`,
      '--node-id',
      '5',
      '--trust-thumbprint',
      otherKey.thumbprint,
      '--data-dir',
      data,
    ]);
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toContain(serverKey.thumbprint);
    expect(central.nodes.size).toBe(0);

    const noTty = await runCli([
      'gorgone',
      'pair',
      'central',
      '--server',
      `127.0.0.1:${port}`,
      '--node-id',
      '5',
      '--data-dir',
      data,
    ]);
    expect(noTty.code).toBe(2);
    expect(noTty.stderr).toContain(serverKey.thumbprint);
    expect(noTty.stderr).toContain(`--trust-thumbprint ${serverKey.thumbprint}`);

    const paired = await runCli([
      'gorgone',
      'pair',
      'central',
      '--server',
      `127.0.0.1:${port}`,
      '--node-id',
      '5',
      '--server-pubkey',
      join(dir, 'server.pub.pem'),
      '--allow-command',
      'echo [a-z]+',
      '--data-dir',
      data,
    ]);
    expect(paired.stderr).toBe('');
    expect(paired.code).toBe(0);
    expect(paired.stdout).toContain(serverKey.thumbprint);
    expect(central.nodes.has('5')).toBe(true);
    const settings = JSON.parse(readFileSync(join(data, 'settings.json'), 'utf8'));
    expect(settings.targets.central).toMatchObject({
      kind: 'gorgone',
      config: { host: '127.0.0.1', port: Number(port), nodeId: '5' },
    });
    expect(settings.gorgone.command).toMatchObject({ enabled: true, allow: ['echo [a-z]+'] });
    const pins = JSON.parse(readFileSync(join(data, 'identity', 'pins.json'), 'utf8'));
    expect(pins.central.value).toBe(serverKey.thumbprint);

    const ping = await runCli(['gorgone', 'ping', 'central', '--data-dir', data]);
    expect(ping.code).toBe(0);
    expect(ping.stdout).toContain('PONG from');
    expect(ping.stdout).toContain('node 5');
  });

  it('ping refuses a server that now presents another key', async () => {
    const pins = JSON.parse(readFileSync(join(data, 'identity', 'pins.json'), 'utf8'));
    const settings = JSON.parse(readFileSync(join(data, 'settings.json'), 'utf8'));
    expect(pins.central).toBeDefined();
    const impostor = await server(otherKey);
    settings.targets.central.config.port = Number(impostor.endpoint.split(':').at(-1));
    writeFileSync(join(data, 'settings.json'), JSON.stringify(settings));
    const ping = await runCli(['gorgone', 'ping', 'central', '--data-dir', data]);
    expect(ping.code).toBe(1);
    expect(ping.stderr).toContain('CHANGED');
    expect(impostor.log.some((l) => l.startsWith('Connection from'))).toBe(false);
  });

  it('listen and authorized add/list/remove edit the push-mode settings', async () => {
    const listenPort = await freePort();
    const listen = await runCli([
      'gorgone',
      'listen',
      '--bind',
      `127.0.0.1:${listenPort}`,
      '--authorize-key',
      join(dir, 'central.pub.pem'),
      '--node-id',
      '9',
      '--data-dir',
      data,
    ]);
    expect(listen.code).toBe(0);
    expect(listen.stdout).toContain(centralKey.thumbprint);
    expect(listen.stdout).toContain(
      `- id: 9\n  type: push_zmq\n  address: 127.0.0.1\n  port: ${listenPort}`,
    );
    expect(
      (
        await runCli([
          'gorgone',
          'authorized',
          'add',
          otherKey.thumbprint,
          '--comment',
          'old central',
          '--data-dir',
          data,
        ])
      ).code,
    ).toBe(0);
    const list = await runCli(['gorgone', 'authorized', 'list', '--json', '--data-dir', data]);
    expect(
      JSON.parse(list.stdout).authorizedClients.map((c: { thumbprint: string }) => c.thumbprint),
    ).toEqual([centralKey.thumbprint, otherKey.thumbprint]);
    expect(
      (await runCli(['gorgone', 'authorized', 'remove', otherKey.thumbprint, '--data-dir', data]))
        .code,
    ).toBe(0);
    expect(
      (await runCli(['gorgone', 'authorized', 'remove', otherKey.thumbprint, '--data-dir', data]))
        .code,
    ).toBe(1);
    expect((await runCli(['gorgone', 'authorized', 'add', 'short', '--data-dir', data])).code).toBe(
      2,
    );
    // One thumbprint in 64 starts with '-' (and many hold one further in): a positional, not short options.
    const dashed = `-${otherKey.thumbprint.slice(1, 20)}-${otherKey.thumbprint.slice(21)}`;
    const addDashed = await runCli(['gorgone', 'authorized', 'add', dashed, '--data-dir', data]);
    expect(addDashed.stderr).toBe('');
    expect(addDashed.stdout).toContain(`authorized ${dashed}`);
    expect(
      (await runCli(['gorgone', 'authorized', 'remove', '--data-dir', data, dashed])).code,
    ).toBe(0);
  });

  it('outpost run keeps the paired node connected (PING → PONG), serves the listener, and unregisters on exit', async () => {
    const settings = JSON.parse(readFileSync(join(data, 'settings.json'), 'utf8'));
    const central = await server(serverKey);
    settings.targets.central.config.port = Number(central.endpoint.split(':').at(-1));
    writeFileSync(join(data, 'settings.json'), JSON.stringify(settings));
    const listenPort = Number(settings.gorgone.listener.bind.split(':')[1]);

    const daemon = startProcess(process.execPath, [CLI, 'run', '--data-dir', data]);
    cleanups.push(() => stopProcess(daemon));
    await central.waitFor((r) => r.action === 'REGISTERNODES', 20_000);
    central.sendToNode('5', 'PING', '', {});
    const pong = await central.waitFor((r) => r.action === 'PONG');
    expect((pong.data as { data: { id: string } }).data.id).toBe('5');

    const client = new GorgoneReferenceClient();
    client.connect(`tcp://127.0.0.1:${listenPort}`);
    cleanups.push(() => client.close());
    const hs = await eventually(
      async () => {
        try {
          return await client.handshake(centralKey);
        } catch {
          return undefined;
        }
      },
      { timeout: 15_000, interval: 25 },
    );
    expect(hs.failure).toBeUndefined();
    expect(hs.serverThumbprint).toBe(agentKey.thumbprint);
    expect(await client.request('[PING] [x] [] {}')).toMatch(
      /^\[PONG\] \[x\] \[\] \{"code":0,"data":\{"action":"ping","message":"ping ok","id":"9"/,
    );

    await stopProcess(daemon);
    const bye = await central.waitFor((r) => r.action === 'UNREGISTERNODES', 10_000);
    expect(bye.data).toEqual({ nodes: [{ id: '5' }] });
  });
});
