import { createContext, useCallback, useContext, useEffect, useRef, useState } from 'react';
import type { AgentEventName, AgentEvents, AgentMethod } from '../../main/core/contract/index.ts';
import type { Request, Response, Transport } from './transport/index.ts';

const AgentContext = createContext<Transport | undefined>(undefined);
export const AgentProvider = AgentContext.Provider;

export function useAgent(): Transport {
  const transport = useContext(AgentContext);
  if (transport === undefined) throw new Error('useAgent outside <AgentProvider>');
  return transport;
}

export interface CallState<T> {
  data: T | undefined;
  error: Error | undefined;
  loading: boolean;
  reload(): void;
}

/** Calls an AgentApi method when the component mounts and whenever `key` changes. */
export function useCall<M extends AgentMethod>(
  method: M,
  request: Request<M>,
  key: unknown = '',
): CallState<Response<M>> {
  const agent = useAgent();
  const [state, setState] = useState<{ data?: Response<M>; error?: Error; loading: boolean }>({
    loading: true,
  });
  const [tick, setTick] = useState(0);
  const requestRef = useRef(request);
  requestRef.current = request;
  useEffect(() => {
    let live = true;
    setState((s) => ({ ...s, loading: true }));
    agent.call(method, requestRef.current).then(
      (data) => live && setState({ data, loading: false }),
      (error: Error) => live && setState((s) => ({ data: s.data, error, loading: false })),
    );
    return () => {
      live = false;
    };
  }, [agent, method, tick, JSON.stringify(key)]);
  const reload = useCallback(() => setTick((t) => t + 1), []);
  return { data: state.data, error: state.error, loading: state.loading, reload };
}

export function useEvent<E extends AgentEventName>(
  event: E,
  listener: (payload: AgentEvents[E]) => void,
): void {
  const agent = useAgent();
  const ref = useRef(listener);
  ref.current = listener;
  useEffect(() => agent.on(event, (payload) => ref.current(payload)), [agent, event]);
}

/** Re-runs `reload` when any of the events fire (throttled to one per 300 ms). */
export function useReloadOn(events: AgentEventName[], reload: () => void): void {
  const agent = useAgent();
  const ref = useRef(reload);
  ref.current = reload;
  useEffect(() => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const fire = (): void => {
      timer ??= setTimeout(() => {
        timer = undefined;
        ref.current();
      }, 300);
    };
    const offs = events.map((e) => agent.on(e, fire));
    return () => {
      for (const off of offs) off();
      if (timer !== undefined) clearTimeout(timer);
    };
  }, [agent, events.join(',')]);
}
