import type {
  AgentApi,
  AgentEventName,
  AgentEvents,
  AgentMethod,
} from '../../../main/core/contract/index.ts';

export type Request<M extends AgentMethod> = Parameters<AgentApi[M]>[0];
export type Response<M extends AgentMethod> = Awaited<ReturnType<AgentApi[M]>>;
export type Unsubscribe = () => void;

/**
 * How the renderer reaches the agent: `window.outpost` inside Electron, a
 * WebSocket under `outpost ui`. Both carry the same AgentApi.
 */
export interface Transport {
  readonly kind: 'electron' | 'web';
  call<M extends AgentMethod>(method: M, request: Request<M>): Promise<Response<M>>;
  on<E extends AgentEventName>(event: E, listener: (payload: AgentEvents[E]) => void): Unsubscribe;
  /** Connection to the agent lost/restored (the web socket can drop; IPC cannot). */
  onConnection(listener: (connected: boolean) => void): Unsubscribe;
}
