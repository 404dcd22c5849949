import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Agent } from '../core/agent.ts';
import { redact } from '../core/log.ts';
import { createZip, type ZipEntry } from './zip.ts';

/** Per log file: enough to see what happened, small enough to mail. */
const MAX_LOG_BYTES = 2 * 1024 * 1024;

/**
 * "Collect diagnostics…" (issue #8): logs, settings without secrets,
 * versions and queue stats, as one zip. Settings never hold a secret
 * (registry.ts), and they are passed through the log redaction as well, so a
 * field named like a secret cannot slip in; secret *names* are listed, values never.
 */
export async function collectDiagnostics(
  agent: Agent,
  versions: Record<string, string>,
): Promise<Buffer> {
  const ctx = agent.context;
  const entries: ZipEntry[] = [];
  const info = await agent.api.getAgentInfo({});
  entries.push({
    name: 'versions.json',
    data: json({ ...versions, agent: info.version, runtime: info.runtime }),
  });
  entries.push({ name: 'settings.json', data: json(redact(await agent.api.getSettings({}))) });
  entries.push({
    name: 'agent.json',
    data: json({
      dataDir: info.dataDir,
      secretStore: info.secretStore,
      secretNames: await ctx.secrets.list(),
      targets: redact(await agent.api.listTargets({})),
    }),
  });
  entries.push({ name: 'queue-stats.json', data: json(await agent.api.getQueueStats({})) });
  for (const file of await logFiles(ctx.paths.logsDir)) {
    const data = await readFile(file.path);
    entries.push({
      name: `logs/${file.name}`,
      data: data.subarray(Math.max(0, data.length - MAX_LOG_BYTES)),
    });
  }
  return createZip(entries);
}

async function logFiles(dir: string): Promise<Array<{ name: string; path: string }>> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return [];
  }
  const out: Array<{ name: string; path: string }> = [];
  for (const name of names.sort()) {
    const path = join(dir, name);
    if ((await stat(path)).isFile()) out.push({ name, path });
  }
  return out;
}

function json(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}
