import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseMaster } from '../../../main/cli/commands/icinga.ts';
import { runCli } from '../../cli/run-cli.ts';
import { IcingaMaster, icingaMissing, MASTER_CN } from '../../peers/icinga2.ts';
import { makeTempDir } from '../../peers/util.ts';

const skip = icingaMissing();

describe('parseMaster', () => {
  it('takes HOST, HOST:PORT and [v6]:PORT with 5665 as default port', () => {
    expect(parseMaster('icinga.example')).toEqual({ host: 'icinga.example', port: 5665 });
    expect(parseMaster('10.0.0.1:7000')).toEqual({ host: '10.0.0.1', port: 7000 });
    expect(parseMaster('[::1]:5666')).toEqual({ host: '::1', port: 5666 });
    expect(() => parseMaster('a:b:c')).toThrow(/HOST:PORT/);
  });
});

describe.skipIf(skip !== undefined)('outpost icinga … against a real master', () => {
  let master: IcingaMaster;
  let dir: string;
  let cleanup: () => Promise<void>;
  const cli = (...args: string[]) => runCli([...args, '--data-dir', dir]);

  beforeAll(async () => {
    master = await IcingaMaster.start({ agents: [{ cn: 'agent1.test' }, { cn: 'agent2.test' }] });
    ({ dir, cleanup } = await makeTempDir('icinga-cli'));
  }, 60_000);
  afterAll(async () => {
    await master?.stop();
    await cleanup?.();
  });

  it('icinga ticket prints what icinga2 pki ticket prints', async () => {
    const res = await cli(
      'icinga',
      'ticket',
      '--cn',
      'agent1.test',
      '--salt',
      'peer-test-ticket-salt',
    );
    expect(res).toMatchObject({ code: 0, stdout: 'e28cffcb4fdaef877b7edc47ba55f5cd097ad940\n' });
    expect((await cli('icinga', 'ticket', '--cn', 'x')).code).toBe(2);
  });

  it('shows the master fingerprint and does not pair without confirmation', async () => {
    const res = await cli(
      'icinga',
      'pair',
      'm0',
      '--master',
      `127.0.0.1:${master.port}`,
      '--cn',
      'agent1.test',
    );
    expect(res.code).toBe(1);
    expect(res.stderr).toContain(master.fingerprint.toUpperCase().replace(/(..)(?!$)/g, '$1 '));
    expect(res.stderr).toContain(`CN=${MASTER_CN}`);
    expect(res.stdout).toContain(`--trust-fingerprint ${master.fingerprint}`);
    expect(await master.caList()).toEqual({});
  });

  it('pairs on demand: prints the icinga2 ca sign command, then completes once signed', async () => {
    const pending = await cli(
      'icinga',
      'pair',
      'm2',
      '--master',
      `127.0.0.1:${master.port}`,
      '--cn',
      'agent2.test',
      '--trust-fingerprint',
      master.fingerprint,
      '--wait',
      '0',
    );
    expect(pending.code).toBe(1);
    const fingerprint = Object.keys(await master.caList())[0]!;
    expect(pending.stdout).toContain(`icinga2 ca sign ${fingerprint}`);
    const status = await cli('icinga', 'status', 'm2', '--json');
    expect(JSON.parse(status.stdout)).toMatchObject({
      paired: false,
      pendingRequest: { fingerprint },
    });
    await master.caSign(fingerprint);
    const done = await cli(
      'icinga',
      'pair',
      'm2',
      '--master',
      `127.0.0.1:${master.port}`,
      '--cn',
      'agent2.test',
      '--trust-fingerprint',
      master.fingerprint,
      '--wait',
      '30',
    );
    expect(done.code).toBe(0);
    expect(done.stdout).toContain('Paired m2: agent2.test → master.test');
  }, 60_000);

  it('pairs with a ticket and reports the live status', async () => {
    const ticket = await master.ticket('agent1.test');
    const res = await cli(
      'icinga',
      'pair',
      'm1',
      '--master',
      `127.0.0.1:${master.port}`,
      '--cn',
      'agent1.test',
      '--ticket',
      ticket,
      '--trust-fingerprint',
      master.fingerprint,
    );
    expect(res.code).toBe(0);
    expect(res.stderr).toContain('✓ verify');
    const status = await cli('icinga', 'status', 'm1', '--json');
    expect(status.code).toBe(0);
    const s = JSON.parse(status.stdout) as {
      state: string;
      paired: boolean;
      certificate: { daysLeft: number };
    };
    expect(s).toMatchObject({
      state: 'ready',
      paired: true,
      cn: 'agent1.test',
      endpoint: MASTER_CN,
    });
    expect(s.certificate.daysLeft).toBeGreaterThan(390);
  }, 60_000);

  it('check-result --now delivers through the paired target and the one-shot process exits', async () => {
    const started = Date.now();
    const res = await cli(
      'check-result',
      '--target',
      'm1',
      '--host',
      'agent1.test',
      '--service',
      'passive',
      '--state',
      '1',
      '--output',
      'from the CLI',
      '--perfdata',
      'x=1;2;3',
      '--now',
    );
    expect(res).toMatchObject({ code: 0, stdout: 'Delivered to m1.\n' });
    // The open session must not keep the CLI alive (it would hit runCli's 60 s kill).
    expect(Date.now() - started).toBeLessThan(20_000);
    expect(await master.lastCheckResult('agent1.test', 'passive')).toMatchObject({
      output: 'from the CLI',
      state: 1,
      performance_data: ['x=1;2;3'],
    });
  }, 60_000);
});
