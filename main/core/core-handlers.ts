import { readFile } from 'node:fs/promises';
import type { HandlersOf } from './contract/define.ts';
import type { coreContract, TargetSummary } from './contract/core.ts';
import type { AgentContext } from './context.ts';
import { AgentError } from './contract/errors.ts';
import type { Pin } from './contract/identity.ts';
import { jwkThumbprint, publicKeyFromPem, rsaBits } from './identity/keys.ts';

export function createCoreHandlers(ctx: AgentContext): HandlersOf<typeof coreContract> {
  return {
    async getAgentInfo() {
      return {
        version: ctx.version,
        dataDir: ctx.paths.root,
        settingsPath: ctx.settings.path,
        logFile: ctx.logSink.file,
        runtime: { node: process.versions.node, platform: process.platform, arch: process.arch },
        secretStore: { backend: ctx.secrets.backend, encrypted: ctx.secrets.encrypted },
      };
    },

    async getIdentity() {
      const agentKey = await ctx.identity.agentKey();
      return {
        agentKey,
        certificates: await ctx.identity.certificates(),
        pins: await pinsOfTargets(ctx),
        tickets: await ctx.identity.tickets(),
        secretStore: { backend: ctx.secrets.backend, encrypted: ctx.secrets.encrypted },
      };
    },

    async revealTicket({ target }) {
      const ticket = await ctx.identity.ticket(target);
      ctx.log.info('ticket revealed to the user', { target });
      return { target, ticket };
    },

    async getThumbprint({ keyPath }) {
      if (keyPath === undefined) {
        const key = await ctx.identity.agentKey();
        return { thumbprint: key.thumbprint, bits: key.bits, source: key.publicKeyPath };
      }
      let pem: string;
      try {
        pem = await readFile(keyPath, 'utf8');
      } catch (error) {
        throw new AgentError(
          'not-found',
          `cannot read key file '${keyPath}': ${(error as Error).message}`,
          {
            field: 'keyPath',
          },
        );
      }
      let key;
      try {
        key = publicKeyFromPem(pem);
      } catch (error) {
        throw new AgentError('invalid-request', `${keyPath}: ${(error as Error).message}`, {
          field: 'keyPath',
        });
      }
      return { thumbprint: jwkThumbprint(key), bits: rsaBits(key), source: keyPath };
    },

    async listTargets() {
      return ctx.targets.list().map((t): TargetSummary => {
        const driver = ctx.targets.hasDriver(t.kind) ? ctx.targets.driver(t.kind) : undefined;
        const status = driver?.status?.(t) ?? { state: 'idle' as const };
        return {
          name: t.name,
          kind: t.kind,
          paused: t.paused,
          createdAt: t.createdAt,
          config: t.config,
          status,
          checkNaming: [...(driver?.checkNaming ?? [])],
        };
      });
    },

    async removeTarget({ name }) {
      ctx.targets.remove(name);
      await ctx.identity.removeTarget(name);
      for (const secret of await ctx.secrets.list()) {
        if (secret.startsWith(`target/${name}/`)) await ctx.secrets.delete(secret);
      }
      ctx.log.info('target removed', { target: name });
      return { removed: name };
    },

    async getSettings() {
      return ctx.settings.read();
    },

    async updateAgentSettings(patch) {
      return ctx.settings.update((draft) => {
        Object.assign(
          draft.agent,
          Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== undefined)),
        );
      });
    },

    async getRecentLogs({ level, contains, limit }) {
      const order = { debug: 0, info: 1, warn: 2, error: 3 };
      const minimum = level === undefined ? 0 : order[level];
      const needle = contains?.toLowerCase();
      return ctx.logSink.recent
        .filter((l) => order[l.level] >= minimum)
        .filter((l) => needle === undefined || JSON.stringify(l).toLowerCase().includes(needle))
        .slice(-limit);
    },
  };
}

/**
 * The identity store's pins, a target's replaced by what its driver lists when
 * the target has several servers (each master of an Icinga HA zone). The
 * agent loads the drivers of its targets' kinds before a core method runs.
 */
async function pinsOfTargets(ctx: AgentContext): Promise<Pin[]> {
  const stored = await ctx.identity.pins();
  const expanded = new Set<string>();
  const fromDrivers: Pin[] = [];
  for (const target of ctx.targets.list()) {
    if (!ctx.targets.hasDriver(target.kind)) continue;
    const pins = ctx.targets.driver(target.kind).pins?.(
      target,
      stored.find((p) => p.target === target.name),
    );
    if (pins === undefined) continue;
    expanded.add(target.name);
    fromDrivers.push(...pins);
  }
  return [...stored.filter((p) => !expanded.has(p.target)), ...fromDrivers];
}
