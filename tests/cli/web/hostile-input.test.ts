import { mkdir, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { Agent } from '../../../main/core/agent.ts';
import { agentContract } from '../../../main/core/contract/index.ts';
import { MAX_WS_MESSAGE_BYTES, startWebHost, type WebHost } from '../../../main/cli/web/server.ts';
import { makeTempDir } from '../../peers/util.ts';
import { get, signIn } from './sign-in.ts';

/**
 * Issue #14: every way into `outpost ui` (HTTP, the WebSocket upgrade, frames)
 * turns hostile input into a refusal and keeps serving. Raw bytes go over real
 * sockets; each fuzz ends with a real call that must still work.
 */

/** Writes raw bytes, half-closes, and returns everything the server sent until it closed. */
function rawExchange(port: number, bytes: Uint8Array | string, reset = false): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.once('close', () => resolve(Buffer.concat(chunks).toString('latin1')));
    socket.once('error', (error: NodeJS.ErrnoException) =>
      error.code === 'ECONNRESET' ? undefined : reject(error),
    );
    socket.once('connect', () => {
      socket.write(bytes);
      if (reset) socket.resetAndDestroy();
      else socket.end();
    });
  });
}

function statusOf(response: string): number | undefined {
  const match = /^HTTP\/1\.1 (\d{3}) /.exec(response);
  return match === null ? undefined : Number(match[1]);
}

function openSocket(port: number, cookie: string): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/ws`, {
      headers: { Origin: `http://127.0.0.1:${port}`, Cookie: cookie },
    });
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
  });
}

/** Sends one frame and resolves with the next answer (event pushes are skipped). */
function exchange(
  ws: WebSocket,
  data: string | Buffer,
  binary = false,
): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const onMessage = (raw: WebSocket.RawData): void => {
      const frame = JSON.parse(raw.toString()) as Record<string, unknown>;
      if ('event' in frame) return;
      ws.off('message', onMessage);
      ws.off('close', onClose);
      resolve(frame);
    };
    const onClose = (code: number): void => {
      ws.off('message', onMessage);
      reject(new Error(`socket closed with ${code} instead of answering`));
    };
    ws.on('message', onMessage);
    ws.once('close', onClose);
    ws.send(data, { binary });
  });
}

describe('outpost ui under hostile input', () => {
  let host: WebHost;
  let agent: Agent;
  let cleanup: () => Promise<void>;
  let cookie: string;

  /** A real AgentApi call over a new signed-in connection: the server still serves. */
  async function stillServes(): Promise<void> {
    const ws = await openSocket(host.port, cookie);
    try {
      const info = await exchange(ws, JSON.stringify({ id: 'alive', method: 'getAgentInfo' }));
      expect(info).toMatchObject({ id: 'alive', result: { version: agent.context.version } });
    } finally {
      ws.close();
    }
  }

  beforeAll(async () => {
    const temp = await makeTempDir('webhostile');
    cleanup = temp.cleanup;
    const staticDir = join(temp.dir, 'static');
    await mkdir(staticDir, { recursive: true });
    await writeFile(join(staticDir, 'index.html'), '<!doctype html><title>Outpost</title>');
    agent = await Agent.open({ dataDir: join(temp.dir, 'data'), logToFile: false });
    host = await startWebHost({ agent, staticDir, port: 0 });
    cookie = await signIn(host.url);
  });
  afterAll(async () => {
    await host?.close();
    await agent?.close();
    await cleanup?.();
  });

  it('refuses a WebSocket upgrade whose target is not a URL (`GET http://[`) with 400, before any session check, and keeps serving', async () => {
    const response = await rawExchange(
      host.port,
      [
        'GET http://[ HTTP/1.1',
        `Host: 127.0.0.1:${host.port}`,
        'Upgrade: websocket',
        'Connection: Upgrade',
        'Sec-WebSocket-Version: 13',
        'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==',
        '',
        '',
      ].join('\r\n'),
    );
    expect(statusOf(response)).toBe(400);
    expect(response).toContain("malformed request target 'http://['");
    await stillServes();
  });

  it('refuses the same target over plain HTTP with 400, not a 500', async () => {
    const response = await rawExchange(
      host.port,
      `GET http://[ HTTP/1.1\r\nHost: 127.0.0.1:${host.port}\r\nConnection: close\r\n\r\n`,
    );
    expect(statusOf(response)).toBe(400);
    expect(response).toContain('malformed request target');
    await stillServes();
  });

  it('answers any request head (random targets, methods, headers, upgrades) with a refusal, never a 5xx, and keeps serving (property)', async () => {
    const target = fc.oneof(
      fc.constantFrom(
        '/',
        '/ws',
        'http://[',
        'http://[::1',
        '//',
        '/%',
        '/%zz',
        '*',
        '/..%2f..%2fetc/passwd',
        '/__proto__',
        '/constructor',
        '/?code=',
        '/ws?code=x',
      ),
      fc
        .string({ unit: 'binary-ascii', minLength: 1, maxLength: 60 })
        .map((s) => s.replace(/[\r\n ]/g, '')),
      fc.webUrl(),
    );
    const head = fc.record({
      method: fc.constantFrom(
        'GET',
        'HEAD',
        'POST',
        'PUT',
        'DELETE',
        'OPTIONS',
        'CONNECT',
        'FOO',
        'G€T',
      ),
      target,
      host: fc.constantFrom(
        `127.0.0.1:${host.port}`,
        `localhost:${host.port}`,
        'evil.example',
        '',
        '[',
        undefined,
      ),
      origin: fc.constantFrom(
        `http://127.0.0.1:${host.port}`,
        'null',
        'http://evil.example',
        '%',
        undefined,
      ),
      upgrade: fc.boolean(),
      key: fc.constantFrom('dGhlIHNhbXBsZSBub25jZQ==', '', '!!!', undefined),
      extra: fc.array(
        fc.tuple(
          fc.stringMatching(/^[A-Za-z-]{1,12}$/),
          fc.string({ unit: 'binary-ascii', maxLength: 40 }).map((s) => s.replace(/[\r\n]/g, '')),
        ),
        { maxLength: 4 },
      ),
      body: fc.string({ maxLength: 60 }),
    });
    await fc.assert(
      fc.asyncProperty(head, async (h) => {
        const lines = [`${h.method} ${h.target} HTTP/1.1`];
        if (h.host !== undefined) lines.push(`Host: ${h.host}`);
        if (h.origin !== undefined) lines.push(`Origin: ${h.origin}`);
        if (h.upgrade) {
          lines.push('Upgrade: websocket', 'Connection: Upgrade', 'Sec-WebSocket-Version: 13');
          if (h.key !== undefined) lines.push(`Sec-WebSocket-Key: ${h.key}`);
        } else {
          lines.push('Connection: close');
        }
        for (const [name, value] of h.extra) lines.push(`${name}: ${value}`);
        const response = await rawExchange(host.port, `${lines.join('\r\n')}\r\n\r\n${h.body}`);
        const status = statusOf(response);
        // No session was sent: nothing is served, nothing is upgraded.
        return status === undefined || (status >= 400 && status < 500);
      }),
      { numRuns: 250 },
    );
    await stillServes();
  });

  it('survives random bytes, oversized heads and peers that reset mid-answer (property)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 2048 }), fc.boolean(), async (bytes, reset) => {
        const response = await rawExchange(host.port, bytes, reset);
        const status = statusOf(response);
        return status === undefined || (status >= 400 && status < 500);
      }),
      { numRuns: 150 },
    );
    const huge = `GET / HTTP/1.1\r\nHost: 127.0.0.1:${host.port}\r\nX: ${'a'.repeat(64 * 1024)}\r\n\r\n`;
    expect(statusOf(await rawExchange(host.port, huge))).toBe(431);
    for (let i = 0; i < 20; i++) {
      await rawExchange(
        host.port,
        `GET /ws HTTP/1.1\r\nHost: 127.0.0.1:${host.port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n`,
        true,
      );
    }
    await stillServes();
  });

  it('with a session, never serves a file outside the UI folder whatever the path (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.constantFrom(
            '..',
            '%2e%2e',
            '%2f',
            '%5c',
            'etc',
            'passwd',
            '__proto__',
            '.',
            '%00',
            'index.html',
            '%',
          ),
          { minLength: 1, maxLength: 6 },
        ),
        async (parts) => {
          const answer = await get(host.port, `/${parts.join('/')}`, {
            Host: `127.0.0.1:${host.port}`,
            Cookie: cookie,
          });
          return (
            [200, 400, 404].includes(answer.status) &&
            (answer.status !== 200 || answer.body.includes('<title>Outpost</title>'))
          );
        },
      ),
      { numRuns: 150 },
    );
  });

  it('answers every hostile frame with an error naming what is wrong, and then still answers a real call on the same socket (property)', async () => {
    const ws = await openSocket(host.port, cookie);
    let nextId = 0;
    const notMethods = fc.oneof(
      fc.constantFrom(
        '__proto__',
        'constructor',
        'toString',
        'hasOwnProperty',
        'valueOf',
        '__defineGetter__',
        'prototype',
        '',
      ),
      fc.string({ maxLength: 30 }).filter((s) => !Object.hasOwn(agentContract, s)),
    );
    const wrongTypes = fc.oneof(
      fc.integer(),
      fc.boolean(),
      fc.constant(null),
      fc.array(fc.string(), { maxLength: 3 }),
      fc.object({ maxDepth: 2 }),
    );
    const frame = fc.oneof(
      // Not JSON text, or JSON that is not a frame.
      fc
        .uint8Array({ maxLength: 256 })
        .map((b) => ({ data: Buffer.from(b), binary: true, id: null })),
      fc.string({ maxLength: 200 }).map((s) => ({ data: s, binary: false, id: null })),
      fc
        .jsonValue({ maxDepth: 3 })
        .map((v) => ({ data: JSON.stringify(v) ?? 'null', binary: false, id: null })),
      fc.constant({ data: '{"id":', binary: false, id: null }),
      // Frames with a good id and a bad method or request.
      fc
        .record({
          method: fc.oneof(notMethods, wrongTypes),
          request: fc.jsonValue({ maxDepth: 3 }),
        })
        .map((f) => {
          const id = ++nextId;
          return { data: JSON.stringify({ id, ...f }), binary: false, id, field: 'method' };
        }),
      fc
        .record({
          method: fc.constantFrom(
            'getAgentInfo',
            'listQueue',
            'getQueueItem',
            'updateAgentSettings',
          ),
          // As JSON text, so "__proto__" arrives as a key of its own, as a peer would send it.
          // null and {} are left out: they stand for "no request", which these methods accept.
          // Compared as text: {"a": undefined} has a key, yet goes out as {} (seed -1200958618).
          request: fc.oneof(
            wrongTypes
              .map((r) => JSON.stringify(r))
              .filter((text) => text !== 'null' && text !== '{}'),
            fc.constantFrom(
              '{"__proto__":{"polluted":true}}',
              '{"constructor":{"prototype":{"polluted":true}}}',
            ),
          ),
        })
        .map((f) => {
          const id = `s${++nextId}`;
          return {
            data: `{"id":"${id}","method":"${f.method}","request":${f.request}}`,
            binary: false,
            id,
          };
        }),
    );
    try {
      await fc.assert(
        fc.asyncProperty(frame, async (f) => {
          const answer = await exchange(ws, f.data, f.binary);
          const error = answer.error as
            { code?: string; message?: string; field?: string } | undefined;
          if (answer.result !== undefined) return false;
          if (error?.code !== 'invalid-request' || typeof error.message !== 'string') return false;
          if (f.id !== null && answer.id !== f.id) return false;
          if ('field' in f && error.field !== f.field) return false;
          return true;
        }),
        { numRuns: 400 },
      );
      // The prototype was not touched by any of it.
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
      const info = await exchange(
        ws,
        JSON.stringify({ id: 'after', method: 'getAgentInfo', request: {} }),
      );
      expect(info).toMatchObject({ id: 'after', result: { version: agent.context.version } });
    } finally {
      ws.close();
    }
  });

  it('names the field and what is expected for the common mistakes', async () => {
    const ws = await openSocket(host.port, cookie);
    try {
      expect(await exchange(ws, Buffer.from([0xff, 0x00]), true)).toMatchObject({
        id: null,
        error: { code: 'invalid-request', message: 'frames must be JSON text' },
      });
      expect(await exchange(ws, '[1,2]')).toMatchObject({
        id: null,
        error: {
          code: 'invalid-request',
          message: 'frame must be an object { id, method, request }',
        },
      });
      expect(await exchange(ws, JSON.stringify({ id: {}, method: 'getAgentInfo' }))).toMatchObject({
        id: null,
        error: { code: 'invalid-request', field: 'id' },
      });
      expect(await exchange(ws, JSON.stringify({ id: 7, method: '__proto__' }))).toMatchObject({
        id: 7,
        error: { code: 'invalid-request', field: 'method', message: "unknown method '__proto__'" },
      });
      expect(await exchange(ws, JSON.stringify({ id: 8, method: 42 }))).toMatchObject({
        id: 8,
        error: {
          code: 'invalid-request',
          field: 'method',
          message: 'frame.method must be a string naming an AgentApi method, got number',
        },
      });
      const long = await exchange(ws, JSON.stringify({ id: 9, method: 'x'.repeat(100_000) }));
      expect((long.error as { message: string }).message.length).toBeLessThan(200);
    } finally {
      ws.close();
    }
  });

  it('survives random bytes as WebSocket frames after a good handshake (property)', async () => {
    /** Upgrades a raw socket with the session, then writes `bytes` as if they were frames. */
    const afterHandshake = (bytes: Uint8Array): Promise<string> =>
      new Promise((resolve, reject) => {
        const socket = connect(host.port, '127.0.0.1');
        let answer = '';
        let upgraded = false;
        socket.on('data', (c: Buffer) => {
          answer += c.toString('latin1');
          if (!upgraded && answer.includes('\r\n\r\n')) {
            upgraded = true;
            socket.end(bytes);
          }
        });
        socket.once('close', () => resolve(answer));
        socket.once('error', (error: NodeJS.ErrnoException) =>
          error.code === 'ECONNRESET' ? undefined : reject(error),
        );
        socket.write(
          [
            'GET /ws HTTP/1.1',
            `Host: 127.0.0.1:${host.port}`,
            `Origin: http://127.0.0.1:${host.port}`,
            `Cookie: ${cookie}`,
            'Upgrade: websocket',
            'Connection: Upgrade',
            'Sec-WebSocket-Version: 13',
            'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==',
            '',
            '',
          ].join('\r\n'),
        );
      });
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ minLength: 1, maxLength: 512 }), async (bytes) => {
        const answer = await afterHandshake(bytes);
        return answer.startsWith('HTTP/1.1 101 ');
      }),
      { numRuns: 100 },
    );
    await stillServes();
  });

  it(`closes a socket that sends a frame over ${MAX_WS_MESSAGE_BYTES} bytes (1009) and serves the next one`, async () => {
    const ws = await openSocket(host.port, cookie);
    const closed = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));
    ws.on('error', () => undefined);
    ws.send(`{"id":1,"method":"getAgentInfo","request":"${'a'.repeat(MAX_WS_MESSAGE_BYTES)}"}`);
    expect(await closed).toBe(1009);
    // Just under the cap, a deeply nested request is still answered with a refusal.
    const next = await openSocket(host.port, cookie);
    try {
      const depth = 200_000;
      const deep = `{"id":2,"method":"getAgentInfo","request":${'['.repeat(depth)}${']'.repeat(depth)}}`;
      expect(deep.length).toBeLessThan(MAX_WS_MESSAGE_BYTES);
      expect(await exchange(next, deep)).toMatchObject({ error: { code: 'invalid-request' } });
    } finally {
      next.close();
    }
    await stillServes();
  });
});
