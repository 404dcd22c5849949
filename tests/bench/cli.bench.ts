/**
 * Issue #17 bench: the `outpost` command, measured whole-process (spawned as
 * an admin's script runs it, start-up included), the median of RUNS runs after
 * one warm-up, side by side with its baselines in the same run:
 * - `outpost --version` against a bare `node -e 0`;
 * - `outpost tentacle send` of a 10-byte file against a minimal Node sender
 *   (./tentacle-send-floor.mjs, the floor for any Node client) and against
 *   Pandora's Perl `tentacle_client` when OUTPOST_BENCH_TENTACLE_CLIENT names
 *   it (fetch github.com/pandorafms/pandorafms: tentacle/tentacle_client;
 *   never committed here), with peak RSS;
 * - a 200 MiB send, plain and TLS (verified), against the same Perl client;
 * - `outpost run` at rest, paired with one target of each kind whose server
 *   runs here (icinga2 and RabbitMQ are skipped when not installed), over
 *   OUTPOST_BENCH_IDLE_SECONDS (default 30): RSS, CPU, and the V8 heap.
 * Both the built bin (out/cli, what npm's `outpost` runs) and the installed
 * app's command (the Node SEA of build/hooks/cli-executable.cjs, when it can
 * be built here) are measured.
 */
import { spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { cp, mkdir, open, readFile, symlink, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { Agent } from '../../main/core/agent.ts';
import { gorgoneModule } from '../../main/core/protocols/gorgone/index.ts';
import { icingaModule } from '../../main/core/protocols/icinga/index.ts';
import { onsphereModule } from '../../main/core/protocols/onsphere/index.ts';
import { tentacleModule } from '../../main/core/protocols/tentacle/index.ts';
import { ensureBuiltCli, ROOT } from '../cli/built-cli.ts';
import { GorgoneReferenceServer } from '../peers/gorgone-server.ts';
import { IcingaMaster, icingaMissing } from '../peers/icinga2.ts';
import { TestCa } from '../peers/pki.ts';
import { rabbitmqMissing } from '../peers/rabbitmq.ts';
import { captureOutput, startProcess, stopProcess, which } from '../peers/util.ts';
import { pairWithTicket } from '../core/protocols/icinga/helpers.ts';
import { startStack, type Stack } from '../core/protocols/onsphere/fixture.ts';
import type { BenchContext } from './harness.ts';
import { startServer } from './tentacle.bench.ts';

const RUNS = Number(process.env.OUTPOST_BENCH_RUNS ?? 9);
const IDLE_SECONDS = Number(process.env.OUTPOST_BENCH_IDLE_SECONDS ?? 30);
const MIB = 1024 * 1024;
const BIG = 200 * MIB;
const NODE = process.execPath;
const FLOOR = join(import.meta.dirname, 'tentacle-send-floor.mjs');
/** GNU time reports the peak RSS of what it runs (%M, KiB); without it no RSS column. */
const TIME = existsSync('/usr/bin/time') ? '/usr/bin/time' : undefined;
/** Perl tentacle_client 0.4.0 over TLS on the issue's machines, for when this Perl has no IO::Socket::SSL. */
const PERL_TLS_MIBS = 42;

interface Command {
  label: string;
  argv: string[];
}

interface Measured {
  ms: number;
  rssMiB: number | undefined;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}

/** One whole-process run: wall time, and peak RSS when GNU time is there. Throws on failure. */
function once(command: Command): Measured {
  const argv = TIME === undefined ? command.argv : [TIME, '-f', '%M', ...command.argv];
  const start = process.hrtime.bigint();
  const result = spawnSync(argv[0]!, argv.slice(1), { stdio: ['ignore', 'ignore', 'pipe'] });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  const stderr = result.stderr.toString();
  if (result.status !== 0)
    throw new Error(`${command.label} exited with ${result.status}: ${stderr.slice(-500)}`);
  const kib = TIME === undefined ? undefined : Number(stderr.trim().split('\n').at(-1));
  return { ms, rssMiB: kib === undefined || Number.isNaN(kib) ? undefined : kib / 1024 };
}

/** Each command RUNS times after one warm-up, interleaved so that drift of a shared machine hits all alike. */
function compare(commands: Command[], runs = RUNS): Map<string, { ms: number; rssMiB?: number }> {
  const times = new Map(commands.map((c) => [c.label, [] as number[]]));
  const rss = new Map(commands.map((c) => [c.label, [] as number[]]));
  for (let i = 0; i <= runs; i++) {
    for (const command of i % 2 === 0 ? commands : [...commands].reverse()) {
      const m = once(command);
      if (i === 0) continue;
      times.get(command.label)!.push(m.ms);
      if (m.rssMiB !== undefined) rss.get(command.label)!.push(m.rssMiB);
    }
  }
  return new Map(
    commands.map((c) => {
      const peaks = rss.get(c.label)!;
      return [
        c.label,
        {
          ms: median(times.get(c.label)!),
          ...(peaks.length > 0 ? { rssMiB: Math.max(...peaks) } : {}),
        },
      ];
    }),
  );
}

/**
 * The installed app's command, laid out as in the packed app: <res>/bin/outpost
 * and the built CLI in <res>/app.asar.unpacked/out/cli (with node_modules for zeromq).
 */
async function installedCommand(
  tmpDir: string,
  bin: string,
): Promise<{ path?: string; reason?: string }> {
  const require = createRequire(import.meta.url);
  const { buildCliExecutable } = require(join(ROOT, 'build', 'hooks', 'cli-executable.cjs')) as {
    buildCliExecutable(o: { platform: string; arch: string; dir: string }): Promise<{
      path?: string;
      reason?: string;
    }>;
  };
  const resources = join(tmpDir, 'resources');
  const built = await buildCliExecutable({
    platform: process.platform,
    arch: process.arch,
    dir: join(resources, 'bin'),
  });
  if (built.path === undefined) return built;
  const unpacked = join(resources, 'app.asar.unpacked');
  await cp(dirname(bin), join(unpacked, 'out', 'cli'), { recursive: true });
  await symlink(join(ROOT, 'node_modules'), join(unpacked, 'node_modules'));
  return built;
}

/** Pandora's Perl client, if named and it runs (plain; TLS needs IO::Socket::SSL). */
function perlClient(ctx: BenchContext): { path?: string; tls: boolean } {
  const path = process.env.OUTPOST_BENCH_TENTACLE_CLIENT;
  if (path === undefined || path === '' || which('perl') === undefined) {
    ctx.log(
      'no Perl baseline: set OUTPOST_BENCH_TENTACLE_CLIENT to pandorafms tentacle/tentacle_client',
    );
    return { tls: false };
  }
  const tls = spawnSync('perl', ['-MIO::Socket::SSL', '-e', '1']).status === 0;
  if (!tls) ctx.log('Perl has no IO::Socket::SSL: no Perl TLS baseline');
  return { path, tls };
}

export default async function cliBench(ctx: BenchContext): Promise<void> {
  const bin = await ensureBuiltCli();
  const sea = await installedCommand(ctx.tmpDir, bin);
  const seaPath = sea.path;
  if (seaPath === undefined) ctx.log(`no installed command (SEA) here: ${sea.reason}`);
  const perl = perlClient(ctx);
  const data = join(ctx.tmpDir, 'data');
  const env = { OUTPOST_HOME: data };
  Object.assign(process.env, env);

  // --version
  const startup = compare([
    { label: 'node', argv: [NODE, '-e', '0'] },
    { label: 'bin', argv: [NODE, bin, '--version'] },
    ...(seaPath === undefined ? [] : [{ label: 'sea', argv: [seaPath, '--version'] }]),
  ]);
  const node = startup.get('node')!;
  for (const [label, name] of [
    ['bin', 'outpost --version (npm bin)'],
    ['sea', 'outpost --version (installed SEA)'],
  ] as const) {
    const m = startup.get(label);
    if (m === undefined) continue;
    ctx.row({
      metric: name,
      ours: m.ms,
      unit: 'ms',
      baseline: node.ms,
      baselineLabel: 'node -e 0',
      higherIsBetter: false,
      target: '<= 4x node -e 0',
      met: m.ms <= 4 * node.ms,
    });
    if (m.rssMiB !== undefined)
      ctx.row({
        metric: `${name}: peak RSS`,
        ours: m.rssMiB,
        unit: 'MiB',
        ...(node.rssMiB === undefined ? {} : { baseline: node.rssMiB, baselineLabel: 'node -e 0' }),
        higherIsBetter: false,
      });
  }

  // tentacle send, 10 bytes and 200 MiB, plain and TLS
  const tiny = join(ctx.tmpDir, 'ten-bytes.dat');
  await writeFile(tiny, '0123456789');
  const big = join(ctx.tmpDir, 'big.bin');
  const handle = await open(big, 'w');
  const block = randomBytes(4 * MIB);
  for (let written = 0; written < BIG; written += block.length) await handle.write(block);
  await handle.close();
  const ca = TestCa.create('Bench CA');
  const leaf = ca.issue({ cn: 'localhost', altNames: ['localhost', '127.0.0.1'] });
  await writeFile(join(ctx.tmpDir, 'server.crt'), leaf.certPem);
  await writeFile(join(ctx.tmpDir, 'server.key'), leaf.keyPem);
  await writeFile(join(ctx.tmpDir, 'ca.crt'), ca.certPem);

  for (const mode of ['plain', 'TLS'] as const) {
    const server = await startServer(
      ctx.tmpDir,
      mode === 'TLS'
        ? { cert: join(ctx.tmpDir, 'server.crt'), key: join(ctx.tmpDir, 'server.key') }
        : undefined,
    );
    try {
      const at = ['-a', '127.0.0.1', '-p', String(server.port)];
      const tlsOurs = mode === 'TLS' ? ['-f', join(ctx.tmpDir, 'ca.crt')] : [];
      const tlsPerl = mode === 'TLS' ? ['-c', '-f', join(ctx.tmpDir, 'ca.crt')] : [];
      const withPerl = perl.path !== undefined && (mode === 'plain' || perl.tls);
      const sends = (file: string): Command[] => [
        { label: 'bin', argv: [NODE, bin, 'tentacle', 'send', file, ...at, ...tlsOurs] },
        ...(seaPath === undefined
          ? []
          : [{ label: 'sea', argv: [seaPath, 'tentacle', 'send', file, ...at, ...tlsOurs] }]),
        ...(withPerl
          ? [{ label: 'perl', argv: ['perl', perl.path!, ...at, ...tlsPerl, file] }]
          : []),
      ];
      if (mode === 'plain') {
        const small = compare([
          ...sends(tiny),
          { label: 'floor', argv: [NODE, FLOOR, tiny, '127.0.0.1', String(server.port)] },
        ]);
        const floor = small.get('floor')!;
        const perlTiny = small.get('perl');
        for (const [label, name] of [
          ['bin', 'outpost tentacle send 10 B (npm bin)'],
          ['sea', 'outpost tentacle send 10 B (installed SEA)'],
        ] as const) {
          const m = small.get(label);
          if (m === undefined) continue;
          ctx.row({
            metric: `${name} vs minimal Node sender`,
            ours: m.ms,
            unit: 'ms',
            baseline: floor.ms,
            baselineLabel: 'minimal Node sender',
            higherIsBetter: false,
          });
          if (perlTiny !== undefined)
            ctx.row({
              metric: `${name} vs Perl tentacle_client`,
              ours: m.ms,
              unit: 'ms',
              baseline: perlTiny.ms,
              baselineLabel: 'Perl tentacle_client',
              higherIsBetter: false,
              target: '<= 2x Perl',
              met: m.ms <= 2 * perlTiny.ms,
            });
          if (m.rssMiB !== undefined)
            ctx.row({
              metric: `${name}: peak RSS`,
              ours: m.rssMiB,
              unit: 'MiB',
              ...(perlTiny?.rssMiB === undefined
                ? {}
                : { baseline: perlTiny.rssMiB, baselineLabel: 'Perl tentacle_client' }),
              higherIsBetter: false,
              target: '<= 70 MiB',
              met: m.rssMiB <= 70,
            });
        }
      }
      const large = compare([
        ...sends(big),
        ...(mode === 'plain'
          ? [{ label: 'floor', argv: [NODE, FLOOR, big, '127.0.0.1', String(server.port)] }]
          : []),
      ]);
      const mibs = (ms: number): number => BIG / MIB / (ms / 1000);
      const perlBig = large.get('perl');
      const floorBig = large.get('floor');
      if (floorBig !== undefined)
        ctx.row({
          metric: `minimal Node sender 200 MiB ${mode}, whole process (what this server and machine allow)`,
          ours: mibs(floorBig.ms),
          unit: 'MiB/s',
          ...(perlBig === undefined
            ? {}
            : { baseline: mibs(perlBig.ms), baselineLabel: 'Perl tentacle_client' }),
          higherIsBetter: true,
        });
      for (const [label, name] of [
        ['bin', `outpost tentacle send 200 MiB ${mode} (npm bin)`],
        ['sea', `outpost tentacle send 200 MiB ${mode} (installed SEA)`],
      ] as const) {
        const m = large.get(label);
        if (m === undefined) continue;
        const factor = mode === 'plain' ? 2.5 : 4;
        ctx.row({
          metric: `${name}, whole process`,
          ours: mibs(m.ms),
          unit: 'MiB/s',
          ...(perlBig === undefined
            ? {}
            : { baseline: mibs(perlBig.ms), baselineLabel: 'Perl tentacle_client' }),
          higherIsBetter: true,
          target: `>= ${factor}x Perl`,
          ...(perlBig === undefined ? {} : { met: perlBig.ms >= factor * m.ms }),
        });
        if (perlBig === undefined && mode === 'TLS')
          ctx.row({
            metric: `${name}, whole process, vs the issue's Perl TLS figure`,
            ours: mibs(m.ms),
            unit: 'MiB/s',
            baseline: PERL_TLS_MIBS,
            baselineLabel: 'Perl TLS (issue #4 figure)',
            higherIsBetter: true,
            target: `>= ${factor}x Perl`,
            met: mibs(m.ms) >= factor * PERL_TLS_MIBS,
          });
      }
    } finally {
      await stopProcess(server.child);
    }
  }

  await idle(ctx, bin);
}

/** One target of each kind whose server runs here, paired through the agent's own API. */
export async function pairEveryKind(
  ctx: BenchContext,
  dataDir: string,
  cleanups: Array<() => Promise<void>>,
): Promise<string[]> {
  const kinds: string[] = [];
  const agent = await Agent.open({
    dataDir,
    logToFile: false,
    modules: [tentacleModule, icingaModule, gorgoneModule, onsphereModule],
  });
  try {
    const tentacle = await startServer(ctx.tmpDir);
    cleanups.push(() => stopProcess(tentacle.child));
    await agent.api.addTentacleTarget({
      name: 'pandora',
      connection: { host: '127.0.0.1', port: tentacle.port },
    });
    kinds.push('tentacle');

    const serverKey = (await import('node:crypto')).generateKeyPairSync('rsa', {
      modulusLength: 2048,
    });
    const central = new GorgoneReferenceServer({
      privateKeyPem: serverKey.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string,
      publicKeyPem: serverKey.publicKey.export({ type: 'spki', format: 'pem' }) as string,
      authorized: [(await agent.api.getGorgoneThumbprint({})).thumbprint],
    });
    await central.start();
    cleanups.push(async () => central.close());
    const centralKeyFile = join(dataDir, 'central.pub');
    await writeFile(
      centralKeyFile,
      serverKey.publicKey.export({ type: 'spki', format: 'pem' }) as string,
    );
    await agent.api.pairGorgone({
      name: 'central',
      host: '127.0.0.1',
      port: Number(central.endpoint.split(':').at(-1)),
      nodeId: '5',
      serverPublicKeyFile: centralKeyFile,
    });
    kinds.push('gorgone');

    if (icingaMissing() === undefined) {
      const master = await IcingaMaster.start({ agents: [{ cn: 'bench-agent.test' }] });
      cleanups.push(() => master.stop());
      await pairWithTicket(agent, master, 'master', 'bench-agent.test');
      kinds.push('icinga');
    } else ctx.log(`idle: no Icinga target (${icingaMissing()})`);

    if (rabbitmqMissing() === undefined) {
      const stack: Stack = await startStack('bench-idle');
      cleanups.push(() => stack.cleanup());
      const files = await stack.files('bench', stack.connector);
      await agent.api.pairOnsphere({
        name: 'stack',
        dispatcher: { host: '127.0.0.1', port: stack.dispatcher.port },
        caFile: files.ca,
        certFile: files.cert,
        keyFile: files.key,
        metricsPort: 0,
      });
      kinds.push('onsphere');
    } else ctx.log(`idle: no OnSphere target (${rabbitmqMissing()})`);
  } finally {
    await agent.close();
  }
  return kinds;
}

/** RSS (KiB) and CPU ticks (user + system) of a process, from /proc. */
export async function sample(pid: number): Promise<{ rssKiB: number; ticks: number }> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const stat = (await readFile(`/proc/${pid}/stat`, 'utf8')).split(') ')[1]!.split(' ');
  return {
    rssKiB: Number(/^VmRSS:\s+(\d+)/m.exec(status)?.[1]),
    // utime and stime: fields 14 and 15 of /proc/PID/stat, here counted from field 3.
    ticks: Number(stat[11]) + Number(stat[12]),
  };
}

/**
 * `outpost run` on `dataDir` as an admin starts it, with the memory probe
 * (SIGUSR2 writes process.memoryUsage() to `probe`); resolves once it says it runs.
 */
export async function startDaemon(
  bin: string,
  dataDir: string,
  probe: string,
  cleanups: Array<() => Promise<void>>,
): Promise<ChildProcess> {
  const daemon = startProcess(
    NODE,
    ['--import', join(import.meta.dirname, 'memory-probe.mjs'), bin, 'run', '--data-dir', dataDir],
    { env: { ...process.env, OUTPOST_MEMORY_PROBE: probe } },
  );
  cleanups.push(() => stopProcess(daemon));
  const output = captureOutput(daemon);
  const deadline = Date.now() + 30_000;
  while (!/running on/.test(output())) {
    if (Date.now() > deadline || daemon.exitCode !== null)
      throw new Error(`outpost run did not start:\n${output()}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return daemon;
}

async function idle(ctx: BenchContext, bin: string): Promise<void> {
  if (process.platform !== 'linux') {
    ctx.log('idle: reads /proc, Linux only');
    return;
  }
  const cleanups: Array<() => Promise<void>> = [];
  try {
    const dataDir = join(ctx.tmpDir, 'idle');
    await mkdir(dataDir, { recursive: true });
    const kinds = await pairEveryKind(ctx, dataDir, cleanups);
    const probe = join(ctx.tmpDir, 'memory.json');
    const daemon = await startDaemon(bin, dataDir, probe, cleanups);
    // Sessions open, first exchanges done: what follows is rest.
    await new Promise((resolve) => setTimeout(resolve, 10_000));
    const pid = daemon.pid!;
    const first = await sample(pid);
    const startedAt = process.hrtime.bigint();
    let maxKiB = first.rssKiB;
    for (let s = 0; s < IDLE_SECONDS; s++) {
      await new Promise((resolve) => setTimeout(resolve, 1000));
      maxKiB = Math.max(maxKiB, (await sample(pid)).rssKiB);
    }
    const last = await sample(pid);
    const seconds = Number(process.hrtime.bigint() - startedAt) / 1e9;
    const cpuPercent = ((last.ticks - first.ticks) / 100 / seconds) * 100;
    process.kill(pid, 'SIGUSR2');
    await new Promise((resolve) => setTimeout(resolve, 500));
    const memory = JSON.parse(await readFile(probe, 'utf8')) as NodeJS.MemoryUsage;
    const label = `outpost run at rest, ${kinds.length} targets (${kinds.join(', ')}), ${IDLE_SECONDS} s`;
    ctx.row({
      metric: `${label}: RSS`,
      ours: maxKiB / 1024,
      unit: 'MiB',
      higherIsBetter: false,
      target: '<= 80 MiB',
      met: maxKiB / 1024 <= 80,
    });
    ctx.row({
      metric: `${label}: CPU`,
      ours: cpuPercent,
      unit: '% of a core',
      higherIsBetter: false,
      target: '<= 0.5 %',
      met: cpuPercent <= 0.5,
    });
    ctx.log(
      `at rest: heap used ${(memory.heapUsed / MIB).toFixed(1)} of ${(memory.heapTotal / MIB).toFixed(1)} MiB, external ${(memory.external / MIB).toFixed(1)} MiB (array buffers ${(memory.arrayBuffers / MIB).toFixed(1)}), RSS ${(memory.rss / MIB).toFixed(1)} MiB`,
    );
    ctx.row({
      metric: 'outpost run at rest: V8 heap used',
      ours: memory.heapUsed / MIB,
      unit: 'MiB',
    });
  } finally {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
  }
}
