import { AgentError } from '../../contract/errors.ts';
import { parseHostPort, type HostPort } from '../../contract/host-port.ts';
import { saveSeedTarget, type SeedSection, type SeedTarget } from '../../deploy/section.ts';
import { absolutePath, seedError, seedTargetName } from '../../deploy/seed-values.ts';
import { jwkThumbprint, publicKeyFromPem } from '../../identity/keys.ts';
import { readPemFile } from '../../identity/pem-file.ts';
import { DEFAULT_PORT } from './config.ts';

export interface GorgoneSeed extends SeedTarget {
  server: HostPort;
  nodeId: number;
  pubkeyFile?: string;
  thumbprint?: string;
}

/**
 * The Gorgone part of the installer seed (build/README.md): a pull-mode
 * target saved in the registry with the central's key pinned (gorgone.md §6),
 * from its public key file or its thumbprint; it pairs when the agent runs.
 */
export const gorgoneSeed: SeedSection<GorgoneSeed> = {
  kind: 'gorgone',
  protocol: 'Gorgone',
  lead: 'GORGONE_SERVER',
  parameters: {
    GORGONE_SERVER: { description: `Centreon Gorgone server HOST[:PORT=${DEFAULT_PORT}]` },
    GORGONE_NODE_ID: { description: 'poller/node id the central knows this agent by' },
    GORGONE_PUBKEY: { description: 'server public key file (PEM): its JWK thumbprint is pinned' },
    GORGONE_THUMBPRINT: {
      description: 'server key JWK thumbprint (RFC 7638, base64url) to pin',
    },
    GORGONE_TARGET: { description: 'target name (default centreon)' },
  },

  parse(values) {
    const nodeId = values.get('GORGONE_NODE_ID');
    if (nodeId === undefined)
      throw seedError(
        'GORGONE_NODE_ID',
        'is required with GORGONE_SERVER: the node id the central gave this poller',
      );
    if (!/^[1-9]\d{0,8}$/.test(nodeId))
      throw seedError('GORGONE_NODE_ID', `must be a positive whole number, got '${nodeId}'`);
    const gorgone: GorgoneSeed = {
      target: seedTargetName(values.get('GORGONE_TARGET') ?? 'centreon', 'GORGONE_TARGET'),
      server: parseHostPort(values.get('GORGONE_SERVER')!, DEFAULT_PORT, 'GORGONE_SERVER'),
      nodeId: Number(nodeId),
      secrets: {},
    };
    const pubkey = values.get('GORGONE_PUBKEY');
    const thumbprint = values.get('GORGONE_THUMBPRINT');
    if (pubkey === undefined && thumbprint === undefined) {
      throw seedError(
        'GORGONE_PUBKEY',
        "a silent install pins the server key: give GORGONE_PUBKEY (the server's public key file) or GORGONE_THUMBPRINT",
      );
    }
    if (pubkey !== undefined && thumbprint !== undefined) {
      throw seedError(
        'GORGONE_THUMBPRINT',
        'give either GORGONE_PUBKEY or GORGONE_THUMBPRINT, not both',
      );
    }
    if (pubkey !== undefined) gorgone.pubkeyFile = absolutePath(pubkey, 'GORGONE_PUBKEY');
    if (thumbprint !== undefined) {
      // RFC 7638 thumbprint of a SHA-256 digest: 32 bytes → 43 base64url characters.
      if (!/^[A-Za-z0-9_-]{43}$/.test(thumbprint)) {
        throw seedError(
          'GORGONE_THUMBPRINT',
          'must be the 43-character base64url JWK thumbprint `outpost gorgone thumbprint`-style tools print',
        );
      }
      gorgone.thumbprint = thumbprint;
    }
    return gorgone;
  },

  async apply(s, { ctx }) {
    const thumbprint = s.thumbprint ?? (await thumbprintOfKeyFile(s.pubkeyFile!));
    await ctx.identity.setPin({
      target: s.target,
      kind: 'jwk-thumbprint',
      value: thumbprint,
      subject: `Gorgone server ${s.server.host} (installer seed)`,
    });
    // The gorgone target schema keeps node ids as the digit strings Centreon's config uses.
    return saveSeedTarget(ctx, s.target, 'gorgone', {
      host: s.server.host,
      port: s.server.port,
      nodeId: String(s.nodeId),
    });
  },
};

async function thumbprintOfKeyFile(path: string): Promise<string> {
  const pem = await readPemFile(path, 'GORGONE_PUBKEY');
  try {
    return jwkThumbprint(publicKeyFromPem(pem));
  } catch (error) {
    throw new AgentError(
      'invalid-request',
      `GORGONE_PUBKEY: '${path}' is not an RSA public key: ${(error as Error).message}`,
      { field: 'GORGONE_PUBKEY' },
    );
  }
}
