/**
 * Each Pandora agent definition's own copy of `pandora_agent.conf`, private
 * (0600) under the data directory: the bytes are what remote configuration
 * hashes (pandora-remote-config.md §10.1), so they are kept exactly as
 * imported or downloaded, never rewritten cosmetically.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { AgentContext } from '../../context.ts';
import { ensurePrivateDir, writeFileAtomic } from '../../fsutil.ts';

const CONF_FILE = 'pandora_agent.conf';
/** §10.5: one backup of the conf that was replaced. */
const BACKUP_FILE = 'pandora_agent.conf.bak';

function agentDir(ctx: AgentContext, agent: string): string {
  return join(ctx.paths.root, 'pandora-agents', agent);
}

export function confPath(ctx: AgentContext, agent: string): string {
  return join(agentDir(ctx, agent), CONF_FILE);
}

/** Where the md5 and conf downloads land before they are checked (never the conf itself). */
export async function stagingDir(ctx: AgentContext, agent: string): Promise<string> {
  const dir = join(agentDir(ctx, agent), 'incoming');
  await ensurePrivateDir(dir);
  return dir;
}

export async function readLocalConf(ctx: AgentContext, agent: string): Promise<Buffer | undefined> {
  try {
    return await readFile(confPath(ctx, agent));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/** §10.5: temp file in the same directory, fsync, rename; the previous conf kept as the backup. */
export async function writeLocalConf(
  ctx: AgentContext,
  agent: string,
  bytes: Uint8Array,
): Promise<void> {
  const dir = agentDir(ctx, agent);
  await ensurePrivateDir(dir);
  const previous = await readLocalConf(ctx, agent);
  if (previous !== undefined && !previous.equals(bytes))
    await writeFileAtomic(join(dir, BACKUP_FILE), previous, 0o600);
  await writeFileAtomic(confPath(ctx, agent), bytes, 0o600);
}
