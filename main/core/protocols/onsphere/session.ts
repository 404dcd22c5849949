/**
 * One AMQP session to the stack's broker (onsphere.md §4): a small state
 * machine (connecting → ready → backoff | needs-attention → closed) that owns
 * the connection, its channels and the topology of §4.2, publishes with
 * confirms through a bounded in-flight window (§4.6), answers requests
 * (§4.5) and reconnects with the backoff and failure classes of §4.7.
 *
 * Publishes are held here until the broker confirms them: a connection loss
 * puts every unconfirmed one back at the head of the line and it is sent
 * again after the reconnect (at-least-once; receivers dedupe on message_id).
 */
import { createSecureContext } from 'node:tls';
import amqp, {
  type ChannelModel,
  type ConfirmChannel,
  type ConsumeMessage,
  type Message,
} from 'amqplib';
import { AgentError } from '../../contract/errors.ts';
import { inBackground } from '../../background.ts';
import type { Logger } from '../../log.ts';
import {
  backoffMs,
  classifyFailure,
  encodeReply,
  parseConfigNotification,
  parseRequest,
  REQUEST_QUEUE_EXPIRES_MS,
  topologyFor,
  type ClassifiedFailure,
  type EncodedMessage,
  type OspConfig,
  type OspRequest,
  type ReplyBody,
  type Topology,
} from './codec.ts';
import type { IdentityMaterial } from './identity.ts';
import type { OspMetrics } from './metrics.ts';

/** §4.6: up to 1 000 unconfirmed publishes in flight. */
export const DEFAULT_PUBLISH_WINDOW = 1000;
/** amqplib's `timeout`: TCP + TLS + AMQP open must finish within this (§4.7 "connect ETIMEDOUT"). */
export const CONNECT_TIMEOUT_MS = 10_000;
/** §4.7: backoff resets after the connection stayed up this long. */
export const STABLE_AFTER_MS = 60_000;
/** §4.7: permanent failures are retried every 5 min (and on user request). */
export const PERMANENT_RETRY_MS = 5 * 60_000;
/** §4.7: after this many consecutive failures, the config is fetched again. */
export const REFETCH_AFTER_FAILURES = 3;
/** §4.5: redelivered requests are answered from the last 10 000 replies. */
export const RECENT_REQUESTS = 10_000;

export type SessionState =
  'idle' | 'connecting' | 'ready' | 'backoff' | 'needs-attention' | 'closed';

export type PublishOutcome = 'confirmed' | 'unroutable';

export interface SessionOptions {
  config: OspConfig;
  identity: IdentityMaterial;
  agentVersion: string;
  log: Logger;
  metrics?: OspMetrics;
  window?: number;
  /** Runs a request's action; its result (or AgentError) becomes the reply. Without it no request queue is consumed. */
  onRequest?: (request: OspRequest) => Promise<unknown>;
  /**
   * §3.5: a config change notice; the caller re-fetches. Without it the
   * exclusive config queue is not declared: one-shot sessions (pairing,
   * `publish --now`) must not lock out the daemon's long-lived one.
   */
  onConfigNotice?: (version: string) => void;
  onState?: (state: SessionState, detail: string | undefined) => void;
  /** Every failed connection or lost session, with the count of consecutive failures. */
  onFailure?: (failure: ClassifiedFailure, consecutive: number, afterLoss: boolean) => void;
  /** Ready again after one or more failures (§3.5: the config is re-fetched then). */
  onRecovered?: () => void;
  /** Tests: override the backoff (ms for attempt n) and the TLS versions. */
  backoff?: (attempt: number, failure: ClassifiedFailure) => number;
  tls?: SessionTlsVersions;
}

export interface SessionTlsVersions {
  minVersion?: 'TLSv1' | 'TLSv1.1' | 'TLSv1.2' | 'TLSv1.3';
  maxVersion?: 'TLSv1' | 'TLSv1.1' | 'TLSv1.2' | 'TLSv1.3';
}

/**
 * TLS options both Node's OpenSSL and Electron's BoringSSL accept (issue #15
 * item 14): versions only, never a cipher string. BoringSSL refuses
 * OpenSSL-only cipher names (NO_CIPHER_MATCH, electron/electron#23347) and the
 * `@SECLEVEL` directive (INVALID_COMMAND, apache/trafficserver#9989). Versions
 * below TLS 1.2 (the tests of the broker's refusal) need OpenSSL 3's security
 * level 0, which is added only where the TLS library understands it.
 */
export function portableTlsOptions(
  tls: SessionTlsVersions | undefined,
  understandsSecurityLevels: () => boolean = opensslSecurityLevels,
): {
  minVersion: NonNullable<SessionTlsVersions['minVersion']>;
  maxVersion?: SessionTlsVersions['maxVersion'];
  ciphers?: string;
} {
  const minVersion = tls?.minVersion ?? 'TLSv1.2';
  const legacy = minVersion === 'TLSv1' || minVersion === 'TLSv1.1';
  return {
    minVersion,
    ...(tls?.maxVersion === undefined ? {} : { maxVersion: tls.maxVersion }),
    ...(legacy && understandsSecurityLevels() ? { ciphers: 'DEFAULT@SECLEVEL=0' } : {}),
  };
}

let securityLevels: boolean | undefined;
function opensslSecurityLevels(): boolean {
  if (securityLevels === undefined) {
    try {
      createSecureContext({ ciphers: 'DEFAULT@SECLEVEL=0' });
      securityLevels = true;
    } catch {
      securityLevels = false;
    }
  }
  return securityLevels;
}

interface Outgoing {
  message: EncodedMessage;
  resolve(outcome: PublishOutcome): void;
  reject(error: AgentError): void;
  sentAt: number;
  sends: number;
  done: boolean;
  /** Value publishes count in the value metrics; replies do not. */
  value: boolean;
}

interface Live {
  model: ChannelModel;
  pub: ConfirmChannel;
  since: number;
}

export class OspSession {
  readonly topology: Topology;
  #config: OspConfig;
  readonly #options: SessionOptions;
  readonly #window: number;
  #state: SessionState = 'idle';
  #detail: string | undefined;
  #live: Live | undefined;
  #lastFailure: ClassifiedFailure | undefined;
  #consecutiveFailures = 0;
  #attempt = 0;
  #hostIndex = 0;
  #timer: NodeJS.Timeout | undefined;
  #blocked: string | undefined;
  #draining = false;
  readonly #waiting = new Line<Outgoing>();
  readonly #inFlight = new Set<Outgoing>();
  readonly #returned = new Set<string>();
  readonly #recent = new Map<string, ReplyBody>();
  readonly #readyWaiters = new Set<{ resolve(): void; reject(e: AgentError): void }>();
  #seq = 0;

  constructor(options: SessionOptions) {
    this.#options = options;
    this.#config = options.config;
    this.topology = topologyFor(options.config);
    this.#window = options.window ?? DEFAULT_PUBLISH_WINDOW;
  }

  get state(): SessionState {
    return this.#state;
  }

  get detail(): string | undefined {
    return this.#detail;
  }

  get lastFailure(): ClassifiedFailure | undefined {
    return this.#lastFailure;
  }

  get config(): OspConfig {
    return this.#config;
  }

  /** Values accepted and not yet confirmed (the session's share of the outbox). */
  get pending(): number {
    return this.#waiting.length + this.#inFlight.size;
  }

  /** §4.4 `x-osp-seq`: a per-connector counter. */
  nextSeq(): number {
    this.#seq += 1;
    return this.#seq;
  }

  start(): void {
    if (this.#state !== 'idle') return;
    this.#connectInBackground();
  }

  /** Resolves when the session is ready; rejects on a permanent failure or after `timeoutMs`. */
  ready(timeoutMs = 30_000): Promise<void> {
    if (this.#state === 'ready') return Promise.resolve();
    if (this.#state === 'needs-attention' && this.#lastFailure !== undefined)
      return Promise.reject(this.#failureError(this.#lastFailure));
    if (this.#state === 'closed')
      return Promise.reject(new AgentError('internal', 'the OnSphere session is closed'));
    return new Promise<void>((resolve, reject) => {
      const waiter = {
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
        reject: (e: AgentError) => {
          clearTimeout(timer);
          reject(e);
        },
      };
      const timer = setTimeout(() => {
        this.#readyWaiters.delete(waiter);
        const last = this.#lastFailure;
        reject(
          last === undefined
            ? new AgentError(
                'timeout',
                `the OnSphere broker did not become ready within ${timeoutMs} ms`,
              )
            : this.#failureError(last, true),
        );
      }, timeoutMs);
      this.#readyWaiters.add(waiter);
    });
  }

  /** Retries now (user request), also out of "needs attention". */
  retryNow(config?: OspConfig): void {
    if (config !== undefined) this.#config = config;
    if (this.#state === 'ready' || this.#state === 'connecting' || this.#state === 'closed') return;
    clearTimeout(this.#timer);
    this.#attempt = 0;
    this.#connectInBackground();
  }

  /** Applies a new config: reconnects when its AMQP part changed (§3.5). */
  applyConfig(config: OspConfig): void {
    const changed = JSON.stringify(config.amqp) !== JSON.stringify(this.#config.amqp);
    this.#config = config;
    if (!changed) return;
    this.#options.log.info('OnSphere config changed: reconnecting with the new AMQP settings', {
      version: config.version,
    });
    if (this.#live !== undefined) void this.#live.model.close().catch(() => undefined);
    else this.retryNow();
  }

  /**
   * Publishes with a confirm. Resolves 'confirmed' on the broker's ack,
   * 'unroutable' when it came back with basic.return (§4.6); rejects on
   * nack-free failures only when aborted or the session is closed.
   */
  publish(
    message: EncodedMessage,
    options: { signal?: AbortSignal; value?: boolean } = {},
  ): Promise<PublishOutcome> {
    if (this.#state === 'closed')
      return Promise.reject(new AgentError('internal', 'the OnSphere session is closed'));
    // Needs attention (§4.7): nothing will be sent before a person acts; the queue keeps the item and retries.
    if (this.#state === 'needs-attention' && this.#lastFailure !== undefined)
      return Promise.reject(this.#failureError(this.#lastFailure, true));
    return new Promise<PublishOutcome>((resolve, reject) => {
      const entry: Outgoing = {
        message,
        sentAt: 0,
        sends: 0,
        done: false,
        value: options.value ?? true,
        resolve: (outcome) => {
          if (entry.done) return;
          entry.done = true;
          options.signal?.removeEventListener('abort', onAbort);
          resolve(outcome);
        },
        reject: (error) => {
          if (entry.done) return;
          entry.done = true;
          options.signal?.removeEventListener('abort', onAbort);
          reject(error);
        },
      };
      const onAbort = (): void => {
        this.#waiting.remove(entry);
        this.#inFlight.delete(entry);
        this.#updatePending();
        entry.reject(
          new AgentError(
            'timeout',
            `the value was not confirmed by the OnSphere broker in time (${this.#detail ?? this.#state})`,
            { transient: true },
          ),
        );
      };
      if (options.signal?.aborted === true) return onAbort();
      options.signal?.addEventListener('abort', onAbort, { once: true });
      this.#waiting.push(entry);
      this.#updatePending();
      this.#pump();
    });
  }

  async close(): Promise<void> {
    if (this.#state === 'closed') return;
    this.#setState('closed');
    clearTimeout(this.#timer);
    const live = this.#live;
    this.#live = undefined;
    if (live !== undefined) await live.model.close().catch(() => undefined);
    const closed = new AgentError(
      'unreachable',
      'the OnSphere session was closed before the broker confirmed',
      { transient: true },
    );
    for (const e of [...this.#inFlight, ...this.#waiting.takeAll()]) e.reject(closed);
    this.#inFlight.clear();
    this.#updatePending();
    for (const w of this.#readyWaiters) w.reject(closed);
    this.#readyWaiters.clear();
    this.#options.metrics?.up.set(0);
  }

  // ---- connection ------------------------------------------------------------------

  /** A method, not a field test: the state changes across awaits and callbacks. */
  #isClosed(): boolean {
    return this.#state === 'closed';
  }

  #setState(state: SessionState, detail?: string): void {
    this.#state = state;
    this.#detail = detail;
    this.#options.onState?.(state, detail);
  }

  #url(host: { host: string; port: number }): string {
    const h = host.host.includes(':') ? `[${host.host}]` : host.host;
    // §6: heartbeat is honoured only in the URL; as a socket option amqplib ignores it.
    return `amqps://${h}:${host.port}/${encodeURIComponent(this.#config.amqp.vhost)}?heartbeat=${this.#config.amqp.heartbeatSeconds}`;
  }

  #connectInBackground(): void {
    inBackground(this.#options.log, 'OnSphere connect', () => this.#connect());
  }

  async #connect(): Promise<void> {
    if (this.#state === 'closed') return;
    const hosts = this.#config.amqp.hosts;
    const host = hosts[this.#hostIndex % hosts.length]!;
    const where = `OnSphere broker ${host.host}:${host.port}`;
    this.#setState('connecting', `connecting to ${host.host}:${host.port}`);
    let model: ChannelModel | undefined;
    try {
      model = await amqp.connect(this.#url(host), {
        credentials: amqp.credentials.external(),
        ca: this.#options.identity.caPem,
        cert: this.#options.identity.certPem,
        key: this.#options.identity.keyPem,
        servername: this.#config.amqp.serverName,
        ...portableTlsOptions(this.#options.tls),
        timeout: CONNECT_TIMEOUT_MS,
        clientProperties: {
          connection_name: `outpost ${this.#options.agentVersion} ${this.#config.module.name}`,
        },
      });
      if (this.#isClosed()) {
        await model.close().catch(() => undefined);
        return;
      }
      const pub = await this.#setup(model);
      this.#live = { model, pub, since: Date.now() };
      model.on('error', () => undefined);
      model.on('close', (error?: Error) => this.#lost(model!, error, where));
      model.on('blocked', (reason: string) => {
        this.#blocked = reason;
        this.#setState('ready', `broker is blocking publishers: ${reason}`);
      });
      model.on('unblocked', () => {
        this.#blocked = undefined;
        this.#setState('ready');
        this.#pump();
      });
      const recovered = this.#consecutiveFailures > 0;
      this.#consecutiveFailures = 0;
      this.#lastFailure = undefined;
      this.#options.metrics?.up.set(1);
      this.#setState('ready');
      if (recovered) this.#options.onRecovered?.();
      this.#options.log.info('connected to the OnSphere broker', {
        host: `${host.host}:${host.port}`,
        vhost: this.#config.amqp.vhost,
      });
      for (const w of this.#readyWaiters) w.resolve();
      this.#readyWaiters.clear();
      this.#pump();
    } catch (error) {
      if (model !== undefined) await model.close().catch(() => undefined);
      this.#failed(classifyFailure(error, where), false, error);
    }
  }

  /** §4.2 topology, re-created on every connection (§4.7 "On reconnect"). */
  async #setup(model: ChannelModel): Promise<ConfirmChannel> {
    const t = topologyFor(this.#config);
    const pub = await model.createConfirmChannel();
    pub.on('error', () => undefined);
    // The stack owns the exchanges: passive checks only (a 404 closes the channel → "stack not ready").
    await pub.checkExchange(t.valuesExchange);
    await pub.checkExchange(t.requestsExchange);
    await pub.checkExchange(t.configExchange);
    pub.on('return', (msg: Message) => {
      const id = msg.properties.messageId as string | undefined;
      if (id !== undefined) this.#returned.add(id);
    });
    pub.on('drain', () => {
      this.#draining = false;
      this.#pump();
    });
    pub.on('close', () => {
      // A channel closed by the broker (e.g. 403 on a publish) takes the connection down with it so that everything is rebuilt.
      if (this.#live?.pub === pub) void model.close().catch(() => undefined);
    });
    const sub = await model.createChannel();
    sub.on('error', () => undefined);
    sub.on('close', () => {
      if (this.#live?.model === model) void model.close().catch(() => undefined);
    });
    if (this.#options.onConfigNotice !== undefined) {
      await sub.assertQueue(t.configQueue, { exclusive: true, durable: false });
      await sub.bindQueue(t.configQueue, t.configExchange, t.configKey);
      await sub.consume(t.configQueue, (msg) => this.#configNotice(msg), { noAck: true });
    }
    if (this.#options.onRequest !== undefined) {
      await sub.prefetch(this.#config.amqp.prefetch);
      await sub.assertQueue(t.requestQueue, {
        durable: true,
        arguments: { 'x-expires': REQUEST_QUEUE_EXPIRES_MS },
      });
      await sub.bindQueue(t.requestQueue, t.requestsExchange, t.requestBinding);
      await sub.consume(
        t.requestQueue,
        (msg) => inBackground(this.#options.log, 'OnSphere request', () => this.#request(sub, msg)),
        { noAck: false },
      );
    }
    return pub;
  }

  #lost(model: ChannelModel, error: Error | undefined, where: string): void {
    if (this.#live?.model !== model) return;
    const upFor = Date.now() - this.#live.since;
    this.#live = undefined;
    this.#draining = false;
    // connection.blocked belongs to the dead connection; a new one starts unblocked.
    this.#blocked = undefined;
    this.#options.metrics?.up.set(0);
    // Every unconfirmed publish goes back to the head of the line, in order (§4.6).
    const back = [...this.#inFlight].filter((e) => !e.done).sort((a, b) => a.sentAt - b.sentAt);
    this.#inFlight.clear();
    this.#waiting.unshift(...back);
    this.#updatePending();
    if (this.#state === 'closed') return;
    if (upFor >= STABLE_AFTER_MS) this.#attempt = 0;
    const failure =
      error === undefined
        ? {
            class: 'transient' as const,
            code: 'unreachable' as const,
            reason: `${where} closed the connection`,
          }
        : classifyFailure(error, where);
    this.#options.log.warn('lost the OnSphere broker connection', {
      reason: failure.reason,
      unconfirmed: back.length,
    });
    this.#failed(failure, true, error);
  }

  #failed(failure: ClassifiedFailure, afterLoss: boolean, error: unknown): void {
    if (this.#state === 'closed') return;
    this.#lastFailure = failure;
    this.#consecutiveFailures += 1;
    this.#options.metrics?.reconnects.inc({ class: failure.class });
    if (!afterLoss)
      this.#options.log.warn('OnSphere broker connection failed', {
        reason: failure.reason,
        class: failure.class,
        error: (error as Error | undefined)?.message,
      });
    this.#options.onFailure?.(failure, this.#consecutiveFailures, afterLoss);
    if (this.#isClosed()) return;
    this.#hostIndex += 1;
    if (failure.class === 'permanent') {
      this.#setState('needs-attention', failure.reason);
      for (const w of this.#readyWaiters) w.reject(this.#failureError(failure));
      this.#readyWaiters.clear();
      // Held publishes go back to their owner (the durable queue), marked retryable.
      const held = this.#waiting.takeAll();
      this.#updatePending();
      for (const e of held) e.reject(this.#failureError(failure, true));
      const delay = this.#options.backoff?.(this.#attempt, failure) ?? PERMANENT_RETRY_MS;
      this.#timer = setTimeout(() => this.#connectInBackground(), delay);
      return;
    }
    const delay = this.#options.backoff?.(this.#attempt, failure) ?? backoffMs(this.#attempt);
    this.#attempt += 1;
    this.#setState('backoff', `${failure.reason}; retrying in ${(delay / 1000).toFixed(1)} s`);
    this.#timer = setTimeout(() => this.#connectInBackground(), delay);
  }

  #failureError(failure: ClassifiedFailure, transient = failure.class === 'transient'): AgentError {
    return new AgentError(failure.code, failure.reason, { transient });
  }

  // ---- publishing (§4.6) -------------------------------------------------------------

  #updatePending(): void {
    this.#options.metrics?.pending.set(this.pending);
  }

  #pump(): void {
    const live = this.#live;
    if (live === undefined || this.#state !== 'ready' || this.#blocked !== undefined) return;
    while (!this.#draining && this.#waiting.length > 0 && this.#inFlight.size < this.#window) {
      const entry = this.#waiting.shift();
      if (entry === undefined || entry.done) continue;
      this.#send(live, entry);
    }
  }

  #send(live: Live, entry: Outgoing): void {
    const { exchange, routingKey, content, properties } = entry.message;
    const { mandatory, ...props } = properties;
    entry.sends += 1;
    entry.sentAt = performance.now();
    if (entry.value) {
      this.#options.metrics?.published.inc();
      if (entry.sends > 1) this.#options.metrics?.resent.inc();
    }
    this.#inFlight.add(entry);
    const messageId = props.messageId;
    let ok: boolean;
    try {
      ok = live.pub.publish(
        exchange,
        routingKey,
        content,
        { ...props, mandatory },
        (err: unknown) => {
          // Only this connection's confirm counts: after a loss the entry was already put back.
          if (this.#live !== live || !this.#inFlight.has(entry)) return;
          this.#inFlight.delete(entry);
          if (err !== null && err !== undefined) {
            // A nack puts it back (§4.6).
            this.#waiting.unshift(entry);
            this.#updatePending();
            this.#pump();
            return;
          }
          const unroutable = messageId !== undefined && this.#returned.delete(messageId);
          if (entry.value) {
            this.#options.metrics?.confirmSeconds.observe(
              (performance.now() - entry.sentAt) / 1000,
            );
            if (unroutable) this.#options.metrics?.unroutable.inc();
            else this.#options.metrics?.confirmed.inc();
          }
          this.#updatePending();
          entry.resolve(unroutable ? 'unroutable' : 'confirmed');
          this.#pump();
        },
      );
    } catch (error) {
      // The channel died between the check and the write: the close handler requeues it.
      this.#options.log.debug('publish on a closing channel', { error: (error as Error).message });
      return;
    }
    if (!ok) this.#draining = true;
  }

  // ---- requests (§4.5) and config notices (§3.5) -------------------------------------------

  #configNotice(msg: ConsumeMessage | null): void {
    if (msg === null) return;
    const notice = parseConfigNotification(msg.content);
    if (notice === undefined) {
      this.#options.log.warn('ignored a malformed config notification', {
        routingKey: msg.fields.routingKey,
      });
      return;
    }
    if (notice.version !== this.#config.version) this.#options.onConfigNotice?.(notice.version);
  }

  async #request(channel: amqp.Channel, msg: ConsumeMessage | null): Promise<void> {
    if (msg === null) return;
    const parsed = parseRequest(msg);
    const metrics = this.#options.metrics;
    let reply: ReplyBody;
    let replyTo: string | undefined;
    let correlationId: string | undefined;
    let messageId: string | undefined;
    let action = 'invalid';
    let duplicate = false;
    if (!parsed.ok) {
      ({ replyTo, correlationId, messageId } = parsed);
      reply = { status: 'error', error: parsed.error };
    } else {
      const request = parsed.request;
      ({ replyTo, correlationId, messageId } = request);
      action = request.action;
      const cached =
        request.redelivered && messageId !== undefined ? this.#recent.get(messageId) : undefined;
      if (cached !== undefined) {
        reply = cached;
        duplicate = true;
      } else {
        try {
          reply = { status: 'ok', result: (await this.#options.onRequest!(request)) ?? null };
        } catch (error) {
          const e = error as AgentError;
          reply = {
            status: 'error',
            error: {
              code: typeof e.code === 'string' ? e.code.toUpperCase().replace(/-/g, '_') : 'ERROR',
              message: e.message,
            },
          };
        }
      }
    }
    if (messageId !== undefined) {
      this.#recent.set(messageId, reply);
      if (this.#recent.size > RECENT_REQUESTS)
        this.#recent.delete(this.#recent.keys().next().value!);
    }
    try {
      // Acked only after the action ran and the reply is confirmed (§4.5).
      if (replyTo !== undefined) {
        const outcome = await this.publish(encodeReply(replyTo, correlationId, reply), {
          value: false,
        });
        if (outcome === 'unroutable')
          this.#options.log.debug('reply unroutable: the requester is gone', { replyTo });
      }
      channel.ack(msg);
      metrics?.requests.inc({
        action: actionLabel(action),
        result: duplicate ? 'duplicate' : reply.status,
      });
    } catch (error) {
      // Channel gone: the broker redelivers the request (redelivered = true) and the cache answers it.
      this.#options.log.debug('request not acked', { error: (error as Error).message });
    }
  }
}

/**
 * FIFO of held publishes with O(1) take from the head: Array#shift is O(n),
 * and a broker outage builds lines of many thousands.
 */
class Line<T> {
  #items: Array<T | undefined> = [];
  #head = 0;

  get length(): number {
    return this.#items.length - this.#head;
  }

  push(item: T): void {
    this.#items.push(item);
  }

  shift(): T | undefined {
    if (this.#head >= this.#items.length) return undefined;
    const item = this.#items[this.#head];
    this.#items[this.#head] = undefined;
    this.#head += 1;
    if (this.#head > 1024 && this.#head * 2 > this.#items.length) {
      this.#items = this.#items.slice(this.#head);
      this.#head = 0;
    }
    return item;
  }

  /** Back to the head, in order (after a loss or a nack: rare). */
  unshift(...items: T[]): void {
    this.#items = [...items, ...this.#items.slice(this.#head)];
    this.#head = 0;
  }

  remove(item: T): void {
    const i = this.#items.indexOf(item, this.#head);
    if (i >= 0) this.#items.splice(i, 1);
  }

  takeAll(): T[] {
    const all = this.#items.slice(this.#head) as T[];
    this.#items = [];
    this.#head = 0;
    return all;
  }
}

/** Metric labels stay bounded: an action name from the wire is a label only when it is a short word (§4.8). */
function actionLabel(action: string): string {
  return /^[a-z][a-z0-9_-]{0,31}$/.test(action) ? action : 'other';
}
