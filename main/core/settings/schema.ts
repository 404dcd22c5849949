import { z } from 'zod';
import { TARGET_KINDS } from '../targets/driver.ts';

export const LANGUAGES = ['en', 'fr', 'de'] as const;

export const targetRecordSchema = z.object({
  name: z.string(),
  kind: z.enum(TARGET_KINDS),
  createdAt: z.string(),
  paused: z.boolean().default(false),
  /** Validated by the target's protocol driver (`configSchema`). Never holds a secret. */
  config: z.unknown(),
});

/**
 * Version 1 of settings.json. Protocol and check modules keep their own
 * sections (`gorgone`, `checks`, …) and validate them themselves, so this
 * schema passes unknown sections through untouched.
 */
export const settingsSchema = z
  .object({
    schemaVersion: z.number().int().positive(),
    agent: z
      .object({
        /** Endpoint name / CN this agent uses by default (Icinga, OnSphere). */
        name: z.string().optional(),
        language: z.enum(LANGUAGES).default('en'),
        theme: z.enum(['system', 'light', 'dark']).default('system'),
        startAtLogin: z.boolean().default(false),
        autoUpdate: z.boolean().default(true),
      })
      .prefault({}),
    targets: z.record(z.string(), targetRecordSchema).default({}),
  })
  .passthrough();

export type SettingsData = z.output<typeof settingsSchema>;

/** Migration N turns a version-N file into version N+1. */
export type SettingsMigration = (data: Record<string, unknown>) => Record<string, unknown>;

export const SETTINGS_MIGRATIONS: readonly SettingsMigration[] = [
  // 0 → 1: files written before the schema was versioned had no schemaVersion and kept
  // paired targets under `servers`.
  (data) => {
    const { servers, ...rest } = data;
    const targets = (rest.targets as Record<string, unknown> | undefined) ?? {};
    return {
      ...rest,
      targets: { ...(servers as Record<string, unknown> | undefined), ...targets },
    };
  },
];

export const CURRENT_SETTINGS_VERSION = SETTINGS_MIGRATIONS.length;
