import { z } from 'zod';
import type { ContractShape } from './define.ts';
import { method } from './define.ts';
import { ONSPHERE_DISPATCHER_PORT } from './ports.ts';
import type { AgentWarning } from './warnings.ts';

const pemPath = (what: string) =>
  z.string().min(1, `${what} must be a path to a PEM file (or to the folder holding it)`);

export type OnsphereIdentityInfo = Omit<IdentitySummary, 'keyType'>;

export interface OnspherePairResult {
  target: string;
  identity: OnsphereIdentityInfo;
  dispatcher: { host: string; port: number };
  config: { version: string; module: string; kind: string; vhost: string; brokers: string[] };
  broker: { host: string; port: number; connected: boolean };
  warnings: AgentWarning[];
}

export interface OnspherePublishResult {
  target: string;
  valueId: string;
  /** 'queued': durable in the outbox; 'confirmed': the broker acknowledged it (--now). */
  outcome: 'queued' | 'confirmed';
  itemIds: string[];
}

export interface OnsphereStatus {
  target: string;
  dispatcher: { host: string; port: number };
  identity?: OnsphereIdentityInfo;
  config?: {
    version: string;
    fetchedAt: string;
    stale: boolean;
    staleReason?: string;
    module: string;
    vhost: string;
    brokers: string[];
  };
  /** The live session when the daemon runs in this process, or the probe's result. */
  session: { state: string; detail?: string; pending: number };
  metrics?: { host: string; port: number };
  warnings: AgentWarning[];
}

export const onsphereContract = {
  pairOnsphere: method<OnspherePairResult>()(
    z
      .object({
        name: z.string().min(1, 'name must name the target'),
        /** Absent: DISPATCHER_HOST / DISPATCHER_PORT of the agent's environment (§2.2). */
        dispatcher: z
          .object({
            host: z.string().min(1, 'dispatcher host must not be empty'),
            port: z
              .number()
              .int()
              .min(1, 'dispatcher port must be 1–65535')
              .max(65535, 'dispatcher port must be 1–65535')
              .default(ONSPHERE_DISPATCHER_PORT),
          })
          .strict()
          .optional(),
        caFile: pemPath('caFile (ca.crt)'),
        certFile: pemPath('certFile (module.crt or remote-connector.crt)'),
        keyFile: pemPath('keyFile (module.key or remote-connector.key)'),
        metricsPort: z.number().int().min(0).max(65535).optional(),
        metricsHost: z.string().min(1).optional(),
        replace: z.boolean().default(true),
      })
      .strict(),
    'Import ca.crt + module.crt + module.key, fetch the config from the OnSphere dispatcher, connect to the broker, then save the target (pairing.step events)',
  ),
  publishOnsphere: method<OnspherePublishResult>()(
    z
      .object({
        target: z.string().min(1, 'target must name an OnSphere target'),
        valueId: z.string().min(1, 'valueId must be a dotted value path'),
        value: z.union([z.number(), z.string(), z.boolean()]),
        quality: z.enum(['GOOD', 'STALE', 'ERROR']).optional(),
        /** Unix milliseconds; now by default. */
        timestamp: z.number().optional(),
        now: z.boolean().default(false),
      })
      .strict(),
    'Queue a value for an OnSphere target (durable), or with now=true publish it at once and resolve only on the broker confirm',
  ),
  getOnsphereStatus: method<OnsphereStatus>()(
    z
      .object({
        name: z.string().min(1, 'name must name an OnSphere target'),
        probe: z.boolean().default(false),
      })
      .strict(),
    'Identity, config version (fresh or last-known-good) and AMQP session of an OnSphere target',
  ),
} satisfies ContractShape;

// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface OnsphereEvents {}

export interface IdentitySummary {
  /** The connector name (§2.1). */
  cn: string;
  issuer: string;
  notBefore: string;
  notAfter: string;
  daysLeft: number;
  /** True within EXPIRY_WARNING_DAYS of notAfter (§2.1). */
  expiresSoon: boolean;
  /** SHA-256 of module.crt, colon hex as `openssl x509 -fingerprint -sha256`. */
  certFingerprint: string;
  caSubject: string;
  caFingerprint: string;
  keyType: string;
}
