import type { AgentEventName, AgentMethod } from '../../../main/core/contract/index.ts';
import { type Request, type Response, type Transport } from './types.ts';
import { fromSerialized, isSerializedError } from '../../../main/core/contract/errors.ts';

interface Pending {
  resolve(value: unknown): void;
  reject(error: Error): void;
}

const RECONNECT_MS = 1500;

/**
 * The AgentApi over `outpost ui`'s WebSocket (main/cli/web/socket.ts). The
 * page was served with the session cookie, which the browser sends with the
 * upgrade; calls made while reconnecting wait for the socket.
 */
export function webSocketTransport(url: string): Transport {
  let socket: WebSocket | undefined;
  let nextId = 1;
  let opened: Promise<WebSocket> | undefined;
  const pending = new Map<number, Pending>();
  const listeners = new Map<string, Set<(payload: never) => void>>();
  const connectionListeners = new Set<(connected: boolean) => void>();

  const notify = (connected: boolean): void => {
    for (const l of connectionListeners) l(connected);
  };

  const connect = (): Promise<WebSocket> => {
    opened ??= new Promise<WebSocket>((resolve) => {
      const ws = new WebSocket(url);
      ws.addEventListener('open', () => {
        socket = ws;
        notify(true);
        resolve(ws);
      });
      ws.addEventListener('message', (event) => onFrame(String(event.data)));
      ws.addEventListener('close', () => {
        socket = undefined;
        opened = undefined;
        notify(false);
        for (const [id, p] of pending) {
          p.reject(
            new Error('the connection to the agent was lost: is `outpost ui` still running?'),
          );
          pending.delete(id);
        }
        setTimeout(() => void connect().then(resolve), RECONNECT_MS);
      });
    });
    return opened;
  };

  const onFrame = (text: string): void => {
    let frame: {
      id?: number;
      result?: unknown;
      error?: unknown;
      event?: string;
      payload?: unknown;
    };
    try {
      frame = JSON.parse(text) as typeof frame;
    } catch {
      return;
    }
    if (typeof frame.event === 'string') {
      for (const l of listeners.get(frame.event) ?? []) (l as (p: unknown) => void)(frame.payload);
      return;
    }
    const p = typeof frame.id === 'number' ? pending.get(frame.id) : undefined;
    if (p === undefined) return;
    pending.delete(frame.id!);
    if (frame.error !== undefined) {
      p.reject(
        isSerializedError(frame.error)
          ? fromSerialized(frame.error)
          : new Error(String(frame.error)),
      );
    } else {
      p.resolve(frame.result);
    }
  };

  void connect();

  return {
    kind: 'web',
    async call<M extends AgentMethod>(method: M, request: Request<M>): Promise<Response<M>> {
      const ws = socket ?? (await connect());
      const id = nextId++;
      return new Promise<Response<M>>((resolve, reject) => {
        pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
        ws.send(JSON.stringify({ id, method, request: request ?? {} }));
      });
    },
    on(event: AgentEventName, listener) {
      let set = listeners.get(event);
      if (set === undefined) listeners.set(event, (set = new Set()));
      set.add(listener as (payload: never) => void);
      return () => set.delete(listener as (payload: never) => void);
    },
    onConnection(listener) {
      connectionListeners.add(listener);
      return () => connectionListeners.delete(listener);
    },
  };
}
