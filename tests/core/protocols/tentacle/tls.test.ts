/**
 * TLS against the reference server (tentacle.md §9): verified by default with
 * a CA file and host-name check, explicit --insecure, mutual TLS, and the
 * post-handshake refusals of TLS 1.3 mapped to what the user must fix.
 */
import { createPrivateKey } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AgentError } from '../../../../main/core/contract/errors.ts';
import {
  TentacleClient,
  type ClientOptions,
} from '../../../../main/core/protocols/tentacle/transfer.ts';
import type { TlsOptions } from '../../../../main/core/protocols/tentacle/session.ts';
import { ConnectProxy } from '../../../peers/http-connect-proxy.ts';
import type { TentacleServer } from '../../../peers/tentacle-server.ts';
import { harness, testPki, type Harness, type Pki } from './fixtures.ts';
import { loadTranscripts } from './transcripts.ts';

let h: Harness;
let pki: Pki;
let payload: string;

beforeAll(async () => {
  h = await harness('tentacle-tls');
  pki = await testPki(join(h.dir, 'pki'));
  payload = join(h.dir, 'S12.txt');
  await writeFile(payload, 'payload of S12.txt\n');
}, 60_000);
afterAll(async () => h.cleanup());

const opts = (
  server: TentacleServer,
  tls: TlsOptions,
  extra: Partial<ClientOptions> = {},
): ClientOptions => ({
  host: '127.0.0.1',
  port: server.port,
  tls,
  tmpDir: h.dir,
  ...extra,
});

async function failure(promise: Promise<unknown>): Promise<AgentError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(AgentError);
    return error as AgentError;
  }
  throw new Error('expected the connection to fail');
}

async function sendOnce(options: ClientOptions): Promise<void> {
  const client = await TentacleClient.connect(options);
  try {
    await client.send(payload);
  } finally {
    await client.quit();
  }
}

function transcriptAppData(id: string): Buffer {
  const scenario = loadTranscripts().find((s) => s.id === id)!;
  return Buffer.concat(
    scenario.streams[0]!.segments.filter((s) => s.from === 'client').map((s) => s.bytes!),
  );
}

describe('server verification', () => {
  it('verifies the server against a CA file, host name included, and speaks S12 inside', async () => {
    const server = await h.start({
      tls: { certPem: pki.server.certPem, keyPem: pki.server.keyPem },
    });
    const client = await TentacleClient.connect(opts(server, { caPem: pki.ca.certPem }));
    expect(client.tlsVersion).toMatch(/^TLSv1\.[23]$/);
    expect(client.peerCertificate?.subject).toBe('localhost');
    await client.send(payload);
    await client.quit();
    expect(server.connections[0]!.clientBytes()).toEqual(transcriptAppData('S12'));
  });

  it('refuses a server the system store does not know', async () => {
    const server = await h.start({
      tls: { certPem: pki.server.certPem, keyPem: pki.server.keyPem },
    });
    const error = await failure(sendOnce(opts(server, {})));
    expect(error.code).toBe('untrusted-peer');
    expect(error.transient).toBe(false);
    expect(error.message).toMatch(/--insecure/);
    expect(server.connections.every((c) => c.clientBytes().length === 0)).toBe(true);
  });

  it('refuses a server certificate from another CA (S20)', async () => {
    const server = await h.start({
      tls: { certPem: pki.serverOtherCa.certPem, keyPem: pki.serverOtherCa.keyPem },
    });
    const error = await failure(sendOnce(opts(server, { caPem: pki.ca.certPem })));
    expect(error.code).toBe('untrusted-peer');
  });

  it('refuses a certificate issued for another host name (S22)', async () => {
    const server = await h.start({
      tls: { certPem: pki.serverWrongName.certPem, keyPem: pki.serverWrongName.keyPem },
    });
    const error = await failure(sendOnce(opts(server, { caPem: pki.ca.certPem })));
    expect(error.code).toBe('untrusted-peer');
    expect(error.message).toMatch(/127\.0\.0\.1|wrong\.example/);
  });

  it('accepts any certificate only with the explicit insecure opt-in (S21)', async () => {
    const server = await h.start({
      tls: { certPem: pki.serverOtherCa.certPem, keyPem: pki.serverOtherCa.keyPem },
    });
    const client = await TentacleClient.connect(opts(server, { insecure: true }));
    expect(client.peerCertificate?.issuer).toBe('Unrelated Test CA');
    await client.send(payload);
    await client.quit();
    expect(await readFile(join(server.options.dir, 'S12.txt'), 'utf8')).toBe(
      'payload of S12.txt\n',
    );
  });

  it('sends the password inside TLS without the plain-TCP opt-in (S13)', async () => {
    const server = await h.start({
      password: 's3cret',
      tls: { certPem: pki.server.certPem, keyPem: pki.server.keyPem },
    });
    const client = await TentacleClient.connect(
      opts(server, { caPem: pki.ca.certPem }, { password: 's3cret' }),
    );
    await client.send(payload);
    await client.quit();
    expect(server.connections[0]!.clientBytes().toString()).toBe(
      `PASS 703b089710823916d4bb7ff2deff4d8f\n${transcriptAppData('S12').toString()}`,
    );
  });
});

describe('mutual TLS (server started with -f)', () => {
  const mtls = (): Promise<TentacleServer> =>
    h.start({
      tls: { certPem: pki.server.certPem, keyPem: pki.server.keyPem, caPem: pki.ca.certPem },
    });

  it('presents a client certificate signed by the CA (S14, S15)', async () => {
    const server = await mtls();
    await sendOnce(
      opts(server, {
        caPem: pki.ca.certPem,
        certPem: pki.client.certPem,
        keyPem: pki.client.keyPem,
      }),
    );
    expect(await readFile(join(server.options.dir, 'S12.txt'), 'utf8')).toBe(
      'payload of S12.txt\n',
    );
  });

  it('unlocks an encrypted key with its passphrase (S26)', async () => {
    const server = await mtls();
    const encrypted = createPrivateKey(pki.client.keyPem).export({
      type: 'pkcs8',
      format: 'pem',
      cipher: 'aes-256-cbc',
      passphrase: 'keypass',
    }) as string;
    await sendOnce(
      opts(server, {
        caPem: pki.ca.certPem,
        certPem: pki.client.certPem,
        keyPem: encrypted,
        passphrase: 'keypass',
      }),
    );
    const wrong = await failure(
      sendOnce(
        opts(server, {
          caPem: pki.ca.certPem,
          certPem: pki.client.certPem,
          keyPem: encrypted,
          passphrase: 'nope',
        }),
      ),
    );
    expect(wrong.message).toMatch(/decrypt|passphrase|bad/i);
  });

  it('maps a missing client certificate to a clear error (S16, TLS 1.3 post-handshake)', async () => {
    const server = await mtls();
    const error = await failure(sendOnce(opts(server, { caPem: pki.ca.certPem })));
    expect(error.code).toBe('unauthorized');
    expect(error.transient).toBe(false);
    expect(error.message).toMatch(/requires a client certificate/);
  });

  it('maps a client certificate from another CA or self-signed to "client certificate refused" (S17, S18)', async () => {
    const server = await mtls();
    for (const cert of [pki.clientOtherCa, pki.clientSelf]) {
      const error = await failure(
        sendOnce(
          opts(server, { caPem: pki.ca.certPem, certPem: cert.certPem, keyPem: cert.keyPem }),
        ),
      );
      expect(error.code).toBe('unauthorized');
      expect(error.message).toMatch(/refused our client certificate/);
    }
  });

  it('also maps it with a password, where the close follows PASS', async () => {
    const server = await h.start({
      password: 's3cret',
      tls: { certPem: pki.server.certPem, keyPem: pki.server.keyPem, caPem: pki.ca.certPem },
    });
    const error = await failure(
      sendOnce(
        opts(
          server,
          {
            caPem: pki.ca.certPem,
            certPem: pki.clientOtherCa.certPem,
            keyPem: pki.clientOtherCa.keyPem,
          },
          { password: 's3cret' },
        ),
      ),
    );
    expect(error.code).toBe('unauthorized');
    expect(error.message).toMatch(/client certificate/);
  });
});

describe('TLS through an HTTP CONNECT proxy (§11)', () => {
  it('verifies the server end to end inside the tunnel', async () => {
    const server = await h.start({
      password: 's3cret',
      tls: { certPem: pki.server.certPem, keyPem: pki.server.keyPem },
    });
    const proxy = await ConnectProxy.start({ user: 'agent', password: 'proxypw' });
    try {
      const viaProxy = {
        proxy: { host: '127.0.0.1', port: proxy.port, user: 'agent', password: 'proxypw' },
        password: 's3cret',
      };
      await sendOnce(opts(server, { caPem: pki.ca.certPem }, viaProxy));
      expect(server.connections[0]!.clientBytes().toString()).toMatch(/^PASS 703b0897/);
      const untrusted = await failure(
        sendOnce(opts(server, { caPem: pki.otherCa.certPem }, viaProxy)),
      );
      expect(untrusted.code).toBe('untrusted-peer');
    } finally {
      await proxy.stop();
    }
  });
});

describe('plain and TLS mismatches', () => {
  it('plain client against a TLS server (S24)', async () => {
    const server = await h.start({
      tls: { certPem: pki.server.certPem, keyPem: pki.server.keyPem },
    });
    const error = await failure(sendOnce({ host: '127.0.0.1', port: server.port }));
    expect(error.message).toMatch(/connect with TLS: -c/);
  });

  it('TLS client against a plain server (S25)', async () => {
    const server = await h.start({ idleTimeoutMs: 500 });
    const error = await failure(sendOnce(opts(server, { caPem: pki.ca.certPem })));
    expect(error.code).toBe('protocol');
    expect(error.message).toMatch(/TLS/);
  });
});
