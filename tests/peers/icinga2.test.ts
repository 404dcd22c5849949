import { existsSync } from 'node:fs';
import { connect } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IcingaMaster, icingaMissing, MASTER_CN } from './icinga2.ts';

const skip = icingaMissing();

describe.skipIf(skip !== undefined)('icinga2 test peer', () => {
  let master: IcingaMaster;

  beforeAll(async () => {
    master = await IcingaMaster.start({
      agents: [{ cn: 'agent1.test' }],
      masterHosts: ['unrelated.test'],
    });
  }, 60_000);

  afterAll(async () => {
    const dir = master?.dir;
    await master?.stop();
    if (dir !== undefined) expect(existsSync(dir)).toBe(false);
  });

  it('completes a TLS handshake on the API port with the master certificate', async () => {
    const peer = await new Promise<{ cn: unknown; authorized: boolean; protocol: string | null }>(
      (resolve, reject) => {
        const socket = connect(
          { host: '127.0.0.1', port: master.port, ca: master.ca.certPem, servername: MASTER_CN },
          () => {
            const cert = socket.getPeerCertificate();
            resolve({
              cn: cert.subject.CN,
              authorized: socket.authorized,
              protocol: socket.getProtocol(),
            });
            socket.destroy();
          },
        );
        socket.once('error', reject);
      },
    );
    expect(peer).toEqual({ cn: MASTER_CN, authorized: true, protocol: 'TLSv1.3' });
  });

  it('answers REST and declares the agent zone objects', async () => {
    const res = await master.rest('GET', '/v1/objects/services?attrs=zone');
    expect(res.status).toBe(200);
    const rows = (res.body as { results: Array<{ name: string; attrs: { zone: string } }> })
      .results;
    expect(rows).toContainEqual(
      expect.objectContaining({ name: 'agent1.test!passive', attrs: { zone: 'agent1.test' } }),
    );
    const hosts = await master.rest('GET', '/v1/objects/hosts/unrelated.test?attrs=zone');
    // No explicit zone: the object belongs to the master's local zone (spec §4.3.3).
    expect(
      (hosts.body as { results: Array<{ attrs: { zone: string } }> }).results[0]?.attrs.zone,
    ).toBe('');
  });

  it('refuses REST without credentials', async () => {
    const res = await master.rest('GET', '/v1/status', undefined, {
      user: 'root',
      password: 'wrong',
    });
    expect(res.status).toBe(401);
  });

  it('computes tickets with the configured salt', async () => {
    expect(await master.ticket('agent1.test', 'peer-test-ticket-salt')).toBe(
      'e28cffcb4fdaef877b7edc47ba55f5cd097ad940',
    );
  });

  it('restarts on the same port, keeps answering and keeps its state (the shutdown dump ran)', async () => {
    const submitted = await master.rest('POST', '/v1/actions/process-check-result', {
      type: 'Service',
      filter: 'host.name=="agent1.test" && service.name=="passive"',
      exit_status: 2,
      plugin_output: 'before restart',
    });
    expect(submitted.status).toBe(200);
    const before = master.pid;
    await master.restart();
    expect(master.pid).not.toBe(before);
    expect((await master.rest('GET', '/v1/status/ApiListener')).status).toBe(200);
    expect(await master.caList()).toEqual({});
    expect(await master.lastCheckResult('agent1.test', 'passive')).toMatchObject({
      output: 'before restart',
      state: 2,
    });
  }, 60_000);
});
