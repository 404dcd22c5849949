/**
 * The `gorgone` settings section and the gorgone target config, validated
 * here (settings.json passes module sections through untouched).
 */
import { z } from 'zod';
import { AgentError } from '../../contract/errors.ts';
import { commandPolicySchema } from '../../contract/command-policy.ts';
import type { Settings } from '../../settings/settings.ts';
import { parseWith } from '../../contract/parse.ts';
import { formatHostPort } from '../../contract/host-port.ts';
import { GORGONE_DEFAULT_PORT } from '../../contract/ports.ts';
import { DEFAULT_MAX_ARCHIVE_BYTES, DEFAULT_MAX_ARCHIVE_ENTRIES } from './tar.ts';

/** Default cap on a `type: regular` file, the archives' default (here, not in actions.ts: the agent reads this schema without loading the protocol's code, issue #17). */
export const DEFAULT_MAX_FILE_BYTES = DEFAULT_MAX_ARCHIVE_BYTES;
/**
 * gorgone's proxy sends the chunks of one copy back to back (§8); ten minutes
 * without one means the central or the connection went away.
 */
export const DEFAULT_COPY_IDLE_TIMEOUT_SECONDS = 600;

/** The central's external_com_path port unless a target says otherwise (§1). */
export const DEFAULT_PORT = GORGONE_DEFAULT_PORT;
/** §5 external_com_rotation default: 1440 minutes. */
export const DEFAULT_ROTATION_SECONDS = 86_400;

/** RFC 7638 SHA-256 thumbprints are 43 base64url characters (§6). */
export const thumbprintSchema = z
  .string()
  .regex(
    /^[A-Za-z0-9_-]{43}$/,
    'a Gorgone key thumbprint is 43 base64url characters (gorgone_key_thumbprint.pl output)',
  );

export const listenerSettingsSchema = z
  .object({
    enabled: z.boolean().default(false),
    /**
     * external_com_path: `*:5556` (every interface) as in the Centreon procedure, since
     * the central must reach a push-mode node. The listener is off by default and
     * only authorized centrals get past the handshake; set 127.0.0.1 or one
     * interface's address to narrow it (README "Push-mode listener exposure").
     */
    bind: z
      .string()
      .regex(
        /^(\*|\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):\d{1,5}$/,
        'bind must be HOST:PORT, e.g. *:5556 or 127.0.0.1:5556',
      )
      .default(`*:${DEFAULT_PORT}`),
    rotationSeconds: z
      .number()
      .int()
      .min(5)
      .max(30 * 86_400)
      .default(DEFAULT_ROTATION_SECONDS),
    /** The id the central gives this node in its `register` config. */
    nodeId: z.string().regex(/^\d+$/, 'nodeId must be a number').optional(),
  })
  .strict();

export const authorizedClientSchema = z
  .object({ thumbprint: thumbprintSchema, comment: z.string().max(200).optional() })
  .strict();

export const gorgoneSettingsSchema = z
  .object({
    listener: listenerSettingsSchema.prefault({}),
    authorizedClients: z.array(authorizedClientSchema).default([]),
    command: commandPolicySchema.prefault({}),
    processcopy: z
      .object({
        enabled: z.boolean().default(false),
        destination: z.string().min(1, 'processcopy.destination must be a folder path').optional(),
        /** `type: archive`: the unpacked tar stream (and the transferred tar.gz) may not exceed this. */
        maxArchiveBytes: z
          .number()
          .int()
          .min(1024 * 1024)
          .max(16 * 1024 * 1024 * 1024)
          .default(DEFAULT_MAX_ARCHIVE_BYTES),
        /** `type: archive`: files + directories. */
        maxArchiveEntries: z
          .number()
          .int()
          .min(1)
          .max(1_000_000)
          .default(DEFAULT_MAX_ARCHIVE_ENTRIES),
        /** `type: regular`: the file may not exceed this. */
        maxFileBytes: z
          .number()
          .int()
          .min(1024 * 1024)
          .max(16 * 1024 * 1024 * 1024)
          .default(DEFAULT_MAX_FILE_BYTES),
        /** A transfer with no chunk for this long is abandoned, its partial file removed. */
        idleTimeoutSeconds: z
          .number()
          .int()
          .min(10)
          .max(86_400)
          .default(DEFAULT_COPY_IDLE_TIMEOUT_SECONDS),
      })
      .strict()
      .prefault({}),
  })
  .strict();

export type GorgoneSettings = z.output<typeof gorgoneSettingsSchema>;

export function readGorgoneSettings(settings: Settings): GorgoneSettings {
  return parseWith(gorgoneSettingsSchema, settings.section('gorgone') ?? {}, 'gorgone.');
}

export function updateGorgoneSettings(
  settings: Settings,
  mutate: (draft: GorgoneSettings) => void,
): GorgoneSettings {
  const draft = structuredClone(readGorgoneSettings(settings));
  mutate(draft);
  const parsed = parseWith(gorgoneSettingsSchema, draft, 'gorgone.');
  if (parsed.processcopy.enabled && parsed.processcopy.destination === undefined) {
    throw new AgentError(
      'invalid-request',
      'processcopy.destination must name the one folder deployed files may go to',
      {
        field: 'gorgone.processcopy.destination',
      },
    );
  }
  settings.update((data) => {
    (data as Record<string, unknown>).gorgone = parsed;
  });
  return parsed;
}

/** A paired central (pull mode): no secret, the server key pin lives in the identity store. */
export const gorgoneTargetConfigSchema = z
  .object({
    host: z.string().min(1, 'host must name the Gorgone central'),
    port: z
      .number()
      .int()
      .min(1, 'port must be 1–65535')
      .max(65535, 'port must be 1–65535')
      .default(DEFAULT_PORT),
    nodeId: z.string().regex(/^\d+$/, 'nodeId must be the numeric id the central gives this node'),
  })
  .strict();

export type GorgoneTargetConfig = z.output<typeof gorgoneTargetConfigSchema>;

export function endpointOf(config: { host: string; port: number }): string {
  return `tcp://${formatHostPort(config)}`;
}
