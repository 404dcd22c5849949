/**
 * The daemon's Gorgone runtime (`outpost run`): every paired central kept
 * connected as a pull node, the push listener up when enabled.
 */
import { hostname } from 'node:os';
import type { AgentContext } from '../../context.ts';
import type { TargetRecord, TargetStatus } from '../../contract/targets.ts';
import { endpointOf, readGorgoneSettings, type GorgoneTargetConfig } from './config.ts';
import { historyStore } from './history.ts';
import { GorgoneListener } from './listener.ts';
import { PullNode } from './pull-node.ts';
import { agentClientKey, gorgoneTarget, pinnedTrust } from './pairing.ts';
import { pause } from '../../abort.ts';

/** The node's action environment from the settings this reconcile read. */
function nodeEnv(ctx: AgentContext, settings: ReturnType<typeof readGorgoneSettings>) {
  return {
    history: historyStore(ctx),
    commandPolicy: settings.command,
    processcopy: settings.processcopy,
    log: ctx.log.child('gorgone'),
  };
}

/** How often `outpost run` re-reads targets and settings to start/stop nodes and the listener. */
const RECONCILE_INTERVAL_MS = 5_000;

/** `outpost run`: every paired central connected as a pull node, the push listener up when enabled. */
export class GorgoneRuntime {
  readonly #ctx: AgentContext;
  readonly #nodes = new Map<string, { key: string; node: PullNode }>();
  #listener: { key: string; listener: GorgoneListener } | undefined;
  /** The settings the last complete reconcile applied: the same (frozen) read means nothing to do. */
  #applied: unknown;

  constructor(ctx: AgentContext) {
    this.#ctx = ctx;
  }

  status(name: string): TargetStatus {
    const entry = this.#nodes.get(name);
    if (entry === undefined) return { state: 'idle' };
    const { node } = entry;
    const state = node.state === 'stopped' ? 'idle' : node.state;
    return node.lastError === undefined ? { state } : { state, lastError: node.lastError.message };
  }

  async run(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      await this.#reconcile().catch((error: unknown) =>
        this.#ctx.log.error('gorgone runtime', { error: (error as Error).message }),
      );
      await pause(RECONCILE_INTERVAL_MS, signal);
    }
    await Promise.all([...this.#nodes.values()].map(({ node }) => node.stop()));
    this.#nodes.clear();
    await this.#listener?.listener.close();
    this.#listener = undefined;
    this.#applied = undefined;
  }

  async #reconcile(): Promise<void> {
    const ctx = this.#ctx;
    // An unchanged settings.json costs one stat per turn, not a parse (issue #17 "light at rest").
    const snapshot = ctx.settings.read();
    if (snapshot === this.#applied) return;
    const settings = readGorgoneSettings(ctx.settings);
    const envKey = JSON.stringify({ c: settings.command, p: settings.processcopy });
    const wanted = new Map<string, TargetRecord<GorgoneTargetConfig>>();
    for (const t of ctx.targets.list()) {
      if (t.kind === 'gorgone' && !t.paused) wanted.set(t.name, gorgoneTarget(ctx, t.name));
    }
    for (const [name, entry] of this.#nodes) {
      const target = wanted.get(name);
      if (target === undefined || entry.key !== JSON.stringify(target.config) + envKey) {
        await entry.node.stop();
        this.#nodes.delete(name);
      }
    }
    // The agent's key file is read once per reconcile, and only when something starts.
    let clientKey: Awaited<ReturnType<typeof agentClientKey>> | undefined;
    const agentKey = async () => (clientKey ??= await agentClientKey(ctx));
    for (const [name, target] of wanted) {
      if (this.#nodes.has(name)) continue;
      const node = new PullNode({
        endpoint: endpointOf(target.config),
        nodeId: target.config.nodeId,
        clientKey: await agentKey(),
        trust: await pinnedTrust(ctx, name),
        env: nodeEnv(ctx, settings),
        log: ctx.log.child('gorgone'),
        hostname: hostname(),
        onState: (state, detail) =>
          ctx.events.emit('gorgone.state', {
            name,
            state,
            ...(detail === undefined ? {} : { detail }),
          }),
      });
      node.start();
      this.#nodes.set(name, { key: JSON.stringify(target.config) + envKey, node });
    }
    const listenerKey = settings.listener.enabled
      ? JSON.stringify({ l: settings.listener, envKey })
      : '';
    if (this.#listener !== undefined && this.#listener.key !== listenerKey) {
      await this.#listener.listener.close();
      this.#listener = undefined;
    }
    if (listenerKey !== '' && this.#listener === undefined) {
      const key = await agentKey();
      const listener = new GorgoneListener({
        bind: settings.listener.bind,
        nodeId: settings.listener.nodeId,
        privateKeyPem: key.privateKeyPem,
        publicKeyPem: key.publicKeyPem,
        // Re-read on every HELO: `authorized remove` takes effect without a restart.
        authorizedClients: () => readGorgoneSettings(ctx.settings).authorizedClients,
        env: nodeEnv(ctx, settings),
        log: ctx.log.child('gorgone'),
        rotationSeconds: settings.listener.rotationSeconds,
      });
      await listener.start();
      this.#listener = { key: listenerKey, listener };
    }
    this.#applied = snapshot;
  }
}
