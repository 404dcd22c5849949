import type { CommandSpec } from '../command.ts';
import { COMMAND_GROUPS, type CommandGroup } from './index.ts';

/** What help and argument parsing need of a command: everything but its code, and its group. */
export type CommandInfo = Omit<CommandSpec, 'run'> & { group: CommandGroup };

/** Loads every group and keeps its commands' descriptions (plain data: no functions). */
export async function describeCommands(): Promise<CommandInfo[]> {
  const out: CommandInfo[] = [];
  for (const [group, load] of Object.entries(COMMAND_GROUPS)) {
    for (const { run: _run, ...info } of await load())
      out.push({ ...info, group: group as CommandGroup });
  }
  return out;
}

/**
 * Every command's description. Run from the sources, it is read from the
 * groups themselves (which loads them all); the build replaces this module
 * with the same list written out as data (main/cli/vite.config.ts), so that
 * `--help` and argument parsing load no command's code (issue #17).
 */
export const COMMAND_MANIFEST: readonly CommandInfo[] = await describeCommands();
