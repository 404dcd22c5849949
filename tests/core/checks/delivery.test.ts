import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Agent } from '../../../main/core/agent.ts';
import { PandoraResultFiles } from '../../../main/core/protocols/tentacle/check-results.ts';
import { closeHistory, historyStore } from '../../../main/core/protocols/gorgone/history.ts';
import type { QueueService } from '../../../main/core/queue/model.ts';
import type { EnqueueRequest, QueueItem } from '../../../main/core/contract/queue-items.ts';
import { makeTempDir } from '../../peers/util.ts';
import { readDataFile } from '../protocols/pandora/data-rules.ts';

const DUMMY = '/usr/lib/nagios/plugins/check_dummy';

/**
 * Records what the checks module hands the queue (the QueueService contract),
 * reading a file payload at enqueue time as the real queue spools it.
 */
class RecordingQueue implements QueueService {
  readonly requests: Array<EnqueueRequest & { fileBytes?: Buffer }> = [];
  #id = 0;
  async enqueue(request: EnqueueRequest): Promise<QueueItem[]> {
    const copy: EnqueueRequest & { fileBytes?: Buffer } = { ...request };
    if (request.kind === 'file') copy.fileBytes = await readFile(request.filePath);
    this.requests.push(copy);
    return request.targets.map((target) => ({
      id: `item-${++this.#id}`,
      target,
      payload:
        request.kind === 'file'
          ? {
              kind: 'file',
              file: {
                fileName: request.fileName ?? '',
                size: copy.fileBytes!.length,
                sha256: '',
                path: `/spool/${this.#id}`,
              },
            }
          : request.kind === 'check-result'
            ? { kind: 'check-result', result: request.result }
            : request.kind === 'value'
              ? { kind: 'value', value: request.value }
              : { kind: 'message', message: request.message },
      state: 'queued',
      createdAt: Date.now(),
      attempts: 0,
      nextAttemptAt: 0,
      lastError: undefined,
      bytesTotal: 0,
      bytesSent: 0,
      deliveredAt: undefined,
    }));
  }
  get(): QueueItem | undefined {
    return undefined;
  }
}

let tmp: { dir: string; cleanup(): Promise<void> };
let agent: Agent;
let queue: RecordingQueue;

beforeEach(async () => {
  tmp = await makeTempDir('checks-delivery');
  agent = await Agent.open({ dataDir: join(tmp.dir, 'data'), logToFile: false });
  queue = new RecordingQueue();
  agent.context.queue = queue;
  // Target records written as each protocol stores them (config validated by its own driver elsewhere).
  agent.context.settings.update((draft) => {
    draft.agent.name = 'ws-0042';
    const at = new Date().toISOString();
    draft.targets.ic = {
      name: 'ic',
      kind: 'icinga',
      createdAt: at,
      paused: false,
      config: {
        host: '127.0.0.1',
        port: 5665,
        endpoint: 'master.test',
        cn: 'agent1.test',
        zone: 'agent1.test',
      },
    };
    draft.targets.pfms = {
      name: 'pfms',
      kind: 'tentacle',
      createdAt: at,
      paused: false,
      config: { host: '127.0.0.1', port: 41121 },
    };
    draft.targets.os = { name: 'os', kind: 'onsphere', createdAt: at, paused: false, config: {} };
    draft.targets.central = {
      name: 'central',
      kind: 'gorgone',
      createdAt: at,
      paused: false,
      config: {},
    };
  });
});
afterEach(async () => {
  closeHistory(agent.context);
  await agent.close();
  await tmp.cleanup();
});

describe('one result fanned out to every target', () => {
  it('queues an Icinga check result, a Pandora data file and OnSphere values from one run', async () => {
    await agent.api.addCheck({
      name: 'web',
      command: { argv: [DUMMY, '1', "slow answer | time=1.84s;1;5;0 'free %'=37.5%;20:;10:"] },
      interval: 300,
      targets: [
        { target: 'ic', service: 'passive' },
        { target: 'pfms', moduleName: 'Intranet web' },
        { target: 'os', valueId: 'site1.ws42.web' },
      ],
    });
    const events: string[] = [];
    agent.events.on('checks.result', (e) => events.push(`${e.check}:${e.result.stateName}`));
    const outcome = await agent.api.runCheckNow({ name: 'web' });
    expect(outcome.result.stateName).toBe('WARNING');
    expect(outcome.deliveries.map((d) => [d.target, d.kind, d.error, d.itemIds.length])).toEqual([
      ['ic', 'icinga', undefined, 1],
      ['pfms', 'tentacle', undefined, 1],
      ['os', 'onsphere', undefined, 3],
    ]);
    expect(events).toEqual(['web:WARNING']);

    const icinga = queue.requests.find((r) => r.kind === 'check-result');
    expect(icinga).toMatchObject({
      targets: ['ic'],
      result: {
        host: 'agent1.test',
        service: 'passive',
        state: 1,
        output: 'WARNING: slow answer',
        performanceData: ['time=1.84s;1;5;0', "'free %'=37.5%;20:;10:"],
        checkSource: 'agent1.test',
        check: 'web',
      },
    });
    const r = (
      icinga as { result: { executionStart: number; executionEnd: number; scheduleStart: number } }
    ).result;
    expect(r.executionEnd).toBeGreaterThanOrEqual(r.executionStart);
    expect(r.executionStart).toBeGreaterThanOrEqual(r.scheduleStart);

    const file = queue.requests.find((q) => q.kind === 'file')!;
    expect(file.targets).toEqual(['pfms']);
    const fileName = (file as { fileName: string }).fileName;
    expect(fileName).toMatch(/^ws-0042\.\d{10}\.data$/);
    const read = readDataFile(fileName, file.fileBytes!);
    expect(read.agent).toMatchObject({ agent_name: 'ws-0042', interval: '300' });
    expect(read.modules.map((m) => [m.name, m.type, m.data, m.children.status])).toEqual([
      ['Intranet web', 'generic_proc', '2', 'WARNING'],
      ['Intranet web time', 'generic_data', '1.84', 'WARNING'],
      ['Intranet web free %', 'generic_data', '37.5', 'NORMAL'],
    ]);
    // The scratch copy is gone once the queue spooled its own.
    expect((await import('node:fs')).readdirSync(join(tmp.dir, 'data', 'checks-out'))).toEqual([]);

    const values = queue.requests
      .filter((q) => q.kind === 'value')
      .map((q) => (q as { value: { valueId: string; value: unknown } }).value);
    expect(values.map((v) => [v.valueId, v.value])).toEqual([
      ['site1.ws42.web.state', 1],
      ['site1.ws42.web.time', 1.84],
      ['site1.ws42.web.free', 37.5],
    ]);

    const [summary] = await agent.api.listChecks({});
    expect(summary!.lastResult?.output).toBe('WARNING: slow answer');
    expect(summary!.targets.map((t) => [t.target, t.itemIds.length])).toEqual([
      ['ic', 1],
      ['pfms', 1],
      ['os', 3],
    ]);
  });

  it("records a Gorgone target's result in the node history, as a command result a central's GETLOG reads", async () => {
    await agent.api.addCheck({
      name: 'web check',
      command: { argv: [DUMMY, '2', 'down | time=3s;1;2'] },
      targets: [{ target: 'central' }],
    });
    const outcome = await agent.api.runCheckNow({ name: 'web check' });
    expect(outcome.deliveries).toEqual([
      { target: 'central', kind: 'gorgone', itemIds: [], historyId: expect.any(Number) },
    ]);
    const rows = historyStore(agent.context).query({ token: 'outpost-check-web_check' });
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      id: outcome.deliveries[0]!.historyId,
      code: 100,
      etime: Math.floor(outcome.result.executionEnd),
    });
    expect(JSON.parse(rows[0]!.data)).toEqual({
      command: `${DUMMY} 2 down | time=3s;1;2`,
      result: { exit_code: 2, stdout: 'CRITICAL: down | time=3s;1;2' },
      metrics: {
        start: outcome.result.executionStart,
        end: outcome.result.executionEnd,
        duration: expect.any(Number),
      },
      metadata: {
        source: 'outpost-checks',
        check: 'web check',
        host: 'ws-0042',
        state: 2,
        state_name: 'CRITICAL',
        perfdata: ['time=3s;1;2'],
      },
    });
    expect(queue.requests).toEqual([]);
  });

  it('results for one Pandora agent that finish together share one data file, each module at its own multiple of the agent interval', async () => {
    await agent.api.addCheck({
      name: 'fast',
      command: { argv: [DUMMY, '0', 'fast | a=1'] },
      interval: 60,
      targets: [{ target: 'pfms' }],
    });
    await agent.api.addCheck({
      name: 'slow',
      command: { argv: [DUMMY, '2', 'slow'] },
      interval: 300,
      targets: [{ target: 'pfms' }],
    });
    const [a, b] = await Promise.all([
      agent.api.runCheckNow({ name: 'fast' }),
      agent.api.runCheckNow({ name: 'slow' }),
    ]);
    expect(a.deliveries[0]!.itemIds).toEqual(b.deliveries[0]!.itemIds);
    const files = queue.requests.filter((q) => q.kind === 'file');
    expect(files).toHaveLength(1);
    const read = readDataFile((files[0] as { fileName: string }).fileName, files[0]!.fileBytes!);
    expect(read.agent.interval).toBe('60');
    expect(read.modules.map((m) => [m.name, m.children.module_interval, m.data])).toEqual(
      expect.arrayContaining([
        ['fast', '1', '1'],
        ['fast a', '1', '1'],
        ['slow', '5', '0'],
      ]),
    );
  });

  it('a Pandora value module sends the printed value with its own type and thresholds, as module_exec does', async () => {
    await agent.api.addCheck({
      name: 'free',
      command: { argv: ['echo 123456; echo second line'], shell: true },
      targets: [
        {
          target: 'pfms',
          moduleName: 'Free Memory',
          pandoraModule: { type: 'generic_data', unit: 'KB', minWarning: 0, maxWarning: 100000 },
        },
      ],
    });
    await agent.api.addCheck({
      name: 'broken',
      command: { argv: ['/nonexistent/plugin'] },
      targets: [
        {
          target: 'pfms',
          pandoraModule: { type: 'generic_data_string', description: 'who is logged on' },
        },
      ],
    });
    await Promise.all([
      agent.api.runCheckNow({ name: 'free' }),
      agent.api.runCheckNow({ name: 'broken' }),
    ]);
    const file = queue.requests.find((q) => q.kind === 'file')!;
    const read = readDataFile((file as { fileName: string }).fileName, file.fileBytes!);
    const byName = Object.fromEntries(read.modules.map((m) => [m.name, m]));
    expect(byName['Free Memory']).toMatchObject({
      type: 'generic_data',
      data: '123456',
      valueAccepted: true,
      children: { unit: 'KB', min_warning: '0', max_warning: '100000' },
    });
    expect(byName['Free Memory']!.children.status).toBeUndefined();
    expect(byName.broken).toMatchObject({
      type: 'generic_data_string',
      data: undefined,
      valueAccepted: false,
      children: {
        description: expect.stringMatching(/^UNKNOWN: could not start '\/nonexistent\/plugin'/),
      },
    });
  });

  it('data file names stay distinct within one second', () => {
    const files = new PandoraResultFiles(agent.context);
    const at = new Date(1_795_370_000_000);
    const names = [0, 1, 2].map(() => files.dataFile('ws-0042', 60, at, []).fileName);
    expect(names).toEqual([
      'ws-0042.1795370000.data',
      'ws-0042.1795370001.data',
      'ws-0042.1795370002.data',
    ]);
  });

  it('a target that cannot take the result does not stop the others, and says why', async () => {
    await agent.api.addCheck({
      name: 'b',
      command: { argv: [DUMMY, '0', 'x'] },
      targets: [{ target: 'ic' }, { target: 'pfms' }],
    });
    agent.context.settings.update((draft) => {
      delete draft.targets.pfms;
    });
    const outcome = await agent.api.runCheckNow({ name: 'b' });
    expect(outcome.deliveries[0]).toMatchObject({ target: 'ic', itemIds: ['item-1'] });
    expect(outcome.deliveries[1]!.error).toMatch(/'pfms' is not paired/);
  });

  it('a second run of a check while it runs is refused, saying why', async () => {
    await agent.api.addCheck({
      name: 'slow',
      command: { argv: ['/bin/sleep', '1'] },
      targets: [{ target: 'ic' }],
    });
    const first = agent.api.runCheckNow({ name: 'slow' });
    await expect(agent.api.runCheckNow({ name: 'slow' })).rejects.toMatchObject({
      code: 'conflict',
      message: "check 'slow' is running right now: its result will show when it ends",
    });
    expect((await first).result.stateName).toBe('OK');
  });

  it('--dry-run runs but queues nothing', async () => {
    await agent.api.addCheck({
      name: 'c',
      command: { argv: [DUMMY, '2', 'down'] },
      targets: [{ target: 'ic' }],
    });
    const outcome = await agent.api.runCheckNow({ name: 'c', dryRun: true });
    expect(outcome).toMatchObject({
      dryRun: true,
      deliveries: [],
      result: { stateName: 'CRITICAL' },
    });
    expect(queue.requests).toEqual([]);
  });

  it('rejects naming that does not fit the target kind, unknown targets and bad built-in options', async () => {
    await expect(
      agent.api.addCheck({
        name: 'd',
        command: { argv: ['/bin/true'] },
        targets: [{ target: 'ic', valueId: 'x' }],
      }),
    ).rejects.toMatchObject({
      code: 'invalid-request',
      field: 'targets.0.valueId',
    });
    await expect(
      agent.api.addCheck({
        name: 'd',
        command: { argv: ['/bin/true'] },
        targets: [{ target: 'nope' }],
      }),
    ).rejects.toMatchObject({ code: 'not-found' });
    await expect(
      agent.api.addCheck({
        name: 'd',
        builtin: { kind: 'tcp', options: { port: 'http' } },
        targets: [{ target: 'ic' }],
      }),
    ).rejects.toMatchObject({
      code: 'invalid-request',
      field: expect.stringMatching(/^builtin\.options/),
    });
    await expect(
      agent.api.addCheck({
        name: 'd',
        command: { argv: ['/bin/true'] },
        builtin: { kind: 'memory' },
        targets: [{ target: 'ic' }],
      }),
    ).rejects.toMatchObject({ code: 'invalid-request' });
    await expect(
      agent.api.addCheck({
        name: ' bad',
        command: { argv: ['/bin/true'] },
        targets: [{ target: 'ic' }],
      }),
    ).rejects.toMatchObject({ field: 'name' });
  });

  it('updates, renames and removes checks', async () => {
    await agent.api.addCheck({
      name: 'e',
      command: { argv: ['/bin/true'] },
      targets: [{ target: 'ic' }],
    });
    await expect(
      agent.api.addCheck({
        name: 'e',
        command: { argv: ['/bin/true'] },
        targets: [{ target: 'ic' }],
      }),
    ).rejects.toMatchObject({ code: 'conflict' });
    await agent.api.updateCheck({
      name: 'e',
      definition: {
        name: 'f',
        command: { argv: ['/bin/false'] },
        interval: 30,
        targets: [{ target: 'ic' }],
      },
    });
    expect(
      (await agent.api.listChecks({})).map((c) => [c.definition.name, c.definition.interval]),
    ).toEqual([['f', 30]]);
    await agent.api.removeCheck({ name: 'f' });
    expect(await agent.api.listChecks({})).toEqual([]);
    await expect(agent.api.removeCheck({ name: 'f' })).rejects.toMatchObject({ code: 'not-found' });
  });
});

describe('checks under the daemon', () => {
  it('agent.run schedules enabled checks and stops cleanly', async () => {
    await agent.api.addCheck({
      name: 'tick',
      command: { argv: [DUMMY, '0', 'tick'] },
      interval: 1,
      targets: [{ target: 'ic' }],
    });
    await agent.api.addCheck({
      name: 'off',
      command: { argv: [DUMMY, '0', 'off'] },
      interval: 1,
      enabled: false,
      targets: [{ target: 'ic' }],
    });
    const controller = new AbortController();
    const results: string[] = [];
    agent.events.on('checks.result', (e) => results.push(e.check));
    const running = agent.run(controller.signal);
    for (let i = 0; i < 60 && results.length < 2; i++) await new Promise((r) => setTimeout(r, 100));
    controller.abort();
    await running;
    expect(results.length).toBeGreaterThanOrEqual(2);
    expect(new Set(results)).toEqual(new Set(['tick']));
    // The last results are on disk for `outpost check list` in another process.
    const state = JSON.parse(
      await readFile(join(tmp.dir, 'data', 'checks-state.json'), 'utf8'),
    ) as Record<string, unknown>;
    expect(Object.keys(state)).toEqual(['tick']);
  });
});
