import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, runCli } from '../../../cli/run-cli.ts';
import { IcingaMaster, icingaMissing, MASTER2_CN, MASTER_CN } from '../../../peers/icinga2.ts';
import { captureOutput, makeTempDir, startProcess, stopProcess } from '../../../peers/util.ts';

const skip = icingaMissing();
const REST_USER = 'outpost-cli';
const REST_PASSWORD = 'cli-rest-secret-5e1d';
/** The two ways `icinga transport --rest` authenticates (spec §5): agent1's client certificate, or basic auth. */
const REST_API_USERS = `
object ApiUser "agent1-cert" { client_cn = "agent1.test"; permissions = [ "actions/process-check-result" ] }
object ApiUser "${REST_USER}" { password = "${REST_PASSWORD}"; permissions = [ "actions/process-check-result" ] }
`;
const CHECK_DUMMY = '/usr/lib/nagios/plugins/check_dummy';
/** A master-scheduled check that agent1 must run (spec §4.6), every second. */
const COMMAND_ENDPOINT_SERVICE = `
object CheckerComponent "checker" { }
object Host "agent1-cmd.test" { check_command = "dummy"; enable_active_checks = false; zone = "master" }
object Service "remote-dummy" {
  host_name = "agent1-cmd.test"
  check_command = "dummy"
  command_endpoint = "agent1.test"
  zone = "master"
  check_interval = 1s
  retry_interval = 1s
  vars.dummy_state = 1
  vars.dummy_text = "hello from the master"
}
`;

describe('outpost icinga pair --master', () => {
  it('takes HOST[:PORT] with the Icinga port by default, and names --master when it is wrong', async () => {
    const { dir, cleanup } = await makeTempDir('icinga-cli-master');
    try {
      const cli = (master: string) =>
        runCli(['icinga', 'pair', 'm9', '--master', master, '--cn', 'x.test', '--data-dir', dir]);
      const bare = await cli('2001:db8::1');
      expect(bare.code).toBe(2);
      expect(bare.stderr).toContain(
        "--master: '2001:db8::1' is not HOST[:PORT]: write an IPv6 address in brackets, e.g. [2001:db8::1]:5665",
      );
      const badPort = await cli('[::1]:http');
      expect(badPort.code).toBe(2);
      expect(badPort.stderr).toContain("--master: port 'http' must be a number from 1 to 65535");
      // No port: the agent asks the master's default port for its certificate (nothing listens there).
      const unreachable = await cli('127.0.0.1');
      expect(unreachable.code).toBe(1);
      expect(unreachable.stderr).toContain('127.0.0.1:5665');
    } finally {
      await cleanup();
    }
  });

  it('takes --master once per master of an HA zone, and refuses a missing, repeated or unmatched one naming the flag', async () => {
    const { dir, cleanup } = await makeTempDir('icinga-cli-masters');
    try {
      const pair = (...flags: string[]) =>
        runCli(['icinga', 'pair', 'm9', '--cn', 'x.test', ...flags, '--data-dir', dir]);
      const none = await pair();
      expect(none.code).toBe(2);
      expect(none.stderr).toContain(
        '--master HOST[:PORT] is required (repeat it for each master of an HA parent zone)',
      );
      const twice = await pair('--master', '127.0.0.1', '--master', '127.0.0.1:5665');
      expect(twice.code).toBe(2);
      expect(twice.stderr).toContain(
        '--master 127.0.0.1:5665 is given twice: give each master of the zone once',
      );
      const unmatched = await pair(
        '--master',
        'm1.test',
        '--master',
        'm2.test:5666',
        '--trust-fingerprint',
        'ab'.repeat(32),
      );
      expect(unmatched.code).toBe(2);
      expect(unmatched.stderr).toContain(
        '--trust-fingerprint: give one per --master, in the same order (got 1 for 2 masters)',
      );
      const badSecond = await pair('--master', 'm1.test', '--master', 'm2.test:0');
      expect(badSecond.code).toBe(2);
      expect(badSecond.stderr).toContain("--master: port '0' must be a number from 1 to 65535");
    } finally {
      await cleanup();
    }
  });
});

describe.skipIf(skip !== undefined)('outpost icinga pair/status with an HA parent zone', () => {
  it('pairs with both masters, pins each; status shows each endpoint (text and --json), identity show and transport name each', async () => {
    const [a, b] = await IcingaMaster.startHaPair({ agents: [{ cn: 'agent1.test' }] });
    const { dir, cleanup } = await makeTempDir('icinga-cli-ha');
    try {
      const pair = await runCli(
        [
          'icinga',
          'pair',
          'ha',
          '--master',
          `127.0.0.1:${a.port}`,
          '--master',
          `127.0.0.1:${b.port}`,
          '--cn',
          'agent1.test',
          '--ticket-file',
          '-',
          '--trust-fingerprint',
          a.fingerprint,
          '--trust-fingerprint',
          b.fingerprint,
          '--data-dir',
          dir,
        ],
        {},
        60_000,
        `${await a.ticket('agent1.test')}\n`,
      );
      expect(pair.code).toBe(0);
      expect(pair.stdout).toContain(
        `${MASTER_CN} at 127.0.0.1:${a.port}: SHA-256 ${a.fingerprint}`,
      );
      expect(pair.stdout).toContain(
        `${MASTER2_CN} at 127.0.0.1:${b.port}: SHA-256 ${b.fingerprint}`,
      );
      // The second master down: the status says so per endpoint, and the target still delivers.
      await b.kill();
      const json = await runCli(['icinga', 'status', 'ha', '--json', '--data-dir', dir]);
      expect(json.code).toBe(0);
      const s = JSON.parse(json.stdout) as { state: string; masters: unknown[] };
      expect(s.state).toBe('ready');
      expect(s.masters).toEqual([
        expect.objectContaining({
          endpoint: MASTER_CN,
          port: a.port,
          fingerprint: a.fingerprint,
          state: 'ready',
        }),
        expect.objectContaining({
          endpoint: MASTER2_CN,
          port: b.port,
          fingerprint: b.fingerprint,
          // The probe waits until each master connected or failed once.
          state: 'retrying',
          lastError: expect.stringContaining('ECONNREFUSED') as string,
        }),
      ]);
      const text = await runCli(['icinga', 'status', 'ha', '--data-dir', dir]);
      expect(text.stdout).toContain('connection:            ready (1 of 2 masters connected)');
      expect(text.stdout).toMatch(
        new RegExp(`master 1: +${MASTER_CN} at 127.0.0.1:${a.port} \\(cluster\\): ready`),
      );
      expect(text.stdout).toMatch(
        new RegExp(`master 2: +${MASTER2_CN} at 127.0.0.1:${b.port} \\(cluster\\): retrying`),
      );

      // identity show lists each master's pin, naming the master.
      const identity = await runCli(['identity', 'show', '--data-dir', dir]);
      expect(identity.code, identity.stderr).toBe(0);
      for (const [endpoint, master] of [
        [MASTER_CN, a],
        [MASTER2_CN, b],
      ] as const)
        expect(identity.stdout).toContain(
          `Pinned tls-sha256 of target ha for ${endpoint} (127.0.0.1:${master.port}): ${master.fingerprint.toUpperCase().replace(/(..)(?!$)/g, '$1:')}`,
        );

      // icinga transport names every master of the zone, in the order results try them.
      const masters = `${MASTER_CN} at 127.0.0.1:${a.port}, ${MASTER2_CN} at 127.0.0.1:${b.port}`;
      const rest = await runCli(['icinga', 'transport', 'ha', '--rest', '--data-dir', dir]);
      expect(rest.code, rest.stderr).toBe(0);
      expect(rest.stdout).toContain(
        `ha now sends check results through the REST API of the first master that takes each result, in this order: ${masters}; no REST user given`,
      );
      expect(rest.stdout).toContain(
        `Each master (${MASTER_CN}, ${MASTER2_CN}) needs an ApiUser for that certificate`,
      );
      const restUser = await runCli([
        'icinga',
        'transport',
        'ha',
        '--rest',
        '--rest-user',
        REST_USER,
        '--data-dir',
        dir,
      ]);
      expect(restUser.code, restUser.stderr).toBe(0);
      expect(restUser.stdout).toContain(`in this order: ${masters}, as ApiUser '${REST_USER}'`);
      const cluster = await runCli(['icinga', 'transport', 'ha', '--cluster', '--data-dir', dir]);
      expect(cluster.code, cluster.stderr).toBe(0);
      expect(cluster.stdout).toContain(
        `ha now sends check results over the cluster connection to each master of the parent zone: ${masters}; any REST user`,
      );
    } finally {
      await cleanup();
      await a.stop();
      await b.stop();
    }
  }, 120_000);
});

describe.skipIf(skip !== undefined)('outpost icinga … against a real master', () => {
  let master: IcingaMaster;
  let dir: string;
  let cleanup: () => Promise<void>;
  const cli = (...args: string[]) => runCli([...args, '--data-dir', dir]);
  const sendCheckResult = (output: string, runner = cli) =>
    runner(
      'check-result',
      '--target',
      'm1',
      '--host',
      'agent1.test',
      '--service',
      'passive',
      '--state',
      '2',
      '--output',
      output,
      '--now',
    );

  beforeAll(async () => {
    master = await IcingaMaster.start({
      agents: [{ cn: 'agent1.test' }, { cn: 'agent2.test' }],
      extraConfig: REST_API_USERS + COMMAND_ENDPOINT_SERVICE,
    });
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
    expect(pending.stdout).toContain(
      `On the master ${MASTER_CN} run:\n  icinga2 ca sign ${fingerprint}\n`,
    );
    // Status names the master that holds the request (issue #18), in JSON and in text.
    const status = await cli('icinga', 'status', 'm2', '--json', '--no-probe');
    expect(JSON.parse(status.stdout)).toMatchObject({
      paired: false,
      pendingRequest: {
        fingerprint,
        signCommand: `icinga2 ca sign ${fingerprint}`,
        heldBy: [MASTER_CN],
      },
    });
    const text = await cli('icinga', 'status', 'm2', '--no-probe');
    expect(text.stdout).toMatch(
      new RegExp(
        `paired: +pending — on the master ${MASTER_CN} run: icinga2 ca sign ${fingerprint}\n`,
      ),
    );
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

  it('pairs with a ticket (piped to --ticket-file -) and reports the live status', async () => {
    const ticket = await master.ticket('agent1.test');
    const res = await runCli(
      [
        'icinga',
        'pair',
        'm1',
        '--master',
        `127.0.0.1:${master.port}`,
        '--cn',
        'agent1.test',
        '--ticket-file',
        '-',
        '--trust-fingerprint',
        master.fingerprint,
        '--data-dir',
        dir,
      ],
      {},
      60_000,
      `${ticket}\n`,
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

  it('icinga transport and icinga commands refuse missing, contradictory or malformed flags with exit 2, naming the flag', async () => {
    const cases: Array<[string[], string]> = [
      [['icinga', 'transport', 'm1'], 'give exactly one of --cluster'],
      [['icinga', 'transport', 'm1', '--cluster', '--rest'], 'give exactly one of --cluster'],
      [
        ['icinga', 'transport', 'm1', '--rest', '--rest-password', REST_PASSWORD],
        '--rest-password needs --rest-user',
      ],
      [
        ['icinga', 'transport', 'm1', '--cluster', '--rest-user', REST_USER],
        '--rest-user and --rest-password go with --rest',
      ],
      [
        ['icinga', 'commands', 'm1', '--allow', 'check_dummy ('],
        "--allow 'check_dummy (' is not a valid regular expression",
      ],
      [['icinga', 'commands', 'm1', '--map', 'dummy'], '--map must be CHECKCOMMAND=COMMAND_LINE'],
      [['icinga', 'commands', 'm1', '--max-timeout', '5000'], '--max-timeout 5000'],
      [['icinga', 'commands', 'm1', '--enable', '--disable'], '--enable or --disable'],
    ];
    // Each is refused before the agent opens, so they may run side by side.
    const results = await Promise.all(cases.map(([args]) => cli(...args)));
    for (const [i, [args, message]] of cases.entries()) {
      const res = results[i]!;
      expect(res.code, args.join(' ')).toBe(2);
      expect(res.stderr).toContain(message);
      expect(res.stdout + res.stderr).not.toContain(REST_PASSWORD);
    }
    const status = await cli('icinga', 'status', 'm1', '--no-probe', '--json');
    expect(JSON.parse(status.stdout)).toMatchObject({
      transport: 'cluster',
      commandEndpoint: { enabled: false, commands: [] },
    });
  }, 60_000);

  it('icinga transport --rest --rest-user (password from --rest-password-file) delivers check-result --now through the REST API as that ApiUser and never prints the password', async () => {
    const printed: string[] = [];
    const run = async (...args: string[]) => {
      const res = await cli(...args);
      printed.push(res.stdout, res.stderr);
      return res;
    };
    const wrong = await run(
      'icinga',
      'transport',
      'm1',
      '--rest',
      '--rest-user',
      REST_USER,
      '--rest-password',
      'not-the-password',
    );
    expect(wrong.code, wrong.stderr).toBe(0);
    expect(wrong.stdout).toContain(`as ApiUser '${REST_USER}'`);
    expect(wrong.stdout).toContain('password stored in the SecretStore');
    // The master's 401 proves the result went to the REST API with these credentials.
    const refused = await sendCheckResult('refused', run);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(`check the ApiUser '${REST_USER}' and its password`);

    const passwordFile = join(dir, 'rest-password');
    await writeFile(passwordFile, `${REST_PASSWORD}\n`, { mode: 0o600 });
    const set = await run(
      'icinga',
      'transport',
      'm1',
      '--rest',
      '--rest-user',
      REST_USER,
      '--rest-password-file',
      passwordFile,
      '--json',
    );
    expect(set.code, set.stderr).toBe(0);
    expect(JSON.parse(set.stdout)).toEqual({ name: 'm1', transport: 'rest', restUser: REST_USER });
    const sent = await sendCheckResult('through REST as an ApiUser', run);
    expect(sent).toMatchObject({ code: 0, stdout: 'Delivered to m1.\n' });
    // REST results are scheduled by the master itself (spec §5); cluster ones carry our check source.
    expect(await master.lastCheckResult('agent1.test', 'passive')).toMatchObject({
      output: 'through REST as an ApiUser',
      state: 2,
      scheduling_source: MASTER_CN,
    });
    const status = await run('icinga', 'status', 'm1', '--no-probe', '--json');
    expect(JSON.parse(status.stdout)).toMatchObject({ transport: 'rest' });
    for (const text of printed) {
      expect(text).not.toContain(REST_PASSWORD);
      expect(text).not.toContain('not-the-password');
    }
  }, 60_000);

  it('icinga transport --rest without a user authenticates with the client certificate, and --cluster switches back', async () => {
    const rest = await cli('icinga', 'transport', 'm1', '--rest');
    expect(rest.code, rest.stderr).toBe(0);
    expect(rest.stdout).toContain(
      "no REST user given, so this agent's client certificate (CN agent1.test) authenticates",
    );
    expect(rest.stdout).toContain('client_cn = "agent1.test"');
    const byCertificate = await sendCheckResult('through REST by client certificate');
    expect(byCertificate).toMatchObject({ code: 0, stdout: 'Delivered to m1.\n' });
    expect(await master.lastCheckResult('agent1.test', 'passive')).toMatchObject({
      output: 'through REST by client certificate',
      scheduling_source: MASTER_CN,
    });

    const cluster = await cli('icinga', 'transport', 'm1', '--cluster', '--json');
    expect(cluster.code, cluster.stderr).toBe(0);
    expect(JSON.parse(cluster.stdout)).toEqual({ name: 'm1', transport: 'cluster' });
    const overCluster = await sendCheckResult('over the cluster connection again');
    expect(overCluster).toMatchObject({ code: 0, stdout: 'Delivered to m1.\n' });
    expect(await master.lastCheckResult('agent1.test', 'passive')).toMatchObject({
      output: 'over the cluster connection again',
      scheduling_source: 'outpost-cli',
    });
  }, 60_000);

  it('icinga commands enables the command endpoint with an allow-list and a mapping, and prints that policy without flags', async () => {
    const pattern = `^${CHECK_DUMMY} .*$`;
    const commandLine = `${CHECK_DUMMY} $dummy_state$`;
    const enabled = await cli(
      'icinga',
      'commands',
      'm1',
      '--enable',
      '--allow',
      pattern,
      '--map',
      `dummy=${commandLine}`,
    );
    expect(enabled.code, enabled.stderr).toBe(0);
    expect(enabled.stdout).toContain(
      'WARNING: the master can now run these commands on this machine',
    );

    const shown = await cli('icinga', 'commands', 'm1');
    expect(shown.code, shown.stderr).toBe(0);
    expect(shown.stdout).not.toContain('WARNING');
    expect(shown.stdout).toMatch(/^command endpoint: ENABLED on m1/m);
    expect(shown.stdout).toContain(`\n  ${pattern}\n`);
    expect(shown.stdout).toContain(`\n  dummy = ${commandLine}`);
    expect(shown.stdout).toMatch(/^max timeout: +60 s$/m);

    const policy = {
      enabled: true,
      allow: [pattern],
      allowShell: false,
      maxTimeoutSeconds: 60,
      maxOutputBytes: 1024 * 1024,
    };
    const json = await cli('icinga', 'commands', 'm1', '--json');
    expect(JSON.parse(json.stdout)).toEqual({
      name: 'm1',
      policy,
      commands: { dummy: commandLine },
    });
    const status = await cli('icinga', 'status', 'm1', '--no-probe', '--json');
    expect(JSON.parse(status.stdout)).toMatchObject({
      commandEndpoint: { enabled: true, commands: ['dummy'] },
    });

    const invalid = await cli('icinga', 'commands', 'm1', '--allow', '[0-3');
    expect(invalid.code).toBe(2);
    expect(invalid.stderr).toContain("--allow '[0-3' is not a valid regular expression");

    const disabled = await cli(
      'icinga',
      'commands',
      'm1',
      '--disable',
      '--max-timeout',
      '30',
      '--json',
    );
    expect(disabled.code, disabled.stderr).toBe(0);
    expect(JSON.parse(disabled.stdout)).toEqual({
      name: 'm1',
      policy: { ...policy, enabled: false, maxTimeoutSeconds: 30 },
      commands: { dummy: commandLine },
    });

    // Removals must name what is there: a typo is an error, not a silent no-op.
    const typo = await cli('icinga', 'commands', 'm1', '--disallow', '^nope$');
    expect(typo.code).toBe(2);
    expect(typo.stderr).toContain(`--disallow '^nope$' is not in the allow list ('${pattern}')`);
    const noSuch = await cli('icinga', 'commands', 'm1', '--unmap', 'dumy');
    expect(noSuch.code).toBe(2);
    expect(noSuch.stderr).toContain('--unmap dumy: no such mapped CheckCommand (dummy)');
    const inherited = await cli('icinga', 'commands', 'm1', '--unmap', 'toString');
    expect(inherited.code).toBe(2);
    expect(inherited.stderr).toContain('--unmap toString: no such mapped CheckCommand (dummy)');
    const removed = await cli(
      'icinga',
      'commands',
      'm1',
      '--disallow',
      pattern,
      '--unmap',
      'dummy',
      '--json',
    );
    expect(removed.code, removed.stderr).toBe(0);
    expect(JSON.parse(removed.stdout)).toEqual({
      name: 'm1',
      policy: { ...policy, enabled: false, allow: [], maxTimeoutSeconds: 30 },
      commands: {},
    });
  }, 60_000);

  // monitoring-plugins-basic provides check_dummy; CI installs it, so only a local run may skip.
  it.skipIf(!existsSync(CHECK_DUMMY) && (process.env.CI ?? '') === '')(
    'a running outpost run answers the master with the check that icinga commands allowed',
    async () => {
      const daemon = startProcess(process.execPath, [CLI, 'run', '--data-dir', dir]);
      const daemonOutput = captureOutput(daemon);
      const remoteDummy = (expected: string) =>
        // Generous: under a full CI run the daemon's start and its connection can take long.
        master
          .awaitCheckResult('agent1-cmd.test', 'remote-dummy', (r) => r.output === expected, {
            what: `the master to store '${expected}'`,
            timeout: 90_000,
          })
          .catch((error: unknown) => {
            // Said at the time of failure, not when the wait began.
            throw new Error(`${(error as Error).message}\n(outpost run said: ${daemonOutput()})`);
          });
      try {
        // The previous test left the endpoint disabled: the answer a real agent gives (§4.6).
        await remoteDummy("Endpoint 'agent1.test' does not accept commands.");
        const enabled = await cli(
          'icinga',
          'commands',
          'm1',
          '--enable',
          '--allow',
          `^${CHECK_DUMMY} .*$`,
          '--map',
          `dummy=${CHECK_DUMMY} $dummy_state$ $dummy_text$`,
        );
        expect(enabled.code, enabled.stderr).toBe(0);
        expect(await remoteDummy('WARNING: hello from the master')).toMatchObject({
          state: 1,
          check_source: 'agent1.test',
        });
      } finally {
        await stopProcess(daemon);
      }
    },
    200_000,
  );
});
