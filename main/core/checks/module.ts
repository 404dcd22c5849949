import { pause } from '../abort.ts';
import type { AgentContext } from '../context.ts';
import type { AgentModule, ModuleInstance } from '../modules.ts';
import { listPandoraAgents } from '../protocols/pandora/agents-list.ts';
import { pandoraSeed } from '../protocols/pandora/seed.ts';
import type { RemoteConfig } from '../protocols/pandora/remote-config.ts';
import { BUILTIN_PRESETS } from './builtin.ts';
import { importIcingaAgent } from './import/icinga.ts';
import { importPandoraAgent } from './import/pandora.ts';
import { ChecksService } from './service.ts';
import { readChecksSection } from './store.ts';

export interface ChecksModuleInstance extends ModuleInstance {
  service: ChecksService;
}

/** How often the daemon looks for a Pandora agent with remote_config 1 before loading that code. */
const REMOTE_CONFIG_LOOK_MS = 5_000;

/** Local checks (issue #10): one ChecksService per agent, shared by its handlers and its daemon loop. */
export const checksModule: AgentModule<ChecksModuleInstance> = {
  name: 'checks',
  seed: pandoraSeed,
  create(ctx) {
    const service = new ChecksService(ctx);
    // Remote configuration speaks Tentacle: its code loads on first use (issue #17).
    let remote: Promise<RemoteConfig> | undefined;
    const remoteConfig = (): Promise<RemoteConfig> =>
      (remote ??= import('../protocols/pandora/remote-config.ts').then((m) =>
        m.createRemoteConfig(ctx, service),
      ));
    return {
      service,
      handlers: {
        listChecks: async () => service.list(),
        addCheck: async (def) => service.add(def),
        updateCheck: async ({ name, definition }) => service.update(name, definition),
        removeCheck: async ({ name }) => {
          service.remove(name);
          return { removed: name };
        },
        runCheckNow: async (request) => service.runNow(request),
        importPandora: async (request) => importPandoraAgent(ctx, service, request),
        importIcinga: async (request) => importIcingaAgent(ctx, service, request),
        listBuiltinPresets: async () => BUILTIN_PRESETS,
        listPandoraAgents: async () => listPandoraAgents(ctx),
        syncPandoraAgent: async ({ name }) => (await remoteConfig()).sync(name),
      },
      run: async (signal) => {
        await Promise.all([service.run(signal), runRemoteConfig(ctx, remoteConfig, signal)]);
      },
    };
  },
};

/** Starts the remote configuration loop once an agent definition needs it. */
async function runRemoteConfig(
  ctx: AgentContext,
  remoteConfig: () => Promise<RemoteConfig>,
  signal: AbortSignal,
): Promise<void> {
  while (!signal.aborted) {
    let needed = false;
    try {
      needed = readChecksSection(ctx.settings).pandoraAgents.some((a) => a.remoteConfig);
    } catch {
      // An invalid checks section is reported by the checks service's own reload.
    }
    if (needed) return (await remoteConfig()).run(signal);
    await pause(REMOTE_CONFIG_LOOK_MS, signal);
  }
}
