import type { CommandSpec } from '../command.ts';
import { UsageError } from '../command.ts';
import { table } from '../format.ts';

export const targetCommands: CommandSpec[] = [
  {
    path: ['target', 'list'],
    summary: 'Paired targets with their protocol and connection state',
    async run(ctx) {
      const targets = await (await ctx.agent()).api.listTargets({});
      const human =
        targets.length === 0
          ? 'No target is paired yet.'
          : table(
              ['NAME', 'KIND', 'STATE', 'PAUSED', 'LAST ERROR'],
              targets.map((t) => [
                t.name,
                t.kind,
                t.status.state,
                t.paused ? 'yes' : 'no',
                t.status.lastError ?? '',
              ]),
            );
      return { data: targets, human };
    },
  },
  {
    path: ['target', 'remove'],
    summary: 'Forget a paired target with its certificates, pins and secrets',
    usage: 'NAME',
    async run(ctx, args) {
      const name = args.positionals[0];
      if (name === undefined) throw new UsageError('NAME is required');
      const result = await (await ctx.agent()).api.removeTarget({ name });
      return { data: result, human: `Removed target ${name}.` };
    },
  },
];
