import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Agent } from '../../../../main/core/agent.ts';
import { AgentError } from '../../../../main/core/contract/errors.ts';
import { makeTempDir } from '../../../peers/util.ts';

const DEFAULT_POLICY = {
  enabled: false,
  allow: [],
  allowShell: false,
  maxTimeoutSeconds: 60,
  maxOutputBytes: 1024 * 1024,
};

async function refusal(promise: Promise<unknown>): Promise<AgentError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(AgentError);
  return error as AgentError;
}

describe('Icinga command endpoint changes go through the core (patchIcingaCommandPolicy)', () => {
  let cleanup: () => Promise<void>;
  let agent: Agent;

  beforeEach(async () => {
    let dir: string;
    ({ dir, cleanup } = await makeTempDir('icinga-policy'));
    agent = await Agent.open({ dataDir: dir, logToFile: false });
    agent.context.targets.save('m', 'icinga', {
      host: '127.0.0.1',
      endpoint: 'master1.test',
      cn: 'agent1.test',
      zone: 'agent1.test',
    });
  });
  afterEach(async () => {
    await agent.close();
    await cleanup();
  });

  const stored = () => agent.api.getIcingaCommandPolicy({ name: 'm' });

  it('starts disabled with nothing allowed or mapped', async () => {
    expect(await stored()).toEqual({ name: 'm', policy: DEFAULT_POLICY, commands: {} });
  });

  it('adds and removes allow patterns and CheckCommands, and changes only the fields given', async () => {
    const enabled = await agent.api.patchIcingaCommandPolicy({
      name: 'm',
      enabled: true,
      allow: { add: ['^/bin/true$', '^/bin/false$'] },
      commands: { add: { yes: '/bin/true', no: '/bin/false', dummy: 'check_dummy $s$' } },
      maxOutputBytes: 4096,
    });
    expect(enabled).toEqual({
      name: 'm',
      policy: {
        ...DEFAULT_POLICY,
        enabled: true,
        allow: ['^/bin/true$', '^/bin/false$'],
        maxOutputBytes: 4096,
      },
      commands: { yes: '/bin/true', no: '/bin/false', dummy: 'check_dummy $s$' },
    });
    const changed = await agent.api.patchIcingaCommandPolicy({
      name: 'm',
      allow: { add: ['^/bin/true$', '^check_dummy .*$'], remove: ['^/bin/false$'] },
      commands: { add: { dummy: 'check_dummy $s$ $t$' }, remove: ['no'] },
      maxTimeoutSeconds: 30,
    });
    const expected = {
      name: 'm',
      policy: {
        ...DEFAULT_POLICY,
        enabled: true,
        allow: ['^/bin/true$', '^check_dummy .*$'],
        maxTimeoutSeconds: 30,
        maxOutputBytes: 4096,
      },
      commands: { yes: '/bin/true', dummy: 'check_dummy $s$ $t$' },
    };
    expect(changed).toEqual(expected);
    expect(await stored()).toEqual(expected);
    const disabled = await agent.api.patchIcingaCommandPolicy({ name: 'm', enabled: false });
    expect(disabled).toEqual({ ...expected, policy: { ...expected.policy, enabled: false } });
  });

  it('replaces the lists a form shows (set) and keeps the fields the form does not show', async () => {
    await agent.api.patchIcingaCommandPolicy({
      name: 'm',
      allow: { add: ['^a$'] },
      commands: { add: { a: '/bin/a' } },
      maxOutputBytes: 2048,
    });
    const saved = await agent.api.patchIcingaCommandPolicy({
      name: 'm',
      enabled: true,
      allow: { set: ['^b$', '^c$'] },
      maxTimeoutSeconds: 10,
      commands: { set: { b: '/bin/b' } },
    });
    expect(saved).toEqual({
      name: 'm',
      policy: {
        ...DEFAULT_POLICY,
        enabled: true,
        allow: ['^b$', '^c$'],
        maxTimeoutSeconds: 10,
        maxOutputBytes: 2048,
      },
      commands: { b: '/bin/b' },
    });
    const contradiction = await refusal(
      agent.api.patchIcingaCommandPolicy({ name: 'm', allow: { set: ['^d$'], add: ['^e$'] } }),
    );
    expect(contradiction).toMatchObject({ code: 'invalid-request', field: 'allow.set' });
  });

  it('refuses a removal of what is not listed, naming the field and what is listed, and changes nothing', async () => {
    await agent.api.patchIcingaCommandPolicy({
      name: 'm',
      allow: { add: ['^a$'] },
      commands: { add: { dummy: '/bin/a' } },
    });
    const before = await stored();

    const typo = await refusal(
      agent.api.patchIcingaCommandPolicy({
        name: 'm',
        enabled: true,
        allow: { add: ['^b$'], remove: ['^a$', '^nope$'] },
      }),
    );
    expect(typo).toMatchObject({ code: 'invalid-request', field: 'allow.remove.1' });
    expect(typo.message).toBe("allow.remove.1: '^nope$' is not in the allow list ('^a$')");

    for (const name of ['dumy', 'toString', '__proto__']) {
      const unmapped = await refusal(
        agent.api.patchIcingaCommandPolicy({
          name: 'm',
          allow: { add: ['^b$'] },
          commands: { remove: [name] },
        }),
      );
      expect(unmapped).toMatchObject({ code: 'invalid-request', field: 'commands.remove.0' });
      expect(unmapped.message).toBe(
        `commands.remove.0: ${name}: no such mapped CheckCommand (dummy)`,
      );
    }
    expect(await stored()).toEqual(before);
  });

  it('refuses an allow pattern that is not a regular expression, naming it', async () => {
    const invalid = await refusal(
      agent.api.patchIcingaCommandPolicy({ name: 'm', allow: { add: ['^ok$', 'check_disk (['] } }),
    );
    expect(invalid).toMatchObject({ code: 'invalid-request', field: 'allow.add.1' });
    expect(invalid.message).toMatch(/^allow\.add\.1: must be a valid regular expression \(.+\)$/);
    expect(await stored()).toEqual({ name: 'm', policy: DEFAULT_POLICY, commands: {} });
  });

  it('names a target that is unknown or not an Icinga one', async () => {
    await expect(
      agent.api.patchIcingaCommandPolicy({ name: 'nope', enabled: true }),
    ).rejects.toMatchObject({ code: 'not-found', field: 'name' });
    agent.context.targets.save('t', 'tentacle', { host: '127.0.0.1' });
    await expect(
      agent.api.patchIcingaCommandPolicy({ name: 't', enabled: true }),
    ).rejects.toMatchObject({ code: 'invalid-request', field: 'name' });
  });

  it('applies patches sent at the same time without losing any', async () => {
    const names = Array.from({ length: 20 }, (_, i) => `c${i}`);
    await Promise.all(
      names.map((name) =>
        agent.api.patchIcingaCommandPolicy({
          name: 'm',
          allow: { add: [`^/bin/${name}$`] },
          commands: { add: { [name]: `/bin/${name}` } },
        }),
      ),
    );
    const { policy, commands } = await stored();
    expect([...policy.allow].sort()).toEqual(names.map((n) => `^/bin/${n}$`).sort());
    expect(Object.keys(commands).sort()).toEqual([...names].sort());
  });
});
