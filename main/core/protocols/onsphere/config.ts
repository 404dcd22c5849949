/**
 * An OnSphere target as stored in settings (no secret, no key material) and
 * how its dispatcher and metrics addresses are resolved (onsphere.md §2.2:
 * DISPATCHER_HOST / DISPATCHER_PORT / PROMETHEUS_PORT from the environment
 * win over settings, as in the seed).
 */
import { z } from 'zod';
import { AgentError } from '../../contract/errors.ts';
import type { OspConfig } from './codec.ts';
import { parsePort } from '../../contract/host-port.ts';
import { ONSPHERE_DISPATCHER_PORT } from '../../contract/ports.ts';

/**
 * PROMETHEUS_PORT's default and the address it binds (§2.2). Here rather than
 * in metrics.ts: the agent reads this schema without loading prom-client (issue #17).
 */
export const DEFAULT_PROMETHEUS_PORT = 9100;
export const DEFAULT_PROMETHEUS_HOST = '127.0.0.1';

/**
 * The dispatcher's address and its environment override live here, with the
 * schema, rather than in dispatcher.ts: the agent reads this file without
 * loading the dispatcher client (node:https, the OSP codec; issue #17).
 */
export interface DispatcherEndpoint {
  host: string;
  port: number;
}

/** `DISPATCHER_HOST` / `DISPATCHER_PORT` (§2.2): environment over settings. */
export function dispatcherFromEnv(
  env: NodeJS.ProcessEnv = process.env,
): Partial<DispatcherEndpoint> {
  const out: Partial<DispatcherEndpoint> = {};
  if (env.DISPATCHER_HOST !== undefined && env.DISPATCHER_HOST !== '')
    out.host = env.DISPATCHER_HOST;
  if (env.DISPATCHER_PORT !== undefined && env.DISPATCHER_PORT !== '')
    out.port = parsePort(env.DISPATCHER_PORT, 'DISPATCHER_PORT');
  return out;
}

/** The configuration dispatcher's port unless a target says otherwise (§1.2). */
export const DEFAULT_PORT = ONSPHERE_DISPATCHER_PORT;

export const onsphereTargetConfigSchema = z.object({
  /** DISPATCHER_HOST: also the TLS server name expected from the dispatcher (§3.1). */
  host: z.string().min(1, 'host must name the OnSphere configuration dispatcher'),
  port: z
    .number()
    .int()
    .min(1, 'port must be 1–65535')
    .max(65535, 'port must be 1–65535')
    .default(DEFAULT_PORT),
  /** Where core/identity keeps the imported files (informative; the store is the source). */
  caFile: z.string().optional(),
  certFile: z.string().optional(),
  keyFile: z.string().optional(),
  /** The connector name = module.crt's CN (§2.1), known once paired. */
  cn: z.string().optional(),
  /** PROMETHEUS_PORT for this connector; 0 disables. */
  metricsPort: z.number().int().min(0).max(65535).optional(),
  /** 127.0.0.1 unless the user chooses otherwise (§2.2). */
  metricsHost: z.string().min(1).optional(),
});
export type OnsphereTargetConfig = z.output<typeof onsphereTargetConfigSchema>;

export function dispatcherEndpoint(
  config: OnsphereTargetConfig,
  env: NodeJS.ProcessEnv = process.env,
): DispatcherEndpoint {
  const fromEnv = dispatcherFromEnv(env);
  return { host: fromEnv.host ?? config.host, port: fromEnv.port ?? config.port };
}

export function metricsAddress(
  config: OnsphereTargetConfig,
  osp: OspConfig | undefined,
  env: NodeJS.ProcessEnv = process.env,
): { host: string; port: number } {
  let port = config.metricsPort ?? osp?.metrics?.port ?? DEFAULT_PROMETHEUS_PORT;
  const raw = env.PROMETHEUS_PORT;
  if (raw !== undefined && raw !== '') {
    if (!/^\d{1,5}$/.test(raw) || Number(raw) > 65535) {
      throw new AgentError(
        'invalid-request',
        `PROMETHEUS_PORT must be a port number (0 disables), got '${raw}'`,
        { field: 'PROMETHEUS_PORT' },
      );
    }
    port = Number(raw);
  }
  return { host: config.metricsHost ?? DEFAULT_PROMETHEUS_HOST, port };
}
