import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import WebSocket from 'ws';
import { Agent } from '../../main/core/agent.ts';
import { startWebHost } from '../../main/cli/web/server.ts';
import { signIn } from '../cli/web/sign-in.ts';
import { medianMs, type BenchContext } from './harness.ts';

/**
 * Issue #8: what the `outpost ui` WebSocket adds to an AgentApi call, against
 * the same call made in-process (what the Electron IPC handler runs).
 */
export default async function uiBench(ctx: BenchContext): Promise<void> {
  const staticDir = join(ctx.tmpDir, 'ui-static');
  await mkdir(staticDir, { recursive: true });
  await writeFile(join(staticDir, 'index.html'), '<!doctype html>');
  const agent = await Agent.open({ dataDir: join(ctx.tmpDir, 'ui-data'), logToFile: false });
  const host = await startWebHost({ agent, staticDir, port: 0 });
  const ws = new WebSocket(`ws://127.0.0.1:${host.port}/ws`, {
    headers: { Origin: `http://127.0.0.1:${host.port}`, Cookie: await signIn(host.url) },
  });
  await new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
  });
  let nextId = 1;
  const pending = new Map<number, () => void>();
  ws.on('message', (data) => {
    const frame = JSON.parse(data.toString()) as { id?: number };
    if (frame.id !== undefined) pending.get(frame.id)?.();
  });
  const overSocket = (method: string): Promise<void> =>
    new Promise((resolve) => {
      const id = nextId++;
      pending.set(id, resolve);
      ws.send(JSON.stringify({ id, method, request: {} }));
    });
  try {
    await agent.api.getIdentity({});
    const n = 500;
    for (const method of ['getSettings', 'getIdentity'] as const) {
      const direct = await medianMs(5, async () => {
        for (let i = 0; i < n; i++) await agent.call(method, {});
      });
      const socket = await medianMs(5, async () => {
        for (let i = 0; i < n; i++) await overSocket(method);
      });
      ctx.row({
        metric: `${method} round trip over the outpost ui WebSocket`,
        ours: (socket / n) * 1000,
        unit: 'µs/call',
        baseline: (direct / n) * 1000,
        baselineLabel: 'same call in-process (agent.call)',
        higherIsBetter: false,
        target: '< 2 ms per call (UI feels instant)',
        met: socket / n < 2,
      });
    }
  } finally {
    ws.close();
    await host.close();
    await agent.close();
  }
}
