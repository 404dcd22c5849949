/**
 * Issue #6 bench: Gorgone handshake time (key files read and parsed included)
 * and PING round trips per second over one session, side by side with a raw
 * zeromq DEALER/ROUTER exchange in the same run: connect + first round trip,
 * and sequential round trips of frames of the same size without crypto.
 *
 * Issue #14 ("flood" rows): the push listener runs in a child process (this
 * file again, OUTPOST_BENCH_GORGONE_CHILD set) so that its event loop and RSS
 * are its own: the authorized central's PING→PONG rate while 1,000 fake HELOs
 * arrive vs without them, and the listener's peak RSS growth during one
 * unauthenticated 200 MiB frame vs a raw zeromq ROUTER without a size cap.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { writeFile, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
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
/**
 * At once from one routing id (its budget drops most), at once from 100 (each
 * within its budget; libzmq then reads one frame per connection in turn, so
 * the central's PING waits behind 100 of them), and spread over one second.
 */
const FLOODS = [
  { peers: 1, spreadMs: 0 },
  { peers: 100, spreadMs: 0 },
  { peers: 100, spreadMs: 1_000 },
];
const FLOOD_HELOS = 1_000;
const FLOOD_PINGS = 300;
const FLOOD_ROUNDS = 5;
const BIG_FRAME_BYTES = 200 * 1024 * 1024;
const MiB = 1024 * 1024;
const CHILD_ENV = 'OUTPOST_BENCH_GORGONE_CHILD';
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

// ---- child processes: our listener, a raw ROUTER without a size cap, the flooder ----------

interface ChildSetup {
  mode: 'listener' | 'raw';
  dir: string;
  privateKeyPem: string;
  publicKeyPem: string;
  authorized: string[];
}

/** The flooder runs in its own process too: its sending does not slow the central down. */
interface FloodSetup {
  mode: 'flood';
  endpoint: string;
  /** The HELO's key (base64 of the PEM) and the size of its random block. */
  pemBase64: string;
  blockBytes: number;
  peers: number;
  /** 0: as fast as possible; otherwise the HELOs are spread evenly over this long. */
  spreadMs: number;
}

type ToChild =
  | { type: 'setup'; setup: ChildSetup | FloodSetup }
  | { type: 'rss' }
  | { type: 'counters' }
  | { type: 'prepare' }
  | { type: 'flood' };
type FromChild =
  | { type: 'ready'; endpoint: string }
  | { type: 'rss'; rss: number; peak: number }
  | { type: 'counters'; handled: number }
  | { type: 'prepare' }
  | { type: 'flood' };

/**
 * Resident set now and its peak since the previous call. getrusage's maxRSS
 * will not do: a forked child starts with the parent's peak. Linux resets the
 * peak (VmHWM) on `5` written to /proc/self/clear_refs.
 */
function residentSet(): { rss: number; peak: number } {
  const status = readFileSync('/proc/self/status', 'utf8');
  const kib = (field: string) =>
    Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)![1]) * 1024;
  writeFileSync('/proc/self/clear_refs', '5');
  return { rss: kib('VmRSS'), peak: kib('VmHWM') };
}

/**
 * 'prepare': `peers` DEALERs with new routing ids connect, FLOOD_HELOS
 * frames are built; 'flood': they are sent. Only the sending falls inside the
 * measured window (the bench machine may have two cores for three processes).
 */
async function flooder(setup: FloodSetup): Promise<void> {
  const send = (message: FromChild) => process.send!(message);
  let peers: Dealer[] = [];
  let frames: string[] = [];
  process.on('message', (m: ToChild) => {
    if (m.type === 'prepare') {
      for (const dealer of peers) dealer.close();
      peers = Array.from({ length: setup.peers }, () => {
        const dealer = new Dealer({
          routingId: `gorgone-flood-${randomBytes(12).toString('hex')}`,
          linger: 0,
        });
        dealer.connect(setup.endpoint);
        return dealer;
      });
      frames = Array.from(
        { length: FLOOD_HELOS },
        () =>
          `[gorgone-flood] [${setup.pemBase64}] [${randomBytes(setup.blockBytes).toString('base64')}]`,
      );
      // Time for the ZMTP handshakes of the new connections.
      setTimeout(() => send({ type: 'prepare' }), 300);
    } else if (m.type === 'flood') {
      void (
        setup.spreadMs === 0 ? burst(peers, frames) : paced(peers, frames, setup.spreadMs)
      ).then(() => send({ type: 'flood' }));
    }
  });
  process.once('disconnect', () => process.exit(0));
  send({ type: 'ready', endpoint: setup.endpoint });
}

/** Every peer sends its share as fast as it can. */
async function burst(peers: Dealer[], frames: string[]): Promise<void> {
  await Promise.all(
    peers.map(async (dealer, p) => {
      for (let i = p; i < frames.length; i += peers.length) await dealer.send(frames[i]!);
    }),
  );
}

/** One frame per peer in turn, in 100 equal steps over `spreadMs`. */
async function paced(peers: Dealer[], frames: string[], spreadMs: number): Promise<void> {
  const steps = 100;
  const perStep = frames.length / steps;
  const start = performance.now();
  for (let step = 0; step < steps; step++) {
    for (let i = step * perStep; i < (step + 1) * perStep; i++) {
      await peers[i % peers.length]!.send(frames[i]!);
    }
    const next = start + ((step + 1) * spreadMs) / steps;
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, next - performance.now())));
  }
}

async function child(): Promise<void> {
  const setup = await new Promise<ChildSetup | FloodSetup>((resolve) =>
    process.once('message', (m: ToChild) => {
      if (m.type === 'setup') resolve(m.setup);
    }),
  );
  if (setup.mode === 'flood') return flooder(setup);
  const send = (message: FromChild) => process.send!(message);
  let handled = (): number => 0;
  const port = await freePort();
  if (setup.mode === 'listener') {
    const listener = new GorgoneListener({
      bind: `127.0.0.1:${port}`,
      nodeId: '1',
      privateKeyPem: setup.privateKeyPem,
      publicKeyPem: setup.publicKeyPem,
      authorizedClients: () => setup.authorized.map((thumbprint) => ({ thumbprint })),
      env: {
        history: new HistoryStore(join(setup.dir, `child-${process.pid}.sqlite`)),
        commandPolicy: DISABLED_COMMAND_POLICY,
        processcopy: { enabled: false },
        log,
      },
      log,
      rotationSeconds: 86_400,
    });
    await listener.start();
    // Refused (answered) or throttled (dropped): every fake HELO ends as one of them.
    handled = () => listener.counters.refused + listener.counters.throttled;
  } else {
    const router = new Router({ linger: 0 });
    await router.bind(`tcp://127.0.0.1:${port}`);
    void (async () => {
      for await (const [id] of router) await router.send([id!, 'ok']);
    })().catch(() => undefined);
  }
  process.on('message', (m: ToChild) => {
    if (m.type === 'rss') send({ type: 'rss', ...residentSet() });
    else if (m.type === 'counters') send({ type: 'counters', handled: handled() });
  });
  // The bench process went away (or stopped us): nothing else keeps this one alive.
  process.once('disconnect', () => process.exit(0));
  send({ type: 'ready', endpoint: `tcp://127.0.0.1:${port}` });
}

if (process.env[CHILD_ENV] !== undefined) await child();

class BenchChild {
  readonly endpoint: string;
  readonly #process: ChildProcess;

  private constructor(proc: ChildProcess, endpoint: string) {
    this.#process = proc;
    this.endpoint = endpoint;
  }

  static async start(setup: ChildSetup | FloodSetup): Promise<BenchChild> {
    const proc = fork(fileURLToPath(import.meta.url), [], {
      env: { ...process.env, [CHILD_ENV]: setup.mode },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    const ready = new Promise<string>((resolve, reject) => {
      proc.once('message', (m: FromChild) => {
        if (m.type === 'ready') resolve(m.endpoint);
      });
      proc.once('exit', (code) => reject(new Error(`bench child exited with ${code}`)));
    });
    proc.send({ type: 'setup', setup } satisfies ToChild);
    return new BenchChild(proc, await ready);
  }

  ask<T extends FromChild['type']>(type: T & ToChild['type']): Promise<FromChild & { type: T }> {
    return new Promise((resolve, reject) => {
      const onExit = (code: number | null) => {
        this.#process.off('message', onMessage);
        reject(new Error(`bench child exited with ${code}`));
      };
      const onMessage = (m: FromChild) => {
        if (m.type !== type) return;
        this.#process.off('message', onMessage);
        this.#process.off('exit', onExit);
        resolve(m as FromChild & { type: T });
      };
      this.#process.on('message', onMessage);
      this.#process.once('exit', onExit);
      this.#process.send({ type } as ToChild);
    });
  }

  stop(): void {
    this.#process.kill();
  }
}

/** PINGs of one controller, in a row, until `until()` says stop; how many and how long. */
async function pingWhile(
  controller: GorgoneController,
  until: () => boolean,
): Promise<{ pings: number; ms: number }> {
  const start = process.hrtime.bigint();
  let pings = 0;
  while (!until()) {
    await controller.ping();
    pings++;
  }
  return { pings, ms: Number(process.hrtime.bigint() - start) / 1e6 };
}

/** Asks the child for its counters every 5 ms until `stop(handled)`. */
async function watchCounters(child: BenchChild, stop: (handled: number) => boolean): Promise<void> {
  while (!stop((await child.ask('counters')).handled)) {
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/**
 * The central's PING rate without, then during, a flood of FLOOD_HELOS HELOs
 * (one of FLOODS), each presenting the central's public key (no
 * secret) with a random block of the listener key's size: the worst case,
 * since only such a HELO may reach the RSA operation. "During" lasts from the
 * flood's start to the last fake HELO handled by the listener. FLOOD_ROUNDS
 * rounds, quiet and flooded in turn; the medians are reported.
 */
async function floodRow(
  ctx: BenchContext,
  { peers, spreadMs }: { peers: number; spreadMs: number },
  setup: ChildSetup,
  central: { privateKeyPem: string; publicKeyPem: string },
  trust: string,
): Promise<void> {
  const children: BenchChild[] = [];
  try {
    const listener = await BenchChild.start(setup);
    children.push(listener);
    const block = rsaDecryptor(setup.privateKeyPem).bits / 8;
    const flood = await BenchChild.start({
      mode: 'flood',
      endpoint: listener.endpoint,
      pemBase64: Buffer.from(central.publicKeyPem).toString('base64'),
      blockBytes: block,
      peers,
      spreadMs,
    });
    children.push(flood);
    const controller = await GorgoneController.connect({
      endpoint: listener.endpoint,
      clientKey: central,
      trust: { thumbprint: trust },
      log,
    });
    try {
      let count = 0;
      await pingWhile(controller, () => count++ >= 200);
      const quiet: number[] = [];
      const flooded: number[] = [];
      for (let round = 0; round < FLOOD_ROUNDS; round++) {
        // The flood's end is seen by polling the listener's counters: poll the same way without it.
        count = 0;
        let stop = false;
        const polling = watchCounters(listener, () => stop);
        const calm = await pingWhile(controller, () => count++ >= FLOOD_PINGS);
        stop = true;
        await polling;
        quiet.push((calm.pings / calm.ms) * 1000);

        await flood.ask('prepare');
        const before = (await listener.ask('counters')).handled;
        let done = false;
        const watch = watchCounters(listener, (handled) => {
          done = handled - before >= FLOOD_HELOS;
          return done;
        });
        const sent = flood.ask('flood');
        const during = await pingWhile(controller, () => done);
        await Promise.all([sent, watch]);
        ctx.log(
          `flood ${round + 1}: ${during.pings} PINGs answered in the ${during.ms.toFixed(0)} ms the listener took to handle ${FLOOD_HELOS} fake HELOs (${Math.round(quiet.at(-1)!)}/s without)`,
        );
        flooded.push((during.pings / during.ms) * 1000);
      }
      const ours = median(flooded);
      const baseline = median(quiet);
      ctx.row({
        metric: `Gorgone push listener (flood): the central's PING→PONG rate while ${FLOOD_HELOS} fake HELOs ${spreadMs === 0 ? 'sent at once' : `spread over ${spreadMs / 1000} s`} from ${peers === 1 ? 'one peer' : `${peers} peers`} (its public key, random ${block}-byte blocks) are handled, median of ${FLOOD_ROUNDS}`,
        ours,
        unit: 'per s',
        baseline,
        baselineLabel: 'same listener, no flood',
        higherIsBetter: true,
        target: '>= 0.5x',
        met: ours >= 0.5 * baseline,
      });
    } finally {
      controller.close();
    }
  } finally {
    for (const c of children) c.stop();
  }
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}

/** Peak RSS growth of a fresh child while one BIG_FRAME_BYTES frame arrives from a stranger. */
async function bigFrameGrowth(setup: ChildSetup, frame: Buffer): Promise<number> {
  const child = await BenchChild.start(setup);
  try {
    return await bigFrameGrowthOf(child, frame);
  } finally {
    child.stop();
  }
}

async function bigFrameGrowthOf(child: BenchChild, frame: Buffer): Promise<number> {
  const { rss } = await child.ask('rss');
  const dealer = new Dealer({
    routingId: `gorgone-big-${randomBytes(12).toString('hex')}`,
    linger: 0,
  });
  // Done when the child answers (raw ROUTER; an uncapped listener refuses the HELO) or
  // when libzmq drops the connection at the size header (capped).
  const done = new Promise<void>((resolve) => {
    dealer.events.on('disconnect', () => resolve());
    void dealer.receive().then(
      () => resolve(),
      () => undefined,
    );
  });
  dealer.connect(child.endpoint);
  await dealer.send(frame);
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([done, new Promise((resolve) => (timer = setTimeout(resolve, 60_000)))]);
  clearTimeout(timer);
  // What the child does with the frame once it is read (an uncapped listener parses it).
  await new Promise((resolve) => setTimeout(resolve, 500));
  const { peak } = await child.ask('rss');
  dealer.close();
  return (peak - rss) / MiB;
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
    // 30 handshakes back to back measure latency; the RSA budget (issue #14) would throttle them.
    guard: { rsaBudget: { burstMs: 60_000, msPerSecond: 60_000 } },
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

  const setup: ChildSetup = {
    mode: 'listener',
    dir: ctx.tmpDir,
    privateKeyPem: nodeKey.privateKeyPem,
    publicKeyPem: nodeKey.publicKeyPem,
    authorized: [jwkThumbprint(parsePublicKey(central.publicKeyPem))],
  };
  for (const flood of FLOODS) await floodRow(ctx, flood, setup, central, trust);

  const frame = Buffer.alloc(BIG_FRAME_BYTES, 0x41);
  const ours = await bigFrameGrowth(setup, frame);
  const raw = await bigFrameGrowth({ ...setup, mode: 'raw' }, frame);
  ctx.row({
    metric: `Gorgone push listener (flood): peak RSS growth of the listener process during one unauthenticated ${BIG_FRAME_BYTES / MiB} MiB frame`,
    ours,
    unit: 'MiB',
    baseline: raw,
    baselineLabel: 'raw zeromq ROUTER without a size cap, same frame',
    higherIsBetter: false,
    target: '<= 64 MiB',
    met: ours <= 64,
  });
}
