import type { AgentModule, ModuleInstance } from '../modules.ts';
import { BUILTIN_PRESETS } from './builtin.ts';
import { importIcingaAgent } from './import/icinga.ts';
import { importPandoraAgent } from './import/pandora.ts';
import { ChecksService } from './service.ts';

export interface ChecksModuleInstance extends ModuleInstance {
  service: ChecksService;
}

/** Local checks (issue #10): one ChecksService per agent, shared by its handlers and its daemon loop. */
export const checksModule: AgentModule<ChecksModuleInstance> = {
  name: 'checks',
  create(ctx) {
    const service = new ChecksService(ctx);
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
      },
      run: (signal) => service.run(signal),
    };
  },
};
