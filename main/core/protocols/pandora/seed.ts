import { AgentError, toAgentError } from '../../contract/errors.ts';
import type { ImportReport } from '../../contract/import-report.ts';
import type { SeedSection, SeedTarget } from '../../deploy/section.ts';
import { absolutePath, seedTargetName } from '../../deploy/seed-values.ts';

/**
 * The Tentacle target an imported conf gets: the import's default
 * (`outpost import pandora` without --target), what TENTACLE_TARGET defaults to.
 */
const PANDORA_SEED_TARGET = 'pandora';

export interface PandoraSeed extends SeedTarget {
  /** pandora_agent.conf, absolute path; read when the seed is applied. */
  conf: string;
  /** The agent definition's name (default: the target's, as the import names it). */
  agent?: string;
}

/**
 * The Pandora FMS agent part of the installer seed (build/README.md, issue
 * #18): PANDORA_CONF is imported as a Pandora agent definition at first start,
 * as `outpost import pandora PATH [--agent NAME]` does: its Tentacle target
 * (server_ip, secondary_server_*), its modules as checks, and with
 * `remote_config 1` the Pandora server's copy of the conf wins from then on
 * (pandora-remote-config.md §4, §15: what the Windows installer's
 * `--remote_config 1` sets up for the console's deploy wizard). The conf
 * names its own server, so TENTACLE_SERVER cannot come with it: one place
 * says where the data goes. The conf's password is sent only over TLS, as
 * every silent install does (the import without --allow-plain-password).
 */
export const pandoraSeed: SeedSection<PandoraSeed> = {
  kind: 'tentacle',
  protocol: 'Pandora FMS agent',
  lead: 'PANDORA_CONF',
  leadValue: {
    example: '/path/to/pandora_agent.conf',
    meaning: 'the Pandora FMS agent configuration to import',
  },
  excludes: {
    TENTACLE_SERVER: `the conf names its own Tentacle server (server_ip), saved as target '${PANDORA_SEED_TARGET}': give PANDORA_CONF alone, or the TENTACLE_* parameters without it`,
  },
  parameters: {
    PANDORA_CONF: {
      description:
        'pandora_agent.conf imported as a Pandora agent definition (its server, modules, remote_config)',
    },
    PANDORA_AGENT: {
      description: `Pandora agent definition name (default ${PANDORA_SEED_TARGET})`,
    },
  },

  parse(values) {
    const agent = values.get('PANDORA_AGENT');
    return {
      target: PANDORA_SEED_TARGET,
      conf: absolutePath(values.get('PANDORA_CONF')!, 'PANDORA_CONF'),
      ...(agent === undefined ? {} : { agent: seedTargetName(agent, 'PANDORA_AGENT') }),
      secrets: {},
    };
  },

  async apply(s, { api }) {
    let report: ImportReport;
    try {
      report = await api.importPandora({
        path: s.conf,
        target: s.target,
        ...(s.agent === undefined ? {} : { agent: s.agent }),
        dryRun: false,
      });
    } catch (error) {
      // The import names its request's fields (path, agent): the administrator fixes a seed parameter.
      const e = toAgentError(error);
      const field = e.field === 'agent' ? 'PANDORA_AGENT' : 'PANDORA_CONF';
      throw new AgentError(e.code, `${field}: ${e.message}`, { field, transient: e.transient });
    }
    const agent = report.pandoraAgent!;
    const created = report.checks.filter((c) => c.created).length;
    const server = report.target?.config as { host: string; port: number } | undefined;
    const parts = [
      `Pandora agent '${agent.name}' (agent_name ${agent.agentName}) imported from ${s.conf}: ${created} of ${report.checks.length} checks created, data to ${server?.host}:${server?.port} (target '${s.target}'${report.target?.created === true ? '' : ', kept as it was'})`,
      agent.remoteConfig
        ? 'remote_config 1: managed by the Pandora server'
        : 'remote_config off: the conf imported here is the source of truth',
    ];
    if (report.unmapped.length > 0)
      parts.push(
        `${report.unmapped.length} lines not carried over (\`outpost import pandora ${s.conf} --dry-run\` lists them)`,
      );
    return { outcome: 'created', detail: parts.join('; ') };
  },
};
