import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IcingaMaster, icingaMissing } from '../../../peers/icinga2.ts';
import { openIcingaAgent, pairWithTicket, type TestAgent } from './helpers.ts';
import { eventually } from '../../../poll.ts';

const skip = icingaMissing();
const CN = 'agent1.test';
const CHECK_DUMMY = '/usr/lib/nagios/plugins/check_dummy';

/** Command names every plain object inherits (Object.prototype): never a mapped command. */
const INHERITED_NAMES = ['toString', 'constructor', '__proto__'];

const TIME_FIELDS = ['schedule_start', 'schedule_end', 'execution_start', 'execution_end'];

/**
 * The times the master stored are Unix seconds of this test run, in order:
 * an end divided by 1000 once too often (1796520.73 next to a start of
 * 1796520734.06) made the master compute huge negative execution times.
 */
function expectSecondsOfThisRun(cr: Record<string, unknown>): void {
  const times = Object.fromEntries(TIME_FIELDS.map((f) => [f, Number(cr[f])]));
  const now = Date.now() / 1000;
  for (const field of TIME_FIELDS) {
    expect(times[field], field).toBeGreaterThan(testStartedAt);
    expect(times[field], field).toBeLessThanOrEqual(now);
  }
  expect(times.execution_end).toBeGreaterThanOrEqual(times.execution_start!);
  expect(times.schedule_end).toBeGreaterThanOrEqual(times.schedule_start!);
}

const testStartedAt = Date.now() / 1000;

describe.skipIf(skip !== undefined)(
  'Icinga command endpoint: event::ExecuteCommand (spec §4.6)',
  () => {
    let master: IcingaMaster;
    let t: TestAgent;

    beforeAll(async () => {
      master = await IcingaMaster.start({
        agents: [{ cn: CN }],
        extraConfig: `
object CheckerComponent "checker" { }
object Host "agent1-cmd.test" { check_command = "dummy"; enable_active_checks = false; zone = "master" }
object Service "remote-dummy" {
  host_name = "agent1-cmd.test"
  check_command = "dummy"
  command_endpoint = "${CN}"
  zone = "master"
  check_interval = 1s
  retry_interval = 1s
  vars.dummy_state = 1
  vars.dummy_text = "hello from the master"
}
${INHERITED_NAMES.map(
  (name) => `
object CheckCommand "${name}" { command = [ "/bin/true" ] }
object Service "named-${name}" {
  host_name = "agent1-cmd.test"
  check_command = "${name}"
  command_endpoint = "${CN}"
  zone = "master"
  check_interval = 1s
  retry_interval = 1s
}`,
).join('\n')}
`,
      });
      t = await openIcingaAgent('icinga-cmd');
      await pairWithTicket(t.agent, master, 'm', CN);
    }, 60_000);
    afterAll(async () => {
      await t?.close();
      await master?.stop();
    });

    const remoteDummyResult = (
      accept: (r: Record<string, unknown>) => boolean,
      what: string,
    ): Promise<Record<string, unknown>> =>
      master.awaitCheckResult('agent1-cmd.test', 'remote-dummy', accept, { what });

    it('answers UNKNOWN "does not accept commands" while the policy is off (the default)', async () => {
      t.client.session(t.agent.context.targets.get('m'));
      const cr = await remoteDummyResult(
        (r) => r.output === `Endpoint '${CN}' does not accept commands.`,
        'the refusal result',
      );
      expect(cr).toMatchObject({ state: 3, check_source: CN });
      expectSecondsOfThisRun(cr);
    }, 60_000);

    // monitoring-plugins-basic provides check_dummy; CI installs it, so only a local run may skip.
    it.skipIf(!existsSync(CHECK_DUMMY) && (process.env.CI ?? '') === '')(
      'runs an allow-listed command with the master macros once enabled',
      async () => {
        await t.agent.api.setIcingaCommandPolicy({
          name: 'm',
          policy: { enabled: true, allow: [`${CHECK_DUMMY.replace(/\//g, '\\/')} [0-3] .*`] },
          commands: { dummy: `${CHECK_DUMMY} $dummy_state$ $dummy_text$` },
        });
        const cr = await remoteDummyResult(
          (r) => String(r.output).includes('hello from the master'),
          'the executed result',
        );
        expect(cr).toMatchObject({
          state: 1,
          output: 'WARNING: hello from the master',
          check_source: CN,
        });
        expectSecondsOfThisRun(cr);
      },
      60_000,
    );

    it('answers "does not exist" for command names Object.prototype carries, and keeps serving', async () => {
      // An allow-all list: before, 'toString' found Object.prototype.toString, expanded to an
      // empty command line that '.*' allows, and runCommand's rejection went unhandled.
      await t.agent.api.setIcingaCommandPolicy({
        name: 'm',
        policy: { enabled: true, allow: ['.*'] },
        commands: { dummy: `${CHECK_DUMMY} $dummy_state$ $dummy_text$` },
      });
      for (const name of INHERITED_NAMES) {
        let seen: unknown = null;
        const cr = await eventually(
          async () => {
            const r = await master.lastCheckResult('agent1-cmd.test', `named-${name}`);
            seen = r;
            return r !== null && String(r.output).includes('does not exist') ? r : undefined;
          },
          { timeout: 60_000, interval: 200, what: `the answer for '${name}'` },
        ).catch((error: unknown) => {
          // Say what the master last stored: its schedule slips on a loaded machine.
          throw new Error(`${(error as Error).message}; last result: ${JSON.stringify(seen)}`);
        });
        expect(cr).toMatchObject({
          state: 3,
          output: `Check command '${name}' does not exist.`,
          check_source: CN,
        });
      }
      expect(
        t.agent.context.targets.driver('icinga').status!(t.agent.context.targets.get('m')),
      ).toMatchObject({ state: 'ready' });
    }, 200_000);

    it('refuses a command line outside the allow-list', async () => {
      await t.agent.api.setIcingaCommandPolicy({
        name: 'm',
        policy: { enabled: true, allow: ['/bin/true'] },
        commands: { dummy: `${CHECK_DUMMY} $dummy_state$ $dummy_text$` },
      });
      const cr = await remoteDummyResult(
        (r) => String(r.output).includes('allow-list'),
        'the allow-list refusal',
      );
      expect(cr).toMatchObject({ state: 3 });
      await t.client.stop(t.agent.context.targets.get('m').name);
    }, 60_000);
  },
);
