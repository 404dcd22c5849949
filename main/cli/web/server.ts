import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { readFile, stat } from 'node:fs/promises';
import { extname, join, normalize, sep } from 'node:path';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import type { Agent } from '../../core/agent.ts';
import { AgentError } from '../../core/contract/errors.ts';
import { CODE_QUERY, UiAuth, type RequestFacts } from './auth.ts';
import { handleSocket } from './socket.ts';

export const WS_PATH = '/ws';

/**
 * The largest WebSocket message the agent reads. The biggest request the UI
 * sends is a pandora_agent.conf pasted into the import (importPandora
 * `content`, tens of KiB in practice); a larger frame closes the socket with
 * 1009 before it is buffered whole.
 */
export const MAX_WS_MESSAGE_BYTES = 1024 * 1024;

/** The same policy as the Electron window: our scripts only, sockets back to us only. */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

const SECURITY_HEADERS = {
  'Content-Security-Policy': CONTENT_SECURITY_POLICY,
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'Cache-Control': 'no-store',
};

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.woff2': 'font/woff2',
};

export interface WebHostOptions {
  agent: Agent;
  /** The built renderer (out/renderer). */
  staticDir: string;
  /** 0 picks a free port. */
  port: number;
}

export interface WebHost {
  /** The URL to open: its sign-in code works once, the browser then lives on a session cookie. */
  url: string;
  port: number;
  /** Runs once the URL's code has been used. */
  onSignIn(listener: () => void): void;
  close(): Promise<void>;
}

/**
 * `outpost ui`'s server (issue #8): the built renderer over HTTP and the
 * AgentApi over one WebSocket, on 127.0.0.1 only. Every way in turns bad
 * input into a refusal and keeps serving (issue #14).
 */
export async function startWebHost(options: WebHostOptions): Promise<WebHost> {
  const indexPath = join(options.staticDir, 'index.html');
  try {
    await stat(indexPath);
  } catch {
    throw new AgentError(
      'not-found',
      `the web UI is not built (${indexPath} is missing): run \`npm run build:renderer\` first`,
    );
  }
  const sockets = new WebSocketServer({ noServer: true, maxPayload: MAX_WS_MESSAGE_BYTES });
  const server: Server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) => {
      reject(
        error.code === 'EADDRINUSE'
          ? new AgentError(
              'conflict',
              `port ${options.port} on 127.0.0.1 is already in use: pick another with --port`,
              {
                field: 'port',
              },
            )
          : error,
      );
    });
    server.listen(options.port, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : options.port;
  // Handlers go on once the port is known: the session cookie is named after it.
  const auth = new UiAuth(port);

  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    serveHttp(req, res, { staticDir: options.staticDir, auth }).catch((error: unknown) => {
      if (!res.headersSent) res.writeHead(500, { 'Content-Type': 'text/plain' });
      res.end(`internal error: ${(error as Error).message}`);
    });
  });
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    // Node takes its own error handler off an upgraded socket: a peer that resets it must not crash us.
    socket.on('error', () => socket.destroy());
    const url = requestUrl(req);
    const refusal =
      url === undefined
        ? { status: 400, reason: `malformed request target '${printable(req.url)}'` }
        : url.pathname !== WS_PATH
          ? { status: 404, reason: 'not found' }
          : auth.check(requestFacts(req), { requireOrigin: true });
    if (refusal !== undefined) {
      socket.end(
        `HTTP/1.1 ${refusal.status} Refused\r\nConnection: close\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n${refusal.reason}\n`,
      );
      return;
    }
    sockets.handleUpgrade(req, socket, head, (ws: WebSocket) =>
      handleSocket(
        ws,
        options.agent,
        `${req.socket.remoteAddress ?? '?'}:${req.socket.remotePort ?? '?'}`,
      ),
    );
  });

  return {
    url: `http://127.0.0.1:${port}/?${CODE_QUERY}=${auth.code}`,
    port,
    onSignIn: (listener) => auth.onSignIn(listener),
    async close() {
      for (const client of sockets.clients) client.terminate();
      sockets.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** The request target as a URL; undefined for one that is not (`GET http://[ HTTP/1.1`). */
function requestUrl(req: IncomingMessage): URL | undefined {
  return URL.parse(req.url ?? '/', 'http://127.0.0.1') ?? undefined;
}

/** A peer's string quoted back in a refusal: short and without control characters. */
function printable(text: string | undefined): string {
  const shown = (text ?? '').slice(0, 100).replace(/[^\x20-\x7e]/g, '?');
  return (text ?? '').length > 100 ? `${shown}…` : shown;
}

function requestFacts(req: IncomingMessage): RequestFacts {
  return { host: req.headers.host, origin: req.headers.origin, cookie: req.headers.cookie };
}

function refuse(res: ServerResponse, status: number, reason: string): void {
  res.writeHead(status, { ...SECURITY_HEADERS, 'Content-Type': 'text/plain; charset=utf-8' });
  res.end(`${reason}\n`);
}

/**
 * The answer to a first sign-in: the session cookie, then a same-origin
 * navigation to the app (its routes are in the #fragment, so always '/'). Not
 * a 303: when the browser came from the launch page (a file:// URL, see
 * launch-page.ts), a redirect chain it started counts as cross-site and the
 * browser would hold back the SameSite=Strict cookie on the very next
 * request; a navigation this page starts is same-site.
 */
const SIGNED_IN_PAGE =
  '<!doctype html><meta charset="utf-8"><meta http-equiv="refresh" content="0; url=/"><title>Outpost</title><p>Signed in. <a href="/">Open Outpost</a></p>\n';

async function serveHttp(
  req: IncomingMessage,
  res: ServerResponse,
  config: { staticDir: string; auth: UiAuth },
): Promise<void> {
  const url = requestUrl(req);
  if (url === undefined) {
    refuse(res, 400, `malformed request target '${printable(req.url)}'`);
    return;
  }
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.writeHead(405, { ...SECURITY_HEADERS, Allow: 'GET, HEAD', 'Content-Type': 'text/plain' });
    res.end('method not allowed\n');
    return;
  }
  const facts = requestFacts(req);
  const code = url.searchParams.get(CODE_QUERY);
  if (code !== null) {
    const siteRefusal = config.auth.checkSite(facts, { requireOrigin: false });
    if (siteRefusal !== undefined) {
      refuse(res, siteRefusal.status, siteRefusal.reason);
      return;
    }
    const outcome = config.auth.useCode(code, facts.cookie);
    if (outcome.kind === 'refused') {
      refuse(res, outcome.status, outcome.reason);
    } else if (outcome.kind === 'already-signed-in') {
      res.writeHead(303, { ...SECURITY_HEADERS, Location: '/' });
      res.end();
    } else {
      res.writeHead(200, {
        ...SECURITY_HEADERS,
        'Set-Cookie': outcome.setCookie,
        'Content-Type': 'text/html; charset=utf-8',
      });
      res.end(SIGNED_IN_PAGE);
    }
    return;
  }
  const refusal = config.auth.check(facts, { requireOrigin: false });
  if (refusal !== undefined) {
    refuse(res, refusal.status, refusal.reason);
    return;
  }
  const file = resolveStatic(config.staticDir, url.pathname);
  if (file === undefined) {
    refuse(res, 404, 'not found');
    return;
  }
  let body: Buffer;
  try {
    body = await readFile(file);
  } catch {
    refuse(res, 404, 'not found');
    return;
  }
  res.writeHead(200, {
    ...SECURITY_HEADERS,
    'Content-Type': CONTENT_TYPES[extname(file)] ?? 'application/octet-stream',
    'Content-Length': body.length,
  });
  res.end(req.method === 'HEAD' ? undefined : body);
}

/** Maps a URL path into the static folder, refusing anything that escapes it. */
export function resolveStatic(staticDir: string, pathname: string): string | undefined {
  let decoded: string;
  try {
    decoded = decodeURIComponent(pathname);
  } catch {
    return undefined;
  }
  if (decoded.includes('\0')) return undefined;
  const relative = decoded === '/' || decoded === '' ? 'index.html' : decoded.replace(/^\/+/, '');
  const root = normalize(staticDir + sep);
  const full = normalize(join(root, relative));
  return full.startsWith(root) ? full : undefined;
}
