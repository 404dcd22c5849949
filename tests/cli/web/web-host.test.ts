import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { Agent } from '../../../main/core/agent.ts';
import { resolveStatic, startWebHost, type WebHost } from '../../../main/cli/web/server.ts';
import { makeTempDir } from '../../peers/util.ts';
import { get, signIn } from './sign-in.ts';

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
  let staticRoot: string;

  beforeAll(async () => {
    const temp = await makeTempDir('webhost');
    cleanup = temp.cleanup;
    staticRoot = temp.dir;
    const staticDir = join(temp.dir, 'static');
    await mkdir(join(staticDir, 'assets'), { recursive: true });
    await writeFile(join(staticDir, 'index.html'), '<!doctype html><title>Outpost</title>');
    await writeFile(join(staticDir, 'assets', 'app.js'), 'console.log(1)');
    await writeFile(join(temp.dir, 'outside.txt'), 'must not be served');
    agent = await Agent.open({ dataDir: join(temp.dir, 'data'), logToFile: false });
    host = await startWebHost({ agent, staticDir, port: 0 });
    origin = `http://127.0.0.1:${host.port}`;
    cookie = await signIn(host.url);
  });
  afterAll(async () => {
    await host?.close();
    await agent?.close();
    await cleanup?.();
  });

  it('prints a 127.0.0.1 URL with a fresh 256-bit sign-in code', () => {
    expect(host.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/\?code=[\w-]{43}$/);
  });

  it('traded the code for a separate session secret in an HttpOnly SameSite=Strict cookie named after the port', () => {
    const code = new URL(host.url).searchParams.get('code');
    expect(cookie).toMatch(new RegExp(`^outpost_ui_session_${host.port}=[\\w-]{43}$`));
    expect(cookie.split('=')[1]).not.toBe(code);
  });

  it('refuses a second use of the URL with a clear page, and sends a signed-in browser on', async () => {
    const { pathname, search } = new URL(host.url);
    const again = await get(host.port, `${pathname}${search}`, { Host: `127.0.0.1:${host.port}` });
    expect(again.status).toBe(410);
    expect(again.body).toContain('This sign-in link was already used');
    expect(again.headers['set-cookie']).toBeUndefined();
    const wrong = await get(host.port, '/?code=guess', { Host: `127.0.0.1:${host.port}` });
    expect(wrong.status).toBe(401);
    expect(wrong.body).toContain('wrong sign-in link');
    // The same browser following the printed link once more (it already has the session).
    const signedIn = await get(host.port, `${pathname}${search}`, {
      Host: `127.0.0.1:${host.port}`,
      Cookie: cookie,
    });
    expect(signedIn.status).toBe(303);
    expect(signedIn.headers.location).toBe('/');
  });

  it('answers the first use with the cookie and a same-origin page load, keeping the code out of the next address', async () => {
    const other = await startWebHost({ agent, staticDir: join(staticRoot, 'static'), port: 0 });
    try {
      const { pathname, search } = new URL(other.url);
      const signedIn = new Promise<boolean>((resolve) => other.onSignIn(() => resolve(true)));
      const answer = await get(other.port, `${pathname}${search}`, {
        Host: `localhost:${other.port}`,
      });
      expect(answer.status).toBe(200);
      expect(String(answer.headers['set-cookie'])).toMatch(
        new RegExp(
          `^outpost_ui_session_${other.port}=[\\w-]{43}; HttpOnly; SameSite=Strict; Path=/$`,
        ),
      );
      expect(answer.body).toContain('<meta http-equiv="refresh" content="0; url=/">');
      expect(answer.headers['referrer-policy']).toBe('no-referrer');
      expect(await signedIn).toBe(true);
      // Cookies are not kept apart by port: each `outpost ui` reads only the one named after its port.
      const session = cookie.split('=')[1]!;
      const underOtherName = await get(host.port, '/', {
        Host: `127.0.0.1:${host.port}`,
        Cookie: `outpost_ui_session_${other.port}=${session}`,
      });
      expect(underOtherName.status).toBe(401);
    } finally {
      await other.close();
    }
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

  it('refuses HTTP without a session, with a wrong one, from another Host (DNS rebinding) or Origin', async () => {
    expect((await get(host.port, '/', { Host: `127.0.0.1:${host.port}` })).status).toBe(401);
    expect(
      (
        await get(host.port, '/', {
          Host: `127.0.0.1:${host.port}`,
          Cookie: `outpost_ui_session_${host.port}=x`,
        })
      ).status,
    ).toBe(401);
    // The code in the URL is not a session secret.
    expect(
      (
        await get(host.port, '/', {
          Host: `127.0.0.1:${host.port}`,
          Cookie: `outpost_ui_session_${host.port}=${new URL(host.url).searchParams.get('code')!}`,
        })
      ).status,
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

  it('refuses the socket without a session, with a wrong one, or from a foreign or missing Origin', async () => {
    const url = `ws://127.0.0.1:${host.port}/ws`;
    expect(await openSocket(url, { Origin: origin })).toBe(401);
    expect(
      await openSocket(url, { Origin: origin, Cookie: `outpost_ui_session_${host.port}=nope` }),
    ).toBe(401);
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
