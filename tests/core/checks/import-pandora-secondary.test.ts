/**
 * `outpost import pandora` and the `secondary_*` keys of pandora_agent.conf
 * (pandora-remote-config.md §11): all of them mapped or reported, the
 * secondary's own password in the SecretStore under its own name (§14.5).
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Agent } from '../../../main/core/agent.ts';
import type { ImportReport } from '../../../main/core/contract/import-report.ts';
import { makeTempDir } from '../../peers/util.ts';

let tmp: { dir: string; cleanup(): Promise<void> };
let agent: Agent;
beforeEach(async () => {
  tmp = await makeTempDir('import-pandora-secondary');
  agent = await Agent.open({ dataDir: join(tmp.dir, 'data'), logToFile: false });
});
afterEach(async () => {
  await agent.close();
  await tmp.cleanup();
});

const EVERY_SECONDARY_KEY = `server_ip 192.0.2.10
server_pwd primary-pass
server_ssl 1
secondary_mode always
secondary_server_ip 192.0.2.20
secondary_server_port 41200
secondary_server_path /var/spool/pandora/data_in
secondary_transfer_mode tentacle
secondary_transfer_timeout 45
secondary_server_user pandora
secondary_server_pwd second-pass
secondary_server_ssl yes
secondary_server_opts -f /etc/pandora/ca2.crt -z -y relay:relay%pw@proxy.example:3128 -b 127.0.0.1
`;

const lines = (report: ImportReport): string[] =>
  report.unmapped.map((u) => `${u.line ?? '-'} ${u.text ?? ''}: ${u.reason}`);

describe('outpost import pandora: secondary server', () => {
  it('maps every secondary_* key onto the target and its own secrets', async () => {
    const report = await agent.api.importPandora({ content: EVERY_SECONDARY_KEY });
    const secondary = {
      mode: 'always',
      host: '192.0.2.20',
      port: 41200,
      tls: true,
      caFile: '/etc/pandora/ca2.crt',
      zip: true,
      bindAddress: '127.0.0.1',
      idleTimeoutSeconds: 45,
      proxy: { host: 'proxy.example', port: 3128, user: 'relay' },
    };
    expect(report.target).toMatchObject({ created: true, config: { secondary } });
    const [saved] = await agent.api.listTargets({});
    expect(saved!.config).toMatchObject({ host: '192.0.2.10', secondary });
    expect(report.secrets.sort()).toEqual([
      'target/pandora/password',
      'target/pandora/secondary-password',
      'target/pandora/secondary-proxy-password',
    ]);
    expect(await agent.context.secrets.get('target/pandora/password')).toBe('primary-pass');
    expect(await agent.context.secrets.get('target/pandora/secondary-password')).toBe(
      'second-pass',
    );
    expect(await agent.context.secrets.get('target/pandora/secondary-proxy-password')).toBe(
      'relay%pw',
    );
    expect(await readFile(agent.context.settings.path, 'utf8')).not.toContain('second-pass');
    // Only the two keys Tentacle does not need are reported, as understood.
    expect(lines(report)).toEqual([
      '7 secondary_server_path /var/spool/pandora/data_in: not used: only ftp/ssh/local need it, not Tentacle',
      '10 secondary_server_user pandora: not used: only ftp/ssh/local need it, not Tentacle',
    ]);
    expect(report.notes).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^secondary_transfer_timeout 45: /),
        'secondary server 192.0.2.20:41200 (always): gets a copy of every data file, queued on its own; remote configuration and collections stay on the primary.',
      ]),
    );
  });

  it('reports the secondary_server_opts flags it cannot carry over, on their line', async () => {
    const report = await agent.api.importPandora({
      content:
        'server_ip 192.0.2.10\nsecondary_mode always\nsecondary_server_ip 192.0.2.20\nsecondary_server_opts -v -y not-a-proxy -t 100000 -r 2 -g\n',
      dryRun: true,
    });
    expect(lines(report)).toEqual([
      '4 -g: tentacle_client flag not carried over',
      "4 -t 100000 -r 2: more than a day of silence (300000 s): Outpost's idle timeout kept",
      '4 -y …: proxy is not [user:pass@]host:port: not carried over',
    ]);
    expect(report.target?.config).toMatchObject({
      secondary: { host: '192.0.2.20', mode: 'always', tls: false, zip: false },
    });
    expect(report.target?.config).not.toHaveProperty('secondary.idleTimeoutSeconds');
  });

  it('never gives the secondary the primary password', async () => {
    const report = await agent.api.importPandora({
      content:
        'server_ip 192.0.2.10\nserver_pwd primary-pass\nserver_ssl 1\nsecondary_mode on_error\nsecondary_server_ip 192.0.2.20\nsecondary_server_ssl 1\n',
    });
    expect(report.target).toMatchObject({
      config: { secondary: { mode: 'on_error', host: '192.0.2.20', port: 41121, tls: true } },
    });
    expect(report.secrets).toEqual(['target/pandora/password']);
    expect(await agent.context.secrets.get('target/pandora/secondary-password')).toBeUndefined();
  });

  it('reports a non-Tentacle transport, a plain-TCP password and unknown modes, naming their lines', async () => {
    const report = await agent.api.importPandora({
      content:
        'server_ip 192.0.2.10\nsecondary_mode on_error\nsecondary_server_ip 192.0.2.20\nsecondary_transfer_mode ftp\nsecondary_server_pwd ftp-secret\nsecondary_server_port 99999\n',
      dryRun: true,
    });
    expect(lines(report)).toEqual([
      '6 secondary_server_port 99999: not a port number: 41121 used',
      '4 secondary_transfer_mode ftp: only tentacle is supported: the secondary server is reached over Tentacle',
      expect.stringMatching(
        /^5 secondary_server_pwd \*\*\*: a password over plain TCP can be replayed .* --allow-plain-password$/,
      ),
    ]);
    expect(JSON.stringify(report)).not.toContain('ftp-secret');

    const bad = await agent.api.importPandora({
      content: 'server_ip 192.0.2.10\nsecondary_mode sometimes\nsecondary_server_ip 192.0.2.20\n',
      dryRun: true,
    });
    expect(lines(bad)).toEqual([
      '2 secondary_mode sometimes: must be never, on_error or always: no secondary server configured',
    ]);
    expect(bad.target?.config).not.toHaveProperty('secondary');

    const never = await agent.api.importPandora({
      content: 'server_ip 192.0.2.10\nsecondary_mode never\nsecondary_server_ip 192.0.2.20\n',
      dryRun: true,
    });
    expect(lines(never)).toEqual([
      '3 secondary_server_ip 192.0.2.20: not used: secondary_mode is never',
    ]);
  });
});
