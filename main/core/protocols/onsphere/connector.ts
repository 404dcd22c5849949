/**
 * What the agent calls for one OnSphere target (onsphere.md §2): fetch the
 * config from the dispatcher (or use the last-known-good one), keep the AMQP
 * session and its request consumer up, follow config changes (§3.5), expose
 * the metrics (§4.8), publish values.
 */
import type { Server } from 'node:http';
import { inBackground } from '../../background.ts';
import type { AgentContext } from '../../context.ts';
import { AgentError, toAgentError } from '../../contract/errors.ts';
import type { Logger } from '../../log.ts';
import type { ValuePayload } from '../../contract/queue-items.ts';
import type { TargetRecord } from '../../contract/targets.ts';
import { encodeValue, messageIdFor, newMessageId, type OspRequest } from './codec.ts';
import {
  dispatcherEndpoint,
  metricsAddress,
  onsphereTargetConfigSchema,
  type OnsphereTargetConfig,
} from './config.ts';
import {
  CONFIG_REFETCH_INTERVAL_MS,
  DISPATCHER_REFUSED_RETRY_MS,
  DispatcherError,
  refreshConfig,
  type CurrentConfig,
} from './dispatcher.ts';
import { checkIdentity, loadIdentity, type IdentityMaterial } from './identity.ts';
import { type IdentitySummary } from '../../contract/onsphere.ts';
import { OspMetrics, serveMetrics } from './metrics.ts';
import {
  OspSession,
  REFETCH_AFTER_FAILURES,
  type PublishOutcome,
  type SessionOptions,
  type SessionState,
} from './session.ts';
import { pause } from '../../abort.ts';

export interface ConnectorOptions {
  /** Serve /metrics (the daemon does; one-shot CLI commands do not). */
  metrics?: boolean;
  /** Consume the request queue (the daemon does). */
  requests?: boolean;
  /** Follow config change notices on the exclusive config queue (§3.5; the daemon does: one per connector name). */
  notices?: boolean;
  /** Tests: session tweaks (backoff, TLS versions). */
  session?: Pick<SessionOptions, 'backoff' | 'tls' | 'window'>;
}

export interface ConnectorStatus {
  state: SessionState | 'fetching-config' | 'stopped';
  detail: string | undefined;
  configVersion: string | undefined;
  configStale: boolean;
  staleReason: string | undefined;
  metrics: { host: string; port: number } | undefined;
  pending: number;
}

export class OnsphereConnector {
  readonly target: string;
  readonly metrics = new OspMetrics();
  readonly #ctx: AgentContext;
  readonly #config: OnsphereTargetConfig;
  readonly #options: ConnectorOptions;
  readonly #log: Logger;
  #identity: IdentityMaterial | undefined;
  #summary: IdentitySummary | undefined;
  #current: CurrentConfig | undefined;
  #session: OspSession | undefined;
  #server: { server: Server; port: number; host: string } | undefined;
  #refetchTimer: NodeJS.Timeout | undefined;
  #fetching: Promise<void> | undefined;
  #stopped = false;
  readonly #lastValues = new Map<string, ValuePayload>();

  constructor(ctx: AgentContext, target: TargetRecord, options: ConnectorOptions = {}) {
    this.#ctx = ctx;
    this.target = target.name;
    this.#config = onsphereTargetConfigSchema.parse(target.config);
    this.#options = options;
    this.#log = ctx.log.child('onsphere');
  }

  get session(): OspSession | undefined {
    return this.#session;
  }

  get identity(): IdentitySummary | undefined {
    return this.#summary;
  }

  get current(): CurrentConfig | undefined {
    return this.#current;
  }

  /** Loads the identity, gets a config (dispatcher or last-known-good) and starts the session. */
  async start(): Promise<void> {
    this.#identity = await loadIdentity(this.#ctx, this.target);
    this.#summary = checkIdentity(this.#identity);
    if (this.#summary.expiresSoon) {
      this.#ctx.events.emit('notice', {
        level: 'warning',
        title: 'OnSphere certificate expires soon',
        body: `module.crt of '${this.target}' (CN ${this.#summary.cn}) expires on ${this.#summary.notAfter} (${this.#summary.daysLeft} days): ask the stack's admin for a new one`,
        target: this.target,
      });
    }
    this.#current = await this.#refresh();
    if (this.#options.metrics === true) {
      const address = metricsAddress(this.#config, this.#current.config);
      try {
        this.#server = await serveMetrics(this.metrics, address);
      } catch (error) {
        this.#log.warn((error as Error).message, { target: this.target });
      }
    }
    this.#session = new OspSession({
      config: this.#current.config,
      identity: this.#identity,
      agentVersion: this.#ctx.version,
      log: this.#log,
      metrics: this.metrics,
      ...(this.#options.requests === true ? { onRequest: (r: OspRequest) => this.#answer(r) } : {}),
      ...(this.#options.notices === true
        ? {
            onConfigNotice: (version: string) => {
              this.#log.info('config change notified', { target: this.target, version });
              this.#refetchInBackground();
            },
          }
        : {}),
      onState: (state, detail) => this.#emitState(state, detail),
      onFailure: (failure, consecutive) => {
        // §4.7: after 3 consecutive failures or any permanent one, ask the dispatcher again (the stack may have moved the broker).
        if (failure.class === 'permanent' || consecutive === REFETCH_AFTER_FAILURES)
          this.#refetchInBackground();
      },
      // §3.5: and after every reconnect that followed a failure (a notice may have been missed while down).
      onRecovered: () => this.#refetchInBackground(),
      ...this.#options.session,
    });
    this.#session.start();
    this.#scheduleRefetch(CONFIG_REFETCH_INTERVAL_MS);
  }

  async #refresh(): Promise<CurrentConfig> {
    this.#emitState('connecting', 'fetching the config from the dispatcher');
    const current = await refreshConfig(
      this.#ctx,
      this.target,
      dispatcherEndpoint(this.#config),
      this.#identity!,
      {
        name: this.#summary!.cn,
        onFetch: (result) => this.metrics.dispatcherFetches.inc({ result }),
      },
    );
    this.metrics.setConfig(current.config.version, current.stale);
    if (current.stale)
      this.#log.warn('dispatcher unreachable: using the last-known-good config', {
        target: this.target,
        version: current.config.version,
        reason: current.staleReason,
      });
    return current;
  }

  /** Re-fetches the config and applies it (§3.5). Concurrent calls share one fetch. */
  refetch(): Promise<void> {
    if (this.#stopped || this.#identity === undefined) return Promise.resolve();
    this.#fetching ??= (async () => {
      let next = CONFIG_REFETCH_INTERVAL_MS;
      try {
        this.#current = await this.#refresh();
        this.#session?.applyConfig(this.#current.config);
      } catch (error) {
        if (error instanceof DispatcherError && error.retryAfterSeconds !== undefined)
          next = error.retryAfterSeconds * 1000 * (1 + Math.random() * 0.2);
        else if (error instanceof AgentError && !error.transient)
          next = DISPATCHER_REFUSED_RETRY_MS;
        this.#log.warn('config re-fetch failed', {
          target: this.target,
          error: (error as Error).message,
        });
      } finally {
        this.#fetching = undefined;
        this.#scheduleRefetch(next);
      }
    })();
    return this.#fetching;
  }

  #refetchInBackground(): void {
    inBackground(this.#log, 'OnSphere config re-fetch', () => this.refetch());
  }

  #scheduleRefetch(ms: number): void {
    clearTimeout(this.#refetchTimer);
    if (this.#stopped) return;
    this.#refetchTimer = setTimeout(() => this.#refetchInBackground(), ms);
    this.#refetchTimer.unref();
  }

  #emitState(state: SessionState, detail: string | undefined): void {
    const mapped =
      state === 'ready'
        ? 'ready'
        : state === 'needs-attention'
          ? 'failed'
          : state === 'backoff'
            ? 'retrying'
            : state === 'connecting'
              ? 'connecting'
              : 'idle';
    this.#ctx.events.emit('target.state', {
      target: this.target,
      status: { state: mapped, ...(detail === undefined ? {} : { detail }) },
    });
  }

  /** One value, resolved on the broker's confirm (or 'unroutable', §4.6). */
  async publishValue(
    value: ValuePayload,
    options: { messageId?: string; signal?: AbortSignal } = {},
  ): Promise<PublishOutcome> {
    const session = this.#session;
    if (session === undefined)
      throw new AgentError('internal', `OnSphere target '${this.target}' is not started`);
    const message = encodeValue(value, {
      module: session.config.module.name,
      exchange: session.topology.valuesExchange,
      seq: session.nextSeq(),
      messageId: options.messageId ?? newMessageId(),
    });
    const outcome = await session.publish(
      message,
      options.signal === undefined ? {} : { signal: options.signal },
    );
    if (outcome === 'confirmed') this.#lastValues.set(value.valueId, value);
    return outcome;
  }

  /** The values of a queue item, ids stable across re-sends (§4.4). */
  async publishItemValues(
    itemId: string,
    values: ValuePayload[],
    signal?: AbortSignal,
  ): Promise<PublishOutcome[]> {
    return Promise.all(
      values.map((value, i) =>
        this.publishValue(value, {
          messageId: messageIdFor(itemId, i),
          ...(signal === undefined ? {} : { signal }),
        }),
      ),
    );
  }

  /**
   * Requests from the stack (§4.5). Outpost's values come from local checks,
   * so the stack may read what was last published or ping; writes are refused.
   */
  async #answer(request: OspRequest): Promise<unknown> {
    switch (request.action) {
      case 'ping':
        return {
          pong: true,
          agent: `outpost ${this.#ctx.version}`,
          module: this.#session?.config.module.name,
        };
      case 'read': {
        if (request.id === undefined)
          throw new AgentError('invalid-request', "a 'read' request needs an id");
        const value = this.#lastValues.get(request.id);
        if (value === undefined)
          throw new AgentError(
            'not-found',
            `no value '${request.id}' was published by this connector since it started`,
          );
        return {
          id: value.valueId,
          value: value.value,
          ts: new Date(value.timestamp).toISOString(),
          quality: value.quality ?? 'GOOD',
        };
      }
      case 'write':
        throw new AgentError(
          'refused',
          "Outpost's values come from local checks: they cannot be written from the stack",
        );
      default:
        throw new AgentError(
          'invalid-request',
          `unknown action '${request.action}': this connector answers ping, read`,
        );
    }
  }

  status(): ConnectorStatus {
    return {
      state: this.#stopped ? 'stopped' : (this.#session?.state ?? 'fetching-config'),
      detail: this.#session?.detail,
      configVersion: this.#current?.config.version,
      configStale: this.#current?.stale ?? false,
      staleReason: this.#current?.staleReason,
      metrics:
        this.#server === undefined
          ? undefined
          : { host: this.#server.host, port: this.#server.port },
      pending: this.#session?.pending ?? 0,
    };
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#refetchTimer);
    await this.#session?.close();
    if (this.#server !== undefined)
      await new Promise<void>((resolve) => this.#server!.server.close(() => resolve()));
    this.#server = undefined;
  }
}

/**
 * The connectors of one agent, by target. The daemon (`outpost run`) starts
 * one per paired target; a delivery outside the daemon starts one on demand.
 */
export class ConnectorPool {
  readonly #connectors = new Map<string, Promise<OnsphereConnector>>();
  readonly #started = new Map<string, OnsphereConnector>();
  readonly #generations = new Map<string, number>();
  #generation = 0;
  readonly #ctx: AgentContext;
  #options: ConnectorOptions = {};

  constructor(ctx: AgentContext) {
    this.#ctx = ctx;
  }

  /**
   * The daemon serves metrics and consumes requests. Connectors started with
   * other options (a delivery that ran before the daemon) are stopped, so the
   * next `get` starts them again with these; their held publishes go back to
   * the queue as retryable.
   */
  async setOptions(options: ConnectorOptions): Promise<void> {
    this.#options = options;
    this.#generation += 1;
    const stale = [...this.#generations]
      .filter(([, g]) => g < this.#generation)
      .map(([name]) => name);
    await Promise.all(stale.map((name) => this.stop(name)));
  }

  get(target: TargetRecord): Promise<OnsphereConnector> {
    const ctx = this.#ctx;
    let connector = this.#connectors.get(target.name);
    if (connector === undefined) {
      const c = new OnsphereConnector(ctx, target, this.#options);
      this.#generations.set(target.name, this.#generation);
      connector = c.start().then(
        () => {
          this.#started.set(target.name, c);
          return c;
        },
        async (error: unknown) => {
          this.#connectors.delete(target.name);
          await c.stop();
          throw error;
        },
      );
      this.#connectors.set(target.name, connector);
    }
    return connector;
  }

  has(name: string): boolean {
    return this.#connectors.has(name);
  }

  /** A started connector, synchronously (status). */
  started(name: string): OnsphereConnector | undefined {
    return this.#started.get(name);
  }

  async stop(name: string): Promise<void> {
    const connector = this.#connectors.get(name);
    this.#connectors.delete(name);
    this.#started.delete(name);
    this.#generations.delete(name);
    const c = await connector?.catch(() => undefined);
    await c?.stop();
  }

  async stopAll(): Promise<void> {
    await Promise.all([...this.#connectors.keys()].map((name) => this.stop(name)));
  }
}

/** The daemon retries a connector that could not start (no config yet, dispatcher refusing…) this often at most. */
const START_RETRY_MAX_MS = 5 * 60_000;

/** Starts a target's connector, retrying with a capped backoff until it starts or the daemon stops. */
export async function keepStarted(
  ctx: AgentContext,
  pool: ConnectorPool,
  record: TargetRecord,
  signal: AbortSignal,
): Promise<void> {
  let delay = 5_000;
  while (!signal.aborted) {
    try {
      await pool.get(record);
      return;
    } catch (error) {
      ctx.log.warn('OnSphere connector could not start', {
        target: record.name,
        error: toAgentError(error).message,
        retryInSeconds: delay / 1000,
      });
      ctx.events.emit('target.state', {
        target: record.name,
        status: { state: 'failed', lastError: toAgentError(error).message },
      });
    }
    await pause(delay, signal);
    delay = Math.min(START_RETRY_MAX_MS, delay * 2);
  }
}
