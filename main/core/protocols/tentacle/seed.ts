import { parseHostPort, type HostPort } from '../../contract/host-port.ts';
import type { SeedSection, SeedTarget } from '../../deploy/section.ts';
import { readSeedCertificate } from '../../deploy/seed-files.ts';
import { absolutePath, seedError, seedFlag, seedTargetName } from '../../deploy/seed-values.ts';
import { targetSecretName } from '../../secrets.ts';
import { DEFAULT_PORT } from './config.ts';

export interface TentacleSeed extends SeedTarget {
  server: HostPort;
  tls: boolean;
  caFile?: string;
  secrets: { password?: string };
}

/**
 * The Tentacle part of the installer seed (build/README.md). The target is
 * saved through the module's own request, which checks the connection (TLS,
 * CA file readable, no password over plain TCP) and keeps the password in the
 * SecretStore. The CA is copied into the identity store first, so the target
 * does not depend on the file the installer pointed at.
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
  },

  parse(values) {
    const tentacle: TentacleSeed = {
      target: seedTargetName(values.get('TENTACLE_TARGET') ?? 'pandora', 'TENTACLE_TARGET'),
      server: parseHostPort(values.get('TENTACLE_SERVER')!, DEFAULT_PORT, 'TENTACLE_SERVER'),
      tls: seedFlag(values.get('TENTACLE_TLS') ?? '0', 'TENTACLE_TLS'),
      secrets: {},
    };
    const caFile = values.get('TENTACLE_CA');
    if (caFile !== undefined) {
      if (!tentacle.tls)
        throw seedError('TENTACLE_CA', 'a CA file is only used with TLS: add TENTACLE_TLS=1');
      tentacle.caFile = absolutePath(caFile, 'TENTACLE_CA');
    }
    const password = values.get('TENTACLE_PASSWORD');
    if (password !== undefined) {
      // tentacle.md §8: the password hash travels in clear without TLS, so a silent install never does that.
      if (!tentacle.tls) {
        throw seedError(
          'TENTACLE_PASSWORD',
          'a password is only sent over TLS: add TENTACLE_TLS=1',
        );
      }
      tentacle.secrets = { password };
    }
    return tentacle;
  },

  async apply(s, { ctx, api }) {
    const caFile =
      s.caFile === undefined
        ? undefined
        : (
            await ctx.identity.saveCertificates(s.target, {
              caPem: await readSeedCertificate(s.caFile, 'TENTACLE_CA'),
            })
          ).caPath;
    const password =
      s.secrets.password ?? (await ctx.secrets.get(targetSecretName(s.target, 'password')));
    const info = await api.addTentacleTarget({
      name: s.target,
      connection: {
        host: s.server.host,
        port: s.server.port,
        tls: s.tls,
        ...(caFile === undefined ? {} : { caFile }),
      },
      ...(password === undefined ? {} : { password }),
      replace: true,
    });
    const warnings =
      info.warnings.length === 0 ? '' : ` (${info.warnings.map((w) => w.message).join('; ')})`;
    return {
      outcome: 'created',
      detail: `saved ${s.server.host}:${s.server.port}${s.tls ? ' over TLS' : ''}${warnings}`,
    };
  },
};
