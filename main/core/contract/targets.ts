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

/**
 * A queue address: a target's own name, or `<target>/<destination>` for a
 * destination of the target that keeps its own FIFO of items (a Pandora
 * secondary server in `always` mode: one failing must not hold the other's
 * items). '/' is outside TARGET_NAME_PATTERN, so the two never collide.
 */
export function queueAddress(target: string, destination?: string): string {
  return destination === undefined ? target : `${target}/${destination}`;
}

export function splitQueueAddress(address: string): { target: string; destination?: string } {
  const slash = address.indexOf('/');
  return slash === -1
    ? { target: address }
    : { target: address.slice(0, slash), destination: address.slice(slash + 1) };
}
