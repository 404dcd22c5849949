/** Shared by the remote configuration tests: the spec's worked example and Pandora's stock server layout. */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { PandoraSyncOutcome } from '../../../../main/core/contract/pandora-agents.ts';
import { md5Hex } from '../../../../main/core/protocols/pandora/conf-key.ts';
import { TentacleServer } from '../../../peers/tentacle-server.ts';
import { eventually } from '../../../poll.ts';

/** pandora-remote-config.md §9: 9 LF-terminated lines, 182 bytes, MD5 b54d…088d. */
export const WORKED_CONF =
  'server_ip 192.0.2.10\n' +
  'agent_name outpost-ws-0042\n' +
  'interval 300\n' +
  'remote_config 1\n' +
  'module_begin\n' +
  'module_name uptime\n' +
  'module_type generic_data\n' +
  'module_exec cut -d. -f1 /proc/uptime\n' +
  'module_end\n';
export const WORKED_KEY = '2bea46505d74926474f1e2cd42b54fe9';
export const WORKED_MD5 = 'b54d4466ec9161c4359492760390088d';
/** §9: the admin sets "interval 60": 181 bytes. */
export const WORKED_EDITED_MD5 = 'e43b10600f8ee84eeb21fe92b6d41551';

/** §3.3: tentacle_server.conf.new's filters, as `-i` parses them. */
export const STOCK_FILTERS =
  '.*\\.conf:conf;.*\\.md5:md5;.*\\.zip:collections;.*\\.lock:trans;.*\\.rcmd:commands';

export function parseFilters(text: string): Array<{ pattern: RegExp; dir: string }> {
  return text.split(';').map((pair) => {
    const [regex, dir] = pair.split(':');
    // Unanchored, as the Perl server matches them (§3.4).
    return { pattern: new RegExp(regex!), dir: dir! };
  });
}

/** A reference server laid out as Pandora's: stock filters, overwrite off (§3.6). */
export function startPandoraTentacle(root: string, port?: number): Promise<TentacleServer> {
  return TentacleServer.start({
    dir: join(root, 'data_in'),
    filters: parseFilters(STOCK_FILTERS),
    overwrite: false,
    tmpDir: root,
    ...(port === undefined ? {} : { port }),
  });
}

/** The console's edit of the conf with key `key` under `root`: conf first, then its md5 (§8.1). */
export async function consoleWrites(
  root: string,
  key: string,
  text: string,
  md5 = md5Hex(text),
): Promise<void> {
  await writeFile(join(root, 'data_in', 'conf', `${key}.conf`), text);
  await writeFile(join(root, 'data_in', 'md5', `${key}.md5`), md5);
}

/** The first `action` outcome at index `from` or later, as the agent reports them. */
export function nextOutcome(
  outcomes: PandoraSyncOutcome[],
  action: PandoraSyncOutcome['action'],
  from: number,
): Promise<PandoraSyncOutcome> {
  return eventually(() => outcomes.slice(from).find((o) => o.action === action), {
    timeout: 20_000,
    interval: 100,
    what: `a '${action}' remote configuration outcome`,
    context: () => JSON.stringify(outcomes),
  });
}

/**
 * A `remote_config 1` pandora_agent.conf for a server on loopback: the global
 * keys, any `extra` lines, then one generic_data module_exec block per module
 * (a bare name runs `echo 1`).
 */
export function remoteConf(options: {
  port: number;
  agentName: string;
  interval: number;
  modules: Array<string | [name: string, exec: string]>;
  extra?: string[];
}): string {
  return [
    'server_ip 127.0.0.1',
    `server_port ${options.port}`,
    `agent_name ${options.agentName}`,
    `interval ${options.interval}`,
    'remote_config 1',
    ...(options.extra ?? []),
    ...options.modules.flatMap((module) => {
      const [name, exec] = typeof module === 'string' ? [module, 'echo 1'] : module;
      return [
        'module_begin',
        `module_name ${name}`,
        'module_type generic_data',
        `module_exec ${exec}`,
        'module_end',
      ];
    }),
    '',
  ].join('\n');
}
