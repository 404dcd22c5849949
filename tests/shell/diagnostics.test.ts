import { execFileSync } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Agent } from '../../main/core/agent.ts';
import { collectDiagnostics } from '../../main/shell/diagnostics.ts';
import { createZip } from '../../main/shell/zip.ts';
import { makeTempDir, which } from '../peers/util.ts';

const unzip = which('unzip');
const SECRET = 'S3cr3t-ticket-value-4f1e2d';

describe.skipIf(unzip === undefined && process.env.CI === undefined)('diagnostics zip', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  let agent: Agent;

  beforeAll(async () => {
    if (unzip === undefined) throw new Error('unzip is missing: CI must install it');
    ({ dir, cleanup } = await makeTempDir('diag'));
    agent = await Agent.open({ dataDir: join(dir, 'data') });
    await agent.context.secrets.set('target/ic/ticket', SECRET);
    agent.context.log.info('pairing', { ticket: SECRET, target: 'ic' });
    await agent.api.updateAgentSettings({ name: 'ws-42' });
  });
  afterAll(async () => {
    await agent?.close();
    await cleanup?.();
  });

  it('holds versions, settings, queue stats and logs, and never a secret value', async () => {
    const zipPath = join(dir, 'diag.zip');
    await writeFile(zipPath, await collectDiagnostics(agent, { electron: '45.0.0' }));
    const listing = execFileSync(unzip!, ['-Z1', zipPath], { encoding: 'utf8' }).trim().split('\n');
    expect(listing).toEqual(
      expect.arrayContaining([
        'versions.json',
        'settings.json',
        'agent.json',
        'queue-stats.json',
        'logs/outpost.log',
      ]),
    );
    const all = execFileSync(unzip!, ['-p', zipPath], { encoding: 'utf8' });
    expect(all).not.toContain(SECRET);
    const settings = JSON.parse(
      execFileSync(unzip!, ['-p', zipPath, 'settings.json'], { encoding: 'utf8' }),
    ) as { agent: { name: string } };
    expect(settings.agent.name).toBe('ws-42');
    const versions = JSON.parse(
      execFileSync(unzip!, ['-p', zipPath, 'versions.json'], { encoding: 'utf8' }),
    ) as Record<string, unknown>;
    expect(versions.electron).toBe('45.0.0');
    const info = JSON.parse(
      execFileSync(unzip!, ['-p', zipPath, 'agent.json'], { encoding: 'utf8' }),
    ) as { secretNames: string[] };
    expect(info.secretNames).toEqual(['target/ic/ticket']);
  });

  it('writes a zip that unzip verifies, with UTF-8 names and binary content intact', async () => {
    const binary = Buffer.from(Array.from({ length: 5000 }, (_, i) => (i * 7) % 256));
    const zipPath = join(dir, 'plain.zip');
    await writeFile(
      zipPath,
      createZip([
        { name: 'été/données.txt', data: 'bonjour\n' },
        { name: 'bin.dat', data: binary },
      ]),
    );
    execFileSync(unzip!, ['-tq', zipPath]);
    const out = join(dir, 'x');
    await mkdir(out);
    execFileSync(unzip!, ['-q', zipPath, '-d', out]);
    expect(execFileSync('cat', [join(out, 'été', 'données.txt')], { encoding: 'utf8' })).toBe(
      'bonjour\n',
    );
    expect(Buffer.compare(execFileSync('cat', [join(out, 'bin.dat')]), binary)).toBe(0);
  });
});
