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
