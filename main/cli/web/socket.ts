import type { WebSocket } from 'ws';
import type { Agent } from '../../core/agent.ts';
import { AgentError, toAgentError } from '../../core/contract/errors.ts';

/**
 * The AgentApi over one WebSocket, the browser twin of the Electron IPC
 * channel. Frames are JSON:
 *   → { id, method, request }
 *   ← { id, result } | { id, error: SerializedAgentError }
 *   ← { event, payload }            (every AgentEvents push)
 * Every request goes through `agent.call`, which checks it against the contract.
 */
export function handleSocket(ws: WebSocket, agent: Agent, remote: string): void {
  // Who drives the agent matters: every accepted UI connection is in the log.
  agent.context.log.info('web UI client connected', { remote });
  ws.on('close', () => agent.context.log.info('web UI client disconnected', { remote }));
  const unsubscribe = agent.events.onAny((event, payload) => {
    if (ws.readyState === ws.OPEN) ws.send(JSON.stringify({ event, payload }));
  });
  ws.on('close', unsubscribe);
  ws.on('error', unsubscribe);
  ws.on('message', (data, isBinary) => {
    void answer(ws, agent, isBinary ? undefined : data.toString());
  });
}

async function answer(ws: WebSocket, agent: Agent, text: string | undefined): Promise<void> {
  let id: FrameId | null = null;
  try {
    const frame = parseFrame(text);
    // Taken before the method is checked, so even a refusal reaches the call that sent it.
    id = frameId(frame);
    const result = await agent.call(frameMethod(frame), frame.request);
    send(ws, { id, result: result ?? null });
  } catch (error) {
    send(ws, { id, error: toAgentError(error).toJSON() });
  }
}

function send(ws: WebSocket, frame: unknown): void {
  if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(frame));
}

type FrameId = number | string;

function parseFrame(text: string | undefined): Record<string, unknown> {
  if (text === undefined) throw new AgentError('invalid-request', 'frames must be JSON text');
  let frame: unknown;
  try {
    frame = JSON.parse(text);
  } catch {
    throw new AgentError('invalid-request', 'frame is not valid JSON');
  }
  if (typeof frame !== 'object' || frame === null || Array.isArray(frame))
    throw new AgentError('invalid-request', 'frame must be an object { id, method, request }');
  return frame as Record<string, unknown>;
}

function frameId(frame: Record<string, unknown>): FrameId {
  const { id } = frame;
  if (typeof id !== 'number' && typeof id !== 'string') {
    throw new AgentError('invalid-request', 'frame.id must be a number or string', { field: 'id' });
  }
  return id;
}

function frameMethod(frame: Record<string, unknown>): string {
  const { method } = frame;
  if (typeof method !== 'string') {
    throw new AgentError(
      'invalid-request',
      `frame.method must be a string naming an AgentApi method, got ${method === null ? 'null' : Array.isArray(method) ? 'an array' : typeof method}`,
      { field: 'method' },
    );
  }
  return method;
}
