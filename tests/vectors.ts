import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The shared protocol vectors captured from real servers (../shared/protocols/vectors). */
export const VECTORS_DIR = join(import.meta.dirname, '..', '..', 'shared', 'protocols', 'vectors');

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
