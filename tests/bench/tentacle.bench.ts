/**
 * Issue #4 bench: 200 MiB over loopback to the reference Tentacle server (in
 * its own process), plain and TLS with verification on. Our client against a
 * raw socket copy of the same file in the same run (a minimal Node sender:
 * SEND line, then the file piped into the socket), and our RSS during the send.
 */
import { type ChildProcess } from 'node:child_process';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, open, writeFile } from 'node:fs/promises';
import { connect as netConnect, type Socket } from 'node:net';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { connect as tlsConnect } from 'node:tls';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { TentacleClient } from '../../main/core/protocols/tentacle/transfer.ts';
import { TestCa } from '../peers/pki.ts';
import { startProcess, stopProcess } from '../peers/util.ts';
import type { BenchContext } from './harness.ts';

const MIB = 1024 * 1024;
const SIZE = 200 * MIB;
const RUNS = 5;
/** The same send with a tenth of the data: memory must not follow the file size. */
const SMALL = 20 * MIB;
/** Reference numbers from the issue (Perl tentacle_client 0.4.0 against the real server on these machines). */
const PERL_PLAIN_MIBS = 140;
const PERL_TLS_MIBS = 42;
const SERVER = fileURLToPath(new URL('../peers/tentacle-server.ts', import.meta.url));

export async function startServer(
  dir: string,
  tls?: { cert: string; key: string },
): Promise<{ port: number; child: ChildProcess }> {
  const args = [
    SERVER,
    '--dir',
    join(dir, 'in'),
    '--port',
    '0',
    '--max-size',
    String(SIZE + MIB),
    '--overwrite',
  ];
  if (tls !== undefined) args.push('--tls-cert', tls.cert, '--tls-key', tls.key);
  const child = startProcess(process.execPath, args);
  const port = await new Promise<number>((resolve, reject) => {
    let out = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const m = /listening (\d+)/.exec(out);
      if (m !== null) resolve(Number(m[1]));
    });
    child.once('exit', (code) => reject(new Error(`reference server exited (${code}): ${out}`)));
  });
  return { port, child };
}

/** The baseline: the least a sender can do — one line, wait, pipe the file, wait for the OK. */
async function rawCopy(path: string, name: string, port: number, ca?: string): Promise<void> {
  const socket: Socket = await new Promise((resolve, reject) => {
    const s =
      ca === undefined
        ? netConnect({ host: '127.0.0.1', port }, () => resolve(s))
        : tlsConnect({ host: '127.0.0.1', port, ca, minVersion: 'TLSv1.2' }, () => resolve(s));
    s.once('error', reject);
  });
  const replies: string[] = [];
  let pending = '';
  let wake: (() => void) | undefined;
  socket.on('data', (chunk: Buffer) => {
    pending += chunk.toString('latin1');
    for (let i = pending.indexOf('\n'); i !== -1; i = pending.indexOf('\n')) {
      replies.push(pending.slice(0, i));
      pending = pending.slice(i + 1);
    }
    wake?.();
  });
  const reply = async (): Promise<string> => {
    while (replies.length === 0) await new Promise<void>((r) => (wake = r));
    return replies.shift()!;
  };
  socket.write(`SEND <${name}> SIZE ${SIZE}\n`);
  if ((await reply()) !== 'SEND OK') throw new Error('raw copy refused');
  await pipeline(createReadStream(path, { highWaterMark: 512 * 1024 }), socket, { end: false });
  if ((await reply()) !== 'SEND OK') throw new Error('raw copy not confirmed');
  socket.end('QUIT\n');
}

async function peakRssGrowth(fn: () => Promise<unknown>): Promise<number> {
  const before = process.memoryUsage().rss;
  let peak = 0;
  const sampler = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss - before);
  }, 20);
  try {
    await fn();
  } finally {
    clearInterval(sampler);
  }
  return peak;
}

/** The download baseline: RECV, RECV OK, then the socket's bytes straight into a file. */
export async function rawRecv(name: string, dest: string, port: number): Promise<void> {
  const socket = await new Promise<Socket>((resolve, reject) => {
    const s = netConnect({ host: '127.0.0.1', port }, () => resolve(s));
    s.once('error', reject);
  });
  const out = createWriteStream(dest);
  await new Promise<void>((resolve, reject) => {
    let header = '';
    let remaining = -1;
    socket.on('data', (chunk: Buffer) => {
      let body = chunk;
      if (remaining < 0) {
        header += chunk.toString('latin1');
        const end = header.indexOf('\n');
        if (end === -1) return;
        remaining = Number(/^RECV SIZE (\d+)$/.exec(header.slice(0, end))?.[1] ?? NaN);
        if (Number.isNaN(remaining)) reject(new Error(`raw RECV refused: ${header}`));
        socket.write('RECV OK\n');
        body = Buffer.from(header.slice(end + 1), 'latin1');
      }
      remaining -= body.length;
      if (body.length > 0 && !out.write(body)) {
        socket.pause();
        out.once('drain', () => socket.resume());
      }
      if (remaining === 0) resolve();
    });
    socket.once('error', reject);
    socket.write(`RECV <${name}>\n`);
  });
  socket.end('QUIT\n');
  await new Promise<void>((resolve) => out.end(resolve));
}

async function ours(path: string, name: string, port: number, ca?: string): Promise<void> {
  const client = await TentacleClient.connect({
    host: '127.0.0.1',
    port,
    ...(ca === undefined ? {} : { tls: { caPem: ca } }),
  });
  await client.send(path, { name });
  await client.quit();
}

async function mibPerSecond(fn: () => Promise<void>): Promise<number> {
  const start = process.hrtime.bigint();
  await fn();
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  return SIZE / MIB / seconds;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}

export default async function tentacleBench(ctx: BenchContext): Promise<void> {
  const path = join(ctx.tmpDir, 'payload.bin');
  const handle = await open(path, 'w');
  const block = randomBytes(4 * MIB);
  for (let written = 0; written < SIZE; written += block.length) await handle.write(block);
  await handle.close();

  const smallPath = join(ctx.tmpDir, 'small.bin');
  await writeFile(smallPath, randomBytes(SMALL));

  const ca = TestCa.create('Bench CA');
  const leaf = ca.issue({ cn: 'localhost', altNames: ['localhost', '127.0.0.1'] });
  await writeFile(join(ctx.tmpDir, 'server.crt'), leaf.certPem);
  await writeFile(join(ctx.tmpDir, 'server.key'), leaf.keyPem);

  for (const mode of ['plain', 'TLS'] as const) {
    const server = await startServer(
      ctx.tmpDir,
      mode === 'TLS'
        ? { cert: join(ctx.tmpDir, 'server.crt'), key: join(ctx.tmpDir, 'server.key') }
        : undefined,
    );
    const caPem = mode === 'TLS' ? ca.certPem : undefined;
    try {
      const oursRuns: number[] = [];
      const rawRuns: number[] = [];
      let rssPeak = 0;
      const measureOurs = async (): Promise<void> => {
        let speed = 0;
        const peak = await peakRssGrowth(async () => {
          speed = await mibPerSecond(() => ours(path, 'ours.bin', server.port, caPem));
        });
        oursRuns.push(speed);
        rssPeak = Math.max(rssPeak, peak);
      };
      const measureRaw = async (): Promise<void> => {
        rawRuns.push(await mibPerSecond(() => rawCopy(path, 'raw.bin', server.port, caPem)));
      };
      for (let i = 0; i < RUNS; i++) {
        // Alternate the order so neither side always runs on a warmer server.
        if (i % 2 === 0) {
          await measureRaw();
          await measureOurs();
        } else {
          await measureOurs();
          await measureRaw();
        }
      }
      const oursMibs = median(oursRuns);
      const rawMibs = median(rawRuns);
      ctx.log(
        `${mode}: ours ${oursRuns.map((r) => r.toFixed(0)).join('/')} MiB/s, raw ${rawRuns.map((r) => r.toFixed(0)).join('/')} MiB/s`,
      );
      ctx.row({
        metric: `tentacle SEND 200 MiB ${mode}${mode === 'TLS' ? ' (verified)' : ''}`,
        ours: oursMibs,
        unit: 'MiB/s',
        baseline: rawMibs,
        baselineLabel: 'raw socket copy',
        higherIsBetter: true,
        target: '>= 0.80 of raw',
        met: oursMibs >= 0.8 * rawMibs,
      });
      const perl = mode === 'plain' ? PERL_PLAIN_MIBS : PERL_TLS_MIBS;
      const factor = mode === 'plain' ? 2.5 : 4;
      ctx.row({
        metric: `tentacle SEND 200 MiB ${mode} vs Perl client (issue figure)`,
        ours: oursMibs,
        unit: 'MiB/s',
        target: `>= ${factor}x ${perl} = ${factor * perl} MiB/s`,
        met: oursMibs >= factor * perl,
      });
      const smallPeak = await peakRssGrowth(() => ours(smallPath, 'small.bin', server.port, caPem));
      ctx.row({
        metric: `tentacle SEND ${mode}: peak RSS growth, 200 MiB file`,
        ours: rssPeak / MIB,
        unit: 'MiB',
        baseline: smallPeak / MIB,
        baselineLabel: 'same, 20 MiB file',
        higherIsBetter: false,
        target: 'flat: <= 64 MiB for a 200 MiB file',
        met: rssPeak <= 64 * MIB,
      });
      if (mode === 'plain') {
        // The server now holds ours.bin (200 MiB): download it both ways.
        const recvOurs: number[] = [];
        const recvRaw: number[] = [];
        let recvPeak = 0;
        const dl = join(ctx.tmpDir, 'dl');
        await mkdir(dl, { recursive: true });
        for (let i = 0; i < RUNS; i++) {
          recvRaw.push(
            await mibPerSecond(() => rawRecv('ours.bin', join(dl, 'raw.bin'), server.port)),
          );
          let speed = 0;
          recvPeak = Math.max(
            recvPeak,
            await peakRssGrowth(async () => {
              speed = await mibPerSecond(async () => {
                const client = await TentacleClient.connect({
                  host: '127.0.0.1',
                  port: server.port,
                });
                await client.recv('ours.bin', { dir: dl, overwrite: true });
                await client.quit();
              });
            }),
          );
          recvOurs.push(speed);
        }
        ctx.row({
          metric: 'tentacle RECV 200 MiB plain',
          ours: median(recvOurs),
          unit: 'MiB/s',
          baseline: median(recvRaw),
          baselineLabel: 'raw socket to file',
          higherIsBetter: true,
          target: '>= 0.80 of raw',
          met: median(recvOurs) >= 0.8 * median(recvRaw),
        });
        ctx.row({
          metric: 'tentacle RECV plain: peak RSS growth, 200 MiB file',
          ours: recvPeak / MIB,
          unit: 'MiB',
          target: 'flat: <= 64 MiB',
          met: recvPeak <= 64 * MIB,
        });
      }
    } finally {
      await stopProcess(server.child);
    }
  }
}
