import {
  CALL_CHANNEL,
  EVENT_CHANNEL,
  type CallEnvelope,
  type OutpostBridge,
} from '../main/core/contract/transport.ts';

type Listener = (payload: unknown) => void;

/**
 * Builds `window.outpost`: `call`, `on` and `pathForFile`; nothing else (no raw
 * ipcRenderer). The preload knows no method names: the main process checks each
 * call against the contract, so the sandboxed bundle carries no schemas.
 */
export function buildBridge(
  invoke: (channel: string, method: string, request: unknown) => Promise<unknown>,
  subscribe: (channel: string, listener: (name: string, payload: unknown) => void) => void,
  pathForFile: (file: File) => string = () => '',
): OutpostBridge {
  const listeners = new Map<string, Set<Listener>>();
  subscribe(EVENT_CHANNEL, (name, payload) => {
    for (const listener of listeners.get(name) ?? []) listener(payload);
  });
  const bridge: OutpostBridge = {
    async call(method, request) {
      if (typeof method !== 'string')
        throw new TypeError('outpost.call(method, request): method must be a string');
      const envelope = (await invoke(CALL_CHANNEL, method, request ?? {})) as CallEnvelope;
      if (envelope.ok) return envelope.result;
      throw new Error(JSON.stringify(envelope.error));
    },
    on(event, listener) {
      if (typeof listener !== 'function')
        throw new TypeError('outpost.on(event, listener): listener must be a function');
      let set = listeners.get(event);
      if (set === undefined) listeners.set(event, (set = new Set()));
      set.add(listener as Listener);
      return () => {
        set.delete(listener as Listener);
      };
    },
    pathForFile: (file) => pathForFile(file),
  };
  return Object.freeze(bridge);
}
