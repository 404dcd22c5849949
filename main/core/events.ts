import type { AgentEvents } from './contract/index.ts';

type Listener<T> = (payload: T) => void;

/** Typed pushes from the core to every UI (AgentEvents). */
export class AgentEventBus {
  readonly #listeners = new Map<keyof AgentEvents, Set<Listener<never>>>();
  readonly #any = new Set<(name: keyof AgentEvents, payload: unknown) => void>();

  on<K extends keyof AgentEvents>(name: K, listener: Listener<AgentEvents[K]>): () => void {
    let set = this.#listeners.get(name);
    if (set === undefined) {
      set = new Set();
      this.#listeners.set(name, set);
    }
    set.add(listener as Listener<never>);
    return () => set.delete(listener as Listener<never>);
  }

  /** Every event, for adapters that forward them (IPC, WebSocket). */
  onAny(listener: (name: keyof AgentEvents, payload: unknown) => void): () => void {
    this.#any.add(listener);
    return () => this.#any.delete(listener);
  }

  emit<K extends keyof AgentEvents>(name: K, payload: AgentEvents[K]): void {
    for (const listener of this.#listeners.get(name) ?? []) {
      (listener as Listener<AgentEvents[K]>)(payload);
    }
    for (const listener of this.#any) listener(name, payload);
  }
}
