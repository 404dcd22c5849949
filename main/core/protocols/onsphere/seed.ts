import { createPrivateKey, createPublicKey } from 'node:crypto';
import { AgentError } from '../../contract/errors.ts';
import { parseHostPort, type HostPort } from '../../contract/host-port.ts';
import { saveSeedTarget, type SeedSection, type SeedTarget } from '../../deploy/section.ts';
import { readSeedCertificate } from '../../deploy/seed-files.ts';
import { absolutePath, seedError, seedTargetName } from '../../deploy/seed-values.ts';
import { readPemFile } from '../../identity/pem-file.ts';
import { parseCertificate } from '../../identity/x509.ts';
import { DEFAULT_PORT } from './config.ts';

export interface OnsphereSeed extends SeedTarget {
  dispatcher: HostPort;
  caFile: string;
  certFile: string;
  keyFile: string;
}

const FILES = ['ONSPHERE_CA', 'ONSPHERE_CERT', 'ONSPHERE_KEY'] as const;

/**
 * The OnSphere part of the installer seed (build/README.md): the stack's
 * ca.crt, module.crt and module.key (onsphere.md §1.4) copied into the
 * identity store, the target saved in the registry; it pairs when the agent
 * runs.
 */
export const onsphereSeed: SeedSection<OnsphereSeed> = {
  kind: 'onsphere',
  protocol: 'OnSphere',
  lead: 'ONSPHERE_DISPATCHER',
  parameters: {
    ONSPHERE_DISPATCHER: {
      description: `OnSphere configuration dispatcher HOST[:PORT=${DEFAULT_PORT}]`,
    },
    ONSPHERE_CA: { description: 'ca.crt file' },
    ONSPHERE_CERT: { description: 'module.crt (or remote-connector.crt) file' },
    ONSPHERE_KEY: {
      description:
        'module.key (or remote-connector.key) file (copied into the identity store, 0600)',
    },
    ONSPHERE_TARGET: { description: 'target name (default onsphere)' },
  },

  parse(values) {
    for (const key of FILES) {
      if (!values.has(key))
        throw seedError(
          key,
          'is required with ONSPHERE_DISPATCHER: OnSphere pairs with ca.crt, module.crt and module.key',
        );
    }
    return {
      target: seedTargetName(values.get('ONSPHERE_TARGET') ?? 'onsphere', 'ONSPHERE_TARGET'),
      dispatcher: parseHostPort(
        values.get('ONSPHERE_DISPATCHER')!,
        DEFAULT_PORT,
        'ONSPHERE_DISPATCHER',
      ),
      caFile: absolutePath(values.get('ONSPHERE_CA')!, 'ONSPHERE_CA'),
      certFile: absolutePath(values.get('ONSPHERE_CERT')!, 'ONSPHERE_CERT'),
      keyFile: absolutePath(values.get('ONSPHERE_KEY')!, 'ONSPHERE_KEY'),
      secrets: {},
    };
  },

  async apply(s, { ctx }) {
    const caPem = await readSeedCertificate(s.caFile, 'ONSPHERE_CA');
    const certPem = await readSeedCertificate(s.certFile, 'ONSPHERE_CERT');
    const keyPem = await readPrivateKeyMatching(s.keyFile, certPem);
    const files = await ctx.identity.saveCertificates(s.target, { caPem, certPem, keyPem });
    return saveSeedTarget(ctx, s.target, 'onsphere', {
      host: s.dispatcher.host,
      port: s.dispatcher.port,
      caFile: files.caPath,
      certFile: files.certPath,
      keyFile: files.keyPath,
    });
  },
};

async function readPrivateKeyMatching(path: string, certPem: string): Promise<string> {
  const pem = await readPemFile(path, 'ONSPHERE_KEY');
  let keySpki: Buffer;
  try {
    keySpki = createPublicKey(createPrivateKey(pem)).export({ type: 'spki', format: 'der' });
  } catch (error) {
    throw new AgentError(
      'invalid-request',
      `ONSPHERE_KEY: '${path}' is not an unencrypted PEM private key: ${(error as Error).message}`,
      { field: 'ONSPHERE_KEY' },
    );
  }
  const certSpki = parseCertificate(certPem).publicKey.export({ type: 'spki', format: 'der' });
  if (!keySpki.equals(certSpki)) {
    throw new AgentError(
      'invalid-request',
      `ONSPHERE_KEY: '${path}' is not the key of the ONSPHERE_CERT certificate`,
      { field: 'ONSPHERE_KEY' },
    );
  }
  return pem;
}
