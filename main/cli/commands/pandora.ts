import type { PandoraAgentSummary } from '../../core/contract/pandora-agents.ts';
import type { CommandSpec } from '../command.ts';
import { UsageError } from '../command.ts';
import { table } from '../format.ts';

/** One line per agent definition: who manages its conf and what last changed it. */
export function describePandoraAgent(a: PandoraAgentSummary): string[] {
  const d = a.definition;
  const lines = [
    `Pandora agent ${d.name} (agent_name ${d.agentName}, target ${d.target}): ${d.remoteConfig ? 'managed by the Pandora server (remote_config 1): edit it in the Pandora console' : 'local configuration'}`,
  ];
  if (d.standby)
    lines.push(
      '  standby 1 (disabled in the Pandora console): its checks do not run and no data is sent',
    );
  if (d.lastChange !== undefined)
    lines.push(`  last change ${new Date(d.lastChange.at).toISOString()}: ${d.lastChange.summary}`);
  if (d.problem !== undefined)
    lines.push(`  problem ${new Date(d.problem.at).toISOString()}: ${d.problem.message}`);
  return lines;
}

export const pandoraCommands: CommandSpec[] = [
  {
    path: ['pandora', 'list'],
    summary:
      'Pandora agent definitions (from outpost import pandora): remote configuration, last change, checks',
    async run(ctx) {
      const agents = await (await ctx.agent()).api.listPandoraAgents({});
      if (agents.length === 0)
        return {
          data: agents,
          human: 'No Pandora agent is defined yet (outpost import pandora FILE).',
        };
      const human = [
        table(
          ['NAME', 'AGENT NAME', 'TARGET', 'REMOTE CONFIG', 'EVERY', 'KEY', 'CHECKS'],
          agents.map((a) => [
            a.definition.name,
            a.definition.agentName,
            a.definition.target,
            a.definition.remoteConfig ? 'on' : 'off',
            `${a.definition.interval}s`,
            a.key,
            a.checks.join(', '),
          ]),
        ),
        '',
        ...agents.flatMap(describePandoraAgent),
      ].join('\n');
      return { data: agents, human };
    },
  },
  {
    path: ['pandora', 'sync'],
    summary:
      "Check the agent's remote configuration on its Pandora server now (upload on first contact, apply the server's changes)",
    usage: 'NAME',
    details: [
      'The daemon (outpost run, the app) does this every agent interval; this runs one exchange at once.',
      'An agent with remote_config 1 takes its modules from the server: edit them in the Pandora console.',
    ],
    async run(ctx, args) {
      const name = args.positionals[0];
      if (name === undefined) throw new UsageError('NAME is required (see outpost pandora list)');
      const outcome = await (await ctx.agent()).api.syncPandoraAgent({ name });
      const unmapped = (outcome.unmapped ?? []).map(
        (u) =>
          `  ${u.file}${u.line === undefined ? '' : `:${u.line}`}: ${u.text === undefined ? '' : `${u.text}: `}${u.reason}`,
      );
      return {
        data: outcome,
        human: [
          `Pandora agent ${name}: ${outcome.message}`,
          ...(unmapped.length > 0 ? ['', 'Not mapped:', ...unmapped] : []),
        ].join('\n'),
        exitCode: outcome.action === 'refused' ? 1 : 0,
      };
    },
  },
];
