import {
  AGENT_METHODS,
  type AgentApi,
  type AgentEventName,
  type AgentEvents,
} from '../main/core/contract/index.ts';
import type { SerializedAgentError } from '../main/core/contract/errors.ts';

/** Must equal main/shell/ipc-guard.ts (tests/shell/preload.test.ts checks it). */
export const CALL_CHANNEL = 'agent:call';
export const EVENT_CHANNEL = 'agent:event';

type Envelope = { ok: true; result: unknown } | { ok: false; error: SerializedAgentError };
type Listener = (payload: unknown) => void;

export type OutpostBridge = AgentApi & {
  on<E extends AgentEventName>(event: E, listener: (payload: AgentEvents[E]) => void): () => void;
  /**
   * The local path of a file dropped on the window (Electron's
   * webUtils.getPathForFile): the only non-AgentApi member, so that a file
   * dragged onto a Tentacle target can be queued by path. No IPC, no access
   * to any other file.
   */
  pathForFile(file: File): string;
};

/**
 * Builds `window.outpost`: one function per AgentApi method, `on`, and
 * `pathForFile` for drag and drop; nothing else (no raw ipcRenderer). contextBridge keeps only an Error's message, so a
 * failure carries its serialized AgentError (code, field) as JSON there.
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
  const bridge: Record<string, unknown> = {};
  for (const method of AGENT_METHODS) {
    bridge[method] = async (request: unknown) => {
      const envelope = (await invoke(CALL_CHANNEL, method, request ?? {})) as Envelope;
      if (envelope.ok) return envelope.result;
      throw new Error(JSON.stringify(envelope.error));
    };
  }
  bridge.on = (event: string, listener: Listener) => {
    if (typeof listener !== 'function')
      throw new TypeError('outpost.on(event, listener): listener must be a function');
    let set = listeners.get(event);
    if (set === undefined) listeners.set(event, (set = new Set()));
    set.add(listener);
    return () => {
      set.delete(listener);
    };
  };
  bridge.pathForFile = (file: File) => pathForFile(file);
  return Object.freeze(bridge) as OutpostBridge;
}
