/**
 * The installer seed for an HA parent zone (issue #18): ICINGA_MASTER lists
 * every master, ICINGA_FINGERPRINT one pin each, applied on first start
 * against two real icinga2 masters of zone `master` (IcingaMaster.startHaPair:
 * one CA, one TicketSalt).
 */
import { X509Certificate } from 'node:crypto';
import { access, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Agent } from '../../../main/core/agent.ts';
import type { LogLine } from '../../../main/core/contract/log.ts';
import { applyPendingSeeds } from '../../../main/core/deploy/apply.ts';
import { createIcingaModule } from '../../../main/core/protocols/icinga/index.ts';
import { IcingaMaster, icingaMissing, MASTER2_CN, MASTER_CN } from '../../peers/icinga2.ts';
import { freePort, makeTempDir } from '../../peers/util.ts';

const skip = icingaMissing();

/** `AB:CD:…`, as `openssl x509 -fingerprint -sha256` prints it. */
const colons = (hex: string) => hex.toUpperCase().replace(/(..)(?!$)/g, '$1:');
/** `AB CD …`, as the agent shows a certificate trusted on first use. */
const spaced = (hex: string) => hex.toUpperCase().replace(/(..)(?!$)/g, '$1 ');

describe.skipIf(skip !== undefined)('installer seed pairs with both masters of an HA zone', () => {
  let a: IcingaMaster;
  let b: IcingaMaster;
  let agent: Agent;
  let dataDir: string;
  let seedFile: string;
  let logs: LogLine[];
  let cleanup: () => Promise<void>;

  beforeAll(async () => {
    [a, b] = await IcingaMaster.startHaPair({
      agents: [{ cn: 'seedha1.test' }, { cn: 'seedha2.test' }, { cn: 'seedha3.test' }],
    });
  }, 90_000);
  afterAll(async () => {
    await a?.stop();
    await b?.stop();
  });
  beforeEach(async () => {
    let dir: string;
    ({ dir, cleanup } = await makeTempDir('outpost-seed-icinga-ha-'));
    dataDir = join(dir, 'data');
    await mkdir(dataDir, { recursive: true });
    seedFile = join(dataDir, 'seed.ini');
    agent = await Agent.open({ dataDir, logToFile: false, modules: [createIcingaModule()] });
    logs = [];
    agent.events.on('log', (line) => logs.push(line));
  });
  afterEach(async () => {
    await agent.close();
    await cleanup();
  });

  const apply = async () => (await applyPendingSeeds(agent, [seedFile]))[0]!;
  const mastersOf = () =>
    (agent.context.targets.get('icinga').config as { masters: Array<Record<string, unknown>> })
      .masters;

  it('pairs with every master listed, each pinned with its own fingerprint', async () => {
    const ticket = await b.ticket('seedha1.test');
    await writeFile(
      seedFile,
      [
        '[seed]',
        `ICINGA_MASTER=127.0.0.1:${a.port},127.0.0.1:${b.port}`,
        `ICINGA_FINGERPRINT=${colons(a.fingerprint)}, ${colons(b.fingerprint)}`,
        `ICINGA_TICKET=${ticket}`,
        'ICINGA_CN=seedha1.test',
      ].join('\r\n'),
    );
    const report = await apply();
    expect(report.status).toBe('applied');
    expect(report.targets).toEqual([
      {
        target: 'icinga',
        kind: 'icinga',
        outcome: 'created',
        detail: `paired with 127.0.0.1:${a.port}, 127.0.0.1:${b.port} as seedha1.test`,
      },
    ]);
    expect(mastersOf()).toEqual([
      expect.objectContaining({
        host: '127.0.0.1',
        port: a.port,
        endpoint: MASTER_CN,
        fingerprint: a.fingerprint,
      }),
      expect.objectContaining({
        host: '127.0.0.1',
        port: b.port,
        endpoint: MASTER2_CN,
        fingerprint: b.fingerprint,
      }),
    ]);
    const cert = new X509Certificate(
      (await agent.context.identity.readCertificates('icinga')).certPem!,
    );
    expect(cert.subject).toBe('CN=seedha1.test');
    expect(cert.checkIssued(new X509Certificate(a.ca.certPem))).toBe(true);
    // Nothing was trusted on first use: every master had its fingerprint.
    expect(logs.filter((l) => l.message.includes('trusted on first use'))).toEqual([]);
    await expect(access(seedFile)).rejects.toThrow();
    const applied = await readFile(join(dataDir, 'seed.applied.ini'), 'utf8');
    expect(applied).not.toContain(ticket);
    expect(applied).toContain(`ICINGA_MASTER=127.0.0.1:${a.port},127.0.0.1:${b.port}`);
  }, 60_000);

  it('without fingerprints, trusts each master on first use and logs and shows each fingerprint', async () => {
    const ticket = await a.ticket('seedha2.test');
    await writeFile(
      seedFile,
      `ICINGA_MASTER=127.0.0.1:${a.port},127.0.0.1:${b.port}\nICINGA_TICKET=${ticket}\nAGENT_NAME=seedha2.test\n`,
    );
    const report = await apply();
    expect(report.targets[0]).toMatchObject({ outcome: 'created' });
    const { detail } = report.targets[0]!;
    expect(detail).toContain(
      `master certificate of 127.0.0.1:${a.port} ${spaced(a.fingerprint)} trusted on first use`,
    );
    expect(detail).toContain(
      `master certificate of 127.0.0.1:${b.port} ${spaced(b.fingerprint)} trusted on first use`,
    );
    expect(mastersOf().map((m) => [m.endpoint, m.fingerprint])).toEqual([
      [MASTER_CN, a.fingerprint],
      [MASTER2_CN, b.fingerprint],
    ]);
    const trusted = logs.filter((l) => l.message.includes('trusted on first use'));
    expect(trusted.map((l) => [l.level, l.fields?.master, l.fields?.fingerprint])).toEqual([
      ['warn', `127.0.0.1:${a.port}`, spaced(a.fingerprint)],
      ['warn', `127.0.0.1:${b.port}`, spaced(b.fingerprint)],
    ]);
  }, 60_000);

  it('retries at the next start when a master to trust on first use cannot be reached', async () => {
    const ticket = await a.ticket('seedha3.test');
    const down = await freePort();
    await writeFile(
      seedFile,
      `ICINGA_MASTER=127.0.0.1:${a.port},127.0.0.1:${down}\nICINGA_TICKET=${ticket}\nICINGA_CN=seedha3.test\n`,
    );
    const report = await apply();
    expect(report.status).toBe('retry');
    expect(report.targets[0]).toMatchObject({
      outcome: 'retry',
      detail: expect.stringContaining('retried at the next start') as string,
    });
    // Not paired with a part of the zone: the seed stays, without its ticket.
    expect(agent.context.targets.find('icinga')).toBeUndefined();
    const kept = await readFile(seedFile, 'utf8');
    expect(kept).toContain(`ICINGA_MASTER=127.0.0.1:${a.port},127.0.0.1:${down}`);
    expect(kept).not.toContain(ticket);
  }, 60_000);
});
