import { X509Certificate } from 'node:crypto';
import { stat } from 'node:fs/promises';
import { createServer, type Server } from 'node:tls';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Agent } from '../../../../main/core/agent.ts';
import type { PairingStep } from '../../../../main/core/contract/index.ts';
import { isSelfSigned, requestFingerprint } from '../../../../main/core/protocols/icinga/certs.ts';
import { createIcingaModule } from '../../../../main/core/protocols/icinga/index.ts';
import { pairIcinga } from '../../../../main/core/protocols/icinga/pairing.ts';
import { computeTicket } from '../../../../main/core/protocols/icinga/ticket.ts';
import { targetSecretName } from '../../../../main/core/secrets.ts';
import { IcingaMaster, icingaMissing, MASTER_CN } from '../../../peers/icinga2.ts';
import { selfSigned } from '../../../peers/pki.ts';
import { freePort, makeTempDir } from '../../../peers/util.ts';

const skip = icingaMissing();

describe.skipIf(skip !== undefined)('Icinga pairing against a real master', () => {
  let master: IcingaMaster;
  let agent: Agent;
  let cleanup: () => Promise<void>;
  let steps: PairingStep[];

  beforeAll(async () => {
    master = await IcingaMaster.start({
      agents: [
        { cn: 'agent1.test' },
        { cn: 'agent2.test' },
        { cn: 'agent3.test' },
        { cn: 'agent4.test' },
      ],
    });
  }, 60_000);
  afterAll(async () => {
    await master?.stop();
  });
  beforeEach(async () => {
    let dir: string;
    ({ dir, cleanup } = await makeTempDir('icinga-pair'));
    agent = await Agent.open({ dataDir: dir, logToFile: false, modules: [createIcingaModule()] });
    steps = [];
    agent.events.on('pairing.step', (s) => steps.push(s));
  });
  afterEach(async () => {
    await agent.close();
    await cleanup();
  });

  it('pairs with a ticket, verifies and stores the signed certificate and CA, pins the master', async () => {
    const ticket = await master.ticket('agent1.test');
    // Pasted as `icinga2 pki ticket` prints it, in upper case: trimmed and lower-cased before sending.
    const result = await pairIcinga(agent.context, {
      target: 'm1',
      host: '127.0.0.1',
      port: master.port,
      cn: 'agent1.test',
      ticket: `${ticket.toUpperCase()}\n`,
      trustFingerprint: master.fingerprint.toUpperCase().replace(/(..)(?!$)/g, '$1:'),
      waitSeconds: 0,
    });
    expect(result).toMatchObject({
      state: 'paired',
      cn: 'agent1.test',
      endpoint: MASTER_CN,
      masterFingerprint: master.fingerprint,
      reused: false,
    });
    const files = await agent.context.identity.readCertificates('m1');
    const cert = new X509Certificate(files.certPem!);
    expect(cert.subject).toBe('CN=agent1.test');
    expect(cert.checkIssued(new X509Certificate(master.ca.certPem))).toBe(true);
    expect(cert.verify(new X509Certificate(master.ca.certPem).publicKey)).toBe(true);
    expect(files.caPem).toBe(master.ca.certPem.replace(/\r\n/g, '\n'));
    const keyMode =
      (await stat(agent.context.identity.certificateFiles('m1').keyPath)).mode & 0o777;
    expect(keyMode).toBe(0o600);
    expect(await agent.context.identity.pin('m1')).toMatchObject({
      kind: 'tls-sha256',
      value: master.fingerprint.toUpperCase().replace(/(..)(?!$)/g, '$1:'),
      subject: `CN=${MASTER_CN}`,
    });
    expect(agent.context.targets.get('m1')).toMatchObject({
      kind: 'icinga',
      config: {
        // One master, pinned in the config too (HA parents keep a pin per master, issue #18).
        masters: [
          {
            host: '127.0.0.1',
            port: master.port,
            endpoint: MASTER_CN,
            fingerprint: master.fingerprint,
          },
        ],
        cn: 'agent1.test',
        zone: 'agent1.test',
      },
    });
    // The ticket is deleted after success, as the real agent deletes certs/ticket.
    expect(await agent.context.secrets.get(targetSecretName('m1', 'ticket'))).toBeUndefined();
    expect(steps.map((s) => `${s.step}:${s.status}`)).toEqual([
      'fetch-master-certificate:running',
      'fetch-master-certificate:done',
      'agent-certificate:running',
      'agent-certificate:done',
      'request-certificate:running',
      'verify:running',
      'verify:done',
    ]);

    // Re-pairing keeps the signed identity.
    const again = await pairIcinga(agent.context, {
      target: 'm1',
      host: '127.0.0.1',
      port: master.port,
      cn: 'agent1.test',
      trustFingerprint: master.fingerprint,
      waitSeconds: 0,
    });
    expect(again).toMatchObject({ state: 'paired', reused: true });
    expect((await agent.context.identity.readCertificates('m1')).certPem).toBe(files.certPem);
  }, 60_000);

  it('pairs on demand: shows the fingerprint `icinga2 ca list` shows, then completes after `icinga2 ca sign`', async () => {
    const first = await pairIcinga(agent.context, {
      target: 'm2',
      host: '127.0.0.1',
      port: master.port,
      cn: 'agent2.test',
      trustFingerprint: master.fingerprint,
      waitSeconds: 0,
    });
    expect(first.state).toBe('pending');
    const list = await master.caList();
    expect(Object.keys(list)).toContain(first.requestFingerprint);
    expect(list[first.requestFingerprint]).toMatchObject({ subject: 'CN = agent2.test' });
    expect(list[first.requestFingerprint]?.cert_response).toBeUndefined();
    expect(first.signCommand).toBe(`icinga2 ca sign ${first.requestFingerprint}`);
    expect(
      steps.some((s) => s.status === 'waiting' && s.detail?.includes(first.signCommand!) === true),
    ).toBe(true);
    const pending = await agent.context.identity.readCertificates('m2');
    expect(isSelfSigned(pending.certPem!)).toBe(true);
    expect(requestFingerprint(pending.certPem!)).toBe(first.requestFingerprint);

    // The admin signs while the agent polls with the same key and certificate.
    const polling = pairIcinga(agent.context, {
      target: 'm2',
      host: '127.0.0.1',
      port: master.port,
      cn: 'agent2.test',
      trustFingerprint: master.fingerprint,
      waitSeconds: 30,
      pollSeconds: 1,
    });
    await new Promise((r) => setTimeout(r, 300));
    await master.caSign(first.requestFingerprint);
    const signed = await polling;
    expect(signed).toMatchObject({ state: 'paired', requestFingerprint: first.requestFingerprint });
    const files = await agent.context.identity.readCertificates('m2');
    expect(
      new X509Certificate(files.certPem!).checkIssued(new X509Certificate(master.ca.certPem)),
    ).toBe(true);
  }, 60_000);

  it('reports a wrong ticket as a rejected ticket and stores no certificate', async () => {
    const wrong = await computeTicket('agent3.test', 'not-the-salt');
    await expect(
      pairIcinga(agent.context, {
        target: 'm3',
        host: '127.0.0.1',
        port: master.port,
        cn: 'agent3.test',
        ticket: wrong,
        trustFingerprint: master.fingerprint,
        waitSeconds: 0,
      }),
    ).rejects.toMatchObject({
      code: 'unauthorized',
      field: 'ticket',
      message: expect.stringContaining("icinga2 pki ticket --cn 'agent3.test'"),
    });
    const files = await agent.context.identity.readCertificates('m3');
    expect(files.caPem).toBeUndefined();
    expect(isSelfSigned(files.certPem!)).toBe(true);
    expect(steps.at(-1)).toMatchObject({ step: 'request-certificate', status: 'failed' });
  }, 60_000);

  it('refuses a master whose fingerprint differs from the trusted one before sending anything', async () => {
    const before = Object.keys(await master.caList());
    const wrong = 'ab'.repeat(32);
    await expect(
      pairIcinga(agent.context, {
        target: 'm4',
        host: '127.0.0.1',
        port: master.port,
        cn: 'agent4.test',
        ticket: await master.ticket('agent4.test'),
        trustFingerprint: wrong,
        waitSeconds: 0,
      }),
    ).rejects.toMatchObject({ code: 'untrusted-peer', field: 'trustFingerprint' });
    expect(Object.keys(await master.caList())).toEqual(before);
    expect(agent.context.targets.find('m4')).toBeUndefined();
    expect(await agent.context.identity.readCertificates('m4')).toEqual({});
    expect(await agent.context.identity.pin('m4')).toBeUndefined();
  }, 60_000);

  it('sends no byte to an impostor that presents another certificate', async () => {
    const impostor = selfSigned({ cn: MASTER_CN });
    const received: Buffer[] = [];
    const server: Server = createServer(
      { key: impostor.keyPem, cert: impostor.certPem },
      (socket) => {
        socket.on('data', (chunk: Buffer) => received.push(chunk));
        socket.on('error', () => undefined);
      },
    );
    const port = await freePort();
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    try {
      await expect(
        pairIcinga(agent.context, {
          target: 'm5',
          host: '127.0.0.1',
          port,
          cn: 'agent4.test',
          ticket: 'a'.repeat(40),
          trustFingerprint: master.fingerprint,
          waitSeconds: 0,
        }),
      ).rejects.toMatchObject({ code: 'untrusted-peer' });
      await new Promise((r) => setTimeout(r, 100));
      expect(Buffer.concat(received).length).toBe(0);
    } finally {
      server.close();
    }
  });

  it('says the master is unreachable with what to check', async () => {
    const port = await freePort();
    await expect(
      pairIcinga(agent.context, {
        target: 'm6',
        host: '127.0.0.1',
        port,
        cn: 'agent4.test',
        trustFingerprint: master.fingerprint,
        waitSeconds: 0,
      }),
    ).rejects.toMatchObject({
      code: 'unreachable',
      transient: true,
      message: expect.stringContaining('ECONNREFUSED'),
    });
  });
});
