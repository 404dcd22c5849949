import type { CommandSpec } from '../command.ts';

/**
 * The whole `outpost` command tree, one loader per group; each issue adds its
 * module's group here. A group's code (and the protocol code it imports) loads
 * only when one of its commands runs (issue #17): help and argument parsing
 * read the commands' descriptions from ./manifest.ts.
 */
export const COMMAND_GROUPS = {
  identity: async () => (await import('./identity.ts')).identityCommands,
  target: async () => (await import('./target.ts')).targetCommands,
  run: async () => (await import('./run.ts')).runCommands,
  ui: async () => (await import('./ui.ts')).uiCommands,
  icinga: async () => (await import('./icinga.ts')).icingaCommands,
  check: async () => (await import('./check.ts')).checkCommands,
  pandora: async () => (await import('./pandora.ts')).pandoraCommands,
  tentacle: async () => (await import('./tentacle.ts')).tentacleCommands,
  queue: async () => (await import('./queue.ts')).queueCommands,
  onsphere: async () => (await import('./onsphere.ts')).onsphereCommands,
  gorgone: async () => (await import('./gorgone.ts')).gorgoneCommands,
} satisfies Record<string, () => Promise<readonly CommandSpec[]>>;

export type CommandGroup = keyof typeof COMMAND_GROUPS;
