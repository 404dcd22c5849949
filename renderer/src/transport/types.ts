import type {
  AgentApi,
  AgentEventName,
  AgentEvents,
  AgentMethod,
  SerializedAgentError,
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

/** An AgentError rebuilt on this side: `field` says which form input is at fault. */
export class UiError extends Error {
  readonly code: string;
  readonly field: string | undefined;
  readonly transient: boolean;

  constructor(error: SerializedAgentError) {
    super(error.message);
    this.name = 'UiError';
    this.code = error.code;
    this.field = error.field ?? undefined;
    this.transient = error.transient;
  }
}

export function isSerializedError(value: unknown): value is SerializedAgentError {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { code?: unknown }).code === 'string' &&
    typeof (value as { message?: unknown }).message === 'string'
  );
}
