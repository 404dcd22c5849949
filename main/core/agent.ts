import {
  agentContract,
  type AgentApi,
  type AgentHandlers,
  type AgentMethod,
} from './contract/index.ts';
import type { AgentContext, QueueContext } from './context.ts';
import { createCoreHandlers } from './core-handlers.ts';
import { AgentError, toAgentError } from './contract/errors.ts';
import { AgentEventBus } from './events.ts';
import { ensurePrivateDir } from './fsutil.ts';
import { IdentityStore } from './identity/store.ts';
import { createLogger, FileLogSink } from './log.ts';
import { type LogLevel } from './contract/log.ts';
import { checksModule } from './checks/module.ts';
import type { AgentModule, ModuleInstance } from './modules.ts';
import { gorgoneModule } from './protocols/gorgone/index.ts';
import { icingaModule } from './protocols/icinga/index.ts';
import { onsphereModule } from './protocols/onsphere/index.ts';
import { tentacleModule } from './protocols/tentacle/index.ts';
import { dataPaths } from './paths.ts';
import { openQueue, type OpenedQueue, type QueueOptions } from './queue/index.ts';
import { FileSecretStore, type SecretStore } from './secrets.ts';
import { openConfBackend } from './settings/conf-backend.ts';
import { Settings, type SettingsBackend } from './settings/settings.ts';
import { TargetRegistry } from './targets/registry.ts';
import { parseRequest } from './contract/index.ts';
import { AGENT_VERSION } from './version.ts';

/**
 * The composition root: every module of the agent, in start order. A new
 * protocol is one folder under protocols/ and one line here.
 */
export const AGENT_MODULES: readonly AgentModule[] = [
  icingaModule,
  tentacleModule,
  onsphereModule,
  checksModule,
  gorgoneModule,
];

export interface AgentOptions {
  dataDir: string;
  /** The Electron shell passes its electron-store over the same settings.json. */
  settingsBackend?: SettingsBackend;
  /** The Electron shell passes a safeStorage-backed store. */
  secrets?: SecretStore;
  logLevel?: LogLevel;
  /** False for one-shot CLI commands that must not write a log file. */
  logToFile?: boolean;
  modules?: readonly AgentModule[];
  /** Clock, free-space probe and timings of the queue (tests). */
  queue?: QueueOptions;
}

/**
 * The agent itself (ARCHITECTURE.md "main/core is the product"): every UI is
 * a thin adapter over `api` / `call` and `events`.
 */
export class Agent {
  readonly context: AgentContext;
  readonly api: AgentApi;
  /** The modules it was opened with (their installer-seed sections, deploy/). */
  readonly modules: readonly AgentModule[];
  readonly #handlers: AgentHandlers;
  readonly #instances: ReadonlyArray<{ name: string; instance: ModuleInstance }>;
  readonly #queue: OpenedQueue;

  private constructor(
    context: AgentContext,
    modules: readonly AgentModule[],
    handlers: AgentHandlers,
    instances: ReadonlyArray<{ name: string; instance: ModuleInstance }>,
    queue: OpenedQueue,
  ) {
    this.context = context;
    this.modules = modules;
    this.#queue = queue;
    this.#handlers = handlers;
    this.#instances = instances;
    const api: Record<string, (request: unknown) => Promise<unknown>> = {};
    for (const name of Object.keys(agentContract)) {
      api[name] = (request: unknown) => this.call(name, request);
    }
    this.api = api as unknown as AgentApi;
  }

  static async open(options: AgentOptions): Promise<Agent> {
    const paths = dataPaths(options.dataDir);
    await ensurePrivateDir(paths.root);
    const logSink = new FileLogSink(
      options.logToFile === false ? undefined : paths.logsDir,
      options.logLevel ?? (process.env.OUTPOST_LOG_LEVEL as LogLevel | undefined) ?? 'info',
    );
    const secrets = options.secrets ?? new FileSecretStore(paths.secretsFile);
    const settings = new Settings(options.settingsBackend ?? openConfBackend(paths.root));
    const events = new AgentEventBus();
    logSink.onLine((line) => events.emit('log', line));

    const base: QueueContext = {
      version: AGENT_VERSION,
      paths,
      settings,
      secrets,
      identity: new IdentityStore(paths.identityDir, secrets),
      events,
      log: createLogger(logSink),
      logSink,
      targets: new TargetRegistry(settings),
    };
    const queue = await openQueue(base, options.queue);
    const context: AgentContext = { ...base, queue: queue.service };

    const handlers: Partial<AgentHandlers> = { ...createCoreHandlers(context), ...queue.handlers };
    const modules = options.modules ?? AGENT_MODULES;
    const instances: Array<{ name: string; instance: ModuleInstance }> = [];
    for (const module of modules) {
      const instance = await module.create(context);
      for (const driver of instance.drivers ?? []) context.targets.registerDriver(driver);
      Object.assign(handlers, instance.handlers);
      instances.push({ name: module.name, instance });
    }
    return new Agent(context, modules, handlers as AgentHandlers, instances, queue);
  }

  get events(): AgentEventBus {
    return this.context.events;
  }

  /** Validates a request against the contract, then runs it. Throws AgentError. */
  async call(method: string, rawRequest: unknown): Promise<unknown> {
    const { method: name, request } = parseRequest(method, rawRequest);
    const handler = this.#handlers[name] as ((req: unknown) => Promise<unknown>) | undefined;
    if (handler === undefined) {
      throw new AgentError('internal', `'${name}' is declared in the contract but not implemented`);
    }
    try {
      return await handler(request);
    } catch (error) {
      throw toAgentError(error);
    }
  }

  has(method: AgentMethod): boolean {
    return this.#handlers[method] !== undefined;
  }

  /**
   * The daemon (`outpost run`, the tray app): delivers the queue and runs every
   * module's long-lived work until `signal` aborts, then shuts down cleanly.
   */
  async run(signal: AbortSignal): Promise<void> {
    const runs = this.#instances.flatMap(({ name, instance }) =>
      instance.run === undefined
        ? []
        : [
            instance.run(signal).catch((error: unknown) => {
              this.context.log.error(`${name} stopped with an error`, {
                error: toAgentError(error).message,
              });
            }),
          ],
    );
    if (this.#queue.run !== undefined) runs.push(this.#queue.run(signal));
    await Promise.all(runs);
  }

  async close(): Promise<void> {
    for (const { name, instance } of [...this.#instances].reverse()) {
      await instance.close?.().catch((error: unknown) => {
        this.context.log.error(`${name} did not close cleanly`, {
          error: toAgentError(error).message,
        });
      });
    }
    await this.#queue.close();
  }
}
