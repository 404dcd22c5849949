import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPair,
  type KeyObject,
} from 'node:crypto';
import { promisify } from 'node:util';
import { AgentError } from '../contract/errors.ts';

const generateKeyPairAsync = promisify(generateKeyPair);

export const DEFAULT_RSA_BITS = 4096;
/** Gorgone and every TLS stack we speak to treat smaller RSA keys as broken. */
export const MIN_RSA_BITS = 2048;

export interface PemKeyPair {
  privateKeyPem: string;
  publicKeyPem: string;
}

/** RSA key pair from node:crypto, off the main thread (libuv pool). */
export async function generateRsaKeyPair(bits: number = DEFAULT_RSA_BITS): Promise<PemKeyPair> {
  assertRsaBits(bits, 'bits');
  const { privateKey, publicKey } = await generateKeyPairAsync('rsa', {
    modulusLength: bits,
    publicExponent: 0x10001,
  });
  return {
    privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }) as string,
    publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }) as string,
  };
}

export function assertRsaBits(bits: number, field: string): void {
  if (!Number.isInteger(bits) || bits < MIN_RSA_BITS) {
    throw new AgentError(
      'invalid-request',
      `RSA keys must have at least ${MIN_RSA_BITS} bits (got ${bits}): use 2048, 3072 or 4096`,
      { field },
    );
  }
}

const PEM_ARMOR = /-----BEGIN ([A-Z0-9 ]+)-----([\s\S]*?)-----END \1-----/;

/**
 * Parses a PEM public key leniently. gorgone.md §4 quirk: the server's
 * `[PUBKEY]` labels its PEM `RSA PUBLIC KEY` while the body is an SPKI DER,
 * which node:crypto rejects with `wrong tag`; strip the armor and try SPKI,
 * then PKCS#1.
 */
export function parsePublicKey(pem: string): KeyObject {
  try {
    return createPublicKey(pem);
  } catch (firstError) {
    const match = PEM_ARMOR.exec(pem);
    if (match === null) {
      throw new AgentError(
        'invalid-request',
        'not a PEM public key: no -----BEGIN … KEY----- block',
        {
          cause: firstError,
        },
      );
    }
    const der = Buffer.from((match[2] ?? '').replace(/\s+/g, ''), 'base64');
    for (const type of ['spki', 'pkcs1'] as const) {
      try {
        return createPublicKey({ key: der, format: 'der', type });
      } catch {
        // try the next encoding
      }
    }
    throw new AgentError(
      'invalid-request',
      `the PEM block '${match[1] ?? ''}' is neither an SPKI nor a PKCS#1 RSA public key`,
      { cause: firstError },
    );
  }
}

/** Public key of any PEM: private (PKCS#1/PKCS#8) or public (SPKI/PKCS#1, lenient). */
export function publicKeyFromPem(pem: string, passphrase?: string): KeyObject {
  if (/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(pem)) {
    const options = passphrase === undefined ? { key: pem } : { key: pem, passphrase };
    try {
      return createPublicKey(createPrivateKey(options));
    } catch (error) {
      throw new AgentError(
        'invalid-request',
        `cannot read the private key: ${(error as Error).message}`,
        {
          cause: error,
        },
      );
    }
  }
  return parsePublicKey(pem);
}

export function rsaBits(key: KeyObject): number {
  return key.asymmetricKeyDetails?.modulusLength ?? 0;
}

/**
 * RFC 7638 JWK thumbprint: base64url(SHA-256({"e","kty","n"})) with the
 * members in lexicographic order and no whitespace. node:crypto's JWK export
 * already gives n/e as unpadded base64url without leading zero bytes.
 */
export function jwkThumbprint(key: KeyObject): string {
  if (key.asymmetricKeyType !== 'rsa') {
    throw new AgentError(
      'invalid-request',
      `JWK thumbprints are computed for RSA keys (got ${key.asymmetricKeyType ?? 'unknown'})`,
    );
  }
  return createHash('sha256').update(canonicalRsaJwk(key)).digest('base64url');
}

export function canonicalRsaJwk(key: KeyObject): string {
  const jwk = key.export({ format: 'jwk' });
  return JSON.stringify({ e: jwk.e, kty: 'RSA', n: jwk.n });
}
