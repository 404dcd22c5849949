import { z } from 'zod';

/** settings.json as every UI reads and writes it (getSettings / updateSettings). */

export const LANGUAGES = ['en', 'fr', 'de'] as const;

export const targetRecordSchema = z.object({
  name: z.string(),
  /** The kind whose driver validates `config` (an open set: one per registered driver). */
  kind: z.string().min(1),
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
