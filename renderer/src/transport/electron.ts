import type { AgentMethod } from '../../../main/core/contract/index.ts';
import type { OutpostBridge } from '../../../main/core/contract/transport.ts';
import { type Request, type Response, type Transport } from './types.ts';
import { fromSerialized, isSerializedError } from '../../../main/core/contract/errors.ts';

declare global {
  interface Window {
    outpost?: OutpostBridge;
  }
}

/**
 * contextBridge copies only an Error's message, so the preload puts the
 * serialized AgentError (code, field) in it as JSON; rebuild it here.
 */
export function decodeBridgeError(error: unknown): Error {
  const message = error instanceof Error ? error.message : String(error);
  const start = message.indexOf('{');
  if (start >= 0) {
    try {
      const parsed: unknown = JSON.parse(message.slice(start));
      if (isSerializedError(parsed)) return fromSerialized(parsed);
    } catch {
      // not one of ours: keep the plain message
    }
  }
  return error instanceof Error ? error : new Error(message);
}

export function electronTransport(bridge: OutpostBridge): Transport {
  return {
    kind: 'electron',
    async call<M extends AgentMethod>(method: M, request: Request<M>): Promise<Response<M>> {
      try {
        return (await bridge.call(method, request)) as Response<M>;
      } catch (error) {
        throw decodeBridgeError(error);
      }
    },
    on: (event, listener) => bridge.on(event, listener),
    onConnection: () => () => undefined,
  };
}
