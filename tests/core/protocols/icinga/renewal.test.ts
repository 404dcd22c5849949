import { X509Certificate } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { normalizeFingerprint } from '../../../../main/core/identity/x509.ts';
import { daysLeft } from '../../../../main/core/protocols/icinga/certs.ts';
import { IcingaMaster, icingaMissing, MASTER_CN } from '../../../peers/icinga2.ts';
import { checkResultItem, deliveryContext, openIcingaAgent, type TestAgent } from './helpers.ts';
import { eventually } from '../../../poll.ts';

const skip = icingaMissing();
const CN = 'agent5.test';

describe.skipIf(skip !== undefined)('Icinga certificate renewal (spec §3.8)', () => {
  let master: IcingaMaster;
  let t: TestAgent;

  beforeAll(async () => {
    master = await IcingaMaster.start({ agents: [{ cn: CN }] });
    t = await openIcingaAgent('icinga-renew');
  }, 60_000);
  afterAll(async () => {
    await t?.close();
    await master?.stop();
  });

  it('renews a certificate with fewer than 30 days left over the live connection and reconnects with it', async () => {
    // A CA-signed certificate that expires in 10 days, as if paired a year ago.
    const old = master.ca.issue({ cn: CN, altNames: [CN], days: 10, startOffsetDays: 0 });
    const ctx = t.agent.context;
    await ctx.identity.saveCertificates('r', {
      keyPem: old.keyPem,
      certPem: old.certPem,
      caPem: master.ca.certPem,
    });
    await ctx.identity.setPin({
      target: 'r',
      kind: 'tls-sha256',
      value: normalizeFingerprint(master.fingerprint),
      subject: `CN=${MASTER_CN}`,
    });
    const record = ctx.targets.save('r', 'icinga', {
      host: '127.0.0.1',
      port: master.port,
      endpoint: MASTER_CN,
      cn: CN,
      zone: CN,
    });
    const notices: string[] = [];
    t.agent.events.on('notice', (n) => notices.push(n.title));
    const states: string[] = [];
    t.agent.events.on('target.state', (e) => states.push(e.status.state));

    t.client.session(record);
    const renewed = await eventually(
      async () => {
        const pem = (await ctx.identity.readCertificates('r')).certPem!;
        return pem !== old.certPem ? pem : undefined;
      },
      { timeout: 20_000, interval: 200, what: 'the renewed certificate' },
    );
    const cert = new X509Certificate(renewed);
    expect(cert.subject).toBe(`CN=${CN}`);
    expect(cert.checkIssued(new X509Certificate(master.ca.certPem))).toBe(true);
    expect(cert.publicKey.export({ type: 'spki', format: 'pem' })).toBe(
      new X509Certificate(old.certPem).publicKey.export({ type: 'spki', format: 'pem' }),
    );
    expect(daysLeft(renewed)).toBeGreaterThan(390);
    // The notice follows the stored certificate (after the ticket secret is deleted): wait for it.
    await eventually(
      async () => (notices.includes('Icinga certificate renewed') ? true : undefined),
      { timeout: 10_000, interval: 200, what: 'the renewal notice' },
    );

    // The session dropped the old connection and came back with the new certificate, without a restart.
    await eventually(
      async () =>
        states.filter((s) => s === 'ready').length >= 2 && states.at(-1) === 'ready'
          ? true
          : undefined,
      { timeout: 20_000, interval: 200, what: 'reconnect' },
    );
    await t.driver.deliver(
      record,
      checkResultItem('r', { host: CN, service: 'passive', state: 0, output: 'after renewal' }),
      deliveryContext(),
    );
    expect(await master.lastCheckResult(CN, 'passive')).toMatchObject({ output: 'after renewal' });
    await t.client.stop(record.name);
  }, 60_000);
});
