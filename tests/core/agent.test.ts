import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Agent } from '../../main/core/agent.ts';
import { AGENT_METHODS, agentContract } from '../../main/core/contract/index.ts';
import { AgentError } from '../../main/core/contract/errors.ts';
import { makeTempDir } from '../peers/util.ts';

describe('Agent and the AgentApi contract', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  let agent: Agent;
  beforeEach(async () => {
    ({ dir, cleanup } = await makeTempDir('agent'));
    agent = await Agent.open({ dataDir: dir, logToFile: false });
  });
  afterEach(async () => {
    await agent.close();
    await cleanup();
  });

  it('implements every method the contract declares', () => {
    const missing = AGENT_METHODS.filter((m) => !agent.has(m));
    expect(missing).toEqual([]);
    for (const name of AGENT_METHODS)
      expect(agentContract[name].description.length).toBeGreaterThan(5);
  });

  it('rejects an unknown method naming it', async () => {
    await expect(agent.call('dropDatabase', {})).rejects.toMatchObject({
      code: 'invalid-request',
      field: 'method',
    });
  });

  it('rejects a request with a wrong field, naming the field and what is expected', async () => {
    const error = (await agent
      .call('getRecentLogs', { limit: 'ten' })
      .catch((e: unknown) => e)) as AgentError;
    expect(error).toBeInstanceOf(AgentError);
    expect(error.code).toBe('invalid-request');
    expect(error.field).toBe('limit');
    expect(error.message).toMatch(/^limit: .*number/);
  });

  it('rejects fields the contract does not know (strict requests)', async () => {
    await expect(agent.call('getAgentInfo', { admin: true })).rejects.toMatchObject({
      code: 'invalid-request',
    });
  });

  it('answers identity and settings requests through the validated path', async () => {
    const info = await agent.api.getAgentInfo({});
    expect(info.dataDir).toBe(dir);
    expect(info.secretStore).toEqual({ backend: 'file', encrypted: false });
    const settings = await agent.api.updateAgentSettings({ language: 'de' });
    expect(settings.agent.language).toBe('de');
    await expect(agent.call('updateAgentSettings', { language: 'xx' })).rejects.toMatchObject({
      field: 'language',
    });
    await expect(agent.api.removeTarget({ name: 'nope' })).rejects.toThrow(/unknown target 'nope'/);
  });

  it('emits log lines as events without secrets', async () => {
    const lines: string[] = [];
    agent.events.on('log', (line) => lines.push(JSON.stringify(line)));
    agent.context.log.info('pairing', {
      password: 'hunter2',
      target: 't',
      pem: '-----BEGIN PRIVATE KEY-----\nAAA\n-----END PRIVATE KEY-----',
    });
    expect(lines).toHaveLength(1);
    expect(lines[0]).not.toContain('hunter2');
    expect(lines[0]).not.toContain('AAA');
    expect(lines[0]).toContain('"target":"t"');
  });

  it('shows a ticket masked, reveals it whole only on request and logs the reveal without it', async () => {
    const ticket = 'a1b2c3d4e5f60718293a4b5c6d7e8f9012345678';
    await agent.context.secrets.set('target/master/ticket', ticket);
    const identity = await agent.api.getIdentity({});
    expect(identity.tickets).toHaveLength(1);
    expect(identity.tickets[0]!.target).toBe('master');
    expect(identity.tickets[0]!.masked).not.toContain(ticket.slice(4, -4));
    const lines: string[] = [];
    agent.events.on('log', (line) => lines.push(JSON.stringify(line)));
    expect(await agent.api.revealTicket({ target: 'master' })).toEqual({
      target: 'master',
      ticket,
    });
    expect(lines.some((l) => l.includes('ticket revealed') && l.includes('master'))).toBe(true);
    expect(lines.join('\n')).not.toContain(ticket);
    await expect(agent.api.revealTicket({ target: 'other' })).rejects.toMatchObject({
      field: 'target',
      message: expect.stringMatching(/no ticket is stored for 'other': tickets exist for master/),
    });
    await expect(agent.call('revealTicket', { target: '' })).rejects.toMatchObject({
      field: 'target',
    });
  });
});
