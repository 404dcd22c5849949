import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Agent } from '../../../main/core/agent.ts';
import { pairIcinga } from '../../../main/core/protocols/icinga/pairing.ts';
import { IcingaMaster, icingaMissing, MASTER_CN, MASTER_ZONE } from '../../peers/icinga2.ts';
import { TentacleServer } from '../../peers/tentacle-server.ts';
import { makeTempDir } from '../../peers/util.ts';
import { readDataFile } from '../protocols/pandora/data-rules.ts';
import { eventually } from '../../poll.ts';

/**
 * Issue #10 end to end: one local check, scheduled by the daemon, feeds a real
 * Icinga 2 master and the reference Tentacle server at once through the
 * durable queue. The master shows the result; the server holds a data file
 * that the Pandora data server's parsing rules accept.
 */
const skip = icingaMissing();
const CN = 'agent1.test';
const DUMMY = '/usr/lib/nagios/plugins/check_dummy';
const IMPORTED_CN = 'agent2.test';

describe.skipIf(skip !== undefined)('one check, two backends', () => {
  let master: IcingaMaster;
  let tentacle: TentacleServer;
  let agent: Agent;
  let tmp: { dir: string; cleanup(): Promise<void> };
  const controller = new AbortController();
  let daemon: Promise<void>;

  beforeAll(async () => {
    tmp = await makeTempDir('checks-e2e');
    master = await IcingaMaster.start({
      agents: [
        { cn: CN, services: ['outpost-disk'] },
        { cn: IMPORTED_CN, services: ['imported'] },
      ],
    });
    tentacle = await TentacleServer.start({ dir: join(tmp.dir, 'data_in') });
    agent = await Agent.open({ dataDir: join(tmp.dir, 'agent'), logToFile: false });
    const paired = await pairIcinga(agent.context, {
      target: 'icinga',
      host: '127.0.0.1',
      port: master.port,
      cn: CN,
      ticket: await master.ticket(CN),
      trustFingerprint: master.fingerprint,
      waitSeconds: 0,
    });
    expect(paired.state).toBe('paired');
    agent.context.targets.save('pandora', 'tentacle', { host: '127.0.0.1', port: tentacle.port });
  }, 90_000);

  afterAll(async () => {
    controller.abort();
    await daemon?.catch(() => undefined);
    await agent?.close();
    await tentacle?.stop();
    await master?.stop();
    await tmp?.cleanup();
  });

  it('the master shows the result and the Tentacle server holds an accepted data file', async () => {
    await agent.api.addCheck({
      name: 'disk',
      command: { argv: [DUMMY, '1', 'disk filling up | /=91%;80;90;0;100 inodes=12%;50;75'] },
      interval: 2,
      timeout: 10,
      targets: [
        { target: 'icinga', service: 'outpost-disk' },
        { target: 'pandora', agentName: CN, moduleName: 'Disk' },
      ],
    });
    const started = Date.now() / 1000 - 1;
    const runs: Array<Array<[string, string | undefined]>> = [];
    agent.events.on('checks.result', (e) =>
      runs.push(e.deliveries.map((d) => [d.target, d.error])),
    );
    // The scheduler runs it (first slot within its 2 s interval) and the queue delivers it.
    daemon = agent.run(controller.signal);
    await eventually(async () => (runs.length > 0 ? true : undefined), {
      timeout: 45_000,
      interval: 200,
      what: 'a scheduled run',
    });
    expect(runs[0]).toEqual([
      ['icinga', undefined],
      ['pandora', undefined],
    ]);

    const cr = await eventually(
      async () => {
        const r = await master.lastCheckResult(CN, 'outpost-disk');
        return r !== null && (r.execution_start as number) >= started ? r : undefined;
      },
      { timeout: 45_000, interval: 200, what: 'the master to store the result' },
    );
    expect(cr).toMatchObject({
      state: 1,
      exit_status: 1,
      output: 'WARNING: disk filling up',
      performance_data: ['/=91%;80;90;0;100', 'inodes=12%;50;75'],
      check_source: CN,
    });

    const file = await eventually(
      async () => {
        const names = (await readdir(join(tmp.dir, 'data_in'))).filter((n) => n.endsWith('.data'));
        return names.length > 0 ? names[0] : undefined;
      },
      { timeout: 45_000, interval: 200, what: 'a data file on the Tentacle server' },
    );
    expect(file).toMatch(/^agent1\.test\.\d+\.data$/);
    const read = readDataFile(file, await readFile(join(tmp.dir, 'data_in', file)));
    expect(read.agent.agent_name).toBe(CN);
    expect(
      read.modules.map((m) => [m.name, m.type, m.data, m.valueAccepted, m.children.status]),
    ).toEqual([
      ['Disk', 'generic_proc', '2', true, 'WARNING'],
      ['Disk /', 'generic_data', '91', true, 'CRITICAL'],
      ['Disk inodes', 'generic_data', '12', true, 'NORMAL'],
    ]);

    // The queue items end delivered, and the checks list says so per target.
    const summary = await eventually(
      async () => {
        const [s] = await agent.api.listChecks({});
        return s!.targets.every((t) => t.itemState === 'delivered') ? s : undefined;
      },
      { timeout: 45_000, interval: 200, what: 'both items delivered' },
    );
    expect(summary.targets.map((t) => [t.target, t.itemState])).toEqual([
      ['icinga', 'delivered'],
      ['pandora', 'delivered'],
    ]);
  }, 90_000);

  it("an Icinga agent's files, imported, deliver to its master as that agent", async () => {
    // What `icinga2 node setup` leaves behind, with a certificate the master's CA signed.
    const etc = join(tmp.dir, 'etc-icinga2');
    await mkdir(join(etc, 'certs'), { recursive: true });
    await writeFile(
      join(etc, 'constants.conf'),
      `const NodeName = "${IMPORTED_CN}"\nconst ZoneName = "${IMPORTED_CN}"\nconst TicketSalt = ""\n`,
    );
    await writeFile(
      join(etc, 'zones.conf'),
      [
        `object Endpoint "${MASTER_CN}" {`,
        '  host = "127.0.0.1"',
        `  port = "${master.port}"`,
        '}',
        `object Zone "${MASTER_ZONE}" {`,
        `  endpoints = [ "${MASTER_CN}" ]`,
        '}',
        'object Endpoint NodeName {',
        '}',
        'object Zone ZoneName {',
        '  endpoints = [ NodeName ]',
        `  parent = "${MASTER_ZONE}"`,
        '}',
        'object Zone "global-templates" {',
        '  global = true',
        '}',
        '',
      ].join('\n'),
    );
    const leaf = master.ca.issue({ cn: IMPORTED_CN, clientAuth: true, serverAuth: true });
    await writeFile(join(etc, 'certs', `${IMPORTED_CN}.crt`), leaf.certPem);
    await writeFile(join(etc, 'certs', `${IMPORTED_CN}.key`), leaf.keyPem);
    await writeFile(join(etc, 'certs', 'ca.crt'), master.ca.certPem);
    await writeFile(join(etc, 'certs', 'trusted-parent.crt'), master.masterCertPem);

    const second = await Agent.open({ dataDir: join(tmp.dir, 'agent2'), logToFile: false });
    const stop = new AbortController();
    let running: Promise<void> | undefined;
    try {
      const report = await second.api.importIcinga({ dir: etc });
      expect(report.target).toMatchObject({
        kind: 'icinga',
        created: true,
        config: {
          masters: [{ endpoint: MASTER_CN, port: master.port, fingerprint: master.fingerprint }],
          cn: IMPORTED_CN,
        },
      });
      expect(report.unmapped).toEqual([
        expect.objectContaining({ reason: expect.stringMatching(/global zone/) }),
      ]);
      await second.api.addCheck({
        name: 'imported',
        command: { argv: [DUMMY, '2', 'from the imported agent'] },
        interval: 3600,
        targets: [{ target: 'icinga' }],
      });
      const started = Date.now() / 1000 - 1;
      running = second.run(stop.signal);
      await second.api.runCheckNow({ name: 'imported' });
      const cr = await eventually(
        async () => {
          const r = await master.lastCheckResult(IMPORTED_CN, 'imported');
          return r !== null && (r.execution_start as number) >= started ? r : undefined;
        },
        { timeout: 45_000, interval: 200, what: "the master to store the imported agent's result" },
      );
      expect(cr).toMatchObject({
        state: 2,
        output: 'CRITICAL: from the imported agent',
        check_source: IMPORTED_CN,
      });
    } finally {
      stop.abort();
      await running?.catch(() => undefined);
      await second.close();
    }
  }, 90_000);
});
