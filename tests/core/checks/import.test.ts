import { X509Certificate } from 'node:crypto';
import { readFile, mkdir, stat, writeFile } from 'node:fs/promises';
import { md5Hex } from '../../../main/core/protocols/pandora/conf-key.ts';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Agent } from '../../../main/core/agent.ts';
import {
  parsePandoraConf,
  parseServerOpts,
} from '../../../main/core/checks/import/pandora-conf.ts';
import { parseIcingaConf } from '../../../main/core/checks/import/icinga-conf.ts';
import { TestCa } from '../../peers/pki.ts';
import { makeTempDir } from '../../peers/util.ts';

const FIXTURES = join(import.meta.dirname, 'fixtures');

let tmp: { dir: string; cleanup(): Promise<void> };
let agent: Agent;
beforeEach(async () => {
  tmp = await makeTempDir('checks-import');
  agent = await Agent.open({ dataDir: join(tmp.dir, 'data'), logToFile: false });
});
afterEach(async () => {
  await agent.close();
  await tmp.cleanup();
});

describe('pandora_agent.conf reader', () => {
  it('reads keys and module blocks, and reports bad lines with their numbers', async () => {
    const text = await readFile(join(FIXTURES, 'pandora', 'pandora_agent.conf'), 'utf8');
    const conf = parsePandoraConf(text, 'pandora_agent.conf');
    expect(conf.global.get('server_ip')).toEqual({ value: '192.0.2.10', line: 4 });
    expect(conf.global.get('interval')?.value).toBe('120');
    expect(conf.modules.map((m) => m.keys.get('module_name')?.value)).toEqual([
      'Free Memory',
      'check_http (intranet)',
      'sshd running',
      'Disk root',
      'Orphan',
      undefined,
    ]);
    expect(conf.modules[0]!.keys.get('module_exec')).toEqual({
      value: "free | grep Mem | awk '{ print $4 }'",
      line: 22,
    });
    expect(conf.problems.map((p) => [p.line, p.reason])).toEqual([
      [56, 'module_end without module_begin'],
      [58, expect.stringMatching(/without module_end at the end of the file/)],
    ]);
  });

  it('reads tentacle_client flags from server_opts', () => {
    expect(
      parseServerOpts(
        '-c -e /etc/cert.pem -k /etc/key.pem -f /etc/ca.pem -x pw -z -v -t 5 -b 10.0.0.5 -g',
      ),
    ).toEqual({
      tls: true,
      certPath: '/etc/cert.pem',
      keyPath: '/etc/key.pem',
      caPath: '/etc/ca.pem',
      password: 'pw',
      zip: true,
      waitSeconds: 5,
      bindAddress: '10.0.0.5',
      unsupported: ['-g'],
    });
    expect(parseServerOpts('-b eth0 -t 0 -r x').unsupported).toEqual([
      '-b eth0 (not an IP address)',
      '-t 0 (not a whole number from 1)',
      '-r x (not a whole number from 0)',
    ]);
  });
});

describe('outpost import pandora', () => {
  it('creates the Tentacle target, the password secret and one check per usable module, and reports the rest', async () => {
    const path = join(FIXTURES, 'pandora', 'pandora_agent.conf');
    const report = await agent.api.importPandora({ path });
    expect(report.target).toMatchObject({
      name: 'pandora',
      kind: 'tentacle',
      created: true,
      // server_opts -r 5: tentacle_client's 1 s wait × (5 + 1)
      config: { host: '192.0.2.10', port: 41121, tls: true, zip: true, idleTimeoutSeconds: 6 },
    });
    expect(report.secrets).toEqual(['target/pandora/password']);
    expect(await agent.context.secrets.get('target/pandora/password')).toBe('s3cr3t-pass');
    // The password is in the secret store, never in settings.json.
    expect(await readFile(agent.context.settings.path, 'utf8')).not.toContain('s3cr3t-pass');
    expect(report.checks).toEqual([
      { name: 'Free Memory', created: true },
      { name: 'check_http _intranet_', created: true },
      { name: 'sshd running', created: true },
      { name: 'Disk root', created: true },
    ]);
    const checks = await agent.api.listChecks({});
    const byName = Object.fromEntries(checks.map((c) => [c.definition.name, c.definition]));
    // module_exec keeps the Pandora agent's meaning: the printed line is the value of a module of
    // the same type, with the same thresholds (pandora-data.md §3.5: never change a module's type).
    expect(byName['Free Memory']).toMatchObject({
      command: { argv: ["free | grep Mem | awk '{ print $4 }'"], shell: true },
      interval: 240,
      timeout: 20,
      targets: [
        {
          target: 'pandora',
          moduleName: 'Free Memory',
          agentName: 'ws-0042',
          pandoraModule: {
            type: 'generic_data',
            description: 'Free memory in KB',
            maxWarning: 100000,
          },
        },
      ],
    });
    expect(byName['check_http _intranet_']!.targets[0]!.pandoraModule).toEqual({
      type: 'generic_proc',
    });
    expect(byName['Disk root']!.targets[0]!.moduleName).toBe('Disk root (Outpost)');
    expect(byName['sshd running']!.targets[0]!.moduleName).toBe('sshd running');
    expect(byName['check_http _intranet_']!.targets[0]!.moduleName).toBe('check_http (intranet)');
    expect(byName['sshd running']).toMatchObject({
      builtin: { kind: 'process', options: { name: 'sshd' } },
      interval: 120,
    });
    expect(byName['Disk root']).toMatchObject({
      builtin: { kind: 'disk', options: { mount: '/' } },
    });
    const unmapped = report.unmapped.map((u) => `${u.line ?? '-'} ${u.text ?? ''}: ${u.reason}`);
    expect(unmapped).toEqual(
      expect.arrayContaining([
        '56 module_end: module_end without module_begin',
        expect.stringMatching(/^57 this line is garbage: /),
        expect.stringMatching(/^58 module_begin: module_begin without module_end at the end/),
        expect.stringMatching(/^5 server_path \/var\/spool\/pandora\/data_in: not used/),
        expect.stringMatching(/^6 temporal \/tmp: not used/),
        expect.stringMatching(/^16 group Servers: not used/),
        expect.stringMatching(/^46 module 'Orphan': no module_exec/),
        expect.stringMatching(/^51 module_begin: module without module_name/),
      ]),
    );
    // Every global key of the file is either used or reported.
    expect(unmapped.some((u) => u.includes('server_pwd'))).toBe(false);
    expect(unmapped.some((u) => u.includes('s3cr3t'))).toBe(false);
  });

  it('says Outpost verifies the Tentacle server against the system CAs or a -f CA, and that it pins nothing', async () => {
    const report = await agent.api.importPandora({
      path: join(FIXTURES, 'pandora', 'pandora_agent.conf'),
      dryRun: true,
    });
    const tlsNote = report.notes.find((n) => n.startsWith('server_ssl / -c:'));
    expect(tlsNote).toBe(
      "server_ssl / -c: the Pandora agent does not verify the server; Outpost does, against the system's trusted CAs. A server whose certificate comes from a private CA or is self-signed needs that CA: `outpost tentacle add pandora -a 192.0.2.10 -c -f CA_FILE` (or -f CA_FILE in server_opts before the import).",
    );
    expect(report.notes.join('\n')).not.toMatch(/pin/i);
  });

  it('--dry-run reports without creating anything', async () => {
    const report = await agent.api.importPandora({
      path: join(FIXTURES, 'pandora', 'pandora_agent.conf'),
      dryRun: true,
    });
    expect(report.dryRun).toBe(true);
    expect(report.checks.every((c) => !c.created)).toBe(true);
    expect(await agent.api.listTargets({})).toEqual([]);
    expect(await agent.api.listChecks({})).toEqual([]);
    expect(await agent.context.secrets.list()).toEqual([]);
  });

  it('reports agent_name_cmd it does not run, and refuses a file without server_ip', async () => {
    const report = await agent.api.importPandora({
      path: join(FIXTURES, 'pandora', 'minimal.conf'),
      target: 'pfms',
    });
    expect(report.target).toMatchObject({
      name: 'pfms',
      config: { host: 'pandora.example.net', port: 41121 },
    });
    expect(report.unmapped).toEqual([
      expect.objectContaining({ line: 3, reason: "'server_port' has no value" }),
      expect.objectContaining({ line: 2, reason: expect.stringMatching(/not run at import/) }),
    ]);
    await expect(agent.api.importPandora({ content: 'agent_name x\n' })).rejects.toMatchObject({
      code: 'invalid-request',
      message: expect.stringMatching(/no server_ip/),
    });
  });

  it('keeps the conf as a Pandora agent definition: remote_config 1 is taken, file_collection reported, a re-import replaces its modules', async () => {
    const conf = (modules: string[], extra = ''): string =>
      [
        'server_ip 192.0.2.1',
        'agent_name ws-77',
        'interval 60',
        extra,
        'file_collection fc_tools',
        ...modules.flatMap((m) => [
          'module_begin',
          `module_name ${m}`,
          'module_exec echo 1',
          'module_end',
        ]),
        '',
      ].join('\n');
    const first = conf(['a', 'b']);
    const report = await agent.api.importPandora({ content: first, target: 'p1' });
    expect(report.pandoraAgent).toEqual({
      name: 'p1',
      agentName: 'ws-77',
      remoteConfig: false,
      created: true,
    });
    expect(report.unmapped).toEqual([
      expect.objectContaining({
        line: 5,
        text: 'file_collection fc_tools',
        reason: 'not used: file collections are not supported for now',
      }),
    ]);
    const [listed] = await agent.api.listPandoraAgents({});
    expect(listed).toMatchObject({
      definition: {
        name: 'p1',
        target: 'p1',
        agentName: 'ws-77',
        remoteConfig: false,
        interval: 60,
        lastChange: { by: 'import', added: 2 },
      },
      key: md5Hex('ws-77'),
      confMd5: md5Hex(first),
      checks: ['a', 'b'],
    });
    // Its own copy of the conf, private, byte for byte.
    const copy = join(agent.context.paths.root, 'pandora-agents', 'p1', 'pandora_agent.conf');
    expect(await readFile(copy, 'utf8')).toBe(first);
    if (process.platform !== 'win32') expect((await stat(copy)).mode & 0o777).toBe(0o600);

    // Not remotely managed: a re-import is the way to change it; its checks follow the conf.
    const again = await agent.api.importPandora({ content: conf(['b', 'c']), target: 'p1' });
    expect(again.checks).toEqual([
      { name: 'b', created: false, reason: 'unchanged' },
      { name: 'c', created: true },
    ]);
    expect(again.notes).toContain(
      "checks of agent 'p1' no longer in pandora_agent.conf, removed: a",
    );
    expect((await agent.api.listChecks({})).map((c) => c.definition.name)).toEqual(['b', 'c']);

    // Another agent's conf does not replace this one unless asked.
    await expect(
      agent.api.importPandora({ content: conf(['z']).replace('ws-77', 'ws-78'), target: 'p1' }),
    ).rejects.toMatchObject({ code: 'conflict', message: expect.stringMatching(/--agent NAME/) });

    // remote_config 1 is no longer "not supported": the agent is managed by the server from now on.
    const remote = await agent.api.importPandora({
      content: conf(['d'], 'remote_config 1'),
      target: 'p2',
    });
    expect(remote.pandoraAgent).toMatchObject({ name: 'p2', remoteConfig: true });
    expect(remote.unmapped.some((u) => u.text?.startsWith('remote_config'))).toBe(false);
    expect(remote.notes.join('\n')).toContain(`conf/${md5Hex('ws-77')}.conf`);
  });

  it('reads remote_config and standby as the Pandora agent does: only 1 is on, anything but 0 or 1 is reported', async () => {
    const report = await agent.api.importPandora({
      content: 'server_ip 192.0.2.1\nagent_name ws-9\nremote_config yes\nstandby 2\n',
      target: 'p9',
      dryRun: true,
    });
    expect(report.pandoraAgent).toMatchObject({ remoteConfig: false });
    expect(report.unmapped).toEqual([
      {
        file: expect.any(String),
        line: 3,
        text: 'remote_config yes',
        reason: 'only 1 turns remote configuration on (as the Pandora agent reads it): off',
      },
      {
        file: expect.any(String),
        line: 4,
        text: 'standby 2',
        reason: 'only 1 puts the agent on standby (as the Pandora agent reads it): not on standby',
      },
    ]);
    const quiet = await agent.api.importPandora({
      content: 'server_ip 192.0.2.1\nagent_name ws-9\nremote_config 0\nstandby 0\n',
      target: 'p9',
      dryRun: true,
    });
    expect(quiet.unmapped).toEqual([]);
  });

  it('reports keys named like Object.prototype members as unknown', async () => {
    const report = await agent.api.importPandora({
      content: 'server_ip 192.0.2.1\nconstructor x\ntoString y\n',
      target: 'p0',
      dryRun: true,
    });
    expect(report.unmapped).toEqual([
      expect.objectContaining({ line: 2, reason: 'unknown or unsupported key' }),
      expect.objectContaining({ line: 3, reason: 'unknown or unsupported key' }),
    ]);
  });

  it('will not send a password over plain TCP unless told to, and stores a proxy password as a secret', async () => {
    const content =
      'server_ip 192.0.2.1\nserver_pwd pw\nserver_opts -y bob:hunter2@proxy.example:3128\n';
    const refused = await agent.api.importPandora({ content, target: 'p1', dryRun: true });
    expect(refused.target?.config).toEqual({
      host: '192.0.2.1',
      port: 41121,
      tls: false,
      zip: false,
      proxy: { host: 'proxy.example', port: 3128, user: 'bob' },
    });
    expect(refused.unmapped).toEqual([
      expect.objectContaining({ line: 2, reason: expect.stringMatching(/--allow-plain-password/) }),
    ]);
    const allowed = await agent.api.importPandora({
      content,
      target: 'p2',
      allowPlainPassword: true,
    });
    expect(allowed.target?.config).toMatchObject({ allowPlainPassword: true });
    expect(allowed.secrets).toEqual(['target/p2/password', 'target/p2/proxy-password']);
    expect(await agent.context.secrets.get('target/p2/proxy-password')).toBe('hunter2');
    expect(JSON.stringify(allowed)).not.toContain('hunter2');
  });

  it('carries -b, -t and -r of server_opts over as the bind address and idle timeout', async () => {
    const both = await agent.api.importPandora({
      content: 'server_ip 192.0.2.1\nserver_opts -b 127.0.0.2 -t 5 -r 2\n',
      target: 'p3',
      dryRun: true,
    });
    expect(both.target?.config).toMatchObject({ bindAddress: '127.0.0.2', idleTimeoutSeconds: 15 });
    expect(both.unmapped).toEqual([]);
    // One flag alone takes tentacle_client's default for the other (1 s, 3 retries).
    const waitOnly = await agent.api.importPandora({
      content: 'server_ip 192.0.2.1\nserver_opts -t 2\n',
      target: 'p4',
      dryRun: true,
    });
    expect(waitOnly.target?.config).toMatchObject({ idleTimeoutSeconds: 8 });
    const huge = await agent.api.importPandora({
      content: 'server_ip 192.0.2.1\nserver_opts -t 90000 -r 1\n',
      target: 'p5',
      dryRun: true,
    });
    expect(huge.target?.config).not.toHaveProperty('idleTimeoutSeconds');
    expect(huge.unmapped).toEqual([
      expect.objectContaining({ line: 2, reason: expect.stringMatching(/more than a day/) }),
    ]);
  });
});

describe('outpost import icinga', () => {
  it('reads what node setup writes, constants included', async () => {
    const constants = parseIcingaConf(
      await readFile(join(FIXTURES, 'icinga', 'constants.conf'), 'utf8'),
      'constants.conf',
    );
    expect(constants.constants.get('NodeName')?.value).toBe('agent1.example.net');
    const zones = parseIcingaConf(
      await readFile(join(FIXTURES, 'icinga', 'zones.conf'), 'utf8'),
      'zones.conf',
      constants.constants,
    );
    expect(zones.objects.map((o) => `${o.type} ${o.name}`)).toEqual([
      'Endpoint master1.example.net',
      'Endpoint master2.example.net',
      'Zone master',
      'Endpoint agent1.example.net',
      'Zone agent1.example.net',
      'Zone global-templates',
      'Zone director-global',
    ]);
    expect(zones.problems).toEqual([
      expect.objectContaining({
        line: 35,
        reason: expect.stringMatching(/include is not followed/),
      }),
    ]);
  });

  it('creates the Icinga target with every master of the HA parent zone and its certificates, and pins the master from trusted-parent.crt', async () => {
    const dir = join(tmp.dir, 'icinga2');
    const certs = join(dir, 'certs');
    await mkdir(certs, { recursive: true });
    for (const f of ['constants.conf', 'zones.conf'])
      await writeFile(join(dir, f), await readFile(join(FIXTURES, 'icinga', f)));
    const ca = TestCa.create();
    const ours = ca.issue({ cn: 'agent1.example.net' });
    const master = ca.issue({ cn: 'master1.example.net' });
    await writeFile(join(certs, 'agent1.example.net.crt'), ours.certPem);
    await writeFile(join(certs, 'agent1.example.net.key'), ours.keyPem);
    await writeFile(join(certs, 'ca.crt'), ca.certPem);
    await writeFile(join(certs, 'trusted-parent.crt'), master.certPem);

    const report = await agent.api.importIcinga({ dir });
    expect(report.target).toMatchObject({
      name: 'icinga',
      kind: 'icinga',
      created: true,
      config: {
        // Both endpoints of the parent zone have a host: the agent connects to each (issue #18).
        masters: [
          {
            host: '192.0.2.20',
            port: 5665,
            endpoint: 'master1.example.net',
            fingerprint: new X509Certificate(master.certPem).fingerprint256
              .replace(/:/g, '')
              .toLowerCase(),
          },
          { host: '192.0.2.21', port: 5665, endpoint: 'master2.example.net' },
        ],
        cn: 'agent1.example.net',
        zone: 'agent1.example.net',
      },
    });
    expect(report.target!.config).not.toHaveProperty('masters.1.fingerprint');
    const stored = await agent.context.identity.readCertificates('icinga');
    expect(stored).toEqual({ certPem: ours.certPem, keyPem: ours.keyPem, caPem: ca.certPem });
    const pin = await agent.context.identity.pin('icinga');
    expect(pin).toMatchObject({ kind: 'tls-sha256' });
    // The notes name the master pinned and the one that is not (issue #18).
    expect(report.notes).toEqual(
      expect.arrayContaining([
        `master certificate of master1.example.net pinned from trusted-parent.crt: SHA-256 ${pin!.value}`,
        'the certificates of the other masters of zone "master" (master2.example.net) will be checked against ca.crt only, not pinned',
      ]),
    );
    expect(report.unmapped.map((u) => u.line)).not.toContain(11);
    expect(report.unmapped.map((u) => `${u.line} ${u.reason}`)).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^27 global zone/),
        expect.stringMatching(/^31 global zone/),
        expect.stringMatching(/^35 include is not followed/),
      ]),
    );
  });

  it('pins nothing when trusted-parent.crt is no master of the parent zone, and says so', async () => {
    const dir = join(tmp.dir, 'icinga2');
    const certs = join(dir, 'certs');
    await mkdir(certs, { recursive: true });
    for (const f of ['constants.conf', 'zones.conf'])
      await writeFile(join(dir, f), await readFile(join(FIXTURES, 'icinga', f)));
    const ca = TestCa.create();
    await writeFile(join(certs, 'ca.crt'), ca.certPem);
    await writeFile(
      join(certs, 'trusted-parent.crt'),
      ca.issue({ cn: 'satellite.example.net' }).certPem,
    );
    const report = await agent.api.importIcinga({ dir });
    expect(report.notes).toContain(
      `trusted-parent.crt is the certificate of 'satellite.example.net', no master of zone "master" (master1.example.net, master2.example.net): nothing pinned, their certificates will be checked against ca.crt only`,
    );
    expect(report.notes.join('\n')).not.toMatch(/pinned from trusted-parent/);
    expect(await agent.context.identity.pin('icinga')).toBeUndefined();
    expect(report.target!.config).not.toHaveProperty('masters.0.fingerprint');
  });

  it('reports missing certificates and refuses a zones.conf without a parent', async () => {
    const dir = join(tmp.dir, 'icinga2');
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, 'constants.conf'), 'const NodeName = "lonely"\n');
    await writeFile(
      join(dir, 'zones.conf'),
      'object Endpoint NodeName { }\nobject Zone "lonely" { endpoints = [ NodeName ] }\n',
    );
    await expect(
      agent.api.importIcinga({ dir, certsDir: join(tmp.dir, 'none') }),
    ).rejects.toMatchObject({ message: expect.stringMatching(/has no parent/) });
    await writeFile(
      join(dir, 'zones.conf'),
      (await readFile(join(FIXTURES, 'icinga', 'zones.conf'), 'utf8')).replaceAll(
        'agent1.example.net',
        'lonely',
      ),
    );
    const report = await agent.api.importIcinga({
      dir,
      certsDir: join(tmp.dir, 'none'),
      dryRun: true,
    });
    expect(report.unmapped).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          reason: expect.stringMatching(/missing lonely.crt, lonely.key, ca.crt/),
        }),
      ]),
    );
    expect(await agent.api.listTargets({})).toEqual([]);
  });
});
