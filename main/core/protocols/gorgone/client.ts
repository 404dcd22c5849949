/**
 * What the rest of the agent calls for Gorgone: pairing (handshake + pin +
 * register), controller ping, server-key preview, and the daemon's runtime
 * (every paired central kept connected as a pull node, the push listener up
 * when enabled).
 */
import { hostname } from 'node:os';
import { Dealer } from 'zeromq';
import type { AgentContext } from '../../context.ts';
import type {
  GorgonePairResult,
  GorgonePingResult,
  GorgoneServerKeyResult,
} from '../../contract/gorgone.ts';
import { AgentError } from '../../contract/errors.ts';
import { jwkThumbprint, parsePublicKey } from '../../identity/keys.ts';
import type { TargetRecord, TargetStatus } from '../../contract/targets.ts';
import { assertKeyStrength, GETPUBKEY, parsePubkey, routingId } from './codec.ts';
import {
  endpointOf,
  gorgoneTargetConfigSchema,
  readGorgoneSettings,
  updateGorgoneSettings,
  type GorgoneTargetConfig,
} from './config.ts';
import { GorgoneController } from './controller.ts';
import { historyStore } from './history.ts';
import { GorgoneListener } from './listener.ts';
import { PullNode } from './pull-node.ts';
import {
  HANDSHAKE_STEP_TIMEOUT_MS,
  GorgoneSession,
  type ClientKey,
  type ServerTrust,
} from './session.ts';
import { pause } from '../../pause.ts';

export async function agentClientKey(ctx: AgentContext): Promise<ClientKey> {
  const info = await ctx.identity.agentKey();
  return {
    privateKeyPem: await ctx.identity.agentPrivateKeyPem(),
    publicKeyPem: info.publicKeyPem,
  };
}

/** The pinned server key of a target: a changed key is refused by the session (§4 step 1, §7 `first`). */
async function pinnedTrust(ctx: AgentContext, name: string): Promise<ServerTrust> {
  const pin = await ctx.identity.pin(name);
  if (pin === undefined || pin.kind !== 'jwk-thumbprint') {
    throw new AgentError(
      'untrusted-peer',
      `no pinned server key for Gorgone target '${name}': pair it again`,
      {
        field: 'name',
      },
    );
  }
  return { thumbprint: pin.value };
}

function gorgoneTarget(ctx: AgentContext, name: string): TargetRecord<GorgoneTargetConfig> {
  const record = ctx.targets.get(name, 'name');
  if (record.kind !== 'gorgone') {
    throw new AgentError(
      'invalid-request',
      `target '${name}' is a ${record.kind} target, not gorgone`,
      { field: 'name' },
    );
  }
  return { ...record, config: gorgoneTargetConfigSchema.parse(record.config) };
}

/** [GETPUBKEY] only (unauthenticated, §4 step 1): the thumbprint a person confirms before pairing. */
export async function fetchServerKey(
  ctx: AgentContext,
  request: { host: string; port: number; name?: string | undefined },
  timeoutMs = HANDSHAKE_STEP_TIMEOUT_MS,
): Promise<GorgoneServerKeyResult> {
  const endpoint = endpointOf(request);
  const dealer = new Dealer({ routingId: routingId('outpost'), linger: 0 });
  const timer = setTimeout(() => dealer.close(), timeoutMs);
  try {
    dealer.connect(endpoint);
    await dealer.send(GETPUBKEY);
    const [frame] = await dealer.receive();
    const server = parsePubkey(frame?.toString('latin1') ?? '');
    if (server === undefined)
      throw new AgentError('protocol', `${endpoint} did not answer [GETPUBKEY] with an RSA key`);
    assertKeyStrength(server.key, `the server key of ${endpoint}`);
    const pin = request.name === undefined ? undefined : await ctx.identity.pin(request.name);
    return {
      server: endpoint,
      thumbprint: server.thumbprint,
      bits: server.key.asymmetricKeyDetails?.modulusLength ?? 0,
      pinned: pin === undefined ? 'none' : pin.value === server.thumbprint ? 'match' : 'mismatch',
    };
  } catch (error) {
    if (error instanceof AgentError) throw error;
    throw new AgentError(
      'unreachable',
      `no [PUBKEY] answer from ${endpoint} within ${timeoutMs} ms: is gorgoned listening there?`,
      {
        cause: error,
      },
    );
  } finally {
    clearTimeout(timer);
    dealer.close();
  }
}

export interface PairRequest {
  name: string;
  host: string;
  port: number;
  nodeId: string;
  serverPublicKeyPem?: string | undefined;
  trustThumbprint?: string | undefined;
  allowCommands: string[];
  allowCopyDir?: string | undefined;
}

/** Handshake with the expected server key, pin it, REGISTERNODES, save the target (§4, §8 step 1). */
export async function pairGorgone(
  ctx: AgentContext,
  request: PairRequest,
): Promise<GorgonePairResult> {
  let expected = request.trustThumbprint;
  if (request.serverPublicKeyPem !== undefined) {
    const key = parsePublicKey(request.serverPublicKeyPem);
    assertKeyStrength(key, 'the given server public key');
    const fromFile = jwkThumbprint(key);
    if (expected !== undefined && expected !== fromFile) {
      throw new AgentError(
        'invalid-request',
        `--trust-thumbprint ${expected} does not match the server key file (${fromFile})`,
        {
          field: 'trustThumbprint',
        },
      );
    }
    expected = fromFile;
  }
  const config = gorgoneTargetConfigSchema.parse({
    host: request.host,
    port: request.port,
    nodeId: request.nodeId,
  });
  const endpoint = endpointOf(config);
  const session = await GorgoneSession.open({
    endpoint,
    identity: routingId(config.nodeId),
    name: `gorgone-${config.nodeId}`,
    clientKey: await agentClientKey(ctx),
    trust: { thumbprint: expected! },
    log: ctx.log.child('gorgone'),
  });
  try {
    await session.request('REGISTERNODES', {
      nodes: [{ id: config.nodeId, identity: session.identity, type: 'pull' }],
    });
  } finally {
    session.close();
  }
  ctx.targets.save(request.name, 'gorgone', config);
  await ctx.identity.setPin({
    target: request.name,
    kind: 'jwk-thumbprint',
    value: session.serverThumbprint!,
    subject: `Gorgone server key of ${endpoint} (${session.serverHostname ?? ''})`,
  });
  if (request.allowCommands.length > 0 || request.allowCopyDir !== undefined) {
    updateGorgoneSettings(ctx.settings, (draft) => {
      if (request.allowCommands.length > 0) {
        draft.command.enabled = true;
        draft.command.allow = [...new Set([...draft.command.allow, ...request.allowCommands])];
      }
      if (request.allowCopyDir !== undefined)
        draft.processcopy = {
          ...draft.processcopy,
          enabled: true,
          destination: request.allowCopyDir,
        };
    });
  }
  ctx.log.info('gorgone target paired', {
    name: request.name,
    server: endpoint,
    serverThumbprint: session.serverThumbprint,
  });
  return {
    name: request.name,
    server: endpoint,
    nodeId: config.nodeId,
    serverThumbprint: session.serverThumbprint!,
    serverHostname: session.serverHostname ?? '',
    clientThumbprint: session.clientThumbprint,
    registered: true,
  };
}

/** Opens a controller session to a paired target, with its pinned key. */
export async function openController(ctx: AgentContext, name: string): Promise<GorgoneController> {
  const target = gorgoneTarget(ctx, name);
  return GorgoneController.connect({
    endpoint: endpointOf(target.config),
    clientKey: await agentClientKey(ctx),
    trust: await pinnedTrust(ctx, name),
    log: ctx.log.child('gorgone'),
  });
}

export async function pingGorgone(ctx: AgentContext, name: string): Promise<GorgonePingResult> {
  const controller = await openController(ctx, name);
  try {
    const pong = await controller.ping();
    return {
      name,
      server: controller.session.endpoint,
      ...pong,
      serverThumbprint: controller.session.serverThumbprint ?? '',
    };
  } finally {
    controller.close();
  }
}

/** The node's action environment from the current settings. */
function nodeEnv(ctx: AgentContext) {
  const settings = readGorgoneSettings(ctx.settings);
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
    for (const [name, target] of wanted) {
      if (this.#nodes.has(name)) continue;
      const node = new PullNode({
        endpoint: endpointOf(target.config),
        nodeId: target.config.nodeId,
        clientKey: await agentClientKey(ctx),
        trust: await pinnedTrust(ctx, name),
        env: nodeEnv(ctx),
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
      const key = await agentClientKey(ctx);
      const listener = new GorgoneListener({
        bind: settings.listener.bind,
        nodeId: settings.listener.nodeId,
        privateKeyPem: key.privateKeyPem,
        publicKeyPem: key.publicKeyPem,
        // Re-read on every HELO: `authorized remove` takes effect without a restart.
        authorizedClients: () => readGorgoneSettings(ctx.settings).authorizedClients,
        env: nodeEnv(ctx),
        log: ctx.log.child('gorgone'),
        rotationSeconds: settings.listener.rotationSeconds,
      });
      await listener.start();
      this.#listener = { key: listenerKey, listener };
    }
    this.#applied = snapshot;
  }
}
