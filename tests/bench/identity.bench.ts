import { generateKeyPairSync } from 'node:crypto';
import forge from 'node-forge';
import {
  generateRsaKeyPair,
  jwkThumbprint,
  publicKeyFromPem,
} from '../../main/core/identity/keys.ts';
import { medianMs, type BenchContext } from './harness.ts';

/** Issue #2 seed bench: RSA keygen and JWK thumbprints, node:crypto vs node-forge (pure JS). */
export default async function identityBench(ctx: BenchContext): Promise<void> {
  const oursKeygen = await medianMs(3, () => generateRsaKeyPair(2048));
  // node-forge silently delegates to node:crypto unless told not to; the pure-JS
  // path is what an Electron renderer or a forge-only stack would pay. One run:
  // its prime search takes seconds per key.
  const forgeOptions = (forge as unknown as { options: { usePureJavaScript: boolean } }).options;
  forgeOptions.usePureJavaScript = true;
  const forgeKeygen = await medianMs(1, () => forge.pki.rsa.generateKeyPair({ bits: 2048 }));
  forgeOptions.usePureJavaScript = false;
  ctx.row({
    metric: 'RSA-2048 keygen',
    ours: oursKeygen,
    unit: 'ms',
    baseline: forgeKeygen,
    baselineLabel: 'node-forge pure JS',
    higherIsBetter: false,
  });

  const { publicKey } = generateKeyPairSync('rsa', { modulusLength: 4096 });
  const pem = publicKey.export({ type: 'spki', format: 'pem' }) as string;
  const n = 2000;
  const oursThumb = await medianMs(3, () => {
    for (let i = 0; i < n; i++) jwkThumbprint(publicKeyFromPem(pem));
  });
  const forgeThumb = await medianMs(3, () => {
    for (let i = 0; i < n; i++) {
      const key = forge.pki.publicKeyFromPem(pem);
      const b64u = (hex: string): string =>
        Buffer.from(hex.length % 2 === 1 ? `0${hex}` : hex, 'hex').toString('base64url');
      const jwk = JSON.stringify({
        e: b64u(key.e.toString(16)),
        kty: 'RSA',
        n: b64u(key.n.toString(16)),
      });
      const md = forge.md.sha256.create();
      md.update(jwk);
      Buffer.from(md.digest().getBytes(), 'binary').toString('base64url');
    }
  });
  ctx.row({
    metric: 'JWK thumbprint of a 4096-bit PEM',
    ours: (n / oursThumb) * 1000,
    unit: 'per s',
    baseline: (n / forgeThumb) * 1000,
    baselineLabel: 'node-forge pure JS',
    higherIsBetter: true,
  });
}
