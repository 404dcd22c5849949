/** Shared set-up for the Tentacle tests: a CA, certificates and a reference server per case. */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { TestCa, selfSigned, type Issued } from '../../../peers/pki.ts';
import { TentacleServer, type TentacleServerOptions } from '../../../peers/tentacle-server.ts';
import { makeTempDir } from '../../../peers/util.ts';

export interface Pki {
  ca: TestCa;
  otherCa: TestCa;
  server: Issued;
  serverWrongName: Issued;
  serverOtherCa: Issued;
  client: Issued;
  clientOtherCa: Issued;
  clientSelf: Issued;
  /** Files on disk (CA, certs, keys) for the CLI and config tests. */
  files: Record<string, string>;
}

let pki: Promise<Pki> | undefined;

/** One throwaway PKI per test file (RSA keygen is the slow part). */
export function testPki(dir: string): Promise<Pki> {
  pki ??= (async () => {
    const ca = TestCa.create('Tentacle Test CA');
    const otherCa = TestCa.create('Unrelated Test CA');
    const made: Omit<Pki, 'files'> = {
      ca,
      otherCa,
      server: ca.issue({ cn: 'localhost', altNames: ['localhost', '127.0.0.1'] }),
      serverWrongName: ca.issue({ cn: 'wrong.example', altNames: ['wrong.example'] }),
      serverOtherCa: otherCa.issue({ cn: 'localhost', altNames: ['localhost', '127.0.0.1'] }),
      client: ca.issue({ cn: 'tentacle-agent', altNames: ['tentacle-agent'] }),
      clientOtherCa: otherCa.issue({ cn: 'rogue-agent', altNames: ['rogue-agent'] }),
      clientSelf: selfSigned({ cn: 'self-signed-agent', altNames: ['self-signed-agent'] }),
    };
    await mkdir(dir, { recursive: true });
    const files: Record<string, string> = {};
    const put = async (name: string, content: string): Promise<void> => {
      files[name] = join(dir, name);
      await writeFile(files[name], content, { mode: 0o600 });
    };
    await put('ca.crt', ca.certPem);
    await put('client.crt', made.client.certPem);
    await put('client.key', made.client.keyPem);
    await put('client-other.crt', made.clientOtherCa.certPem);
    await put('client-other.key', made.clientOtherCa.keyPem);
    return { ...made, files };
  })();
  return pki;
}

export interface Harness {
  dir: string;
  storage: string;
  servers: TentacleServer[];
  start(options?: Partial<TentacleServerOptions>): Promise<TentacleServer>;
  cleanup(): Promise<void>;
}

export async function harness(prefix: string): Promise<Harness> {
  const { dir, cleanup } = await makeTempDir(prefix);
  const servers: TentacleServer[] = [];
  let n = 0;
  return {
    dir,
    storage: join(dir, 'in'),
    servers,
    async start(options = {}) {
      n += 1;
      const server = await TentacleServer.start({
        dir: join(dir, `in${n}`),
        tmpDir: dir,
        ...options,
      });
      servers.push(server);
      return server;
    },
    async cleanup() {
      for (const server of servers) await server.stop();
      await cleanup();
    },
  };
}
