import { createSecureContext } from 'node:tls';
import { describe, expect, it } from 'vitest';
import { portableTlsOptions } from '../../../../main/core/protocols/onsphere/session.ts';

describe('OnSphere broker TLS options portable to BoringSSL (issue #15 item 14)', () => {
  it('sets versions only: TLS 1.2 at least by default, no cipher string', () => {
    expect(portableTlsOptions(undefined)).toEqual({ minVersion: 'TLSv1.2' });
    expect(portableTlsOptions({ minVersion: 'TLSv1.3' })).toEqual({ minVersion: 'TLSv1.3' });
    expect(portableTlsOptions({ minVersion: 'TLSv1.2', maxVersion: 'TLSv1.2' })).toEqual({
      minVersion: 'TLSv1.2',
      maxVersion: 'TLSv1.2',
    });
  });

  it("asks for OpenSSL's security level 0 for TLS 1.1 only where the library understands it (not BoringSSL)", () => {
    const legacy = { minVersion: 'TLSv1.1', maxVersion: 'TLSv1.1' } as const;
    expect(portableTlsOptions(legacy, () => false)).toEqual(legacy);
    expect(portableTlsOptions(legacy, () => true)).toEqual({
      ...legacy,
      ciphers: 'DEFAULT@SECLEVEL=0',
    });
    expect(portableTlsOptions({ minVersion: 'TLSv1.2' }, () => true).ciphers).toBeUndefined();
  });

  it('what it returns is accepted by the TLS library it runs on', () => {
    for (const tls of [
      undefined,
      { minVersion: 'TLSv1.1' as const, maxVersion: 'TLSv1.1' as const },
    ]) {
      const { minVersion, maxVersion, ciphers } = portableTlsOptions(tls);
      expect(() =>
        createSecureContext({
          minVersion,
          ...(maxVersion === undefined ? {} : { maxVersion }),
          ...(ciphers === undefined ? {} : { ciphers }),
        }),
      ).not.toThrow();
    }
  });
});
