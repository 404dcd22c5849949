/**
 * Pandora remote configuration for the agent definitions with `remote_config 1`
 * (pandora-remote-config.md §4, §10): every agent interval, one exchange with
 * the target's primary server (remote-exchange.ts); a conf the server changed
 * is checked, parsed with the import's parser and mapping, and applied live
 * (apply-conf.ts). Every outcome is logged and sent to the UIs as an event.
 */
import { pause } from '../../abort.ts';
import type { AgentContext } from '../../context.ts';
import { AgentError, toAgentError } from '../../contract/errors.ts';
import type { PandoraAgent, PandoraSyncOutcome } from '../../contract/pandora-agents.ts';
import { agentFromMapping, mapPandoraConf } from '../../checks/import/pandora.ts';
import type { PandoraConfMapping } from '../../checks/import/pandora-conf.ts';
import { findPandoraAgent } from '../../checks/managed.ts';
import { readChecksSection, updateChecksSection } from '../../checks/store.ts';
import { clientOptions, resolveWhere } from '../tentacle/config.ts';
import { TentacleClient } from '../tentacle/transfer.ts';
import { applyPandoraConf, type ChecksReload } from './apply-conf.ts';
import { confKey } from './conf-key.ts';
import { readLocalConf, stagingDir } from './conf-store.ts';
import { exchangeRemoteConfig } from './remote-exchange.ts';

/** Longest wait between two looks at the agent definitions (a new import, a changed interval). */
const LOOK_MS = 5_000;

export interface RemoteConfig {
  /** One exchange now (the loop's, or `outpost pandora sync NAME`). */
  sync(name: string, signal?: AbortSignal): Promise<PandoraSyncOutcome>;
  /** The daemon side: each remotely managed agent once per its interval. */
  run(signal: AbortSignal): Promise<void>;
}

export function createRemoteConfig(ctx: AgentContext, checks: ChecksReload): RemoteConfig {
  const log = ctx.log.child('pandora');
  /** One exchange per agent at a time: the loop and a "sync now" share it. */
  const inFlight = new Map<string, Promise<PandoraSyncOutcome>>();

  const findAgent = (name: string): PandoraAgent => {
    const agent = findPandoraAgent(ctx.settings, name);
    if (agent !== undefined) return agent;
    const names = readChecksSection(ctx.settings).pandoraAgents.map((a) => a.name);
    throw new AgentError(
      'not-found',
      `no Pandora agent named '${name}'${names.length > 0 ? `: agents are ${names.join(', ')}` : ': none yet (outpost import pandora)'}`,
      { field: 'name' },
    );
  };

  /** Keeps the last refusal on the agent record; true when it is news (not the same as last run's). */
  const recordProblem = (agent: string, message: string | undefined): boolean => {
    const current = findPandoraAgent(ctx.settings, agent);
    if (current === undefined || current.problem?.message === message) return false;
    updateChecksSection(ctx.settings, (s) => ({
      ...s,
      pandoraAgents: s.pandoraAgents.map((a) => {
        if (a.name !== agent) return a;
        const { problem: _old, ...rest } = a;
        return message === undefined ? rest : { ...rest, problem: { at: Date.now(), message } };
      }),
    }));
    return true;
  };

  /** Log, agent record and UI notice; a refusal repeated every run is told once. */
  const report = (outcome: PandoraSyncOutcome): PandoraSyncOutcome => {
    const quiet = outcome.action === 'unchanged' || outcome.action === 'off';
    if (outcome.action === 'refused') {
      if (!recordProblem(outcome.agent, outcome.message)) return outcome;
      log.warn(`Pandora agent '${outcome.agent}': ${outcome.message}`);
    } else {
      recordProblem(outcome.agent, undefined);
      if (quiet) return outcome;
      log.info(`Pandora agent '${outcome.agent}': ${outcome.message}`);
    }
    ctx.events.emit('pandora.agent-changed', { agent: outcome.agent, outcome });
    return outcome;
  };

  async function exchange(agent: PandoraAgent, signal?: AbortSignal): Promise<PandoraSyncOutcome> {
    const base = { agent: agent.name };
    if (!agent.remoteConfig)
      return { ...base, action: 'off', message: 'remote_config is off for this agent' };
    const local = await readLocalConf(ctx, agent.name);
    if (local === undefined)
      return {
        ...base,
        action: 'refused',
        message: `its pandora_agent.conf copy is missing: import the conf again (outpost import pandora --agent ${agent.name})`,
      };
    const key = confKey(agent.agentName);
    const where = await resolveWhere(ctx, { target: agent.target });
    const options = await clientOptions(where.connection, where.secrets, {
      ...(signal === undefined ? {} : { signal }),
    });
    // §10.3: one session per run, to the primary only.
    const client = await TentacleClient.connect(options);
    let result;
    try {
      result = await exchangeRemoteConfig(client, {
        key,
        localConf: local,
        stagingDir: await stagingDir(ctx, agent.name),
      });
      await client.quit();
    } catch (error) {
      client.close();
      throw error;
    }
    switch (result.kind) {
      case 'unchanged':
        return {
          ...base,
          action: 'unchanged',
          message: `the server's configuration is ours (${key}.md5 ${result.md5})`,
        };
      case 'registered': {
        if (!result.confExisted && !result.md5Existed)
          return {
            ...base,
            action: 'registered',
            message: `first contact: ${key}.conf and ${key}.md5 uploaded to the Pandora server (md5 ${result.md5}); it now manages this configuration`,
          };
        const had = [result.confExisted ? `${key}.conf` : '', result.md5Existed ? `${key}.md5` : '']
          .filter((n) => n !== '')
          .join(' and ');
        return {
          ...base,
          action: 'already-registered',
          message: `first contact: the server already had ${had} (kept, not overwritten)${result.md5Existed ? '' : `; ${key}.md5 uploaded`}`,
        };
      }
      case 'refused':
        return { ...base, action: 'refused', message: result.reason };
      case 'changed':
        return applyDownloaded(agent, local, result.conf, key);
    }
  }

  async function applyDownloaded(
    agent: PandoraAgent,
    local: Buffer,
    conf: Buffer,
    key: string,
  ): Promise<PandoraSyncOutcome> {
    const base = { agent: agent.name };
    const file = `${key}.conf from the Pandora server`;
    let text: string;
    try {
      // §10.2: the conf is UTF-8; anything else would be read differently by the server.
      text = new TextDecoder('utf-8', { fatal: true }).decode(conf);
    } catch {
      return {
        ...base,
        action: 'refused',
        message: `${file} is not UTF-8 text: refused, the previous configuration stays in force`,
      };
    }
    const record = ctx.targets.get(agent.target, 'target');
    const allowPlainPassword = (record.config as { allowPlainPassword?: boolean })
      .allowPlainPassword;
    const options = { file, targetName: agent.target, dryRun: false, allowPlainPassword };
    let mapping: PandoraConfMapping;
    try {
      mapping = mapPandoraConf(text, options);
    } catch (error) {
      return {
        ...base,
        action: 'refused',
        message: `${toAgentError(error).message}: refused, the previous configuration stays in force`,
      };
    }
    if (mapping.conf.malformed.length > 0) {
      const lines = mapping.conf.malformed.map((p) => `line ${p.line ?? '?'}: ${p.reason}`);
      return {
        ...base,
        action: 'refused',
        message: `${file} does not parse (${lines.join('; ')}): refused, the previous configuration stays in force`,
      };
    }
    let previous: PandoraConfMapping | undefined;
    try {
      previous = mapPandoraConf(local.toString('utf8'), options);
    } catch {
      previous = undefined;
    }
    try {
      const applied = await applyPandoraConf(ctx, checks, {
        agent: agentFromMapping(ctx, agent.name, agent.target, mapping),
        bytes: conf,
        mapping,
        by: 'server',
        ...(previous === undefined
          ? {}
          : { previousTargetConfig: previous.config, previousSecrets: previous.secrets }),
      });
      const rejected = applied.rejected.map((r) => `module '${r.name}' not applied: ${r.reason}`);
      return {
        ...base,
        action: 'applied',
        message: [applied.agent.lastChange!.summary, ...rejected].join('; '),
        changes: applied.changes,
        // The import's line-numbered report of what the conf has that Outpost does not carry over.
        unmapped: mapping.report.unmapped,
      };
    } catch (error) {
      return {
        ...base,
        action: 'refused',
        message: `${file} cannot be applied: ${toAgentError(error).message}; the previous configuration stays in force`,
      };
    }
  }

  const sync = (name: string, signal?: AbortSignal): Promise<PandoraSyncOutcome> => {
    const running = inFlight.get(name);
    if (running !== undefined) return running;
    const agent = findAgent(name);
    const work = exchange(agent, signal)
      .then(report)
      .finally(() => inFlight.delete(name));
    inFlight.set(name, work);
    return work;
  };

  return {
    sync,
    async run(signal) {
      const due = new Map<string, number>();
      while (!signal.aborted) {
        let agents: PandoraAgent[] = [];
        try {
          agents = readChecksSection(ctx.settings).pandoraAgents.filter((a) => a.remoteConfig);
        } catch (error) {
          log.warn('checks section of settings.json is invalid: remote configuration waits', {
            error: String(error),
          });
        }
        for (const agent of agents) {
          if (signal.aborted) break;
          if (Date.now() < (due.get(agent.name) ?? 0)) continue;
          try {
            await sync(agent.name, signal);
          } catch (error) {
            // Unreachable, TLS, password, timeout: nothing uploaded (§10.3); tried again next
            // interval. Kept on the agent (list, UI) and told once, not every interval.
            const message = `remote configuration not checked: ${toAgentError(error).message}`;
            if (recordProblem(agent.name, message)) {
              log.warn(`Pandora agent '${agent.name}': ${message}`);
              ctx.events.emit('pandora.agent-changed', {
                agent: agent.name,
                outcome: { agent: agent.name, action: 'unreachable', message },
              });
            }
          }
          // Read again: the conf just applied may have changed the interval.
          const interval = findPandoraAgent(ctx.settings, agent.name)?.interval ?? agent.interval;
          due.set(agent.name, Date.now() + interval * 1000);
        }
        // Sleep until the next agent is due: at rest this is one look every few seconds.
        const next = Math.min(...agents.map((a) => due.get(a.name) ?? 0), Date.now() + LOOK_MS);
        await pause(Math.max(0, next - Date.now()), signal);
      }
    },
  };
}
