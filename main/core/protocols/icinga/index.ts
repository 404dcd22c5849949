/**
 * The Icinga 2 agent module (issue #5): pairing, check results over the
 * cluster protocol (or REST), renewal, command endpoint. See README.md.
 */
import type { AgentModule, ModuleInstance } from '../../modules.ts';
import { IcingaClient } from './session-pool.ts';
import { createIcingaDriver } from './driver.ts';
import { untilAborted } from '../../abort.ts';
import { createIcingaHandlers } from './handlers.ts';
import { isPaired } from './pairing.ts';
import { icingaSeed } from './seed.ts';

/** §3.5 ADVICE: while a request waits for `icinga2 ca sign`, ask again every 10–60 s. */
const PENDING_POLL_MS = 30_000;

export interface IcingaModuleInstance extends ModuleInstance {
  /** The agent's Icinga sessions (tests open one without the daemon loop). */
  client: IcingaClient;
}

export function createIcingaModule(
  options: { pendingPollMs?: number } = {},
): AgentModule<IcingaModuleInstance> {
  return {
    name: 'icinga',
    seed: icingaSeed,
    create(ctx) {
      const client = new IcingaClient(ctx);
      let running = false;
      return {
        client,
        handlers: createIcingaHandlers(ctx, client, () => running),
        drivers: [createIcingaDriver(client)],
        async run(signal) {
          running = true;
          client.keepProcessAlive = true;
          for (const record of ctx.targets.list()) {
            if (record.kind === 'icinga' && !record.paused && (await isPaired(ctx, record.name)))
              client.session(record);
          }
          // Pending targets (on-demand signing) connect as soon as the admin signed.
          const poll = setInterval(() => {
            for (const record of ctx.targets.list()) {
              if (record.kind !== 'icinga' || record.paused) continue;
              void client
                .pollPending(record.name)
                .then((signed) => {
                  // A session may already exist (a delivery started it) and be waiting to retry.
                  if (signed && running) client.restartSession(ctx.targets.get(record.name));
                })
                .catch((error: unknown) =>
                  ctx.log.debug('icinga pending request not signed yet', {
                    target: record.name,
                    error: (error as Error).message,
                  }),
                );
            }
          }, options.pendingPollMs ?? PENDING_POLL_MS);
          await untilAborted(signal);
          clearInterval(poll);
          running = false;
          client.keepProcessAlive = false;
          await client.stopAll();
        },
        close: () => client.stopAll(),
      };
    },
  };
}

/** The module as the composition root (agent.ts) lists it. */
export const icingaModule: AgentModule<IcingaModuleInstance> = createIcingaModule();
