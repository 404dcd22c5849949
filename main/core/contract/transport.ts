/**
 * How a UI process reaches the agent (ARCHITECTURE.md "One typed contract"):
 * the channel names and the call envelope that the preload, the Electron main
 * process and the renderer share, and the shape of `window.outpost`.
 *
 * This file holds constants and types only: the sandboxed preload bundles it,
 * and must stay free of zod and of the method list (the main process checks
 * every method name and request against the contract).
 */
import type { SerializedAgentError } from './errors.ts';
import type { AgentEventName, AgentEvents } from './index.ts';

/** One generic call channel: the method name and its request travel as arguments. */
export const CALL_CHANNEL = 'agent:call';
/** Every AgentEvents push: the event name and its payload travel as arguments. */
export const EVENT_CHANNEL = 'agent:event';

/** What the main process answers on CALL_CHANNEL. */
export type CallEnvelope =
  { ok: true; result: unknown } | { ok: false; error: SerializedAgentError };

/** `window.outpost`, as the preload exposes it. */
export interface OutpostBridge {
  /**
   * Calls one AgentApi method. A failure rejects with an Error whose message is
   * the serialized AgentError as JSON (contextBridge keeps only an Error's message).
   */
  call(method: string, request: unknown): Promise<unknown>;
  on<E extends AgentEventName>(event: E, listener: (payload: AgentEvents[E]) => void): () => void;
  /**
   * The local path of a file dropped on the window (Electron's
   * webUtils.getPathForFile), so that a file dragged onto a Tentacle target can
   * be queued by path. No IPC, no access to any other file.
   */
  pathForFile(file: File): string;
}
