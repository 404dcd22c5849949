/**
 * Icinga HA parent zones (issue #18) against two real icinga2 masters, both
 * endpoints of zone `master`, with one CA and one TicketSalt
 * (IcingaMaster.startHaPair). The masters are not connected to each other, so
 * what the second one knows it got from the agent: the agent's own replay
 * across a switch is what is tested, not Icinga's cluster sync.
 */
import { createServer, connect, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TargetRecord } from '../../../../main/core/contract/targets.ts';
import {
  isPaired,
  pairIcinga,
  requestCertificate,
} from '../../../../main/core/protocols/icinga/pairing.ts';
import { IcingaMaster, icingaMissing, MASTER2_CN, MASTER_CN } from '../../../peers/icinga2.ts';
import { freePort } from '../../../peers/util.ts';
import { eventually } from '../../../poll.ts';
import { checkResultItem, deliveryContext, openIcingaAgent, type TestAgent } from './helpers.ts';

const skip = icingaMissing();
const CN = 'agent1.test';
const SERVICES = ['s1', 's2', 's3', 's4'];

/** The agent's check results a master took in (its debug log names each message and its sender). */
async function resultsReceived(master: IcingaMaster): Promise<number> {
  return (
    (await master.debugLog()).split(`Received 'event::CheckResult' message from identity '${CN}'`)
      .length - 1
  );
}

/** A TCP forwarder to `port` that can be cut: a master that stops answering mid-pairing. */
async function forwarder(port: number): Promise<{ port: number; cut(): void }> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    const upstream = connect(port, '127.0.0.1');
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('error', () => s.destroy());
      s.on('close', () => sockets.delete(s));
    }
    client.pipe(upstream).pipe(client);
  });
  const listenPort = await freePort();
  await new Promise<void>((resolve) => server.listen(listenPort, '127.0.0.1', resolve));
  return {
    port: listenPort,
    cut() {
      server.close();
      for (const s of sockets) s.destroy();
    },
  };
}

describe.skipIf(skip !== undefined)('Icinga HA parent zone: two real masters', () => {
  let a: IcingaMaster;
  let b: IcingaMaster;
  let t: TestAgent;

  beforeAll(async () => {
    [a, b] = await IcingaMaster.startHaPair({ agents: [{ cn: CN, services: SERVICES }] });
    t = await openIcingaAgent('icinga-ha');
  }, 90_000);
  afterAll(async () => {
    await t?.close();
    await a?.stop();
    await b?.stop();
  });

  it('pairs through the second endpoint when the first stops answering, pinning both masters', async () => {
    const viaProxy = await forwarder(a.port);
    const steps: string[] = [];
    // The first master answers the certificate fetch, then is gone before the request.
    const off = t.agent.events.on('pairing.step', (step) => {
      steps.push(`${step.step}:${step.status}:${step.detail ?? ''}`);
      if (step.step === 'agent-certificate' && step.status === 'running') viaProxy.cut();
    });
    try {
      const result = await pairIcinga(t.agent.context, {
        target: 'ha',
        masters: [
          { host: '127.0.0.1', port: viaProxy.port, trustFingerprint: a.fingerprint },
          { host: '127.0.0.1', port: b.port, trustFingerprint: b.fingerprint },
        ],
        cn: CN,
        ticket: await b.ticket(CN),
        waitSeconds: 0,
      });
      expect(result).toMatchObject({
        state: 'paired',
        endpoint: MASTER_CN,
        masterFingerprint: a.fingerprint,
        masters: [
          { endpoint: MASTER_CN, fingerprint: a.fingerprint },
          { endpoint: MASTER2_CN, fingerprint: b.fingerprint },
        ],
      });
      expect(steps.find((s) => s.startsWith('verify:done'))).toContain(`through ${MASTER2_CN}`);
    } finally {
      off();
      viaProxy.cut();
    }
    // Pairing again with the first master's real address keeps the signed identity and pins both.
    const again = await pairIcinga(t.agent.context, {
      target: 'ha',
      masters: [
        { host: '127.0.0.1', port: a.port, trustFingerprint: a.fingerprint },
        { host: '127.0.0.1', port: b.port, trustFingerprint: b.fingerprint },
      ],
      cn: CN,
      waitSeconds: 0,
    });
    expect(again).toMatchObject({ state: 'paired', reused: true });
    expect(t.agent.context.targets.get('ha').config).toMatchObject({
      masters: [
        { host: '127.0.0.1', port: a.port, endpoint: MASTER_CN, fingerprint: a.fingerprint },
        { host: '127.0.0.1', port: b.port, endpoint: MASTER2_CN, fingerprint: b.fingerprint },
      ],
    });
  }, 120_000);

  it('pairs on demand through the second endpoint, and completes once its admin signed there', async () => {
    const viaProxy = await forwarder(a.port);
    const off = t.agent.events.on('pairing.step', (step) => {
      if (step.step === 'agent-certificate' && step.status === 'running') viaProxy.cut();
    });
    let pending;
    try {
      pending = await pairIcinga(t.agent.context, {
        target: 'on-demand',
        masters: [
          { host: '127.0.0.1', port: viaProxy.port, trustFingerprint: a.fingerprint },
          { host: '127.0.0.1', port: b.port, trustFingerprint: b.fingerprint },
        ],
        cn: 'agent2.test',
        waitSeconds: 0,
      });
    } finally {
      off();
      viaProxy.cut();
    }
    // The request waits on the master that took it, and the result names it.
    expect(pending).toMatchObject({ state: 'pending', signOn: MASTER2_CN });
    expect(Object.keys(await b.caList())).toContain(pending.requestFingerprint);
    expect(Object.keys(await a.caList())).not.toContain(pending.requestFingerprint);
    expect(await t.client.pollPending('on-demand')).toBe(false);
    await b.caSign(pending.requestFingerprint);
    // The first master is still unreachable: the poll asks the next one.
    expect(await t.client.pollPending('on-demand')).toBe(true);
    expect(await isPaired(t.agent.context, 'on-demand')).toBe(true);
  }, 120_000);

  it('completes a request signed on the second master although the first answers "pending", and status names the masters that hold it', async () => {
    const target = 'signed-elsewhere';
    const cn = 'agent3.test';
    const ctx = t.agent.context;
    // Through the API, as the CLI and the wizard pair: the masters holding the request are recorded.
    const pending = await t.agent.api.pairIcinga({
      name: target,
      masters: [a, b].map((m) => ({
        host: '127.0.0.1',
        port: m.port,
        trustFingerprint: m.fingerprint,
      })),
      cn,
      waitSeconds: 0,
    });
    expect(pending).toMatchObject({ state: 'pending', signOn: MASTER_CN });
    const fingerprint = pending.requestFingerprint;
    const heldBy = async (): Promise<string[] | undefined> =>
      (await t.agent.api.getIcingaStatus({ name: target, probe: false })).pendingRequest?.heldBy;
    // Every master was asked, and (not connected to each other) each keeps its own request.
    expect(await heldBy()).toEqual([MASTER_CN, MASTER2_CN]);
    // The first master goes down: the background retry leaves the request on the second one.
    await a.kill();
    try {
      expect(await t.client.pollPending(target)).toBe(false);
    } finally {
      await a.start();
    }
    expect(Object.keys(await b.caList())).toContain(fingerprint);
    // The first master, down when last asked, keeps the request it took before.
    expect(await heldBy()).toEqual([MASTER_CN, MASTER2_CN]);
    await b.caSign(fingerprint);
    // What each master answers now: the second the signed certificate, the first (not
    // connected to it, so it never learns of the signing) still "pending".
    const files = await ctx.identity.readCertificates(target);
    const ask = (m: IcingaMaster, endpoint: string) =>
      requestCertificate({
        host: '127.0.0.1',
        port: m.port,
        endpoint,
        keyPem: files.keyPem!,
        certPem: files.certPem!,
        pinned: m.fingerprint,
      });
    expect(await ask(a, MASTER_CN)).toMatchObject({ statusCode: 2 });
    expect(await ask(b, MASTER2_CN)).toMatchObject({ statusCode: 0, cert: expect.any(String) });
    // The poll asks the second master too and completes (its pin and the chain checked, §3.6).
    expect(await t.client.pollPending(target)).toBe(true);
    expect(await isPaired(ctx, target)).toBe(true);
    expect(
      (await t.agent.api.getIcingaStatus({ name: target, probe: false })).pendingRequest,
    ).toBeUndefined();
  }, 180_000);

  it('keeps delivering while either master is down and replays across the switch', async () => {
    const record: TargetRecord = t.agent.context.targets.get('ha');
    const deliver = (service: string, output: string): Promise<void> =>
      t.driver.deliver(
        record,
        checkResultItem('ha', { host: CN, service, output }),
        deliveryContext(),
      );
    const states = (): string =>
      t.client
        .masterStatus(record)
        .map((m) => `${m.endpoint}=${m.state}`)
        .join(' ');
    const output = async (master: IcingaMaster, service: string): Promise<unknown> =>
      (await master.lastCheckResult(CN, service))?.output;
    const bothReady = `${MASTER_CN}=ready ${MASTER2_CN}=ready`;

    // Icinga's rule: a connection to every endpoint of the parent zone.
    t.client.session(record);
    await eventually(() => states() === bothReady, { what: 'both connections', context: states });
    await deliver('s1', 'one');
    expect(await output(a, 's1')).toBe('one');
    await eventually(async () => (await resultsReceived(a)) === 1, { what: 'A log' });
    expect(await resultsReceived(b)).toBe(0);

    // A down: what A confirmed is re-sent to B at once, and new results go to B.
    await a.kill();
    await deliver('s2', 'two');
    expect(await output(b, 's2')).toBe('two');
    expect(await output(b, 's1')).toBe('one');
    expect(t.client.status(record).state).toBe('ready');
    await eventually(async () => (await resultsReceived(b)) === 2, { what: 'B log' });

    // A back, B down: B's results reach A, and A takes the new ones.
    await a.start();
    await eventually(() => states() === bothReady, { what: 'A reconnected', context: states });
    // Nothing is re-sent to A on its return (its debug log goes on): B took over A's results.
    expect(await resultsReceived(a)).toBe(1);
    await b.kill();
    await deliver('s3', 'three');
    expect(await output(a, 's3')).toBe('three');
    await eventually(async () => (await output(a, 's2')) === 'two', { what: 'B results on A' });
    expect(await output(a, 's1')).toBe('one');
    // After s1 before the switch: B's two (s1 again and s2: the newest of each
    // object B confirmed, within the grace window) and s3. Nothing twice more.
    await eventually(async () => (await resultsReceived(a)) === 4, { what: 'A log' });
    expect(await resultsReceived(b)).toBe(2);
    await b.start();
  }, 180_000);

  it('delivers through the second master when the first never answers', async () => {
    const record = t.agent.context.targets.get('ha');
    await t.client.stop('ha');
    // The preferred master is an address nothing listens on (a master that is down for good).
    const config = record.config as { masters: Array<Record<string, unknown>> };
    t.agent.context.targets.save('ha', 'icinga', {
      ...config,
      masters: [
        { host: '127.0.0.1', port: await freePort(), endpoint: 'master3.test' },
        config.masters[0]!,
      ],
    });
    const moved = t.agent.context.targets.get('ha');
    await t.driver.deliver(
      moved,
      checkResultItem('ha', { host: CN, service: 's4', output: 'four' }),
      deliveryContext(),
    );
    expect((await a.lastCheckResult(CN, 's4'))?.output).toBe('four');
    expect(t.client.masterStatus(moved)).toEqual([
      expect.objectContaining({
        endpoint: 'master3.test',
        state: expect.stringMatching(/^(connecting|retrying)$/) as string,
        lastError: expect.stringContaining('ECONNREFUSED') as string,
      }),
      expect.objectContaining({ endpoint: MASTER_CN, state: 'ready' }),
    ]);
    expect(t.client.status(moved)).toMatchObject({ state: 'ready' });
    expect(t.client.status(moved).lastError).toBeUndefined();
    await t.client.stop('ha');
  }, 60_000);
});

describe.skipIf(skip !== undefined)('Icinga HA parent zone: two connected masters', () => {
  let a: IcingaMaster;
  let b: IcingaMaster;
  let t: TestAgent;

  beforeAll(async () => {
    [a, b] = await IcingaMaster.startHaPair({
      agents: [{ cn: CN, services: SERVICES }],
      connected: true,
    });
    t = await openIcingaAgent('icinga-ha-connected');
    await pairIcinga(t.agent.context, {
      target: 'ha',
      masters: [
        { host: '127.0.0.1', port: a.port, trustFingerprint: a.fingerprint },
        { host: '127.0.0.1', port: b.port, trustFingerprint: b.fingerprint },
      ],
      cn: CN,
      ticket: await a.ticket(CN),
      waitSeconds: 0,
    });
  }, 90_000);
  afterAll(async () => {
    await t?.close();
    await a?.stop();
    await b?.stop();
  });

  it('a result either master confirmed is in the zone, and one sent while a master was down reaches it when it is back', async () => {
    const record = t.agent.context.targets.get('ha');
    const deliver = (service: string, output: string): Promise<void> =>
      t.driver.deliver(
        record,
        checkResultItem('ha', { host: CN, service, output }),
        deliveryContext(),
      );
    const output = async (master: IcingaMaster, service: string): Promise<unknown> =>
      (await master.lastCheckResult(CN, service))?.output;
    t.client.session(record);
    await deliver('s1', 'one');
    // Confirmed by A; B has it from A (the zone's own cluster sync).
    await eventually(async () => (await output(b, 's1')) === 'one', { what: 's1 on B' });

    await a.kill();
    await deliver('s2', 'two');
    expect(await output(b, 's2')).toBe('two');
    await a.start();
    await eventually(async () => (await output(a, 's2')) === 'two', { what: 's2 on A' });
    // Both connections up again when afterAll closes the agent: what the closing
    // connections still save must land before close returns (it once landed after,
    // and the data directory could not be removed: ENOTEMPTY).
    await eventually(
      async () =>
        (await t.agent.api.getIcingaStatus({ name: 'ha', probe: false })).masters.every(
          (m) => m.state === 'ready',
        ),
      { what: 'both masters connected again' },
    );
  }, 120_000);
});
