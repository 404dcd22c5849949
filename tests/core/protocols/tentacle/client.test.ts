/**
 * Our Tentacle client against the reference server over real sockets: plain
 * sessions, password, refusals, downloads, compression, proxy; and the bytes
 * it writes compared with the real tentacle_client's in the transcripts.
 */
import { mkdir, readFile, readdir, stat, writeFile } from 'node:fs/promises';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AgentError } from '../../../../main/core/contract/errors.ts';
import {
  TentacleClient,
  type ClientOptions,
} from '../../../../main/core/protocols/tentacle/transfer.ts';
import { buildZip, unzipFirstMember } from '../../../../main/core/protocols/tentacle/zip.ts';
import { ConnectProxy } from '../../../peers/http-connect-proxy.ts';
import { unzipLikePerl, zipLikePerl, type TentacleServer } from '../../../peers/tentacle-server.ts';
import { harness, type Harness } from './fixtures.ts';
import { loadTranscripts } from './transcripts.ts';

let h: Harness;
let work: string;

beforeAll(async () => {
  h = await harness('tentacle-client');
  work = join(h.dir, 'work');
  await mkdir(work, { recursive: true });
});
afterAll(async () => h.cleanup());

async function file(name: string, content: string | Buffer): Promise<string> {
  const path = join(work, name);
  await writeFile(path, content);
  return path;
}

function opts(server: TentacleServer, extra: Partial<ClientOptions> = {}): ClientOptions {
  return { host: '127.0.0.1', port: server.port, tmpDir: h.dir, ...extra };
}

async function failure(promise: Promise<unknown>): Promise<AgentError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(AgentError);
    return error as AgentError;
  }
  throw new Error('expected the operation to fail');
}

/** Client lines and payloads of one transcript stream, as one buffer (prefix-only payloads unknown). */
function transcriptClientBytes(id: string, stream = 0): Buffer {
  const scenario = loadTranscripts().find((s) => s.id === id)!;
  return Buffer.concat(
    scenario.streams[stream]!.segments.filter((s) => s.from === 'client').map((s) => s.bytes!),
  );
}

describe('plain sessions', () => {
  it('sends one file exactly like tentacle_client (S01)', async () => {
    const server = await h.start();
    const client = await TentacleClient.connect(opts(server));
    const result = await client.send(await file('hello.txt', 'hello tentacle\n'));
    await client.quit();
    expect(result).toEqual({ name: 'hello.txt', bytes: 15, wireBytes: 15 });
    expect(await readFile(join(server.options.dir, 'hello.txt'), 'utf8')).toBe('hello tentacle\n');
    const conn = server.connections[0]!;
    expect(conn.clientBytes()).toEqual(transcriptClientBytes('S01'));
    expect(conn.serverBytes().toString()).toBe('SEND OK\nSEND OK\n');
  });

  it('sends several files in one session, Pandora-agent style, with the stock filters (S37)', async () => {
    const server = await h.start({
      filters: [
        { pattern: /.*\.conf/, dir: 'conf' },
        { pattern: /.*\.md5/, dir: 'md5' },
      ],
    });
    const client = await TentacleClient.connect(opts(server));
    await client.send(await file('agent1.1732288000.data', '<agent_data agent_name="agent1"/>\n'));
    await client.send(await file('83a87fd756ab57199c0bb6d5e11168cb.conf', 'agent_name agent1\n'));
    await client.send(
      await file('83a87fd756ab57199c0bb6d5e11168cb.md5', 'd41d8cd98f00b204e9800998ecf8427e'),
    );
    await client.quit();
    expect(server.connections[0]!.clientBytes()).toEqual(transcriptClientBytes('S37'));
    expect(
      await readFile(
        join(server.options.dir, 'md5', '83a87fd756ab57199c0bb6d5e11168cb.md5'),
        'utf8',
      ),
    ).toBe('d41d8cd98f00b204e9800998ecf8427e');
    const recvDir = join(h.dir, 'recv37');
    await mkdir(recvDir);
    const again = await TentacleClient.connect(opts(server));
    await again.recv('83a87fd756ab57199c0bb6d5e11168cb.md5', { dir: recvDir });
    await again.quit();
    expect(server.connections[1]!.clientBytes()).toEqual(transcriptClientBytes('S37', 1));
  });

  it('reports "file already exists" as a refusal and keeps the session usable (S03, P09)', async () => {
    const server = await h.start();
    await writeFile(join(server.options.dir, 'hello.txt'), 'old');
    const client = await TentacleClient.connect(opts(server));
    const error = await failure(client.send(await file('hello.txt', 'hello tentacle\n')));
    expect(error.code).toBe('refused');
    expect(error.transient).toBe(false);
    expect(error.message).toMatch(/already exists/);
    await client.send(await file('after-err.txt', 'abc'));
    await client.quit();
    expect(server.connections[0]!.clientBytes().toString()).toBe(
      'SEND <hello.txt> SIZE 15\nSEND <after-err.txt> SIZE 3\nabcQUIT\n',
    );
    expect(await readFile(join(server.options.dir, 'hello.txt'), 'utf8')).toBe('old');
  });

  it('overwrites when the server allows it (S04)', async () => {
    const server = await h.start({ overwrite: true });
    for (const content of ['one\n', 'two\n']) {
      const client = await TentacleClient.connect(opts(server));
      await client.send(await file('same.txt', content));
      await client.quit();
    }
    expect(await readFile(join(server.options.dir, 'same.txt'), 'utf8')).toBe('two\n');
  });

  it('reports the size limit (S05) and refuses empty files locally (S06)', async () => {
    const server = await h.start({ maxSize: 1024 });
    const client = await TentacleClient.connect(opts(server));
    const big = await failure(client.send(await file('big2k.bin', Buffer.alloc(2000, 1))));
    expect(big.message).toMatch(/too big/);
    expect(big.transient).toBe(false);
    const empty = await failure(client.send(await file('empty.txt', '')));
    expect(empty.message).toMatch(/empty/);
    await client.quit();
    expect(server.connections[0]!.clientBytes().toString()).toBe(
      'SEND <big2k.bin> SIZE 2000\nQUIT\n',
    );
  });

  it('refuses forbidden names before any byte is sent (S07, P12, P30, P31)', async () => {
    const server = await h.start();
    const client = await TentacleClient.connect(opts(server));
    for (const name of [
      'bad=name.txt',
      'a:b',
      'trail.txt ',
      'x|',
      'nul\u0000name',
      '..',
      '.',
      'semi;colon',
      "quote'x",
    ]) {
      const error = await failure(client.send(await file('ok-source.txt', 'abc'), { name }));
      expect(error.code).toBe('invalid-request');
      expect(error.field).toBe('fileName');
    }
    await client.quit();
    expect(server.connections[0]!.clientBytes().toString()).toBe('QUIT\n');
  });

  it('sends the base name of a path only', async () => {
    const server = await h.start();
    const client = await TentacleClient.connect(opts(server));
    await mkdir(join(work, 'deep', 'er'), { recursive: true });
    await client.send(await file(join('deep', 'er', 'base.txt'), 'x'));
    await client.quit();
    expect(server.connections[0]!.clientBytes().toString()).toMatch(/^SEND <base\.txt> SIZE 1\n/);
  });
});

describe('password', () => {
  it('authenticates with the double-MD5 digest (S08)', async () => {
    const server = await h.start({ password: 's3cret' });
    const client = await TentacleClient.connect(
      opts(server, { password: 's3cret', allowPlainPassword: true }),
    );
    await client.send(await file('S08.txt', 'payload of S08.txt\n'));
    await client.quit();
    expect(server.connections[0]!.clientBytes()).toEqual(transcriptClientBytes('S08'));
  });

  it('maps the silent close after PASS to "wrong password" (S09)', async () => {
    const server = await h.start({ password: 's3cret' });
    const error = await failure(
      TentacleClient.connect(opts(server, { password: 'wrong', allowPlainPassword: true })),
    );
    expect(error.code).toBe('unauthorized');
    expect(error.transient).toBe(false);
    expect(error.message).toMatch(/password is wrong/);
    expect(server.connections[0]!.clientBytes()).toEqual(transcriptClientBytes('S09'));
  });

  it('says the same when the server has no password at all (S11)', async () => {
    const server = await h.start();
    const error = await failure(
      TentacleClient.connect(opts(server, { password: 's3cret', allowPlainPassword: true })),
    );
    expect(error.code).toBe('unauthorized');
  });

  it('refuses to send a password over plain TCP unless allowed', async () => {
    const server = await h.start({ password: 's3cret' });
    const error = await failure(TentacleClient.connect(opts(server, { password: 's3cret' })));
    expect(error.code).toBe('invalid-request');
    expect(error.field).toBe('password');
    expect(error.message).toMatch(/--allow-plain-password/);
    expect(server.connections).toHaveLength(0);
  });
});

describe('downloads', () => {
  it('receives a file through a temporary file (S27)', async () => {
    const server = await h.start();
    await writeFile(join(server.options.dir, 'fromserver.txt'), 'from server\n');
    const dir = join(h.dir, 'recv27');
    await mkdir(dir);
    const client = await TentacleClient.connect(opts(server));
    const progress: number[] = [];
    const result = await client.recv('fromserver.txt', {
      dir,
      onProgress: (p) => progress.push(p.bytes),
    });
    await client.quit();
    expect(result).toEqual({
      name: 'fromserver.txt',
      path: join(dir, 'fromserver.txt'),
      bytes: 12,
    });
    expect(await readFile(result.path, 'utf8')).toBe('from server\n');
    expect(progress.at(-1)).toBe(12);
    expect(await readdir(dir)).toEqual(['fromserver.txt']);
    expect(server.connections[0]!.clientBytes()).toEqual(transcriptClientBytes('S27'));
  });

  it('reports a missing file and an invalid name (S28, S28b, S28c)', async () => {
    const server = await h.start();
    const dir = join(h.dir, 'recv28');
    await mkdir(dir);
    const client = await TentacleClient.connect(opts(server));
    expect((await failure(client.recv('nothere.txt', { dir }))).code).toBe('not-found');
    expect((await failure(client.recv('nothere.txt', { dir, zip: true }))).code).toBe('not-found');
    expect((await failure(client.recv('sub/fromserver.txt', { dir }))).code).toBe(
      'invalid-request',
    );
    await client.quit();
    expect(server.connections[0]!.clientBytes().toString()).toBe(
      'RECV <nothere.txt>\nZRECV <nothere.txt>\nQUIT\n',
    );
    expect(await readdir(dir)).toEqual([]);
  });

  it('refuses to overwrite a local file unless asked', async () => {
    const server = await h.start();
    await writeFile(join(server.options.dir, 'conf.txt'), 'new');
    const dir = join(h.dir, 'recv-ow');
    await mkdir(dir);
    await writeFile(join(dir, 'conf.txt'), 'mine');
    const client = await TentacleClient.connect(opts(server));
    expect((await failure(client.recv('conf.txt', { dir }))).code).toBe('conflict');
    expect(await readFile(join(dir, 'conf.txt'), 'utf8')).toBe('mine');
    await client.recv('conf.txt', { dir, overwrite: true });
    await client.quit();
    expect(await readFile(join(dir, 'conf.txt'), 'utf8')).toBe('new');
  });

  it('declines a download above the size limit before RECV OK (§17.5)', async () => {
    const server = await h.start();
    await writeFile(join(server.options.dir, 'huge.bin'), Buffer.alloc(5000));
    await writeFile(join(server.options.dir, 'small.txt'), 'ok');
    const dir = join(h.dir, 'recv-cap');
    await mkdir(dir);
    const client = await TentacleClient.connect(opts(server));
    const error = await failure(client.recv('huge.bin', { dir, maxBytes: 1000 }));
    expect(error.message).toMatch(/5000 bytes/);
    await client.recv('small.txt', { dir });
    await client.quit();
    expect(server.connections[0]!.clientBytes().toString()).toBe(
      'RECV <huge.bin>\nRECV NO\nRECV <small.txt>\nRECV OK\nQUIT\n',
    );
    expect(await readdir(dir)).toEqual(['small.txt']);
  });

  it('counts a zero-byte file as received and reconnects for the next one (§4.3)', async () => {
    const server = await h.start();
    await writeFile(join(server.options.dir, 'zero.txt'), '');
    await writeFile(join(server.options.dir, 'after.txt'), 'after');
    const dir = join(h.dir, 'recv-zero');
    await mkdir(dir);
    const client = await TentacleClient.connect(opts(server));
    expect((await client.recv('zero.txt', { dir })).bytes).toBe(0);
    expect((await stat(join(dir, 'zero.txt'))).size).toBe(0);
    await client.recv('after.txt', { dir });
    await client.quit();
    expect(await readFile(join(dir, 'after.txt'), 'utf8')).toBe('after');
    expect(server.connections).toHaveLength(2);
    const zdir = join(h.dir, 'zrecv-zero');
    await mkdir(zdir);
    const zclient = await TentacleClient.connect(opts(server));
    expect((await zclient.recv('zero.txt', { dir: zdir, zip: true })).bytes).toBe(0);
    await zclient.quit();
  });

  it('a download cut short fails as transient and leaves no partial file', async () => {
    const server = await h.start();
    await writeFile(join(server.options.dir, 'big.bin'), Buffer.alloc(48 * 1024 * 1024, 7));
    const dir = join(h.dir, 'recv-cut');
    await mkdir(dir);
    const client = await TentacleClient.connect(opts(server));
    let killed = false;
    const error = await failure(
      client.recv('big.bin', {
        dir,
        onProgress: (p) => {
          if (!killed && p.bytes > 1024 * 1024) {
            killed = true;
            void server.kill();
          }
        },
      }),
    );
    expect(error.code).toBe('unreachable');
    expect(error.transient).toBe(true);
    expect(await readdir(dir)).toEqual([]);
  });

  it('ZRECV: ignores the member path, checks the CRC and caps the inflated size (S30, P20, P22)', async () => {
    const server = await h.start();
    await writeFile(join(server.options.dir, 'fromserver.txt'), 'from server\n');
    await writeFile(join(server.options.dir, 'zeros.bin'), Buffer.alloc(3_000_000));
    const dir = join(h.dir, 'zrecv');
    await mkdir(dir);
    const client = await TentacleClient.connect(opts(server));
    const result = await client.recv('fromserver.txt', { dir, zip: true });
    expect(await readFile(result.path, 'utf8')).toBe('from server\n');
    const bomb = await failure(client.recv('zeros.bin', { dir, zip: true, maxBytes: 1_000_000 }));
    expect(bomb.message).toMatch(/inflates to more than 1000000 bytes/);
    await client.quit();
    expect(
      server.connections[0]!.clientBytes()
        .toString()
        .startsWith(transcriptClientBytes('S30').toString().replace('QUIT\n', '')),
    ).toBe(true);
    expect((await readdir(dir)).sort()).toEqual(['fromserver.txt']);
  });
});

describe('compressed upload', () => {
  it('ZSENDs a one-member zip the server inflates (S29) and obeys the compressed-size limit (S31)', async () => {
    const server = await h.start({ maxSize: 1024 });
    const text = 'compressed payload line\n'.repeat(4200);
    const client = await TentacleClient.connect(opts(server));
    const result = await client.send(await file('comp100k.txt', text), { zip: true });
    await client.quit();
    expect(result.wireBytes).toBeLessThan(1024);
    expect(await readFile(join(server.options.dir, 'comp100k.txt'), 'utf8')).toBe(text);
    const line = server.connections[0]!.clientBytes().subarray(0, 40).toString('latin1');
    expect(line).toMatch(
      new RegExp(`^ZSEND <comp100k\\.txt> SIZE ${result.wireBytes}\\nPK\\x03\\x04`),
    );
  });

  it('writes archives the Perl-style reader and our own reader agree on', async () => {
    const data = Buffer.from('one member\n'.repeat(100));
    const zip = buildZip('member.txt', data);
    expect(unzipLikePerl(zip)).toEqual(data);
    expect(unzipFirstMember(zipLikePerl('/srv/in/member.txt', data), 10_000)).toEqual(data);
  });
});

describe('HTTP CONNECT proxy (§11)', () => {
  it('tunnels with Basic credentials, sending what tentacle_client sends (S33)', async () => {
    const server = await h.start();
    const proxy = await ConnectProxy.start({ user: 'agent', password: 'proxypw' });
    try {
      const client = await TentacleClient.connect(
        opts(server, {
          proxy: { host: '127.0.0.1', port: proxy.port, user: 'agent', password: 'proxypw' },
        }),
      );
      await client.send(await file('S33.txt', 'payload of S33.txt\n'));
      await client.quit();
      const expected = transcriptClientBytes('S33')
        .toString('latin1')
        .replace('41121', String(server.port));
      expect(proxy.requests[0]!.toString('latin1')).toBe(
        expected.slice(0, expected.indexOf('\r\n\r\n') + 4),
      );
      expect(server.connections[0]!.clientBytes()).toEqual(transcriptClientBytes('S33', 1));
    } finally {
      await proxy.stop();
    }
  });

  it('tunnels without credentials', async () => {
    const server = await h.start();
    const proxy = await ConnectProxy.start();
    try {
      const client = await TentacleClient.connect(
        opts(server, { proxy: { host: '127.0.0.1', port: proxy.port } }),
      );
      await client.send(await file('noauth.txt', 'x'));
      await client.quit();
      expect(proxy.requests[0]!.toString('latin1')).toBe(
        `CONNECT 127.0.0.1:${server.port} HTTP/1.0\r\n\r\n`,
      );
      expect(await readFile(join(server.options.dir, 'noauth.txt'), 'utf8')).toBe('x');
    } finally {
      await proxy.stop();
    }
  });

  it('binds the connection to the proxy to localAddress (-b); the proxy reaches the server on its own', async () => {
    const server = await h.start();
    const proxy = await ConnectProxy.start();
    // A relay in front of the proxy, to see which address the client came from.
    const seen: Array<string | undefined> = [];
    const sockets = new Set<Socket>();
    const relay: Server = createServer((socket) => {
      seen.push(socket.remoteAddress);
      const upstream = connect({ host: '127.0.0.1', port: proxy.port });
      for (const s of [socket, upstream]) {
        sockets.add(s);
        s.on('error', () => undefined);
      }
      socket.pipe(upstream).pipe(socket);
    });
    await new Promise<void>((resolve) => relay.listen(0, '127.0.0.1', resolve));
    try {
      const port = (relay.address() as { port: number }).port;
      const client = await TentacleClient.connect(
        opts(server, { localAddress: '127.0.0.2', proxy: { host: '127.0.0.1', port } }),
      );
      await client.send(await file('bound-proxy.txt', 'x'));
      await client.quit();
      expect(seen).toEqual(['127.0.0.2']);
      expect(server.connections.map((c) => c.remoteAddress)).toEqual(['127.0.0.1']);
      expect(await readFile(join(server.options.dir, 'bound-proxy.txt'), 'utf8')).toBe('x');
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => relay.close(() => resolve()));
      await proxy.stop();
    }
  });

  it('reports a 407 as refused proxy credentials (S34)', async () => {
    const server = await h.start();
    const proxy = await ConnectProxy.start({ user: 'agent', password: 'proxypw' });
    try {
      const error = await failure(
        TentacleClient.connect(
          opts(server, {
            proxy: { host: '127.0.0.1', port: proxy.port, user: 'agent', password: 'bad' },
          }),
        ),
      );
      expect(error.code).toBe('unauthorized');
      expect(error.message).toMatch(/407 Proxy Authentication Required/);
      expect(proxy.requests[0]!.toString('latin1')).toContain(
        'Proxy-Authorization: Basic YWdlbnQ6YmFk\r\n',
      );
    } finally {
      await proxy.stop();
    }
  });
});

describe('local address (-b)', () => {
  it('connects from localAddress', async () => {
    const server = await h.start();
    const client = await TentacleClient.connect(opts(server, { localAddress: '127.0.0.2' }));
    await client.send(await file('bound.txt', 'b'));
    await client.quit();
    expect(server.connections.map((c) => c.remoteAddress)).toEqual(['127.0.0.2']);
  });

  it('names an address this machine does not have, as a transient failure', async () => {
    const server = await h.start();
    // RFC 5737 documentation range: never local.
    const error = await failure(
      TentacleClient.connect(opts(server, { localAddress: '192.0.2.1' })),
    );
    expect(error.code).toBe('unreachable');
    expect(error.field).toBe('bindAddress');
    expect(error.message).toBe(
      `cannot connect to Tentacle server 127.0.0.1:${server.port} from local address 192.0.2.1 (-b): it is not an address of this machine (or its interface is down); check the address with 'ip addr' / 'ipconfig'`,
    );
    expect(server.connections).toHaveLength(0);
  });

  it('names a local address of the other IP family', async () => {
    const server = await h.start();
    const error = await failure(TentacleClient.connect(opts(server, { localAddress: '::1' })));
    expect(error.field).toBe('bindAddress');
    expect(error.message).toMatch(/from local address ::1 \(-b\)/);
  });
});

describe('idle timeout (-t × (-r + 1), §12)', () => {
  it('gives up on a server that stops answering mid-session after idleTimeoutMs', async () => {
    const server = await h.start();
    const client = await TentacleClient.connect(opts(server, { idleTimeoutMs: 500 }));
    await client.send(await file('before-hang.txt', 'ok'));
    server.stalled = true;
    const started = Date.now();
    const error = await failure(client.send(await file('hang.txt', 'no')));
    client.close();
    expect(Date.now() - started).toBeGreaterThanOrEqual(450);
    expect(error.code).toBe('timeout');
    expect(error.transient).toBe(true);
    expect(error.message).toBe(
      `Tentacle server 127.0.0.1:${server.port} stopped answering for 0.5 s while we waited for the reply to SEND`,
    );
  });

  it('bounds the TLS handshake too', async () => {
    const silent = createServer(() => undefined);
    const sockets = new Set<Socket>();
    silent.on('connection', (socket) => sockets.add(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    try {
      const port = (silent.address() as { port: number }).port;
      const error = await failure(
        TentacleClient.connect({
          host: '127.0.0.1',
          port,
          tls: { insecure: true },
          idleTimeoutMs: 300,
        }),
      );
      expect(error.code).toBe('timeout');
      expect(error.message).toBe(
        `Tentacle server 127.0.0.1:${port} stopped answering for 0.3 s during the TLS handshake (is it started with TLS, -e?)`,
      );
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => silent.close(() => resolve()));
    }
  });
});

describe('connection failures', () => {
  it('maps a refused connection to a transient error', async () => {
    const server = await h.start();
    await server.stop();
    const error = await failure(TentacleClient.connect(opts(server)));
    expect(error.code).toBe('unreachable');
    expect(error.transient).toBe(true);
  });
});

describe('against a hostile server (property)', () => {
  const line = fc.oneof(
    fc.constantFrom(
      'SEND OK',
      'ZSEND OK',
      'RECV OK',
      'PASS OK',
      'QUIT',
      'SEND ERR (no)',
      'RECV ERR',
    ),
    fc
      .tuple(fc.constantFrom('RECV', 'ZRECV'), fc.oneof(fc.nat({ max: 64 }), fc.string()))
      .map(([verb, size]) => `${verb} SIZE ${size}`),
    fc.string({ maxLength: 40 }),
  );
  const reply = fc.oneof(
    fc.uint8Array({ maxLength: 200 }).map((b) => Buffer.from(b)),
    fc
      .tuple(fc.array(line, { minLength: 1, maxLength: 4 }), fc.uint8Array({ maxLength: 80 }))
      .map(([lines, tail]) => Buffer.concat([Buffer.from(`${lines.join('\n')}\n`), tail])),
    fc.constant(Buffer.alloc(2000, 0x41)),
  );

  it('settles every send and receive with its result or an AgentError, and still sends to a real server afterwards', async () => {
    let next = Buffer.alloc(0);
    // Answers the first command line with the reply under test, then closes.
    const hostile = createServer((socket) => {
      socket.on('error', () => undefined);
      let got = '';
      socket.on('data', (chunk: Buffer) => {
        if (got.includes('\n')) return;
        got += chunk.toString('latin1');
        if (got.includes('\n')) socket.end(next);
      });
    });
    await new Promise<void>((resolve) => hostile.listen(0, '127.0.0.1', resolve));
    const port = (hostile.address() as { port: number }).port;
    const path = await file('hostile.txt', 'ten bytes.');
    const into = join(work, 'hostile-in');
    await mkdir(into, { recursive: true });
    try {
      await fc.assert(
        fc.asyncProperty(
          reply,
          fc.constantFrom('send', 'zsend', 'recv', 'zrecv'),
          async (bytes, op) => {
            next = bytes;
            const outcome = await (async () => {
              const client = await TentacleClient.connect({
                host: '127.0.0.1',
                port,
                tmpDir: h.dir,
                idleTimeoutMs: 2_000,
              });
              try {
                return op === 'send' || op === 'zsend'
                  ? await client.send(path, { zip: op === 'zsend' })
                  : await client.recv('remote.txt', {
                      dir: into,
                      zip: op === 'zrecv',
                      overwrite: true,
                    });
              } finally {
                await client.quit();
              }
            })().catch((error: unknown) => error);
            if (outcome instanceof Error) expect(outcome).toBeInstanceOf(AgentError);
          },
        ),
        { numRuns: 60 },
      );
    } finally {
      hostile.close();
    }
    const server = await h.start();
    const client = await TentacleClient.connect(opts(server));
    expect(await client.send(path, { name: 'after-hostile.txt' })).toMatchObject({ bytes: 10 });
    await client.quit();
  });
});
