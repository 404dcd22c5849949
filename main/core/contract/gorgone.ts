import { z } from 'zod';
import { commandPolicyChangesSchema, commandPolicySchema } from './command-policy.ts';
import type { ContractShape } from './define.ts';
import { method } from './define.ts';
import { GORGONE_DEFAULT_PORT } from './ports.ts';

const empty = z.object({}).strict().default({});
const thumbprint = z
  .string()
  .regex(
    /^[A-Za-z0-9_-]{43}$/,
    'a Gorgone key thumbprint is 43 base64url characters (gorgone_key_thumbprint.pl output)',
  );
const pemFile = (what: string) => z.string().min(1, `${what} must be a path to a PEM public key`);
const port = z.number().int().min(1, 'port must be 1–65535').max(65535, 'port must be 1–65535');

export interface GorgoneThumbprintResult {
  thumbprint: string;
  bits: number;
  publicKeyPath: string;
  /** The line to paste under `gorgonecore.authorized_clients` on the server (gorgone.md §6). */
  authorizedClientsLine: string;
}

export interface GorgoneServerKeyResult {
  server: string;
  thumbprint: string;
  bits: number;
  /** Whether this thumbprint matches the pin already stored for that target. */
  pinned: 'match' | 'mismatch' | 'none';
}

export interface GorgonePairResult {
  name: string;
  server: string;
  nodeId: string;
  serverThumbprint: string;
  serverHostname: string;
  clientThumbprint: string;
  registered: boolean;
}

export interface GorgonePingResult {
  name: string;
  server: string;
  id: string;
  hostname: string;
  nodes: Record<string, unknown>;
  serverThumbprint: string;
}

export interface GorgoneAuthorizedClient {
  thumbprint: string;
  comment?: string | undefined;
}

export interface GorgoneListenResult {
  enabled: boolean;
  bind: string;
  rotationSeconds: number;
  thumbprint: string;
  authorizedClients: GorgoneAuthorizedClient[];
  /** The `register` entry the central needs (`- id: N`, `type: push_zmq`, `address`, `port`). */
  registerSnippet: string;
}

export interface GorgoneSettingsView {
  listener: {
    enabled: boolean;
    bind: string;
    rotationSeconds: number;
    nodeId?: string | undefined;
  };
  authorizedClients: GorgoneAuthorizedClient[];
  command: z.output<typeof commandPolicySchema>;
  processcopy: { enabled: boolean; destination?: string | undefined };
}

const authorizeSchema = z
  .object({
    thumbprint: thumbprint.optional(),
    /** The central's public key file (the Centreon procedure copies it over). */
    publicKeyFile: pemFile('publicKeyFile').optional(),
    comment: z.string().max(200).optional(),
  })
  .strict()
  .refine((v) => (v.thumbprint === undefined) !== (v.publicKeyFile === undefined), {
    message: 'give exactly one of thumbprint or publicKeyFile',
    path: ['thumbprint'],
  });

export const gorgoneContract = {
  getGorgoneThumbprint: method<GorgoneThumbprintResult>()(
    empty,
    "This agent's JWK thumbprint and the authorized_clients YAML line to paste on the Gorgone server",
  ),
  getGorgoneServerKey: method<GorgoneServerKeyResult>()(
    z
      .object({
        host: z.string().min(1, 'host must name the Gorgone server'),
        port: port.default(GORGONE_DEFAULT_PORT),
        name: z.string().optional(),
      })
      .strict(),
    "Fetches a Gorgone server's public key ([GETPUBKEY], unauthenticated) and shows its thumbprint for confirmation",
  ),
  pairGorgone: method<GorgonePairResult>()(
    z
      .object({
        name: z.string().min(1, 'name must name the new target'),
        host: z.string().min(1, 'host must name the Gorgone central'),
        port: port.default(GORGONE_DEFAULT_PORT),
        nodeId: z
          .string()
          .regex(/^\d+$/, 'nodeId must be the numeric id the central gives this node'),
        serverPublicKeyFile: pemFile('serverPublicKeyFile').optional(),
        trustThumbprint: thumbprint.optional(),
        allowCommands: z.array(z.string()).default([]),
        allowCopyDir: z.string().min(1).optional(),
      })
      .strict()
      .refine((v) => v.serverPublicKeyFile !== undefined || v.trustThumbprint !== undefined, {
        message:
          'the server key must be confirmed: pass trustThumbprint (shown by getGorgoneServerKey) or serverPublicKeyFile',
        path: ['trustThumbprint'],
      }),
    'Handshake with a Gorgone central, pin its key and register this agent as a pull-mode node',
  ),
  pingGorgone: method<GorgonePingResult>()(
    z.object({ name: z.string().min(1, 'name must name a paired Gorgone target') }).strict(),
    'Controller PING of a paired Gorgone server: its node status map',
  ),
  listenGorgone: method<GorgoneListenResult>()(
    z
      .object({
        bind: z.string().optional(),
        nodeId: z.string().regex(/^\d+$/, 'nodeId must be a number').optional(),
        rotationSeconds: z.number().int().min(5).optional(),
        authorize: z.array(thumbprint).default([]),
        authorizeKeyFiles: z.array(pemFile('authorizeKeyFiles[]')).default([]),
        enabled: z.boolean().default(true),
      })
      .strict(),
    'Enables (or disables) the push-mode node listener and authorizes centrals by thumbprint or public key',
  ),
  listGorgoneAuthorized: method<GorgoneListenResult>()(
    empty,
    'The centrals allowed to connect to the push-mode listener',
  ),
  addGorgoneAuthorized: method<GorgoneAuthorizedClient>()(
    authorizeSchema,
    'Authorizes a central by thumbprint or public key',
  ),
  removeGorgoneAuthorized: method<GorgoneAuthorizedClient>()(
    z.object({ thumbprint }).strict(),
    'Removes a central from the authorized list',
  ),
  getGorgoneSettings: method<GorgoneSettingsView>()(empty, 'The gorgone settings section'),
  updateGorgoneSettings: method<GorgoneSettingsView>()(
    z
      .object({
        listener: z
          .object({
            enabled: z.boolean().optional(),
            bind: z.string().optional(),
            rotationSeconds: z.number().int().optional(),
            nodeId: z.string().optional(),
          })
          .strict()
          .optional(),
        command: commandPolicyChangesSchema.optional(),
        processcopy: z
          .object({ enabled: z.boolean().optional(), destination: z.string().optional() })
          .strict()
          .optional(),
      })
      .strict(),
    'Changes the listener, COMMAND policy or PROCESSCOPY folder (validated as a whole)',
  ),
} satisfies ContractShape;

export interface GorgoneEvents {
  'gorgone.state': { name: string; state: string; detail?: string };
}
