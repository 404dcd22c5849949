/**
 * From nothing to a paired Gorgone target (gorgone.md §4, §7): the server key
 * previewed ([GETPUBKEY]) and pinned by its JWK thumbprint, the handshake, the
 * node registered; and the pinned trust every later session starts from.
 */
import { Dealer } from 'zeromq';
import type { AgentContext } from '../../context.ts';
import type { GorgonePairResult, GorgoneServerKeyResult } from '../../contract/gorgone.ts';
import { AgentError } from '../../contract/errors.ts';
import { jwkThumbprint, parsePublicKey } from '../../identity/keys.ts';
import type { TargetRecord } from '../../contract/targets.ts';
import { assertKeyStrength, GETPUBKEY, parsePubkey, routingId } from './codec.ts';
import {
  endpointOf,
  gorgoneTargetConfigSchema,
  updateGorgoneSettings,
  type GorgoneTargetConfig,
} from './config.ts';
import {
  HANDSHAKE_STEP_TIMEOUT_MS,
  GorgoneSession,
  type ClientKey,
  type ServerTrust,
} from './session.ts';
import { readPemFile } from '../../identity/pem-file.ts';

export async function agentClientKey(ctx: AgentContext): Promise<ClientKey> {
  const info = await ctx.identity.agentKey();
  return {
    privateKeyPem: await ctx.identity.agentPrivateKeyPem(),
    publicKeyPem: info.publicKeyPem,
  };
}

/** The pinned server key of a target: a changed key is refused by the session (§4 step 1, §7 `first`). */
export async function pinnedTrust(ctx: AgentContext, name: string): Promise<ServerTrust> {
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

export function gorgoneTarget(ctx: AgentContext, name: string): TargetRecord<GorgoneTargetConfig> {
  return ctx.targets.getOfKind<GorgoneTargetConfig>(name, 'gorgone');
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
  /** The central's public key file, pinned instead of the thumbprint a person confirmed. */
  serverPublicKeyFile?: string | undefined;
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
  if (request.serverPublicKeyFile !== undefined) {
    const key = parsePublicKey(
      await readPemFile(request.serverPublicKeyFile, 'serverPublicKeyFile'),
    );
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
