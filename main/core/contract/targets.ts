/** Paired servers as the contract shows them: kinds, names, records, connection states. */

/**
 * A protocol's name for its targets ('icinga', 'tentacle', …). An open set: a
 * kind exists when a module registers a driver for it (agent.ts lists them).
 */
export type TargetKind = string;

/** A paired server as stored in settings (`targets.<name>`). */
export interface TargetRecord<Config = unknown> {
  name: string;
  kind: TargetKind;
  createdAt: string;
  paused: boolean;
  config: Config;
}

export type ConnectionState = 'idle' | 'connecting' | 'ready' | 'retrying' | 'failed' | 'pairing';

export interface TargetStatus {
  state: ConnectionState;
  detail?: string;
  lastDeliveryAt?: number;
  lastError?: string;
}

export const TARGET_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
