/**
 * The connector's identity (onsphere.md §2.1): ca.crt, module.crt and
 * module.key as exported by the stack's admin (or remote-connector.crt/.key,
 * the file names of the seed doc). Checked on import, stored through
 * core/identity (key 0600), shown as CN + SHA-256 fingerprints + expiry.
 */
import { createPrivateKey, createPublicKey, X509Certificate } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { AgentContext } from '../../context.ts';
import { AgentError } from '../../contract/errors.ts';
import type { CertificateFiles } from '../../identity/store.ts';
import { commonName, EXPIRY_WARNING_DAYS } from '../../identity/x509.ts';
import { CONNECTOR_NAME_PATTERN } from './codec.ts';
import { type IdentitySummary } from '../../contract/onsphere.ts';

const CLIENT_AUTH_OID = '1.3.6.1.5.5.7.3.2';

export interface IdentityMaterial {
  caPem: string;
  certPem: string;
  keyPem: string;
}

function invalid(field: string, message: string): AgentError {
  return new AgentError('invalid-request', message, { field });
}

function parseCert(pem: string, field: string, file: string): X509Certificate {
  try {
    return new X509Certificate(pem);
  } catch (error) {
    throw invalid(
      field,
      `${file} is not a PEM certificate (${(error as Error).message}): export it again from the stack`,
    );
  }
}

/**
 * Every check of §2.1, each failure naming the file and the fix. `now` is a
 * parameter so expiry can be tested without waiting.
 */
export function checkIdentity(
  material: IdentityMaterial,
  names: { ca: string; cert: string; key: string } = {
    ca: 'ca.crt',
    cert: 'module.crt',
    key: 'module.key',
  },
  now: Date = new Date(),
): IdentitySummary {
  const ca = parseCert(material.caPem, 'ca', names.ca);
  const cert = parseCert(material.certPem, 'cert', names.cert);
  if (!ca.ca)
    throw invalid(
      'ca',
      `${names.ca} is not a CA certificate (basicConstraints CA:FALSE): give the stack's CA, not a module certificate`,
    );
  let key;
  try {
    key = createPrivateKey(material.keyPem);
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (
      code === 'ERR_MISSING_PASSPHRASE' ||
      /encrypted|passphrase/i.test((error as Error).message) ||
      material.keyPem.includes('ENCRYPTED')
    ) {
      throw invalid(
        'key',
        `${names.key} is encrypted: Outpost needs it unencrypted (it is stored 0600): run 'openssl pkey -in ${names.key} -out module.key'`,
      );
    }
    throw invalid(
      'key',
      `${names.key} is not a PEM private key (PKCS#8 or PKCS#1, RSA or EC): ${(error as Error).message}`,
    );
  }
  const keySpki = createPublicKey(key).export({ type: 'spki', format: 'der' });
  const certSpki = cert.publicKey.export({ type: 'spki', format: 'der' });
  if (!keySpki.equals(certSpki))
    throw invalid(
      'key',
      `${names.key} is not the key of ${names.cert}: take both files from the same export`,
    );
  if (!cert.checkIssued(ca) || !cert.verify(ca.publicKey)) {
    throw invalid(
      'cert',
      `${names.cert} (issuer '${commonName(cert.issuer) ?? cert.issuer}') is not signed by ${names.ca} ('${commonName(ca.subject) ?? ca.subject}'): use the CA of the same stack`,
    );
  }
  const notBefore = new Date(cert.validFrom);
  const notAfter = new Date(cert.validTo);
  if (now < notBefore)
    throw invalid(
      'cert',
      `${names.cert} is not valid before ${notBefore.toISOString()}: check this computer's clock`,
    );
  if (now > notAfter)
    throw invalid(
      'cert',
      `${names.cert} expired on ${notAfter.toISOString()}: ask the stack's admin for a new module certificate`,
    );
  const eku = cert.keyUsage;
  if (eku !== undefined && eku.length > 0 && !eku.includes(CLIENT_AUTH_OID)) {
    throw invalid(
      'cert',
      `${names.cert} is not allowed for TLS client authentication (extendedKeyUsage lacks clientAuth): the stack must issue a module (client) certificate`,
    );
  }
  const cn = commonName(cert.subject);
  if (cn === undefined || !CONNECTOR_NAME_PATTERN.test(cn)) {
    throw invalid(
      'cert',
      `${names.cert}'s subject CN '${cn ?? ''}' is not a connector name (1–64 letters, digits, '.', '_' or '-', onsphere.md §2.1)`,
    );
  }
  const daysLeft = Math.floor((notAfter.getTime() - now.getTime()) / 86_400_000);
  return {
    cn,
    issuer: commonName(cert.issuer) ?? cert.issuer,
    notBefore: notBefore.toISOString(),
    notAfter: notAfter.toISOString(),
    daysLeft,
    expiresSoon: daysLeft < EXPIRY_WARNING_DAYS,
    certFingerprint: cert.fingerprint256,
    caSubject: commonName(ca.subject) ?? ca.subject,
    caFingerprint: ca.fingerprint256,
    keyType: key.asymmetricKeyType ?? 'unknown',
  };
}

async function readNamed(path: string, field: string, what: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    throw new AgentError(
      'not-found',
      `cannot read ${what} '${path}': ${(error as Error).message}`,
      { field, cause: error },
    );
  }
}

/** Reads the three files; a folder is searched for module.* then remote-connector.* (the seed doc's names). */
export async function readIdentityFiles(files: {
  ca: string;
  cert: string;
  key: string;
}): Promise<IdentityMaterial & { names: { ca: string; cert: string; key: string } }> {
  const resolve = async (path: string, candidates: string[]): Promise<string> => {
    const info = await stat(path).catch(() => undefined);
    if (info?.isDirectory() !== true) return path;
    for (const name of candidates) {
      const candidate = join(path, name);
      if ((await stat(candidate).catch(() => undefined))?.isFile() === true) return candidate;
    }
    return join(path, candidates[0]!);
  };
  const ca = await resolve(files.ca, ['ca.crt']);
  const cert = await resolve(files.cert, ['module.crt', 'remote-connector.crt']);
  const key = await resolve(files.key, ['module.key', 'remote-connector.key']);
  return {
    caPem: await readNamed(ca, 'ca', 'the CA certificate (ca.crt)'),
    certPem: await readNamed(cert, 'cert', 'the module certificate (module.crt)'),
    keyPem: await readNamed(key, 'key', 'the module key (module.key)'),
    names: { ca, cert, key },
  };
}

/** Checks, then stores through core/identity (key 0600, never logged). */
export async function importIdentity(
  ctx: AgentContext,
  target: string,
  material: IdentityMaterial,
  names?: { ca: string; cert: string; key: string },
): Promise<{ summary: IdentitySummary; files: CertificateFiles }> {
  const summary = checkIdentity(material, names);
  const files = await ctx.identity.saveCertificates(target, {
    caPem: material.caPem,
    certPem: material.certPem,
    keyPem: material.keyPem,
  });
  return { summary, files };
}

/** The stored material of a target, or a clear error telling how to pair. */
export async function loadIdentity(ctx: AgentContext, target: string): Promise<IdentityMaterial> {
  const stored = await ctx.identity.readCertificates(target);
  if (stored.caPem === undefined || stored.certPem === undefined || stored.keyPem === undefined) {
    throw new AgentError(
      'not-found',
      `OnSphere target '${target}' has no certificate: run 'outpost onsphere pair ${target} --dispatcher HOST --ca ca.crt --cert module.crt --key module.key'`,
      { field: 'target' },
    );
  }
  return { caPem: stored.caPem, certPem: stored.certPem, keyPem: stored.keyPem };
}
