/**
 * Child process of crash.test.ts: opens the agent on a data dir, enqueues
 * values `from`..`from+count-1` and prints `ACK <id>` for each once enqueue
 * returned (the moment a user is told "queued"), while delivering to the ack
 * server. The parent SIGKILLs it at random moments. With count 0 it drains
 * the queue and exits.
 */
import { Agent } from '../../../main/core/agent.ts';
import { ackModule } from './ack-driver.ts';

const [dataDir, portText, fromText, countText] = process.argv.slice(2);
const port = Number(portText);
const from = Number(fromText);
const count = Number(countText);

const agent = await Agent.open({
  dataDir: dataDir!,
  logToFile: false,
  modules: [ackModule({ window: 4 })],
  queue: { pollMs: 10, lockRetryMs: 20, shutdownGraceMs: 100 },
});
if (agent.context.targets.find('ack') === undefined)
  agent.context.targets.save('ack', 'ack', { port });
agent.context.settings.update((d) => {
  (d as Record<string, unknown>).queue = { backoff: { baseMs: 10, capMs: 100 } };
});

const stop = new AbortController();
const delivering = agent.run(stop.signal);
process.stdout.write('READY\n');
for (let i = from; i < from + count; i++) {
  const { items } = await agent.api.enqueueValue({
    targets: ['ack'],
    value: { valueId: `v${i}`, value: i },
  });
  process.stdout.write(`ACK ${items[0]!.id}\n`);
}
if (count === 0) {
  for (;;) {
    const stats = await agent.api.getQueueStats({});
    if (stats.totals.queued === 0 && stats.totals.sending === 0) break;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  stop.abort();
  await delivering;
  await agent.close();
  process.stdout.write('DRAINED\n');
  process.exit(0);
}
await delivering;
