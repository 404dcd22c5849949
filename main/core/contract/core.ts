import { z } from 'zod';
import type { AgentKeyInfo, Pin, StoredCertificate } from './identity.ts';
import type { LogLine } from './log.ts';
import type { SettingsData } from './settings.ts';
import { LANGUAGES } from './settings.ts';
import type { TargetKind, TargetStatus } from './targets.ts';
import { method } from './define.ts';
import type { CheckTarget } from './check-definitions.ts';

const empty = z.object({}).strict().default({});

export interface AgentInfo {
  version: string;
  dataDir: string;
  settingsPath: string;
  logFile: string;
  runtime: { node: string; platform: string; arch: string };
  secretStore: { backend: string; encrypted: boolean };
}

export interface IdentitySummary {
  agentKey: Omit<AgentKeyInfo, 'publicKeyPem'> & { publicKeyPem: string };
  certificates: StoredCertificate[];
  pins: Pin[];
  tickets: Array<{ target: string; masked: string }>;
  secretStore: { backend: string; encrypted: boolean };
}

export interface ThumbprintResult {
  thumbprint: string;
  bits: number;
  source: string;
}

export interface TargetSummary {
  name: string;
  kind: TargetKind;
  paused: boolean;
  createdAt: string;
  /** The target's config without secrets. */
  config: unknown;
  status: TargetStatus;
  /** The naming fields a check's entry for this target may set (its driver's `checkNaming`). */
  checkNaming: Array<keyof CheckTarget>;
}

export const coreContract = {
  getAgentInfo: method<AgentInfo>()(empty, 'Version, data directory and runtime of this agent'),
  getIdentity: method<IdentitySummary>()(
    empty,
    'Every key, certificate, pin and ticket the agent holds, with thumbprints and fingerprints',
  ),
  getThumbprint: method<ThumbprintResult>()(
    z
      .object({
        keyPath: z
          .string()
          .min(1, 'keyPath must be a path to a PEM public or private key')
          .optional(),
      })
      .strict()
      .default({}),
    'RFC 7638 JWK thumbprint of a PEM key, or of the agent key',
  ),
  revealTicket: method<{ target: string; ticket: string }>()(
    z
      .object({ target: z.string().min(1, 'target must name a target that holds a ticket') })
      .strict(),
    'The full pairing ticket of a target, for the user who clicked "reveal" (logged, without the value)',
  ),
  listTargets: method<TargetSummary[]>()(empty, 'Every paired target with its connection state'),
  removeTarget: method<{ removed: string }>()(
    z.object({ name: z.string().min(1, 'name must name a paired target') }).strict(),
    'Forget a paired target, its certificates, pins and secrets',
  ),
  getSettings: method<SettingsData>()(empty, 'The settings file, without secrets'),
  updateAgentSettings: method<SettingsData>()(
    z
      .object({
        name: z.string().min(1).max(255).optional(),
        language: z.enum(LANGUAGES).optional(),
        theme: z.enum(['system', 'light', 'dark']).optional(),
        startAtLogin: z.boolean().optional(),
        autoUpdate: z.boolean().optional(),
      })
      .strict(),
    'Change the agent section of the settings',
  ),
  getRecentLogs: method<LogLine[]>()(
    z
      .object({
        level: z.enum(['debug', 'info', 'warn', 'error']).optional(),
        contains: z.string().max(200).optional(),
        limit: z.number().int().min(1).max(1000).default(200),
      })
      .strict()
      .default({ limit: 200 }),
    'The most recent log lines, filtered',
  ),
};

export interface PairingStep {
  target: string;
  kind: TargetKind;
  step: string;
  status: 'running' | 'done' | 'waiting' | 'failed';
  detail?: string;
}

export interface CoreEvents {
  log: LogLine;
  'target.state': { target: string; status: TargetStatus };
  'pairing.step': PairingStep;
  /** Something a person should see even with the window closed (tray notification). */
  notice: { level: 'info' | 'warning' | 'error'; title: string; body: string; target?: string };
}
