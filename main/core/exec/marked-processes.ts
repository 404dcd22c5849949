import { readdirSync, readFileSync } from 'node:fs';

/**
 * The processes other than this one whose environment holds `name=value`
 * (Linux /proc), described as `pid 1234 (sleep 12)`; undefined where the
 * platform cannot tell. runCommand marks each run's environment, which every
 * descendant inherits, so this finds the ones that left the process group
 * (setsid, daemons) and were reparented away from the plugin.
 */
export function processesMarked(name: string, value: string): string[] | undefined {
  if (process.platform !== 'linux') return undefined;
  const marker = `${name}=${value}\0`;
  const found: string[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      if (!readFileSync(`/proc/${entry}/environ`, 'utf8').includes(marker)) continue;
      const command = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0').filter(Boolean);
      // A zombie has no command line: it holds nothing and runs nothing.
      if (command.length > 0) found.push(`pid ${entry} (${command.join(' ')})`);
    } catch {
      // another user's process, or gone meanwhile
    }
  }
  return found;
}
