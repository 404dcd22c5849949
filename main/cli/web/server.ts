import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { readFile, stat } from 'node:fs/promises';
import { extname, join, normalize, sep } from 'node:path';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import type { Agent } from '../../core/agent.ts';
import { AgentError } from '../../core/contract/errors.ts';
import { checkRequest, newToken, tokenCookie, TOKEN_QUERY } from './auth.ts';
import { handleSocket } from './socket.ts';

export const WS_PATH = '/ws';

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
  /** Tests pass a known token; otherwise a random one per start. */
  token?: string;
}

export interface WebHost {
  /** The URL to open: carries the token once; the page then lives on a cookie. */
  url: string;
  port: number;
  token: string;
  close(): Promise<void>;
}

/**
 * `outpost ui`'s server (issue #8): the built renderer over HTTP and the
 * AgentApi over one WebSocket, on 127.0.0.1 only.
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
  const token = options.token ?? newToken();
  const sockets = new WebSocketServer({ noServer: true, maxPayload: 1024 * 1024 });
  let port = options.port;

  const server: Server = createServer((req, res) => {
    serveHttp(req, res, { staticDir: options.staticDir, token, port }).catch((error: unknown) => {
      if (!res.headersSent) res.writeHead(500, { 'Content-Type': 'text/plain' });
      res.end(`internal error: ${(error as Error).message}`);
    });
  });
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const refusal =
      url.pathname !== WS_PATH
        ? { status: 404, reason: 'not found' }
        : checkRequest(requestFacts(req, url), { token, port, requireOrigin: true });
    if (refusal !== undefined) {
      socket.end(
        `HTTP/1.1 ${refusal.status} Refused\r\nConnection: close\r\nContent-Type: text/plain\r\n\r\n${refusal.reason}\n`,
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
  port = typeof address === 'object' && address !== null ? address.port : options.port;

  return {
    url: `http://127.0.0.1:${port}/?${TOKEN_QUERY}=${token}`,
    port,
    token,
    async close() {
      for (const client of sockets.clients) client.terminate();
      sockets.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function requestFacts(req: IncomingMessage, url: URL) {
  return {
    host: req.headers.host,
    origin: req.headers.origin,
    cookie: req.headers.cookie,
    queryToken: url.searchParams.get(TOKEN_QUERY),
  };
}

async function serveHttp(
  req: IncomingMessage,
  res: ServerResponse,
  config: { staticDir: string; token: string; port: number },
): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://127.0.0.1');
  const securityHeaders = {
    'Content-Security-Policy': CONTENT_SECURITY_POLICY,
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'no-referrer',
    'Cache-Control': 'no-store',
  };
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.writeHead(405, { ...securityHeaders, Allow: 'GET, HEAD', 'Content-Type': 'text/plain' });
    res.end('method not allowed\n');
    return;
  }
  const refusal = checkRequest(requestFacts(req, url), {
    token: config.token,
    port: config.port,
    requireOrigin: false,
  });
  if (refusal !== undefined) {
    res.writeHead(refusal.status, {
      ...securityHeaders,
      'Content-Type': 'text/plain; charset=utf-8',
    });
    res.end(`${refusal.reason}\n`);
    return;
  }
  if (url.searchParams.has(TOKEN_QUERY)) {
    // Trade the token in the URL for a cookie and drop it from the address bar and history.
    res.writeHead(303, {
      ...securityHeaders,
      'Set-Cookie': tokenCookie(config.token),
      Location: url.pathname,
    });
    res.end();
    return;
  }
  const file = resolveStatic(config.staticDir, url.pathname);
  if (file === undefined) {
    res.writeHead(404, { ...securityHeaders, 'Content-Type': 'text/plain' });
    res.end('not found\n');
    return;
  }
  let body: Buffer;
  try {
    body = await readFile(file);
  } catch {
    res.writeHead(404, { ...securityHeaders, 'Content-Type': 'text/plain' });
    res.end('not found\n');
    return;
  }
  res.writeHead(200, {
    ...securityHeaders,
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
