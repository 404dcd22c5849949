import { electronTransport } from './electron.ts';
import type { Transport } from './types.ts';
import { webSocketTransport } from './websocket.ts';

/** Inside Electron the preload provides `window.outpost`; in a browser, `outpost ui` serves a socket. */
export function createTransport(): Transport {
  if (window.outpost !== undefined) return electronTransport(window.outpost);
  const scheme = window.location.protocol === 'https:' ? 'wss:' : 'ws:';
  return webSocketTransport(`${scheme}//${window.location.host}/ws`);
}

export { AgentError } from '../../../main/core/contract/errors.ts';
export type { Transport, Request, Response } from './types.ts';
