import { X509Certificate } from 'node:crypto';
import { access, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Agent } from '../../../main/core/agent.ts';
import { applyPendingSeeds } from '../../../main/core/deploy/apply.ts';
import { createIcingaModule } from '../../../main/core/protocols/icinga/index.ts';
import { IcingaMaster, icingaMissing } from '../../peers/icinga2.ts';
import { makeTempDir } from '../../peers/util.ts';

const skip = icingaMissing();

/** A silent install's Icinga parameters applied on first start, against a real master on loopback. */
describe.skipIf(skip !== undefined)('installer seed pairs with a real Icinga master', () => {
  let master: IcingaMaster;
  let agent: Agent;
  let dataDir: string;
  let seedFile: string;
  let cleanup: () => Promise<void>;

  beforeAll(async () => {
    master = await IcingaMaster.start({
      agents: [{ cn: 'seed1.test' }, { cn: 'seed2.test' }, { cn: 'seed3.test' }],
    });
  }, 60_000);
  afterAll(async () => master?.stop());
  beforeEach(async () => {
    let dir: string;
    ({ dir, cleanup } = await makeTempDir('outpost-seed-icinga-'));
    dataDir = join(dir, 'data');
    await mkdir(dataDir, { recursive: true });
    seedFile = join(dataDir, 'seed.ini');
    agent = await Agent.open({ dataDir, logToFile: false, modules: [createIcingaModule()] });
  });
  afterEach(async () => {
    await agent.close();
    await cleanup();
  });

  const apply = async () => (await applyPendingSeeds(agent, [seedFile]))[0]!;

  it('pairs with the ticket and the pinned fingerprint, then forgets the ticket on disk', async () => {
    const ticket = await master.ticket('seed1.test');
    const fingerprint = master.fingerprint.toUpperCase().replace(/(..)(?!$)/g, '$1:');
    await writeFile(
      seedFile,
      `[seed]\r\nICINGA_MASTER=127.0.0.1:${master.port}\r\nICINGA_TICKET=${ticket}\r\nICINGA_FINGERPRINT=${fingerprint}\r\nICINGA_CN=seed1.test\r\n`,
    );
    const report = await apply();
    expect(report.status).toBe('applied');
    expect(report.targets).toEqual([
      expect.objectContaining({
        target: 'icinga',
        kind: 'icinga',
        outcome: 'created',
        detail: expect.stringMatching(/^paired with 127\.0\.0\.1:\d+ as seed1\.test$/),
      }),
    ]);
    const cert = new X509Certificate(
      (await agent.context.identity.readCertificates('icinga')).certPem!,
    );
    expect(cert.subject).toBe('CN=seed1.test');
    expect(cert.checkIssued(new X509Certificate(master.ca.certPem))).toBe(true);
    expect((await agent.api.listTargets({})).map((t) => [t.name, t.kind])).toEqual([
      ['icinga', 'icinga'],
    ]);
    await expect(access(seedFile)).rejects.toThrow();
    const applied = await readFile(join(dataDir, 'seed.applied.ini'), 'utf8');
    expect(applied).not.toContain(ticket);
    expect(applied).toContain(`ICINGA_MASTER=127.0.0.1:${master.port}`);
  });

  it('without a fingerprint, trusts the master on first use and says which certificate it pinned', async () => {
    const ticket = await master.ticket('seed2.test');
    await writeFile(
      seedFile,
      `ICINGA_MASTER=127.0.0.1:${master.port}\nICINGA_TICKET=${ticket}\nAGENT_NAME=seed2.test\n`,
    );
    const report = await apply();
    expect(report.targets[0]).toMatchObject({ outcome: 'created' });
    expect(report.targets[0]!.detail).toContain('trusted on first use');
    const spaced = master.fingerprint.toUpperCase().replace(/(..)(?!$)/g, '$1 ');
    expect(report.targets[0]!.detail).toContain(spaced);
    expect(
      (await agent.context.identity.pin('icinga'))?.value.replace(/:/g, '').toLowerCase(),
    ).toBe(master.fingerprint);
  });

  it('keeps the seed without its ticket while the master is down, and pairs at the next start', async () => {
    const ticket = await master.ticket('seed3.test');
    await writeFile(
      seedFile,
      `ICINGA_MASTER=127.0.0.1:${master.port}\nICINGA_TICKET=${ticket}\nICINGA_CN=seed3.test\n`,
    );
    await master.kill();
    try {
      const first = await apply();
      expect(first.status).toBe('retry');
      expect(first.targets[0]).toMatchObject({
        outcome: 'retry',
        detail: expect.stringContaining('retried at the next start'),
      });
      const kept = await readFile(seedFile, 'utf8');
      expect(kept).toContain(`ICINGA_MASTER=127.0.0.1:${master.port}`);
      expect(kept).not.toContain(ticket);
      expect(await agent.context.secrets.get('target/icinga/ticket')).toBe(ticket);
    } finally {
      await master.start();
    }
    const second = await apply();
    expect(second.status).toBe('applied');
    expect(second.targets[0]).toMatchObject({ outcome: 'created' });
    expect(
      new X509Certificate((await agent.context.identity.readCertificates('icinga')).certPem!)
        .subject,
    ).toBe('CN=seed3.test');
    await expect(access(seedFile)).rejects.toThrow();
  });
});
