import type { CommandSpec } from '../command.ts';
import { checkCommands } from './check.ts';
import { gorgoneCommands } from './gorgone.ts';
import { icingaCommands } from './icinga.ts';
import { identityCommands } from './identity.ts';
import { onsphereCommands } from './onsphere.ts';
import { queueCommands } from './queue.ts';
import { runCommands } from './run.ts';
import { targetCommands } from './target.ts';
import { tentacleCommands } from './tentacle.ts';
import { uiCommands } from './ui.ts';

/** The whole `outpost` command tree; each issue adds its module's commands here. */
export const COMMANDS: readonly CommandSpec[] = [
  ...identityCommands,
  ...targetCommands,
  ...runCommands,
  ...uiCommands,
  ...icingaCommands,
  ...checkCommands,
  ...tentacleCommands,
  ...queueCommands,
  ...onsphereCommands,
  ...gorgoneCommands,
];
