import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { QueueItemView } from '../../../../main/core/contract/queue.ts';
import { IcingaMaster, icingaMissing } from '../../../peers/icinga2.ts';
import { pairIcinga } from '../../../../main/core/protocols/icinga/pairing.ts';
import { openIcingaAgent, pairWithTicket, type TestAgent } from './helpers.ts';
import { eventually } from '../../../poll.ts';

const skip = icingaMissing();
const CN = 'agent1.test';
const SERVICES = Array.from({ length: 20 }, (_, i) => `q${i}`);

describe.skipIf(skip !== undefined)('Icinga target behind the durable queue (Agent.run)', () => {
  let master: IcingaMaster;
  let t: TestAgent;
  let stop: AbortController;
  let running: Promise<void>;

  beforeAll(async () => {
    master = await IcingaMaster.start({
      agents: [{ cn: CN, services: ['now', ...SERVICES] }, { cn: 'agent9.test' }],
      masterHosts: ['unrelated.test'],
    });
    t = await openIcingaAgent('icinga-queue');
    await pairWithTicket(t.agent, master, 'm', CN);
  }, 60_000);
  afterAll(async () => {
    stop?.abort();
    await running;
    await t?.close();
    await master?.stop();
  });

  const item = async (id: string): Promise<QueueItemView> => t.agent.api.getQueueItem({ id });
  const settled = (ids: string[]) =>
    eventually(
      async () => {
        const items = await Promise.all(ids.map(item));
        return items.every((i) => i.state === 'delivered' || i.state === 'failed')
          ? items
          : undefined;
      },
      { timeout: 60_000, interval: 200, what: 'queue items to settle' },
    );

  it('delivers results queued while the agent was stopped, and keeps them across a master outage', async () => {
    const queued: string[] = [];
    for (const [i, service] of SERVICES.slice(0, 10).entries()) {
      const res = await t.agent.api.enqueueCheckResult({
        targets: ['m'],
        result: { host: CN, service, state: 1, output: `queued ${i}`, performanceData: [`n=${i}`] },
      });
      queued.push(res.items[0]!.id);
    }
    expect((await item(queued[0]!)).state).toBe('queued');

    // The master goes away before the daemon starts: nothing may be lost or failed.
    await master.kill();
    stop = new AbortController();
    running = t.agent.run(stop.signal);
    for (const [i, service] of SERVICES.slice(10).entries()) {
      const res = await t.agent.api.enqueueCheckResult({
        targets: ['m'],
        result: { host: CN, service, state: 2, output: `during outage ${i}`, performanceData: [] },
      });
      queued.push(res.items[0]!.id);
    }
    await new Promise((r) => setTimeout(r, 1500));
    expect(
      (await Promise.all(queued.map(item))).every(
        (i) => i.state !== 'delivered' && i.state !== 'failed',
      ),
    ).toBe(true);
    await master.start();

    const items = await settled(queued);
    expect(items.map((i) => i.state)).toEqual(queued.map(() => 'delivered'));
    for (const [i, service] of SERVICES.entries()) {
      expect(await master.lastCheckResult(CN, service)).toMatchObject(
        i < 10
          ? { state: 1, output: `queued ${i}`, performance_data: [`n=${i}`] }
          : { state: 2, output: `during outage ${i - 10}` },
      );
    }
  }, 90_000);

  it('marks a result outside the agent zone failed with the reason, visible in the queue', async () => {
    const res = await t.agent.api.enqueueCheckResult({
      targets: ['m'],
      result: { host: 'unrelated.test', state: 2, output: 'x', performanceData: [] },
    });
    const [failed] = await settled([res.items[0]!.id]);
    expect(failed).toMatchObject({
      state: 'failed',
      lastError: expect.stringContaining("not in this agent's zone"),
    });
  }, 60_000);

  it('delivers at once with now, straight through the driver', async () => {
    const res = await t.agent.api.enqueueCheckResult({
      targets: ['m'],
      now: true,
      result: { host: CN, service: 'now', state: 0, output: 'right now', performanceData: [] },
    });
    expect(res.delivered).toEqual(['m']);
    expect(await master.lastCheckResult(CN, 'now')).toMatchObject({
      output: 'right now',
      state: 0,
    });
  }, 60_000);

  it('a running agent finishes on-demand pairing by itself once the admin signs, then delivers what was queued', async () => {
    const late = await openIcingaAgent('icinga-pending', { pendingPollMs: 200 });
    const lateStop = new AbortController();
    let lateRun: Promise<void> | undefined;
    try {
      const pending = await pairIcinga(late.agent.context, {
        target: 'p',
        host: '127.0.0.1',
        port: master.port,
        cn: 'agent9.test',
        trustFingerprint: master.fingerprint,
        waitSeconds: 0,
      });
      expect(pending.state).toBe('pending');
      const res = await late.agent.api.enqueueCheckResult({
        targets: ['p'],
        result: {
          host: 'agent9.test',
          state: 2,
          output: 'queued while pending',
          performanceData: [],
        },
      });
      lateRun = late.agent.run(lateStop.signal);
      await new Promise((r) => setTimeout(r, 600));
      expect((await late.agent.api.getQueueItem({ id: res.items[0]!.id })).state).not.toBe(
        'delivered',
      );
      await master.caSign(pending.requestFingerprint);
      const delivered = await eventually(
        async () => {
          const i = await late.agent.api.getQueueItem({ id: res.items[0]!.id });
          return i.state === 'delivered' ? i : undefined;
        },
        { timeout: 45_000, interval: 200, what: 'delivery after signing' },
      );
      expect(delivered.state).toBe('delivered');
      const host = await master.rest(
        'GET',
        '/v1/objects/hosts/agent9.test?attrs=state&attrs=last_check_result',
      );
      expect(
        (
          host.body as {
            results: Array<{ attrs: { state: number; last_check_result: { output: string } } }>;
          }
        ).results[0]?.attrs,
      ).toMatchObject({
        state: 1,
        last_check_result: { output: 'queued while pending' },
      });
    } finally {
      lateStop.abort();
      await lateRun;
      await late.close();
    }
  }, 90_000);
});
