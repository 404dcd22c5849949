import { join, dirname } from 'node:path';
import { parseHostPort, type HostPort } from '../../contract/host-port.ts';
import { SECONDARY_MODES, type SecondaryMode } from '../../contract/tentacle.ts';
import type { AgentContext } from '../../context.ts';
import type { SeedSection, SeedTarget } from '../../deploy/section.ts';
import { readSeedCertificate } from '../../deploy/seed-files.ts';
import { absolutePath, seedError, seedFlag, seedTargetName } from '../../deploy/seed-values.ts';
import { ensurePrivateDir, writeFileAtomic } from '../../fsutil.ts';
import { DEFAULT_PORT, SECONDARY, tentacleSecretName } from './config.ts';

/** One Tentacle server of the seed: the primary, or the secondary with its own TLS and CA. */
interface SeedServer {
  server: HostPort;
  tls: boolean;
  caFile?: string;
}

export interface TentacleSeed extends SeedTarget, SeedServer {
  /** A second server (pandora-remote-config.md §11–§14), with its own password in `secrets`. */
  secondary?: SeedServer & { mode: SecondaryMode };
  secrets: { password?: string; 'secondary-password'?: string };
}

/** The parameters of one server: the primary's and the secondary's names side by side. */
const PRIMARY = {
  server: 'TENTACLE_SERVER',
  tls: 'TENTACLE_TLS',
  ca: 'TENTACLE_CA',
  password: 'TENTACLE_PASSWORD',
} as const;
const SECONDARY_PARAMETERS = {
  server: 'TENTACLE_SECONDARY',
  tls: 'TENTACLE_SECONDARY_TLS',
  ca: 'TENTACLE_SECONDARY_CA',
  password: 'TENTACLE_SECONDARY_PASSWORD',
} as const;
type ServerParameters = typeof PRIMARY | typeof SECONDARY_PARAMETERS;

/** Where the secondary's CA is copied: beside the primary's ca.crt, in the target's identity folder. */
const SECONDARY_CA_FILE = `${SECONDARY}-ca.crt`;

/**
 * The Tentacle part of the installer seed (build/README.md). The target is
 * saved through the module's own request, which checks the connection (TLS,
 * CA file readable, no password over plain TCP) and keeps the passwords in
 * the SecretStore. The CAs are copied into the identity store first, so the
 * target does not depend on the files the installer pointed at. A secondary
 * server (TENTACLE_SECONDARY_*, issue #18) mirrors the primary's parameters
 * and never gets the primary's password (pandora-remote-config.md §14.5).
 */
export const tentacleSeed: SeedSection<TentacleSeed> = {
  kind: 'tentacle',
  protocol: 'Tentacle',
  lead: 'TENTACLE_SERVER',
  parameters: {
    TENTACLE_SERVER: { description: `Pandora FMS Tentacle server HOST[:PORT=${DEFAULT_PORT}]` },
    TENTACLE_PASSWORD: {
      description: 'Tentacle password (secret; requires TENTACLE_TLS=1)',
      secret: true,
    },
    TENTACLE_TLS: { description: '1 for TLS (server certificate verified)' },
    TENTACLE_CA: {
      description: 'CA certificate file (PEM) that signs the Tentacle server certificate',
    },
    TENTACLE_TARGET: { description: 'target name (default pandora)' },
    TENTACLE_SECONDARY: {
      description: `secondary Tentacle server HOST[:PORT=${DEFAULT_PORT}] (secondary_server_ip)`,
    },
    TENTACLE_SECONDARY_MODE: {
      description: `when the secondary gets a file: ${SECONDARY_MODES.join(' or ')} (default on_error)`,
    },
    TENTACLE_SECONDARY_TLS: { description: '1 for TLS to the secondary server' },
    TENTACLE_SECONDARY_CA: {
      description: "CA certificate file (PEM) of the secondary server's certificate",
    },
    TENTACLE_SECONDARY_PASSWORD: {
      description:
        "the secondary server's own password (secret; requires TENTACLE_SECONDARY_TLS=1)",
      secret: true,
    },
  },

  parse(values) {
    const primary = parseServer(values, PRIMARY);
    const tentacle: TentacleSeed = {
      target: seedTargetName(values.get('TENTACLE_TARGET') ?? 'pandora', 'TENTACLE_TARGET'),
      ...primary.server,
      secrets: primary.password === undefined ? {} : { password: primary.password },
    };
    if (!values.has(SECONDARY_PARAMETERS.server)) {
      const stray = [...values.keys()].find((key) => key.startsWith('TENTACLE_SECONDARY_'));
      if (stray !== undefined)
        throw seedError(
          stray,
          'is only meaningful with TENTACLE_SECONDARY (the secondary Tentacle server): add TENTACLE_SECONDARY=HOST[:PORT]',
        );
      return tentacle;
    }
    const secondary = parseServer(values, SECONDARY_PARAMETERS);
    const mode = values.get('TENTACLE_SECONDARY_MODE') ?? 'on_error';
    if (!(SECONDARY_MODES as readonly string[]).includes(mode))
      throw seedError(
        'TENTACLE_SECONDARY_MODE',
        `must be on_error (a file goes to the secondary when the primary fails it) or always (a copy of every file), got '${mode}'`,
      );
    tentacle.secondary = { ...secondary.server, mode: mode as SecondaryMode };
    if (secondary.password !== undefined)
      tentacle.secrets = { ...tentacle.secrets, 'secondary-password': secondary.password };
    return tentacle;
  },

  async apply(s, { ctx, api }) {
    const caFile =
      s.caFile === undefined
        ? undefined
        : (
            await ctx.identity.saveCertificates(s.target, {
              caPem: await readSeedCertificate(s.caFile, PRIMARY.ca),
            })
          ).caPath;
    const secondaryCaFile =
      s.secondary?.caFile === undefined
        ? undefined
        : await copySecondaryCa(ctx, s.target, s.secondary.caFile);
    // A seed kept for a retry no longer holds the passwords: they are in the SecretStore since the first attempt.
    const password =
      s.secrets.password ?? (await ctx.secrets.get(tentacleSecretName(s.target, 'password')));
    const secondaryPassword =
      s.secondary === undefined
        ? undefined
        : (s.secrets['secondary-password'] ??
          (await ctx.secrets.get(tentacleSecretName(s.target, 'password', SECONDARY))));
    const info = await api.addTentacleTarget({
      name: s.target,
      connection: connectionOf(s, caFile),
      ...(password === undefined ? {} : { password }),
      ...(s.secondary === undefined
        ? {}
        : { secondary: { ...connectionOf(s.secondary, secondaryCaFile), mode: s.secondary.mode } }),
      ...(secondaryPassword === undefined ? {} : { secondaryPassword }),
      replace: true,
    });
    const warnings =
      info.warnings.length === 0 ? '' : ` (${info.warnings.map((w) => w.message).join('; ')})`;
    const secondary =
      s.secondary === undefined ? '' : `, secondary ${describe(s.secondary)} (${s.secondary.mode})`;
    return { outcome: 'created', detail: `saved ${describe(s)}${secondary}${warnings}` };
  },
};

/** One server's address, TLS flag, CA and password; errors name that server's parameters. */
function parseServer(
  values: ReadonlyMap<string, string>,
  names: ServerParameters,
): { server: SeedServer; password: string | undefined } {
  const server: SeedServer = {
    server: parseHostPort(values.get(names.server)!, DEFAULT_PORT, names.server),
    tls: seedFlag(values.get(names.tls) ?? '0', names.tls),
  };
  const caFile = values.get(names.ca);
  if (caFile !== undefined) {
    if (!server.tls)
      throw seedError(names.ca, `a CA file is only used with TLS: add ${names.tls}=1`);
    server.caFile = absolutePath(caFile, names.ca);
  }
  const password = values.get(names.password);
  // tentacle.md §8: the password hash travels in clear without TLS, so a silent install never does that.
  if (password !== undefined && !server.tls)
    throw seedError(names.password, `a password is only sent over TLS: add ${names.tls}=1`);
  return { server, password };
}

function connectionOf(
  s: SeedServer,
  caFile: string | undefined,
): { host: string; port: number; tls: boolean; caFile?: string } {
  return {
    host: s.server.host,
    port: s.server.port,
    tls: s.tls,
    ...(caFile === undefined ? {} : { caFile }),
  };
}

function describe(s: SeedServer): string {
  return `${s.server.host}:${s.server.port}${s.tls ? ' over TLS' : ''}`;
}

/** The identity store keeps one ca.crt per target (the primary's); the secondary's goes beside it. */
async function copySecondaryCa(ctx: AgentContext, target: string, path: string): Promise<string> {
  const pem = await readSeedCertificate(path, SECONDARY_PARAMETERS.ca);
  const dir = dirname(ctx.identity.certificateFiles(target).caPath);
  await ensurePrivateDir(dir);
  const copy = join(dir, SECONDARY_CA_FILE);
  await writeFileAtomic(copy, pem, 0o644);
  return copy;
}
