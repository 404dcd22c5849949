import { request } from 'node:http';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { Agent } from '../../../main/core/agent.ts';
import { resolveStatic, startWebHost, type WebHost } from '../../../main/cli/web/server.ts';
import { makeTempDir } from '../../peers/util.ts';

interface HttpAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

function get(
  port: number,
  path: string,
  headers: Record<string, string> = {},
): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          body: Buffer.concat(chunks).toString(),
        }),
      );
    });
    req.on('error', reject);
    req.end();
  });
}

/** Opens the socket; resolves with it, or with the HTTP status the upgrade was refused with. */
function openSocket(url: string, headers: Record<string, string>): Promise<WebSocket | number> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, { headers });
    ws.once('open', () => resolve(ws));
    ws.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
    ws.once('error', () => resolve(-1));
  });
}

function callOver(ws: WebSocket, frame: unknown): Promise<Record<string, unknown>> {
  return new Promise((resolve) => {
    const onMessage = (data: WebSocket.RawData): void => {
      const parsed = JSON.parse(data.toString()) as Record<string, unknown>;
      if ('id' in parsed) {
        ws.off('message', onMessage);
        resolve(parsed);
      }
    };
    ws.on('message', onMessage);
    ws.send(typeof frame === 'string' ? frame : JSON.stringify(frame));
  });
}

describe('outpost ui web host', () => {
  let host: WebHost;
  let agent: Agent;
  let cleanup: () => Promise<void>;
  let origin: string;
  let cookie: string;

  beforeAll(async () => {
    const temp = await makeTempDir('webhost');
    cleanup = temp.cleanup;
    const staticDir = join(temp.dir, 'static');
    await mkdir(join(staticDir, 'assets'), { recursive: true });
    await writeFile(join(staticDir, 'index.html'), '<!doctype html><title>Outpost</title>');
    await writeFile(join(staticDir, 'assets', 'app.js'), 'console.log(1)');
    await writeFile(join(temp.dir, 'outside.txt'), 'must not be served');
    agent = await Agent.open({ dataDir: join(temp.dir, 'data'), logToFile: false });
    host = await startWebHost({ agent, staticDir, port: 0 });
    origin = `http://127.0.0.1:${host.port}`;
    cookie = `outpost_ui_token=${host.token}`;
  });
  afterAll(async () => {
    await host?.close();
    await agent?.close();
    await cleanup?.();
  });

  it('prints a 127.0.0.1 URL with a fresh 256-bit token', () => {
    expect(host.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/\?token=[\w-]{43}$/);
  });

  it('trades the token in the URL for an HttpOnly SameSite=Strict cookie and drops it from the address', async () => {
    const answer = await get(host.port, `/?token=${host.token}`, {
      Host: `127.0.0.1:${host.port}`,
    });
    expect(answer.status).toBe(303);
    expect(answer.headers.location).toBe('/');
    expect(String(answer.headers['set-cookie'])).toMatch(
      /^outpost_ui_token=[\w-]+; HttpOnly; SameSite=Strict; Path=\//,
    );
  });

  it('serves the UI with the cookie, under a strict CSP', async () => {
    const page = await get(host.port, '/', { Host: `127.0.0.1:${host.port}`, Cookie: cookie });
    expect(page.status).toBe(200);
    expect(page.body).toContain('<title>Outpost</title>');
    expect(page.headers['content-security-policy']).toContain("script-src 'self'");
    const script = await get(host.port, '/assets/app.js', {
      Host: `localhost:${host.port}`,
      Cookie: cookie,
    });
    expect(script.headers['content-type']).toBe('text/javascript; charset=utf-8');
  });

  it('refuses HTTP without the token, with a wrong token, from another Host (DNS rebinding) or Origin', async () => {
    expect((await get(host.port, '/', { Host: `127.0.0.1:${host.port}` })).status).toBe(401);
    expect((await get(host.port, '/?token=wrong', { Host: `127.0.0.1:${host.port}` })).status).toBe(
      401,
    );
    expect(
      (await get(host.port, '/', { Host: `127.0.0.1:${host.port}`, Cookie: 'outpost_ui_token=x' }))
        .status,
    ).toBe(401);
    expect(
      (await get(host.port, '/', { Host: `attacker.example:${host.port}`, Cookie: cookie })).status,
    ).toBe(421);
    expect(
      (
        await get(host.port, '/', {
          Host: `127.0.0.1:${host.port}`,
          Cookie: cookie,
          Origin: 'http://attacker.example',
        })
      ).status,
    ).toBe(403);
  });

  it('never serves a file outside the UI folder', async () => {
    const answer = await get(host.port, '/..%2foutside.txt', {
      Host: `127.0.0.1:${host.port}`,
      Cookie: cookie,
    });
    expect(answer.status).toBe(404);
    expect(answer.body).not.toContain('must not be served');
    expect(resolveStatic('/srv/ui', '/../etc/passwd')).toBeUndefined();
    expect(resolveStatic('/srv/ui', '/assets/a.js')).toBe('/srv/ui/assets/a.js');
    expect(resolveStatic('/srv/ui', '/%2e%2e/%2e%2e/etc/passwd')).toBeUndefined();
    expect(resolveStatic('/srv/ui', '/a%00b')).toBeUndefined();
  });

  it('refuses the socket without the token, with a wrong token, or from a foreign or missing Origin', async () => {
    const url = `ws://127.0.0.1:${host.port}/ws`;
    expect(await openSocket(url, { Origin: origin })).toBe(401);
    expect(await openSocket(url, { Origin: origin, Cookie: 'outpost_ui_token=nope' })).toBe(401);
    expect(await openSocket(url, { Origin: 'http://attacker.example', Cookie: cookie })).toBe(403);
    expect(await openSocket(url, { Cookie: cookie })).toBe(403);
    expect(
      await openSocket(`ws://127.0.0.1:${host.port}/other`, { Origin: origin, Cookie: cookie }),
    ).toBe(404);
  });

  it('carries AgentApi calls over the socket, validated by the contract, and pushes events', async () => {
    const ws = await openSocket(`ws://127.0.0.1:${host.port}/ws`, {
      Origin: origin,
      Cookie: cookie,
    });
    expect(ws).toBeInstanceOf(WebSocket);
    const socket = ws as WebSocket;
    try {
      const info = await callOver(socket, { id: 1, method: 'getAgentInfo', request: {} });
      expect(info).toMatchObject({ id: 1, result: { version: agent.context.version } });

      const invalid = await callOver(socket, {
        id: 2,
        method: 'updateAgentSettings',
        request: { name: '' },
      });
      expect(invalid).toMatchObject({ id: 2, error: { code: 'invalid-request', field: 'name' } });

      const unknown = await callOver(socket, { id: 3, method: 'rmRf', request: {} });
      expect(unknown).toMatchObject({ id: 3, error: { code: 'invalid-request', field: 'method' } });

      const garbage = await callOver(socket, '{not json');
      expect(garbage).toMatchObject({ id: null, error: { code: 'invalid-request' } });

      const event = new Promise<unknown>((resolve) => {
        socket.on('message', (data) => {
          const frame = JSON.parse(data.toString()) as { event?: string; payload?: unknown };
          if (frame.event === 'notice') resolve(frame.payload);
        });
      });
      agent.events.emit('notice', { level: 'info', title: 'hello', body: 'world' });
      expect(await event).toEqual({ level: 'info', title: 'hello', body: 'world' });
    } finally {
      socket.close();
    }
  });

  it('tells how to build the UI when out/renderer is missing', async () => {
    await expect(
      startWebHost({ agent, staticDir: '/nonexistent/renderer', port: 0 }),
    ).rejects.toThrow('run `npm run build:renderer` first');
  });
});
