import type { z } from 'zod';
import { AgentError } from '../contract/errors.ts';
import { ownValue } from '../own.ts';
import type { Settings } from '../settings/settings.ts';
import { type TargetDriver } from './driver.ts';
import { type TargetKind, type TargetRecord } from '../contract/targets.ts';
import { TARGET_NAME_PATTERN } from '../contract/targets.ts';

export function assertTargetName(name: string, field = 'name'): void {
  if (!TARGET_NAME_PATTERN.test(name)) {
    throw new AgentError(
      'invalid-request',
      `${field} '${name}' is not a valid target name: use 1–64 letters, digits, '.', '_' or '-', starting with a letter or digit`,
      { field },
    );
  }
}

/** A kind whose module is not loaded yet: its schema, and what loads the module. */
interface LazyKind {
  configSchema: z.ZodType<unknown>;
  load(): Promise<void>;
}

/** Paired servers, as stored in settings, and the driver that speaks to each. */
export class TargetRegistry {
  readonly #settings: Settings;
  readonly #drivers = new Map<TargetKind, TargetDriver<unknown>>();
  readonly #lazy = new Map<TargetKind, LazyKind>();

  constructor(settings: Settings) {
    this.#settings = settings;
  }

  registerDriver(driver: TargetDriver): void {
    this.#drivers.set(driver.kind, driver);
    this.#lazy.delete(driver.kind);
  }

  /**
   * A kind whose module loads on first use (issue #17): targets of it can be
   * saved (checked by `configSchema`) before its driver exists; saving one
   * calls `load`, which registers the driver once the module is loaded.
   */
  registerLazyKind(
    kind: TargetKind,
    configSchema: z.ZodType<unknown>,
    load: () => Promise<void>,
  ): void {
    if (!this.#drivers.has(kind)) this.#lazy.set(kind, { configSchema, load });
  }

  /**
   * Resolves once the kind's driver is registered, loading its module if
   * needed: what saves a target of another module's kind and then uses its
   * driver at once (a check importer) awaits this in between.
   */
  async loaded(kind: TargetKind): Promise<void> {
    await this.#lazy.get(kind)?.load();
  }

  driver(kind: TargetKind): TargetDriver<unknown> {
    const driver = this.#drivers.get(kind);
    if (driver === undefined) {
      throw new AgentError(
        'internal',
        this.#lazy.has(kind)
          ? `the ${kind} module is not loaded yet`
          : `no ${kind} driver is available in this build of Outpost`,
      );
    }
    return driver;
  }

  /** Whether the kind's driver is loaded (a lazy kind's is not, until its module loads). */
  hasDriver(kind: TargetKind): boolean {
    return this.#drivers.has(kind);
  }

  /** Whether this build has a module for the kind, loaded or not. */
  knowsKind(kind: TargetKind): boolean {
    return this.#drivers.has(kind) || this.#lazy.has(kind);
  }

  list(): TargetRecord[] {
    return Object.values(this.#settings.read().targets).map((t) => ({
      ...t,
      paused: t.paused ?? false,
    }));
  }

  find(name: string): TargetRecord | undefined {
    const record = ownValue(this.#settings.read().targets, name);
    return record === undefined ? undefined : { ...record, paused: record.paused ?? false };
  }

  get(name: string, field = 'target'): TargetRecord {
    const record = this.find(name);
    if (record === undefined) {
      const known = this.list().map((t) => t.name);
      throw new AgentError(
        'not-found',
        `unknown target '${name}'${known.length > 0 ? `: paired targets are ${known.join(', ')}` : ': no target is paired yet'}`,
        { field },
      );
    }
    return record;
  }

  /**
   * A saved target that a protocol's own method names: it must be of that
   * protocol's kind, and its config is read through the kind's driver schema.
   */
  getOfKind<Config = unknown>(
    name: string,
    kind: TargetKind,
    field = 'name',
  ): TargetRecord<Config> {
    const record = this.get(name, field);
    if (record.kind !== kind) {
      throw new AgentError(
        'invalid-request',
        `target '${name}' is a ${record.kind} target, not a ${kind} one`,
        { field },
      );
    }
    return { ...record, config: this.driver(kind).configSchema.parse(record.config) as Config };
  }

  /** Saves a target; its config is checked by the kind's driver schema. */
  save<Config>(
    name: string,
    kind: TargetKind,
    config: Config,
    options: { replace?: boolean } = {},
  ): TargetRecord<Config> {
    assertTargetName(name);
    const lazy = this.#lazy.get(kind);
    const configSchema = this.#drivers.get(kind)?.configSchema ?? lazy?.configSchema;
    if (configSchema === undefined) {
      throw new AgentError(
        'invalid-request',
        `kind '${kind}' has no module in this build of Outpost: known kinds are ${[...this.#drivers.keys(), ...this.#lazy.keys()].join(', ')}`,
        { field: 'kind' },
      );
    }
    const existing = this.find(name);
    if (existing !== undefined && existing.kind !== kind) {
      throw new AgentError(
        'conflict',
        `target '${name}' is already a ${existing.kind} target: remove it first or pick another name`,
        { field: 'name' },
      );
    }
    if (existing !== undefined && options.replace === false) {
      throw new AgentError('conflict', `target '${name}' already exists`, { field: 'name' });
    }
    const parsed = configSchema.parse(config);
    const record: TargetRecord<Config> = {
      name,
      kind,
      createdAt: existing?.createdAt ?? new Date().toISOString(),
      paused: existing?.paused ?? false,
      config: parsed as Config,
    };
    this.#settings.update((draft) => {
      draft.targets[name] = record;
    });
    // A target of a kind whose module is not loaded yet: the module is needed from now on
    // (the agent logs a failure to load it).
    lazy?.load().catch(() => undefined);
    return record;
  }

  setPaused(name: string, paused: boolean): TargetRecord {
    this.get(name);
    this.#settings.update((draft) => {
      const t = draft.targets[name];
      if (t !== undefined) t.paused = paused;
    });
    return this.get(name);
  }

  remove(name: string): void {
    this.get(name, 'name');
    this.#settings.update((draft) => {
      delete draft.targets[name];
    });
  }
}
