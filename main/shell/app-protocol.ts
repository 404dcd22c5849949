import { net, protocol } from 'electron';
import { pathToFileURL } from 'node:url';
import { APP_SCHEME, APP_SCHEME_PRIVILEGES, rendererFileFor } from './renderer-url.ts';
import { CSP } from './window.ts';

/**
 * `app://outpost/…` (issue #15 item 1). Must run before `app.whenReady()`:
 * `registerSchemesAsPrivileged` "can only be used before the ready event of
 * the app module gets emitted and can be called only once" (docs/api/protocol.md).
 */
export function registerAppScheme(): void {
  protocol.registerSchemesAsPrivileged([{ scheme: APP_SCHEME, privileges: APP_SCHEME_PRIVILEGES }]);
}

/**
 * Serves the built renderer (out/renderer, inside app.asar when packaged) on
 * `app://outpost/`. As in docs/api/protocol.md's `protocol.handle` example:
 * the path is resolved and must stay inside the folder, then `net.fetch` of
 * its `file:` URL reads it (from the asar too) with a Content-Type from the
 * extension, which module scripts need. Only GET and HEAD; anything else,
 * another host or a path outside the folder is refused, a missing file is 404.
 * The CSP header is set here as well as in index.html's meta tag (webRequest
 * header hooks are not a documented guarantee for custom protocols).
 */
export function serveRenderer(rendererDir: string): void {
  protocol.handle(APP_SCHEME, async (request) => {
    if (request.method !== 'GET' && request.method !== 'HEAD')
      return plain(405, 'method not allowed');
    const file = rendererFileFor(request.url, rendererDir);
    if (file === undefined) return plain(404, 'not found');
    let response: Response;
    try {
      response = await net.fetch(pathToFileURL(file).href);
    } catch {
      return plain(404, 'not found');
    }
    const headers = new Headers(response.headers);
    headers.set('Content-Security-Policy', CSP);
    return new Response(response.body, { status: response.status, headers });
  });
}

function plain(status: number, text: string): Response {
  return new Response(text, {
    status,
    headers: { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Security-Policy': CSP },
  });
}
