import { applyPendingSeeds } from '../../core/deploy/apply.ts';
import { installProcessGuards } from '../../core/process-guards.ts';
import type { CommandSpec } from '../command.ts';

export const runCommands: CommandSpec[] = [
  {
    path: ['run'],
    summary:
      'The headless agent: delivers the queue and keeps every paired target connected until SIGINT/SIGTERM',
    daemon: true,
    async run(ctx) {
      const agent = await ctx.agent();
      // Left installed if the run fails: main() then returns and the process ends.
      const removeGuards = installProcessGuards(agent.context.log.child('process'));
      agent.context.log.info('agent started', {
        version: agent.context.version,
        dataDir: ctx.dataDir,
      });
      ctx.progress(`outpost ${agent.context.version} running on ${ctx.dataDir} (Ctrl-C to stop)\n`);
      // A silent install may have left pairing parameters (build/README.md): apply them once.
      for (const seed of await applyPendingSeeds(agent)) {
        ctx.progress(
          `installer seed ${seed.source}: ${seed.status}${seed.error === undefined ? '' : ` (${seed.error})`}\n`,
        );
        for (const warning of seed.warnings) ctx.progress(`  warning: ${warning}\n`);
      }
      await agent.run(ctx.signal);
      removeGuards();
      agent.context.log.info('agent stopped');
      return { data: { stopped: true }, human: 'Stopped.' };
    },
  },
];
