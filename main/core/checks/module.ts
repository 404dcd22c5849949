import type { AgentContext } from '../context.ts';
import type { AgentModule } from '../modules.ts';
import { BUILTIN_PRESETS } from './builtin.ts';
import { importIcingaAgent } from './import/icinga.ts';
import { importPandoraAgent } from './import/pandora.ts';
import { ChecksService } from './service.ts';

const services = new WeakMap<AgentContext, ChecksService>();

/** One ChecksService per agent, shared by its handlers and its daemon loop. */
export function checksService(ctx: AgentContext): ChecksService {
  let service = services.get(ctx);
  if (service === undefined) {
    service = new ChecksService(ctx);
    services.set(ctx, service);
  }
  return service;
}

export const checksModule: AgentModule = {
  name: 'checks',
  createHandlers(ctx) {
    const service = checksService(ctx);
    return {
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
    };
  },
  run: (ctx, signal) => checksService(ctx).run(signal),
};
