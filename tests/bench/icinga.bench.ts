import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import {
  AUTHENTICATED_MAX_PAYLOAD,
  encodeNetstring,
  NetstringDecoder,
} from '../../main/core/protocols/icinga/codec.ts';
import { postCheckResult } from '../../main/core/protocols/icinga/rest.ts';
import { pairIcinga } from '../../main/core/protocols/icinga/pairing.ts';
import { IcingaMaster, icingaMissing, MASTER_CN } from '../peers/icinga2.ts';
import {
  checkResultItem,
  deliveryContext,
  openIcingaAgent,
} from '../core/protocols/icinga/helpers.ts';
import { medianMs, type BenchContext } from './harness.ts';

const execFileAsync = promisify(execFile);
const SERVICES = Array.from({ length: 50 }, (_, i) => `s${i}`);
const CN = 'bench1.test';

/** Runs `tasks` with at most `width` in flight; returns the wall time in ms. */
async function pipelined(
  count: number,
  width: number,
  task: (i: number) => Promise<void>,
): Promise<number> {
  const start = performance.now();
  let next = 0;
  const workers = Array.from({ length: Math.min(width, count) }, async () => {
    while (next < count) await task(next++);
  });
  await Promise.all(workers);
  return performance.now() - start;
}

/**
 * Issue #5 bench: check results per second delivered AND confirmed by a real
 * Icinga 2.13 master over one cluster connection, next to the REST API's rate
 * in the same run; pairing time from nothing to signed (ticket) next to the
 * icinga2 CLI doing the same (`pki new-cert` + `save-cert` + `request`).
 */
/**
 * Issue #14 item 7: a frame spread over many chunks is joined once, so its
 * decode costs about one copy of it (a join per chunk took ~390 ms for 8 MiB
 * and would block for tens of seconds at 64 MiB).
 */
async function netstringDecodeBench(ctx: BenchContext): Promise<void> {
  const CHUNK = 16 * 1024;
  const wire = encodeNetstring(Buffer.alloc(AUTHENTICATED_MAX_PAYLOAD, 0x61));
  const chunks: Buffer[] = [];
  for (let offset = 0; offset < wire.length; offset += CHUNK)
    chunks.push(wire.subarray(offset, offset + CHUNK));
  const decode = await medianMs(5, () => {
    const decoder = new NetstringDecoder(AUTHENTICATED_MAX_PAYLOAD);
    for (const chunk of chunks) decoder.push(chunk);
  });
  const join = await medianMs(5, () => Buffer.concat(chunks));
  ctx.row({
    metric: 'icinga netstring decode, one 64 MiB frame in 16 KiB chunks',
    ours: decode,
    unit: 'ms',
    baseline: join,
    baselineLabel: 'one Buffer.concat of the chunks',
    higherIsBetter: false,
    target: '<= 2x one concat',
    met: decode <= 2 * join,
  });
}

export default async function icingaBench(ctx: BenchContext): Promise<void> {
  await netstringDecodeBench(ctx);
  if (icingaMissing() !== undefined) {
    ctx.log('icinga2 not installed: Icinga bench skipped');
    return;
  }
  const agents = [
    { cn: CN, services: SERVICES },
    ...Array.from({ length: 6 }, (_, i) => ({ cn: `pair${i}.test` })),
  ];
  const master = await IcingaMaster.start({
    agents,
    extraConfig: `object ApiUser "bench-rest" { client_cn = "${CN}"; permissions = [ "actions/process-check-result" ] }\n`,
  });
  const t = await openIcingaAgent('icinga-bench');
  try {
    // ---- pairing: nothing → signed certificate, with a ticket --------------
    let n = 0;
    const ours = await medianMs(3, async () => {
      const cn = `pair${n++}.test`;
      const res = await pairIcinga(t.agent.context, {
        target: `p${n}`,
        host: '127.0.0.1',
        port: master.port,
        cn,
        ticket: await master.ticket(cn),
        trustFingerprint: master.fingerprint,
        waitSeconds: 0,
      });
      if (res.state !== 'paired') throw new Error('bench pairing did not complete');
    });
    const cliDir = await mkdtemp(join(ctx.tmpDir, 'icinga-cli-'));
    const cli = await medianMs(3, async () => {
      const cn = `pair${n++}.test`;
      const f = (name: string): string => join(cliDir, `${cn}.${name}`);
      const ticket = await master.ticket(cn);
      await execFileAsync('icinga2', [
        'pki',
        'new-cert',
        '--cn',
        cn,
        '--key',
        f('key'),
        '--cert',
        f('crt'),
        ...master.constants,
      ]);
      await execFileAsync('icinga2', [
        'pki',
        'save-cert',
        '--host',
        '127.0.0.1',
        '--port',
        String(master.port),
        '--trustedcert',
        f('trusted'),
        ...master.constants,
      ]);
      await execFileAsync('icinga2', [
        'pki',
        'request',
        '--host',
        '127.0.0.1',
        '--port',
        String(master.port),
        '--ticket',
        ticket,
        '--key',
        f('key'),
        '--cert',
        f('crt'),
        '--trustedcert',
        f('trusted'),
        '--ca',
        f('ca'),
        ...master.constants,
      ]);
    });
    await rm(cliDir, { recursive: true, force: true });
    ctx.row({
      metric: 'icinga pairing, nothing → signed (ticket, RSA-4096 key)',
      ours,
      unit: 'ms',
      baseline: cli,
      baselineLabel: 'icinga2 pki new-cert+save-cert+request',
      higherIsBetter: false,
    });

    // ---- check results over one connection, confirmed ---------------------
    await pairIcinga(t.agent.context, {
      target: 'b',
      host: '127.0.0.1',
      port: master.port,
      cn: CN,
      ticket: await master.ticket(CN),
      trustFingerprint: master.fingerprint,
      waitSeconds: 0,
    });
    const record = t.agent.context.targets.get('b');
    const send = (i: number): Promise<void> =>
      t.driver.deliver(
        record,
        checkResultItem('b', {
          host: CN,
          service: SERVICES[i % SERVICES.length]!,
          state: i % 4,
          output: `bench result ${i}`,
          performanceData: [`i=${i}`],
        }),
        deliveryContext(),
      );
    await pipelined(500, 256, send); // connect + warm-up
    const total = 20_000;
    const clusterMs = await pipelined(total, 2048, send);
    const clusterRate = (total / clusterMs) * 1000;
    const last = await master.lastCheckResult(CN, SERVICES[(total - 1) % SERVICES.length]!);
    ctx.log(`last stored: ${String(last?.output)} (expected 'bench result ${total - 1}')`);

    // ---- REST API side by side (new TLS connection per request, 32 in parallel) ----
    const files = await t.agent.context.identity.readCertificates('b');
    const rest = {
      host: '127.0.0.1',
      port: master.port,
      endpoint: MASTER_CN,
      caPem: files.caPem!,
      certPem: files.certPem!,
      keyPem: files.keyPem!,
    };
    const restTotal = 2_000;
    const restMs = await pipelined(restTotal, 32, async (i) => {
      const now = Date.now() / 1000;
      await postCheckResult(
        rest,
        {
          host: CN,
          service: SERVICES[i % SERVICES.length]!,
          state: 0,
          output: `rest ${i}`,
          performanceData: [],
          executionStart: now,
          executionEnd: now,
        },
        CN,
      );
    });
    const restRate = (restTotal / restMs) * 1000;
    ctx.row({
      metric: `icinga check results confirmed, one cluster connection (${total})`,
      ours: Math.round(clusterRate),
      unit: 'per s',
      baseline: Math.round(restRate),
      baselineLabel: 'REST process-check-result, 32 parallel',
      higherIsBetter: true,
      target: '>= 5000/s',
      met: clusterRate >= 5000,
    });
  } finally {
    await t.close();
    await master.stop();
  }
}
