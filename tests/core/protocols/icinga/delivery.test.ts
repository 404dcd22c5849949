import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AgentError } from '../../../../main/core/contract/errors.ts';
import type { TargetRecord } from '../../../../main/core/contract/targets.ts';
import { IcingaMaster, icingaMissing } from '../../../peers/icinga2.ts';
import {
  checkResultItem,
  deliveryContext,
  openIcingaAgent,
  pairWithTicket,
  type TestAgent,
} from './helpers.ts';

const skip = icingaMissing();
const CN = 'agent1.test';
const MANY = Array.from({ length: 40 }, (_, i) => `svc${i}`);

describe.skipIf(skip !== undefined)('Icinga check results over the cluster connection', () => {
  let master: IcingaMaster;
  let t: TestAgent;
  let record: TargetRecord;

  beforeAll(async () => {
    master = await IcingaMaster.start({
      agents: [{ cn: CN, services: ['passive', 'disk', ...MANY] }],
      masterHosts: ['unrelated.test'],
    });
    t = await openIcingaAgent();
    await pairWithTicket(t.agent, master, 'm', CN);
    record = t.agent.context.targets.get('m');
  }, 60_000);
  afterAll(async () => {
    await t?.close();
    await master?.stop();
  });

  it('delivers a service result the master stores with state, output and perfdata', async () => {
    const start = Date.now() / 1000 - 1;
    await t.driver.deliver(
      record,
      checkResultItem('m', {
        host: CN,
        service: 'disk',
        state: 1,
        output: 'WARNING - disk 91% used: Grüße',
        longOutput: 'second line',
        performanceData: ['/=91%;80;90;0;100', "'free space'=9GB"],
        executionStart: start,
        executionEnd: start + 0.25,
      }),
      deliveryContext(),
    );
    // Confirmed means stored: no polling needed.
    const cr = await master.lastCheckResult(CN, 'disk');
    expect(cr).toMatchObject({
      state: 1,
      exit_status: 1,
      output: 'WARNING - disk 91% used: Grüße\nsecond line',
      performance_data: ['/=91%;80;90;0;100', "'free space'=9GB"],
      check_source: CN,
      active: false,
    });
    expect(cr?.execution_start).toBeCloseTo(start, 3);
    const svc = await master.rest(
      'GET',
      `/v1/objects/services/${encodeURIComponent(`${CN}!disk`)}?attrs=state`,
    );
    expect(
      (svc.body as { results: Array<{ attrs: { state: number } }> }).results[0]?.attrs.state,
    ).toBe(1);
  });

  it('maps host states: WARNING stays UP, CRITICAL is DOWN', async () => {
    await t.driver.deliver(
      record,
      checkResultItem('m', { host: CN, state: 2, output: 'host unreachable' }),
      deliveryContext(),
    );
    let host = await master.rest(
      'GET',
      `/v1/objects/hosts/${CN}?attrs=state&attrs=last_check_result`,
    );
    let attrs = (
      host.body as {
        results: Array<{
          attrs: { state: number; last_check_result: { output: string; exit_status: number } };
        }>;
      }
    ).results[0]!.attrs;
    expect(attrs.state).toBe(1); // DOWN
    expect(attrs.last_check_result).toMatchObject({ output: 'host unreachable', exit_status: 2 });

    await t.driver.deliver(
      record,
      checkResultItem('m', { host: CN, state: 1, output: 'host slow' }),
      deliveryContext(),
    );
    host = await master.rest('GET', `/v1/objects/hosts/${CN}?attrs=state&attrs=last_check_result`);
    attrs = (
      host.body as typeof host.body & {
        results: Array<{
          attrs: { state: number; last_check_result: { output: string; exit_status: number } };
        }>;
      }
    ).results[0]!.attrs;
    expect(attrs.state).toBe(0); // UP
    expect(attrs.last_check_result.output).toBe('host slow');
  });

  it('refuses, permanently and with the reason, a result for a host outside the agent zone', async () => {
    const error = await t.driver
      .deliver(
        record,
        checkResultItem('m', { host: 'unrelated.test', state: 2, output: 'x' }),
        deliveryContext(),
      )
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AgentError);
    expect(error).toMatchObject({
      code: 'refused',
      transient: false,
      message: expect.stringContaining("not in this agent's zone 'agent1.test'"),
    });
    expect(await master.lastCheckResult('unrelated.test')).toBeNull();
  });

  it('pipelines many results over one connection, each confirmed', async () => {
    const base = Date.now() / 1000;
    await Promise.all(
      MANY.map((service, i) =>
        t.driver.deliver(
          record,
          checkResultItem('m', {
            host: CN,
            service,
            state: i % 4,
            output: `result ${i}`,
            executionStart: base,
            executionEnd: base,
          }),
          deliveryContext(),
        ),
      ),
    );
    const rows = await master.rest(
      'GET',
      `/v1/objects/services?filter=${encodeURIComponent(`host.name=="${CN}"`)}&attrs=last_check_result`,
    );
    const byName = new Map(
      (
        rows.body as {
          results: Array<{
            name: string;
            attrs: { last_check_result: { output: string; state: number } | null };
          }>;
        }
      ).results.map((r) => [r.name, r.attrs.last_check_result]),
    );
    MANY.forEach((service, i) =>
      expect(byName.get(`${CN}!${service}`)).toMatchObject({ output: `result ${i}`, state: i % 4 }),
    );
    // One connection for all of them: the master saw a single endpoint connection.
    const endpoints = await master.rest('GET', `/v1/objects/endpoints/${CN}?attrs=connected`);
    expect(
      (endpoints.body as { results: Array<{ attrs: { connected: boolean } }> }).results[0]?.attrs
        .connected,
    ).toBe(true);
    expect(t.driver.status?.(record)).toMatchObject({ state: 'ready' });
  });

  it('loses nothing when the master restarts mid-stream (retry like the queue does)', async () => {
    const states: string[] = [];
    const off = t.agent.events.on('target.state', (e) => states.push(e.status.state));
    const total = 30;
    const delivered = new Set<number>();
    let transientFailures = 0;
    const deliverWithRetry = async (i: number): Promise<void> => {
      for (;;) {
        try {
          const now = Date.now() / 1000;
          await t.driver.deliver(
            record,
            checkResultItem('m', {
              host: CN,
              service: MANY[i]!,
              state: 2,
              output: `after restart ${i}`,
              executionStart: now,
              executionEnd: now,
            }),
            deliveryContext(),
          );
          delivered.add(i);
          return;
        } catch (error) {
          if (!(error instanceof AgentError) || !error.transient) throw error;
          transientFailures++;
          await new Promise((r) => setTimeout(r, 200));
        }
      }
    };
    const sends: Array<Promise<void>> = [];
    let restarted: Promise<void> | undefined;
    for (let i = 0; i < total; i++) {
      sends.push(deliverWithRetry(i));
      // Keep sending while the master shuts down: icinga2 answers ids and
      // advances its log position for results its stopped objects drop.
      if (i === 10) restarted = master.restart();
      await new Promise((r) => setTimeout(r, 20));
    }
    await restarted;
    await Promise.all(sends);
    expect(delivered.size).toBe(total);
    for (let i = 0; i < total; i++) {
      expect(await master.lastCheckResult(CN, MANY[i]!)).toMatchObject({
        output: `after restart ${i}`,
        state: 2,
      });
    }
    off();
    // The session saw the connection drop and came back by itself.
    expect(states).toContain('retrying');
    expect(states.at(-1)).toBe('ready');
    expect(transientFailures).toBeLessThan(total * 10);
  }, 90_000);
  it('keeps one connection per endpoint: a second agent with the same identity is closed and keeps retrying', async () => {
    // The first agent holds the endpoint's connection.
    await t.driver.deliver(
      record,
      checkResultItem('m', { host: CN, service: 'disk', output: 'before twin' }),
      deliveryContext(),
    );
    const twin = await openIcingaAgent('icinga-twin');
    try {
      const files = await t.agent.context.identity.readCertificates('m');
      await twin.agent.context.identity.saveCertificates('m', files);
      const twinRecord = twin.agent.context.targets.save('m', 'icinga', record.config);
      const states: string[] = [];
      twin.agent.events.on('target.state', (e) => states.push(e.status.state));
      twin.client.session(twinRecord);
      await new Promise((r) => setTimeout(r, 2500));
      // §2.5 step 5: the master keeps the first connection and closes the new one at once.
      expect(states).toContain('retrying');
      expect(states).not.toContain('ready');
      expect(twin.driver.status?.(twinRecord)).toMatchObject({
        lastError: expect.stringContaining('closed the connection'),
      });
      await expect(
        twin.driver.deliver(
          twinRecord,
          checkResultItem('m', { host: CN, service: 'disk', output: 'twin' }),
          {
            signal: AbortSignal.timeout(500),
            progress: () => undefined,
          },
        ),
      ).rejects.toMatchObject({ transient: true });
      // The first agent is undisturbed.
      await t.driver.deliver(
        record,
        checkResultItem('m', { host: CN, service: 'disk', output: 'first' }),
        deliveryContext(),
      );
      expect(await master.lastCheckResult(CN, 'disk')).toMatchObject({ output: 'first' });
      await twin.client.stop(twinRecord.name);
    } finally {
      await twin.close();
    }
  }, 30_000);
});
