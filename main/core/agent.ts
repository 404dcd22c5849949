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
import { checksEntry } from './checks/entry.ts';
import type { AgentModule, LazyAgentModule, ModuleEntry, ModuleInstance } from './modules.ts';
import { gorgoneEntry } from './protocols/gorgone/entry.ts';
import { icingaEntry } from './protocols/icinga/entry.ts';
import { onsphereEntry } from './protocols/onsphere/entry.ts';
import { tentacleEntry } from './protocols/tentacle/entry.ts';
import { dataPaths } from './paths.ts';
import { openQueue, type OpenedQueue, type QueueOptions } from './queue/index.ts';
import { FileSecretStore, type SecretStore } from './secrets.ts';
import { openFileBackend } from './settings/file-backend.ts';
import { Settings, type SettingsBackend } from './settings/settings.ts';
import { TargetRegistry } from './targets/registry.ts';
import { parseRequest } from './contract/index.ts';
import { AGENT_VERSION } from './version.ts';

/**
 * The composition root: every module of the agent, in start order. A new
 * protocol is one folder under protocols/ and one line here. Each is listed by
 * its entry (methods, target kinds), its code loaded on first use (issue #17):
 * `outpost tentacle send` loads Tentacle's code only, and `outpost run` with
 * Tentacle targets only never loads ZeroMQ or AMQP.
 */
export const AGENT_MODULES: readonly LazyAgentModule[] = [
  icingaEntry,
  tentacleEntry,
  onsphereEntry,
  checksEntry,
  gorgoneEntry,
];

/** How often `run` looks for targets another process paired, of a kind whose module is not loaded. */
export const IN_USE_CHECK_MS = 5_000;

export interface AgentOptions {
  dataDir: string;
  /** The Electron shell passes its electron-store over the same settings.json. */
  settingsBackend?: SettingsBackend;
  /** The Electron shell passes a safeStorage-backed store. */
  secrets?: SecretStore;
  logLevel?: LogLevel;
  /** False for one-shot CLI commands that must not write a log file. */
  logToFile?: boolean;
  /** Default AGENT_MODULES; tests pass loaded modules (AgentModule), created at once. */
  modules?: readonly ModuleEntry[];
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
  readonly modules: readonly ModuleEntry[];
  readonly #handlers: Partial<AgentHandlers>;
  readonly #instances: Array<{ name: string; instance: ModuleInstance }> = [];
  readonly #queue: OpenedQueue;
  /** Lazy modules by the methods they implement, and the loads started. */
  readonly #owners = new Map<AgentMethod, LazyAgentModule>();
  readonly #lazy: LazyAgentModule[] = [];
  readonly #loads = new Map<LazyAgentModule, Promise<void>>();
  /** Set while `run` runs: a module loaded meanwhile starts its work at once. */
  #running: { signal: AbortSignal; runs: Set<Promise<void>> } | undefined;

  private constructor(
    context: AgentContext,
    modules: readonly ModuleEntry[],
    handlers: Partial<AgentHandlers>,
    queue: OpenedQueue,
  ) {
    this.context = context;
    this.modules = modules;
    this.#queue = queue;
    this.#handlers = handlers;
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
    const settings = new Settings(options.settingsBackend ?? openFileBackend(paths.root));
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

    const modules = options.modules ?? AGENT_MODULES;
    const agent = new Agent(
      context,
      modules,
      { ...createCoreHandlers(context), ...queue.handlers },
      queue,
    );
    for (const entry of modules) {
      if ('create' in entry) await agent.#create(entry);
      else agent.#declare(entry);
    }
    return agent;
  }

  /** A lazy module: known by its methods and kinds until something needs its code. */
  #declare(entry: LazyAgentModule): void {
    this.#lazy.push(entry);
    for (const method of entry.methods) this.#owners.set(method, entry);
    for (const { kind, configSchema } of entry.kinds) {
      this.context.targets.registerLazyKind(kind, configSchema, () => this.#load(entry));
    }
  }

  /** Imports and creates a lazy module once; concurrent callers share the same load. */
  #load(entry: LazyAgentModule): Promise<void> {
    let load = this.#loads.get(entry);
    if (load === undefined) {
      load = entry.load().then(
        (module) => this.#create(module),
        (error: unknown) => {
          this.context.log.error(`the ${entry.name} module could not be loaded`, {
            error: toAgentError(error).message,
          });
          throw error;
        },
      );
      this.#loads.set(entry, load);
    }
    return load;
  }

  async #create(module: AgentModule): Promise<void> {
    const instance = await module.create(this.context);
    for (const driver of instance.drivers ?? []) this.context.targets.registerDriver(driver);
    Object.assign(this.#handlers, instance.handlers);
    this.#instances.push({ name: module.name, instance });
    if (this.#running !== undefined) this.#start(module.name, instance, this.#running);
  }

  /**
   * The lazy modules this agent's settings need: a target of their kind, or
   * their own reason (checks defined, Gorgone's listener). Core, queue and
   * check methods reach targets' drivers, so these are loaded before them.
   */
  async #loadInUse(): Promise<void> {
    const kinds = new Set(this.context.targets.list().map((t) => t.kind));
    const needed = this.#lazy.filter((entry) => {
      if (this.#loads.has(entry)) return true;
      try {
        return entry.inUse?.(this.context) ?? entry.kinds.some((k) => kinds.has(k.kind));
      } catch {
        // Unreadable settings of its own: the module loads and reports them itself.
        return true;
      }
    });
    // One module that cannot load (its error is logged) does not stop the others' targets.
    await Promise.allSettled(needed.map((entry) => this.#load(entry)));
  }

  get events(): AgentEventBus {
    return this.context.events;
  }

  /**
   * Validates a request against the contract, then runs it. Throws AgentError.
   * The method is `unknown` because callers pass what a peer sent: turning it into a
   * string first would run the peer's own `toString`.
   */
  async call(method: unknown, rawRequest: unknown): Promise<unknown> {
    const { method: name, request } = parseRequest(method, rawRequest);
    const owner = this.#owners.get(name);
    // A protocol's own methods reach its own targets only; the others may reach any target's driver.
    if (owner !== undefined) await this.#load(owner);
    if (owner === undefined || owner.kinds.length === 0) await this.#loadInUse();
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
    return this.#handlers[method] !== undefined || this.#owners.has(method);
  }

  /**
   * The daemon (`outpost run`, the tray app): delivers the queue and runs every
   * module's long-lived work until `signal` aborts, then shuts down cleanly.
   * Modules load as they are needed: those of the paired targets now, one whose
   * first target is paired later at that moment.
   */
  async run(signal: AbortSignal): Promise<void> {
    await this.#loadInUse();
    const running = { signal, runs: new Set<Promise<void>>() };
    this.#running = running;
    for (const { name, instance } of this.#instances) this.#start(name, instance, running);
    if (this.#queue.run !== undefined) track(running.runs, this.#queue.run(signal));
    // A target paired by another process (the CLI beside the daemon) brings its module in:
    // one look at settings.json (a stat while unchanged) for every module.
    const lookForNewKinds = setInterval(() => void this.#loadInUse(), IN_USE_CHECK_MS);
    try {
      // A module loaded while the others run adds its own run to the set.
      while (running.runs.size > 0) await Promise.all([...running.runs]);
    } finally {
      clearInterval(lookForNewKinds);
      this.#running = undefined;
    }
  }

  #start(
    name: string,
    instance: ModuleInstance,
    running: { signal: AbortSignal; runs: Set<Promise<void>> },
  ): void {
    if (instance.run === undefined) return;
    track(
      running.runs,
      instance.run(running.signal).catch((error: unknown) => {
        this.context.log.error(`${name} stopped with an error`, {
          error: toAgentError(error).message,
        });
      }),
    );
  }

  async close(): Promise<void> {
    // A module still loading is created before the agent closes it.
    await Promise.allSettled(this.#loads.values());
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

/** Keeps `run` in `runs` until it settles. */
function track(runs: Set<Promise<void>>, run: Promise<void>): void {
  const tracked: Promise<void> = run.finally(() => runs.delete(tracked));
  runs.add(tracked);
}
