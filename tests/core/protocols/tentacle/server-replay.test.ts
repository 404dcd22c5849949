/**
 * Replays the client side of every transcript stream a client can produce
 * against the reference server and compares what it answers with the real
 * tentacle_server's bytes.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { connect as netConnect, type Socket } from 'node:net';
import { join } from 'node:path';
import { connect as tlsConnect } from 'node:tls';
import { crc32, deflateRawSync, deflateSync, gzipSync, inflateRawSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildZip } from '../../../../main/core/protocols/tentacle/zip.ts';
import type { TentacleServer } from '../../../peers/tentacle-server.ts';
import { harness, testPki, type Harness, type Pki } from './fixtures.ts';
import {
  loadTranscripts,
  serverProfile,
  type Scenario,
  type WireSegment,
  type WireStream,
} from './transcripts.ts';

// Short enough for the timeout scenarios (P05, P11, P17, P19), long enough for a loaded CI machine.
const IDLE_MS = 1500;
const scenarios = loadTranscripts();

interface Plan {
  scenario: Scenario;
  streams: WireStream[];
  skip?: string;
}

function plan(scenario: Scenario): Plan {
  const server = scenario.servers.at(-1);
  if (server === undefined) return { scenario, streams: [], skip: 'no server in this scenario' };
  const profile = serverProfile(server.command);
  if (profile.unsupported !== undefined)
    return { scenario, streams: [], skip: profile.unsupported };
  const streams = scenario.streams.filter(
    (s) => s.serverPort === profile.port && s.segments.length > 0,
  );
  if (streams.length === 0) return { scenario, streams, skip: 'no application bytes to replay' };
  for (const stream of streams) {
    if (stream.tls && !profile.tls)
      return { scenario, streams, skip: 'TLS client against a plain server: only a handshake' };
    if (stream.tls && (profile.requireClientCert || / -e /.test(` ${scenario.client} `))) {
      return {
        scenario,
        streams,
        skip: 'client certificates: covered by tls.test.ts with our client',
      };
    }
    let previous = '';
    for (const segment of stream.segments) {
      const text = segment.bytes?.toString('latin1') ?? '';
      if (segment.from === 'client' && /^(LS|MV) /.test(text) && / -I( |$)/.test(server.command))
        return { scenario, streams, skip: 'LS/MV (insecure mode) is not in the reference server' };
      if (
        segment.from === 'client' &&
        segment.bytes === undefined &&
        previous.startsWith('ZSEND')
      ) {
        return { scenario, streams, skip: 'ZSEND archive only summarised in the transcript' };
      }
      if (segment.from === 'client') previous = text;
    }
  }
  return { scenario, streams };
}

/** Files the scenario expects on the server before it starts (existing / downloadable). */
function seeds(scenario: Scenario, known: Map<string, Buffer>): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  const sent = new Set<string>();
  for (const stream of scenario.streams) {
    let lastClient = '';
    for (const segment of stream.segments) {
      const text = segment.bytes?.toString('latin1') ?? '';
      if (segment.from === 'client') {
        lastClient = text;
        const send = /^Z?SEND <(.*)> SIZE/.exec(text);
        if (send !== null && !sent.has(send[1]!)) sent.add(send[1]!);
        continue;
      }
      const name = /^Z?(?:SEND|RECV) <(.*)>/.exec(lastClient)?.[1];
      if (name === undefined) continue;
      if (text.includes('already exists') && !out.has(name))
        out.set(name, Buffer.from('existing content\n'));
      if (/^Z?RECV SIZE/.test(text) && !sent.has(name))
        out.set(name, known.get(name) ?? Buffer.alloc(Number(/SIZE (\d+)/.exec(text)![1]), 0x61));
    }
  }
  return out;
}

/** Contents of downloadable files as the transcripts show them (RECV data in full). */
function knownContents(): Map<string, Buffer> {
  const known = new Map<string, Buffer>();
  for (const scenario of scenarios) {
    for (const stream of scenario.streams) {
      for (let i = 0; i + 3 < stream.segments.length; i++) {
        const [ask, offer, ok, data] = stream.segments.slice(i, i + 4);
        const name = /^RECV <(.*)>\n$/.exec(ask?.bytes?.toString('latin1') ?? '')?.[1];
        if (
          name !== undefined &&
          offer?.bytes?.toString().startsWith('RECV SIZE') &&
          ok?.from === 'client' &&
          data?.bytes !== undefined
        ) {
          known.set(name, data.bytes);
        }
      }
    }
  }
  return known;
}

class Peer {
  readonly socket: Socket;
  #buffer = Buffer.alloc(0);
  #ended = false;
  #wake: (() => void) | undefined;

  constructor(socket: Socket) {
    this.socket = socket;
    socket.on('data', (chunk: Buffer) => {
      this.#buffer = Buffer.concat([this.#buffer, chunk]);
      this.#wake?.();
    });
    const end = (): void => {
      this.#ended = true;
      this.#wake?.();
    };
    socket.on('end', end);
    socket.on('close', end);
    socket.on('error', end);
  }

  async read(size: number, ms: number): Promise<Buffer> {
    const deadline = Date.now() + ms;
    while (this.#buffer.length < size && !this.#ended && Date.now() < deadline) {
      await new Promise<void>((resolve) => {
        this.#wake = resolve;
        setTimeout(resolve, 50);
      });
    }
    const out = this.#buffer.subarray(0, size);
    this.#buffer = this.#buffer.subarray(out.length);
    return out;
  }

  async readLine(ms: number): Promise<string> {
    const deadline = Date.now() + ms;
    while (!this.#buffer.includes(0x0a) && !this.#ended && Date.now() < deadline) {
      await new Promise<void>((resolve) => {
        this.#wake = resolve;
        setTimeout(resolve, 50);
      });
    }
    const end = this.#buffer.indexOf(0x0a);
    const out = this.#buffer.subarray(0, end === -1 ? this.#buffer.length : end + 1);
    this.#buffer = this.#buffer.subarray(out.length);
    return out.toString('latin1');
  }

  /** Everything until the server closes (or `ms` passes: then `closed` is false). */
  async rest(ms: number): Promise<{ bytes: Buffer; closed: boolean }> {
    const deadline = Date.now() + ms;
    while (!this.#ended && Date.now() < deadline) {
      await new Promise<void>((resolve) => {
        this.#wake = resolve;
        setTimeout(resolve, 50);
      });
    }
    const bytes = this.#buffer;
    this.#buffer = Buffer.alloc(0);
    return { bytes, closed: this.#ended };
  }
}

function synthesize(segment: WireSegment): Buffer {
  if (segment.bytes !== undefined) return segment.bytes;
  const prefix = segment.prefix!;
  const out = Buffer.alloc(segment.size, prefix.at(-1) ?? 0);
  prefix.copy(out);
  return out;
}

async function open(server: TentacleServer, tls: boolean): Promise<Peer> {
  const socket = await new Promise<Socket>((resolve, reject) => {
    const s = tls
      ? tlsConnect({ host: '127.0.0.1', port: server.port, rejectUnauthorized: false }, () =>
          resolve(s),
        )
      : netConnect({ host: '127.0.0.1', port: server.port }, () => resolve(s));
    s.once('error', reject);
  });
  return new Peer(socket);
}

async function replay(
  server: TentacleServer,
  stream: WireStream,
  tls: boolean,
  seeded: Map<string, Buffer>,
): Promise<void> {
  const peer = await open(server, tls);
  const segments = stream.segments;
  let announced: { verb: string; size: number } | undefined;
  let lastClient = '';
  let quit = false;
  for (let i = 0; i < segments.length; i++) {
    const segment = segments[i]!;
    if (segment.from === 'client') {
      const bytes = synthesize(segment);
      lastClient = bytes.toString('latin1');
      quit = lastClient === 'QUIT\n';
      peer.socket.write(bytes);
      if (segments[i + 1]?.from === 'client') await new Promise((r) => setTimeout(r, 30));
      continue;
    }
    if (announced?.verb === 'ZRECV' && lastClient === 'ZRECV OK\n') {
      // Our archive holds our storage path as member name, so its size differs (§10, P20).
      const archive = await peer.read(announced.size, 3000);
      expect(archive.subarray(0, 10)).toEqual(segment.prefix!.subarray(0, 10));
      const name = Buffer.from(archive.subarray(30, 30 + archive.readUInt16LE(26))).toString();
      const base = name.split('/').at(-1)!;
      expect(name.startsWith('/')).toBe(true);
      const body = archive.subarray(30 + archive.readUInt16LE(26) + archive.readUInt16LE(28));
      expect(inflateRawSync(body)).toEqual(seeded.get(base));
      announced = undefined;
      continue;
    }
    const expected = segment.bytes;
    if (expected !== undefined && /^ZRECV SIZE \d+\n$/.test(expected.toString('latin1'))) {
      const line = await peer.readLine(3000);
      const m = /^ZRECV SIZE (\d+)\n$/.exec(line);
      expect(m, `reply to ${lastClient.trim()}`).not.toBeNull();
      announced = { verb: 'ZRECV', size: Number(m![1]) };
      continue;
    }
    const got = await peer.read(segment.size, 3000);
    if (expected !== undefined)
      expect(got.toString('latin1'), `reply to ${JSON.stringify(lastClient)}`).toBe(
        expected.toString('latin1'),
      );
    else expect(got.subarray(0, segment.prefix!.length)).toEqual(segment.prefix);
  }
  if (stream.firstCloser === 'server' || quit) {
    const { bytes, closed } = await peer.rest(IDLE_MS + 3000);
    expect(bytes.toString('latin1'), 'no bytes beyond the transcript').toBe('');
    expect(closed, 'the server closes the connection').toBe(true);
  } else {
    const { bytes } = await peer.rest(100);
    expect(bytes.toString('latin1')).toBe('');
  }
  peer.socket.destroy();
}

describe('reference Tentacle server replays the real server transcripts', () => {
  let h: Harness;
  let pki: Pki;
  const known = knownContents();

  beforeAll(async () => {
    h = await harness('tentacle-replay');
    pki = await testPki(join(h.dir, 'pki'));
  }, 60_000);
  afterAll(async () => h.cleanup());

  it('reads every transcript scenario', () => {
    expect(scenarios.length).toBeGreaterThan(60);
    expect(scenarios.map((s) => s.id)).toContain('S01');
    expect(scenarios.map((s) => s.id)).toContain('P35');
  });

  const plans = scenarios.map(plan);
  it('replays at least 40 scenarios', () => {
    expect(plans.filter((p) => p.skip === undefined).length).toBeGreaterThanOrEqual(40);
  });

  for (const p of plans) {
    const name = `${p.scenario.id}. ${p.scenario.title}`;
    if (p.skip !== undefined) {
      it.skip(`${name} (${p.skip})`, () => undefined);
      continue;
    }
    it(
      name,
      async () => {
        const profile = serverProfile(p.scenario.servers.at(-1)!.command);
        const server = await h.start({
          idleTimeoutMs: IDLE_MS,
          overwrite: profile.overwrite,
          ...(profile.password === undefined ? {} : { password: profile.password }),
          ...(profile.maxSize === undefined ? {} : { maxSize: profile.maxSize }),
          ...(profile.filters === undefined ? {} : { filters: profile.filters }),
          ...(profile.tls
            ? { tls: { certPem: pki.server.certPem, keyPem: pki.server.keyPem } }
            : {}),
        });
        const seeded = seeds(p.scenario, known);
        for (const [file, content] of seeded) {
          const filter = profile.filters?.find((f) => f.pattern.test(file));
          const dir =
            filter === undefined ? server.options.dir : join(server.options.dir, filter.dir);
          await mkdir(dir, { recursive: true });
          await writeFile(join(dir, file), content);
        }
        for (const stream of p.streams) await replay(server, stream, stream.tls, seeded);
        await server.stop();
      },
      20_000,
    );
  }
});

/** A stored (method 0) one-member zip, optionally with a wrong CRC (P21 zip-stored, zip-bad-crc). */
function storedZip(name: string, data: Buffer, crc: number): Buffer {
  const nameBytes = Buffer.from(name);
  const local = Buffer.alloc(30);
  local.writeUInt32LE(0x04034b50, 0);
  local.writeUInt16LE(20, 4);
  local.writeUInt32LE(crc >>> 0, 14);
  local.writeUInt32LE(data.length, 18);
  local.writeUInt32LE(data.length, 22);
  local.writeUInt16LE(nameBytes.length, 26);
  return Buffer.concat([local, nameBytes, data]);
}

describe('reference server ZSEND payload handling (P21, P35)', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await harness('tentacle-zsend');
  });
  afterAll(async () => h.cleanup());

  it('stores the first member whatever its name, ignores CRCs, stores non-zips verbatim, refuses corrupt deflate', async () => {
    const text = Buffer.from('compressed payload line\n'.repeat(4));
    const first = Buffer.from('FIRST MEMBER\n');
    const corrupt = Buffer.concat([
      storedZip('m', Buffer.alloc(0), 0).subarray(0, 8),
      Buffer.from([8, 0]),
      Buffer.alloc(20),
      Buffer.from([0xff, 0xff, 0xff, 0xff]),
    ]);
    corrupt.writeUInt16LE(0, 26);
    const cases: Array<[string, Buffer, Buffer | undefined]> = [
      ['zv-deflate.txt', buildZip('ignored-member-name', text), text],
      ['zv-stored.txt', storedZip('m', text, crc32(text)), text],
      [
        'zv-two.txt',
        Buffer.concat([
          buildZip('first', first),
          buildZip('second', Buffer.from('SECOND MEMBER\n')),
        ]),
        first,
      ],
      ['zv-badcrc.txt', storedZip('m', text, crc32(text) ^ 0xff), text],
      ['zv-gzip.txt', gzipSync(text), gzipSync(text)],
      ['zv-zlib.txt', deflateSync(text), deflateSync(text)],
      ['zv-raw.txt', deflateRawSync(text), deflateRawSync(text)],
      ['zv-plain.txt', text, text],
      ['corrupt.bin', corrupt, undefined],
    ];
    const server = await h.start({ idleTimeoutMs: 2000 });
    const peer = await open(server, false);
    for (const [name, payload, stored] of cases) {
      peer.socket.write(`ZSEND <${name}> SIZE ${payload.length}\n`);
      expect(await peer.readLine(2000)).toBe('ZSEND OK\n');
      peer.socket.write(payload);
      expect(await peer.readLine(2000), name).toBe(
        stored === undefined ? 'ZSEND ERR\n' : 'ZSEND OK\n',
      );
      const onDisk = await readFile(join(server.options.dir, name)).catch(() => undefined);
      expect(onDisk, name).toEqual(stored);
    }
    peer.socket.write('QUIT\n');
    expect((await peer.rest(2000)).closed).toBe(true);
  });
});
