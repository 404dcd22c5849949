import { z } from 'zod';
import { isIpAddress } from './ip-address.ts';
import { TENTACLE_DEFAULT_PORT } from './ports.ts';
import type { ContractShape } from './define.ts';
import { method } from './define.ts';
import type { AgentWarning } from './warnings.ts';

/**
 * Longest silence we accept from the server (tentacle_client's -t × (-r + 1),
 * §12): a day, well below what a Node timer can hold.
 */
export const MAX_IDLE_TIMEOUT_SECONDS = 86_400;

/** tentacle_client's -t and -r defaults (§12), for when only one of them is given. */
export const REFERENCE_WAIT_SECONDS = 1;
export const REFERENCE_RETRIES = 3;

/**
 * tentacle_client waits at most -t s per readiness check and gives up after
 * more than -r failed checks in a row (§12): silence of -t × (-r + 1) s, the
 * connection's idleTimeoutSeconds. Undefined when neither is given (our own
 * timeout applies). The CLI's -t/-r and pandora_agent.conf's import both say it so.
 */
export function idleTimeoutFromClientFlags(
  wait: number | undefined,
  retries: number | undefined,
): number | undefined {
  if (wait === undefined && retries === undefined) return undefined;
  return (wait ?? REFERENCE_WAIT_SECONDS) * ((retries ?? REFERENCE_RETRIES) + 1);
}

const path = (what: string) => z.string().min(1, `${what} must be a path to a PEM file`);

export const proxySchema = z
  .object({
    host: z.string().min(1, 'proxy host must not be empty'),
    port: z
      .number()
      .int()
      .min(1, 'proxy port must be 1–65535')
      .max(65535, 'proxy port must be 1–65535'),
    user: z.string().min(1).optional(),
  })
  .strict();

/** Everything needed to reach a server, without secrets. */
export const connectionSchema = z
  .object({
    host: z.string().min(1, 'host must name the Tentacle server (-a HOST)'),
    port: z
      .number()
      .int()
      .min(1, 'port must be 1–65535')
      .max(65535, 'port must be 1–65535')
      .default(TENTACLE_DEFAULT_PORT),
    tls: z.boolean().default(false),
    caFile: path('caFile').optional(),
    certFile: path('certFile').optional(),
    keyFile: path('keyFile').optional(),
    insecure: z.boolean().default(false),
    allowPlainPassword: z.boolean().default(false),
    proxy: proxySchema.optional(),
    zip: z.boolean().default(false),
    /** tentacle_client -b: local address the TCP socket (to the server, or to the proxy) is bound to. */
    bindAddress: z
      .string()
      .refine(isIpAddress, {
        error: (issue) =>
          `bindAddress (-b) '${String(issue.input)}' must be an IPv4 or IPv6 address of this machine, like 10.0.0.5 or fe80::1%eth0`,
      })
      .optional(),
    /**
     * §12: how long the server (or proxy) may stay silent before we give up;
     * tentacle_client's -t × (-r + 1). Absent: our own 15 s.
     */
    idleTimeoutSeconds: z
      .number()
      .int('idleTimeoutSeconds must be whole seconds')
      .min(1, `idleTimeoutSeconds must be 1–${MAX_IDLE_TIMEOUT_SECONDS}`)
      .max(MAX_IDLE_TIMEOUT_SECONDS, `idleTimeoutSeconds must be 1–${MAX_IDLE_TIMEOUT_SECONDS}`)
      .optional(),
  })
  .strict();

export const AFTER_DELIVERY = ['remove', 'move'] as const;

export const outboxSchema = z
  .object({
    dir: z.string().min(1, 'outbox.dir must be a folder path'),
    afterDelivery: z.enum(AFTER_DELIVERY).default('move'),
  })
  .strict();

/**
 * When a target's secondary server gets a data file (pandora-remote-config.md
 * §11, §12.1): `on_error` only when the primary failed it, `always` a copy of
 * every file with its own queue item. The agent's `never` is no secondary.
 */
export const SECONDARY_MODES = ['on_error', 'always'] as const;
export type SecondaryMode = (typeof SECONDARY_MODES)[number];

/**
 * A second Tentacle server with its own address, TLS, certificates, proxy and
 * (in the SecretStore) password: the primary's password never goes to it (§14.5).
 */
export const secondarySchema = connectionSchema
  .extend({
    mode: z.enum(SECONDARY_MODES, {
      error: () => "secondary.mode must be 'on_error' or 'always'",
    }),
  })
  .strict();

export const tentacleTargetConfigSchema = connectionSchema
  .extend({ outbox: outboxSchema.optional(), secondary: secondarySchema.optional() })
  .strict();

export type TentacleTargetConfig = z.output<typeof tentacleTargetConfigSchema>;

/** Secrets travel in requests only; they are stored in the SecretStore, never in settings (tentacle.md §8). */
const secretFields = {
  password: z.string().optional(),
  keyPassphrase: z.string().optional(),
  proxyPassword: z.string().optional(),
};

/** Either a saved target or an ad-hoc connection (the CLI's `-a HOST ...` flags). */
const whereSchema = z.union([
  z.object({ target: z.string().min(1, 'target must name a saved Tentacle target') }).strict(),
  z.object({ connection: connectionSchema, ...secretFields }).strict(),
]);

export interface TentacleFileResult {
  /** The local path (send) or remote name (get). */
  file: string;
  name: string;
  ok: boolean;
  bytes?: number;
  path?: string;
  error?: { code: string; message: string; field?: string; transient: boolean };
}

export interface TentacleTransferResult {
  server: string;
  /** True only when the server acknowledged (send) or delivered (get) every file. */
  allOk: boolean;
  results: TentacleFileResult[];
  /** Shown by every UI: insecure TLS, plain TCP… */
  warnings: AgentWarning[];
  tls?: { version: string; peerSubject: string; peerIssuer: string; fingerprint256: string };
}

export interface TentacleTargetInfo {
  name: string;
  config: TentacleTargetConfig;
  secrets: { password: boolean; keyPassphrase: boolean; proxyPassword: boolean };
  /** The secondary server's own secrets, when it has one. */
  secondarySecrets?: { password: boolean; keyPassphrase: boolean; proxyPassword: boolean };
  warnings: AgentWarning[];
}

export interface TentacleTestResult {
  name: string;
  /** The primary server answered (the secondary's answer is `secondary.ok`). */
  ok: boolean;
  warnings: AgentWarning[];
  tls?: { version: string; peerSubject: string; peerIssuer: string; fingerprint256: string };
  error?: { code: string; message: string; transient: boolean };
  /** The secondary server's own test (its own secrets), when the target has one. */
  secondary?: {
    server: string;
    mode: SecondaryMode;
    ok: boolean;
    tls?: { version: string; peerSubject: string; peerIssuer: string; fingerprint256: string };
    error?: { code: string; message: string; transient: boolean };
  };
}

export const tentacleContract = {
  addTentacleTarget: method<TentacleTargetInfo>()(
    z
      .object({
        name: z.string().min(1, 'name must name the target'),
        connection: connectionSchema,
        outbox: outboxSchema.optional(),
        ...secretFields,
        /** Absent: the target has no secondary server (a saved one is removed). */
        secondary: secondarySchema.optional(),
        secondaryPassword: z.string().optional(),
        secondaryKeyPassphrase: z.string().optional(),
        secondaryProxyPassword: z.string().optional(),
        replace: z.boolean().default(true),
      })
      .strict(),
    'Save a Tentacle target (settings) and its password, key passphrase and proxy password (SecretStore), with an optional secondary server and its own secrets',
  ),
  sendTentacleFiles: method<TentacleTransferResult>()(
    z.intersection(
      whereSchema,
      z.object({
        files: z
          .array(z.string().min(1, 'files must be paths'))
          .min(1, 'files must name at least one file'),
        zip: z.boolean().optional(),
      }),
    ),
    'Send files now over one Tentacle session (not through the queue); allOk only when the server acknowledged every file',
  ),
  fetchTentacleFiles: method<TentacleTransferResult>()(
    z.intersection(
      whereSchema,
      z.object({
        names: z
          .array(z.string().min(1, 'names must be file names'))
          .min(1, 'names must name at least one file'),
        dir: z.string().min(1, 'dir must be a folder'),
        overwrite: z.boolean().default(false),
        zip: z.boolean().optional(),
        maxBytes: z.number().int().positive().optional(),
      }),
    ),
    'Download files from a Tentacle server into a folder (temp file then rename; never overwrites unless asked)',
  ),
  testTentacleTarget: method<TentacleTestResult>()(
    z.object({ name: z.string().min(1, 'name must name a saved Tentacle target') }).strict(),
    'Connect to a saved Tentacle target, authenticate and QUIT: shows TLS details and warnings',
  ),
} satisfies ContractShape;

export interface TentacleEvents {
  'tentacle.progress': {
    target?: string;
    server: string;
    direction: 'send' | 'recv';
    name: string;
    bytes: number;
    total: number;
  };
  /** A file picked up from an outbox folder and queued. */
  'tentacle.outbox': {
    target: string;
    file: string;
    itemId?: string;
    action: 'queued' | 'delivered' | 'rejected';
    detail?: string;
  };
}
