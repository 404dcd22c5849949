/**
 * Child process of seed-kept.test.ts: opens the agent on a data dir, applies
 * the seed files named on the command line and prints the reports and the
 * notices as JSON. Run as an ordinary user, like an agent that finds a
 * machine-wide seed it may read but not delete.
 */
import { Agent } from '../../../main/core/agent.ts';
import { applyPendingSeeds } from '../../../main/core/deploy/apply.ts';
import { tentacleModule } from '../../../main/core/protocols/tentacle/index.ts';

const [dataDir, ...seeds] = process.argv.slice(2);
const agent = await Agent.open({
  dataDir: dataDir!,
  modules: [tentacleModule],
  logToFile: false,
});
const notices: Array<{ level: string; title: string; body: string }> = [];
agent.events.on('notice', (n) => notices.push({ level: n.level, title: n.title, body: n.body }));
const reports = await applyPendingSeeds(agent, seeds);
await agent.close();
process.stdout.write(`${JSON.stringify({ reports, notices })}\n`);
