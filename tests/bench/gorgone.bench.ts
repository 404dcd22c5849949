/**
 * Issue #6 bench: Gorgone handshake time (key files read and parsed included)
 * and PING round trips per second over one session, side by side with a raw
 * zeromq DEALER/ROUTER exchange in the same run: connect + first round trip,
 * and sequential round trips of frames of the same size without crypto.
 */
import { writeFile, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Dealer, Router } from 'zeromq';
import {
  generateRsaKeyPair,
  jwkThumbprint,
  parsePublicKey,
} from '../../main/core/identity/keys.ts';
import { createLogger, FileLogSink } from '../../main/core/log.ts';
import {
  formatKeyMessage,
  randomSessionKeys,
  rsaDecryptor,
  rsaEncrypt,
} from '../../main/core/protocols/gorgone/codec.ts';
import { GorgoneController } from '../../main/core/protocols/gorgone/controller.ts';
import { HistoryStore } from '../../main/core/protocols/gorgone/history.ts';
import { GorgoneListener } from '../../main/core/protocols/gorgone/listener.ts';
import { DISABLED_COMMAND_POLICY } from '../../main/core/exec/policy.ts';
import { freePort } from '../peers/util.ts';
import { medianMs, type BenchContext } from './harness.ts';

const HANDSHAKES = 15;
const PINGS = 3_000;
const log = createLogger(new FileLogSink(undefined, 'error'), 'bench');

async function rawRoundTrip(endpoint: string, frame: string, count: number): Promise<number> {
  const dealer = new Dealer({
    routingId: `gorgone-raw-${Math.random().toString(16).slice(2)}`,
    linger: 0,
  });
  dealer.connect(endpoint);
  const start = process.hrtime.bigint();
  for (let i = 0; i < count; i++) {
    await dealer.send(frame);
    await dealer.receive();
  }
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  dealer.close();
  return ms;
}

export default async function gorgoneBench(ctx: BenchContext): Promise<void> {
  // Raw echo ROUTER: the transport alone.
  const echo = new Router({ linger: 0 });
  await echo.bind('tcp://127.0.0.1:0');
  void (async () => {
    try {
      for await (const [id, payload] of echo) await echo.send([id!, payload!]);
    } catch {
      // closed
    }
  })();

  // Handshakes against our push listener (its 4096-bit key is the agent default): the
  // reference server decrypts HELO with node-forge, which would dominate the timing.
  const history = new HistoryStore(join(ctx.tmpDir, 'history.sqlite'));
  const nodeKey = await generateRsaKeyPair(4096);
  const centralKeys = new Map<number, Awaited<ReturnType<typeof generateRsaKeyPair>>>();
  for (const bits of [2048, 4096]) centralKeys.set(bits, await generateRsaKeyPair(bits));
  const port = await freePort();
  const listener = new GorgoneListener({
    bind: `127.0.0.1:${port}`,
    nodeId: '1',
    privateKeyPem: nodeKey.privateKeyPem,
    publicKeyPem: nodeKey.publicKeyPem,
    authorizedClients: () =>
      [...centralKeys.values()].map((k) => ({
        thumbprint: jwkThumbprint(parsePublicKey(k.publicKeyPem)),
      })),
    env: { history, commandPolicy: DISABLED_COMMAND_POLICY, processcopy: { enabled: false }, log },
    log,
    rotationSeconds: 86_400,
  });
  await listener.start();
  const endpoint = `tcp://127.0.0.1:${port}`;
  const trust = jwkThumbprint(parsePublicKey(nodeKey.publicKeyPem));
  for (const [bits, key] of centralKeys) {
    const keyFile = join(ctx.tmpDir, `client-${bits}.key`);
    const pubFile = join(ctx.tmpDir, `client-${bits}.pub`);
    await writeFile(keyFile, key.privateKeyPem, { mode: 0o600 });
    await writeFile(pubFile, key.publicKeyPem);
    const ours = await medianMs(HANDSHAKES, async () => {
      const clientKey = {
        privateKeyPem: await readFile(keyFile, 'utf8'),
        publicKeyPem: await readFile(pubFile, 'utf8'),
      };
      const controller = await GorgoneController.connect({
        endpoint,
        clientKey,
        trust: { thumbprint: trust },
        log,
      });
      controller.close();
    });
    const raw = await medianMs(HANDSHAKES, () =>
      rawRoundTrip(echo.lastEndpoint!, '[GETPUBKEY]', 1),
    );
    ctx.row({
      metric: `Gorgone handshake, ${bits}-bit client key, 4096-bit server key (key files loaded; GETPUBKEY, pin, HELO, KEY)`,
      ours,
      unit: 'ms',
      baseline: raw,
      baselineLabel: 'raw zeromq connect + 1 round trip',
      higherIsBetter: false,
    });
  }

  // [KEY] decryption: the runtime's PKCS#1 v1.5 (implicit rejection) vs node-forge's pure JS fallback.
  const key4096 = await generateRsaKeyPair(4096);
  const keyAnswer = rsaEncrypt(
    parsePublicKey(key4096.publicKeyPem),
    formatKeyMessage(randomSessionKeys('central')),
  );
  const nodeEngine = rsaDecryptor(key4096.privateKeyPem, 'node');
  const forgeEngine = rsaDecryptor(key4096.privateKeyPem, 'forge');
  ctx.row({
    metric: 'RSA PKCS#1 v1.5 decryption of a [KEY] answer, 4096-bit agent key',
    ours: await medianMs(20, () => nodeEngine.decrypt(keyAnswer)),
    unit: 'ms',
    baseline: await medianMs(5, () => forgeEngine.decrypt(keyAnswer)),
    baselineLabel: 'node-forge pure JS (fallback where node:crypto refuses)',
    higherIsBetter: false,
  });

  // PING → PONG over one session: our controller against our push listener (both sides ours).
  const central = centralKeys.get(2048)!;
  const controller = await GorgoneController.connect({
    endpoint,
    clientKey: central,
    trust: { thumbprint: trust },
    log,
  });
  for (let i = 0; i < 200; i++) await controller.ping();
  const start = process.hrtime.bigint();
  for (let i = 0; i < PINGS; i++) await controller.ping();
  const oursMs = Number(process.hrtime.bigint() - start) / 1e6;
  // Same sizes on the wire: an encrypted PING request and a PONG-sized answer, echoed without crypto.
  const rawMs = await rawRoundTrip(echo.lastEndpoint!, 'x'.repeat(216), PINGS);
  ctx.row({
    metric:
      'Gorgone PING→PONG round trips over one session (controller → push listener, AES both ways)',
    ours: (PINGS / oursMs) * 1000,
    unit: 'per s',
    baseline: (PINGS / rawMs) * 1000,
    baselineLabel: 'raw zeromq DEALER/ROUTER echo, same frame size',
    higherIsBetter: true,
  });
  controller.close();
  await listener.close();
  history.close();
  echo.close();
}
