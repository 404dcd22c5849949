import type { AgentHandlers } from '../api.ts';
import type { AgentContext } from '../context.ts';
import { AgentError } from '../errors.ts';
import type { QueueService } from './model.ts';

export interface OpenedQueue {
  service: QueueService;
  handlers: Partial<AgentHandlers>;
  /** The delivering side (scheduler) as an AgentModule-style run loop. */
  run?(signal: AbortSignal): Promise<void>;
  close(): Promise<void>;
}

/** Opens the transfer queue of issue #3 (store, scheduler). */
export async function openQueue(_ctx: AgentContext): Promise<OpenedQueue> {
  const unavailable = (): never => {
    throw new AgentError('internal', 'the transfer queue is not built yet (issue #3)');
  };
  return {
    service: { enqueue: async () => unavailable(), get: () => undefined },
    handlers: {},
    close: async () => undefined,
  };
}
