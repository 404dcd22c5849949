import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The protocol vectors captured from real servers, kept in the repository (tests/fixtures/vectors/README.md)
 * so that a clone needs nothing beside it.
 */
export const VECTORS_DIR = join(import.meta.dirname, 'fixtures', 'vectors');

export interface ThumbprintVector {
  name: string;
  thumbprint: string;
  canonicalJwk: string;
  pem: string;
}

export function thumbprintVectors(): ThumbprintVector[] {
  const text = readFileSync(join(VECTORS_DIR, 'gorgone-thumbprint.txt'), 'utf8');
  return text
    .split(/^=== /m)
    .slice(1)
    .map((block) => ({
      name: block.split('\n')[0] ?? '',
      thumbprint: /^thumbprint: (\S+)/m.exec(block)?.[1] ?? '',
      canonicalJwk: /^canonical_jwk: (\S+)/m.exec(block)?.[1] ?? '',
      pem: /(-----BEGIN [^-]+-----[\s\S]*?-----END [^-]+-----)/.exec(block)?.[1] ?? '',
    }))
    .filter((v) => v.thumbprint !== '' && v.pem !== '');
}
