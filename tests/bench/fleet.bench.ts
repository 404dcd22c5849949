/**
 * Issue #18 bench ("fleet topology"), each figure side by side with its
 * baseline in the same run:
 * - Tentacle secondary server: FILES small files through a real Agent and its
 *   queue to reference servers in their own processes. `always` (each server
 *   its own queue items, sent in parallel) until both hold every file, against
 *   the same files to a target without a secondary; `on_error` with the
 *   primary down (the fallback, §14.2 breaker) against the primary up alone.
 * - Pandora remote configuration: `outpost run` (the built bin) with one
 *   remotely managed agent against the same daemon with that agent imported
 *   `remote_config 0`, both at rest over the same window (RSS, CPU); and one
 *   unchanged exchange (syncPandoraAgent) against a raw-socket RECV of the
 *   32-byte md5 from the same server.
 * - Icinga HA: check results per second through a target with two masters
 *   against one with one master (same measure as icinga.bench.ts).
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Agent } from '../../main/core/agent.ts';
import type { AgentApi } from '../../main/core/contract/index.ts';
import { confKey, md5FileName } from '../../main/core/protocols/pandora/conf-key.ts';
import { pairIcinga } from '../../main/core/protocols/icinga/pairing.ts';
import { tentacleModule } from '../../main/core/protocols/tentacle/index.ts';
import { ensureBuiltCli } from '../cli/built-cli.ts';
import { IcingaMaster, icingaMissing } from '../peers/icinga2.ts';
import { freePort, stopProcess } from '../peers/util.ts';
import {
  checkResultItem,
  deliveryContext,
  openIcingaAgent,
} from '../core/protocols/icinga/helpers.ts';
import { remoteConf, startPandoraTentacle } from '../core/protocols/pandora/remote-fixtures.ts';
import { sample, startDaemon } from './cli.bench.ts';
import { medianMs, type BenchContext } from './harness.ts';
import { rawRecv, startServer } from './tentacle.bench.ts';

const FILES = Number(process.env.OUTPOST_BENCH_FLEET_FILES ?? 200);
const ROUNDS = 5;
const IDLE_SECONDS = Number(process.env.OUTPOST_BENCH_IDLE_SECONDS ?? 30);
const MIB = 1024 * 1024;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls until every directory holds `count` files starting with `prefix`. */
async function untilHeld(dirs: string[], prefix: string, count: number): Promise<void> {
  const deadline = Date.now() + 120_000;
  for (;;) {
    let held = 0;
    for (const dir of dirs)
      held += (await readdir(dir).catch(() => [])).filter((n) => n.startsWith(prefix)).length;
    if (held === count * dirs.length) return;
    if (Date.now() > deadline) throw new Error(`only ${held} files of ${prefix} arrived`);
    await sleep(5);
  }
}

type TargetSpec = Parameters<AgentApi['addTentacleTarget']>[0];

/**
 * One delivery: a fresh agent with `target`, FILES files queued while it is
 * stopped, then the wall time from `run` until `dirs` hold them all, and the
 * CPU time this process (the agent, and the polling of `dirs`) used meanwhile.
 */
async function deliverAll(
  root: string,
  label: string,
  target: TargetSpec,
  dirs: string[],
  payload: string,
): Promise<{ ms: number; cpuMs: number }> {
  const agent = await Agent.open({
    dataDir: join(root, 'agents', label),
    modules: [tentacleModule],
    logToFile: false,
  });
  const stop = new AbortController();
  let run: Promise<void> | undefined;
  try {
    await agent.api.addTentacleTarget(target);
    for (let i = 0; i < FILES; i++)
      await agent.api.enqueueFile({
        targets: [target.name],
        path: payload,
        name: `${label}.${1_700_000_000 + i}.data`,
      });
    const start = performance.now();
    const cpu = process.cpuUsage();
    run = agent.run(stop.signal);
    await untilHeld(dirs, `${label}.`, FILES);
    const used = process.cpuUsage(cpu);
    return { ms: performance.now() - start, cpuMs: (used.user + used.system) / 1000 };
  } finally {
    stop.abort();
    await run;
    await agent.close();
  }
}

async function secondaryBench(ctx: BenchContext): Promise<void> {
  const root = join(ctx.tmpDir, 'secondary');
  const servers = [];
  try {
    for (const name of ['a', 'b', 'c']) servers.push(await startServer(join(root, name)));
    const [a, b, c] = servers.map((s) => ({ port: s.port }));
    const [inA, inB, inC] = ['a', 'b', 'c'].map((name) => join(root, name, 'in'));
    const payload = join(root, 'payload.data');
    // A small data file, as an agent sends every interval.
    await writeFile(payload, `<agent_data>${randomBytes(384).toString('hex')}</agent_data>\n`);
    const downPort = await freePort();
    const at = (port: number): { host: string; port: number } => ({ host: '127.0.0.1', port });

    const cases = {
      // Alone on server a; with a secondary: b and c (each its own items, `always`).
      single: (round: number) =>
        deliverAll(root, `single${round}`, { name: 'p', connection: at(a!.port) }, [inA!], payload),
      always: (round: number) =>
        deliverAll(
          root,
          `always${round}`,
          {
            name: 'p',
            connection: at(b!.port),
            secondary: { ...at(c!.port), mode: 'always' },
          },
          [inB!, inC!],
          payload,
        ),
      // The primary's port has nothing listening: every file ends on c.
      fallback: (round: number) =>
        deliverAll(
          root,
          `fallback${round}`,
          {
            name: 'p',
            connection: at(downPort),
            secondary: { ...at(c!.port), mode: 'on_error' },
          },
          [inC!],
          payload,
        ),
    };
    const order = Object.keys(cases) as Array<keyof typeof cases>;
    const times = { single: [] as number[], always: [] as number[], fallback: [] as number[] };
    const cpu = { single: [] as number[], always: [] as number[], fallback: [] as number[] };
    // Round 0 warms up (JIT, page cache) and is not counted.
    for (let round = 0; round <= ROUNDS; round++) {
      // Rotate the order so that no case always runs first on a cold machine.
      for (let i = 0; i < order.length; i++) {
        const name = order[(i + round) % order.length]!;
        const m = await cases[name](round);
        if (round === 0) continue;
        times[name].push(m.ms);
        cpu[name].push(m.cpuMs);
      }
    }
    for (const n of order)
      ctx.log(
        `secondary ${n}: ${times[n].map((t) => t.toFixed(0)).join('/')} ms wall, agent CPU ${cpu[n].map((t) => t.toFixed(0)).join('/')} ms`,
      );
    const single = median(times.single);
    ctx.row({
      metric: `tentacle secondary 'always': ${FILES} small files to both servers (queue, real Agent)`,
      ours: median(times.always),
      unit: 'ms',
      baseline: single,
      baselineLabel: 'same files, no secondary',
      higherIsBetter: false,
      target: 'close to 1x (both addresses in parallel)',
    });
    // Twice the sends on one agent thread: the wall time cannot beat twice the CPU of one.
    ctx.row({
      metric: `tentacle secondary 'always': agent CPU for ${FILES} files to both servers`,
      ours: median(cpu.always),
      unit: 'ms',
      baseline: median(cpu.single),
      baselineLabel: 'same files, no secondary',
      higherIsBetter: false,
    });
    ctx.row({
      metric: `tentacle secondary 'on_error', primary down: per file`,
      ours: median(times.fallback) / FILES,
      unit: 'ms',
      baseline: single / FILES,
      baselineLabel: 'primary up, no secondary',
      higherIsBetter: false,
    });
  } finally {
    for (const server of servers) await stopProcess(server.child);
  }
}

async function remoteConfigBench(ctx: BenchContext): Promise<void> {
  if (process.platform !== 'linux') {
    ctx.log('remote configuration at rest: reads /proc, Linux only');
    return;
  }
  const bin = await ensureBuiltCli();
  const root = join(ctx.tmpDir, 'remote');
  await mkdir(root, { recursive: true });
  const server = await startPandoraTentacle(root);
  const cleanups: Array<() => Promise<void>> = [];
  try {
    const conf = (agentName: string): string =>
      remoteConf({ port: server.port, agentName, interval: 60, modules: ['uptime'] });
    const flavours = [
      { label: 'remote', agentName: 'bench-remote', content: conf('bench-remote') },
      {
        label: 'local',
        agentName: 'bench-local',
        content: conf('bench-local').replace('remote_config 1', 'remote_config 0'),
      },
    ];
    for (const f of flavours) {
      const agent = await Agent.open({ dataDir: join(root, f.label), logToFile: false });
      try {
        const report = await agent.api.importPandora({ content: f.content, target: 'pandora' });
        if (report.pandoraAgent?.remoteConfig !== (f.label === 'remote'))
          throw new Error(`import of the ${f.label} conf: ${JSON.stringify(report.pandoraAgent)}`);
      } finally {
        await agent.close();
      }
    }
    // Both daemons at once, so that the machine's drift hits both alike.
    const daemons = [];
    for (const f of flavours)
      daemons.push(
        await startDaemon(bin, join(root, f.label), join(root, `${f.label}.json`), cleanups),
      );
    // First exchange (registration) and first check run done: what follows is rest.
    await sleep(10_000);
    const firsts = await Promise.all(daemons.map((d) => sample(d.pid!)));
    const peaks = firsts.map((s) => s.rssKiB);
    const startedAt = process.hrtime.bigint();
    for (let s = 0; s < IDLE_SECONDS; s++) {
      await sleep(1000);
      const now = await Promise.all(daemons.map((d) => sample(d.pid!)));
      now.forEach((n, i) => (peaks[i] = Math.max(peaks[i]!, n.rssKiB)));
    }
    const lasts = await Promise.all(daemons.map((d) => sample(d.pid!)));
    const seconds = Number(process.hrtime.bigint() - startedAt) / 1e9;
    const cpu = lasts.map((l, i) => ((l.ticks - firsts[i]!.ticks) / 100 / seconds) * 100);
    // /proc counts CPU in 10 ms ticks: over a short window the CPU column is a few ticks.
    ctx.log(
      `at rest, CPU ticks in ${seconds.toFixed(0)} s: ${flavours.map((f, i) => `${f.label} ${lasts[i]!.ticks - firsts[i]!.ticks}`).join(', ')}`,
    );
    for (const d of daemons) process.kill(d.pid!, 'SIGUSR2');
    await sleep(500);
    for (const f of flavours) {
      const memory = JSON.parse(
        await readFile(join(root, `${f.label}.json`), 'utf8'),
      ) as NodeJS.MemoryUsage;
      ctx.log(
        `${f.label} daemon at rest: heap used ${(memory.heapUsed / MIB).toFixed(1)} MiB, RSS ${(memory.rss / MIB).toFixed(1)} MiB`,
      );
    }
    const registered = await readdir(join(root, 'data_in', 'md5')).catch((): string[] => []);
    if (!registered.includes(md5FileName(confKey('bench-remote'))))
      throw new Error(`the remote agent never registered with the server: ${registered.join()}`);
    const label = `outpost run at rest, 1 Pandora agent remote_config 1 (interval 60 s), ${IDLE_SECONDS} s`;
    ctx.row({
      metric: `${label}: RSS`,
      ours: peaks[0]! / 1024,
      unit: 'MiB',
      baseline: peaks[1]! / 1024,
      baselineLabel: 'same agent, remote_config 0',
      higherIsBetter: false,
    });
    ctx.row({
      metric: `${label}: CPU`,
      ours: cpu[0]!,
      unit: '% of a core',
      baseline: cpu[1]!,
      baselineLabel: 'same agent, remote_config 0',
      higherIsBetter: false,
    });
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();

    // One unchanged exchange, as the loop runs it every interval, against the least a client does.
    const agent = await Agent.open({ dataDir: join(root, 'remote'), logToFile: false });
    try {
      const first = await agent.api.syncPandoraAgent({ name: 'pandora' });
      if (first.action !== 'unchanged')
        throw new Error(`the exchange was not 'unchanged': ${first.message}`);
      const dl = join(root, 'raw');
      await mkdir(dl, { recursive: true });
      const md5 = md5FileName(confKey('bench-remote'));
      const runs = 21;
      const ours = await medianMs(runs, () => agent.api.syncPandoraAgent({ name: 'pandora' }));
      const raw = await medianMs(runs, () => rawRecv(md5, join(dl, md5), server.port));
      ctx.row({
        metric: 'pandora remote configuration: one unchanged exchange (RECV md5, compare)',
        ours,
        unit: 'ms',
        baseline: raw,
        baselineLabel: 'raw-socket RECV of the 32-byte md5',
        higherIsBetter: false,
      });
    } finally {
      await agent.close();
    }
  } finally {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
    await server.stop();
  }
}

async function icingaHaBench(ctx: BenchContext): Promise<void> {
  if (process.env.OUTPOST_BENCH_FLEET_ICINGA === '0') {
    ctx.log('Icinga HA skipped (OUTPOST_BENCH_FLEET_ICINGA=0)');
    return;
  }
  if (icingaMissing() !== undefined) {
    ctx.log(`Icinga HA skipped: ${icingaMissing()}`);
    return;
  }
  const services = Array.from({ length: 50 }, (_, i) => `s${i}`);
  const agents = [
    { cn: 'one.test', services },
    { cn: 'ha.test', services },
  ];
  const [a, b] = await IcingaMaster.startHaPair({ agents });
  const t = await openIcingaAgent('icinga-fleet-bench');
  try {
    const primary = { host: '127.0.0.1', port: a.port, trustFingerprint: a.fingerprint };
    for (const [target, cn, masters] of [
      ['one', 'one.test', [primary]],
      [
        'ha',
        'ha.test',
        [primary, { host: '127.0.0.1', port: b.port, trustFingerprint: b.fingerprint }],
      ],
    ] as const) {
      const res = await pairIcinga(t.agent.context, {
        target,
        masters: [...masters],
        cn,
        ticket: await a.ticket(cn),
        waitSeconds: 0,
      });
      if (res.state !== 'paired') throw new Error(`pairing ${target} did not complete`);
    }
    const ha = t.agent.context.targets.get('ha');
    // Icinga's rule: a connection to every endpoint of the parent zone; both up before measuring.
    t.client.session(ha);
    const deadline = Date.now() + 30_000;
    while (!t.client.masterStatus(ha).every((m) => m.state === 'ready')) {
      if (Date.now() > deadline) throw new Error('the HA target never connected to both masters');
      await sleep(100);
    }
    const rate = async (target: 'one' | 'ha', cn: string, total: number): Promise<number> => {
      const record = t.agent.context.targets.get(target);
      const start = performance.now();
      let next = 0;
      const send = async (): Promise<void> => {
        while (next < total) {
          const i = next++;
          await t.driver.deliver(
            record,
            checkResultItem(target, {
              host: cn,
              service: services[i % services.length]!,
              state: i % 4,
              output: `bench result ${i}`,
              performanceData: [`i=${i}`],
            }),
            deliveryContext(),
          );
        }
      };
      await Promise.all(Array.from({ length: 2048 }, send));
      return (total / (performance.now() - start)) * 1000;
    };
    await rate('one', 'one.test', 500); // connect + warm-up
    await rate('ha', 'ha.test', 500);
    const total = 10_000;
    const one: number[] = [];
    const two: number[] = [];
    for (let round = 0; round < 2; round++) {
      if (round % 2 === 0) {
        one.push(await rate('one', 'one.test', total));
        two.push(await rate('ha', 'ha.test', total));
      } else {
        two.push(await rate('ha', 'ha.test', total));
        one.push(await rate('one', 'one.test', total));
      }
    }
    ctx.log(
      `icinga HA: two masters ${two.map((r) => r.toFixed(0)).join('/')}/s, one ${one.map((r) => r.toFixed(0)).join('/')}/s`,
    );
    ctx.row({
      metric: `icinga check results confirmed through an HA zone of two masters (${total}, best of 2)`,
      ours: Math.round(Math.max(...two)),
      unit: 'per s',
      baseline: Math.round(Math.max(...one)),
      baselineLabel: 'same, one master',
      higherIsBetter: true,
    });
  } finally {
    await t.close();
    await a.stop();
    await b.stop();
  }
}

export default async function fleetBench(ctx: BenchContext): Promise<void> {
  await secondaryBench(ctx);
  await remoteConfigBench(ctx);
  await icingaHaBench(ctx);
}
