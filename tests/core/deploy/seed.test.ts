import { generateKeyPairSync } from 'node:crypto';

import { access, chmod, chown, mkdir, readFile, writeFile } from 'node:fs/promises';

import { join } from 'node:path';

import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';

import { z } from 'zod';

import { Agent, AGENT_MODULES } from '../../../main/core/agent.ts';

import {
  applyPendingSeeds,
  machineSeedDir,
  seedLocations,
} from '../../../main/core/deploy/apply.ts';

import {
  parseSeed,
  secretSeedParameters,
  seedParameters,
  seedSectionsOf,
  type Seed,
} from '../../../main/core/deploy/seed.ts';

import { AgentError } from '../../../main/core/contract/errors.ts';

import { jwkThumbprint } from '../../../main/core/identity/keys.ts';

import type { AgentModule } from '../../../main/core/modules.ts';

import { gorgoneModule } from '../../../main/core/protocols/gorgone/index.ts';

import { onsphereModule } from '../../../main/core/protocols/onsphere/index.ts';

import { tentacleModule } from '../../../main/core/protocols/tentacle/index.ts';

import type { TargetKind } from '../../../main/core/contract/targets.ts';

import { TestCa } from '../../peers/pki.ts';

import { TentacleServer } from '../../peers/tentacle-server.ts';

import { makeTempDir } from '../../peers/util.ts';

import { fakeDriver, fakeModule } from '../../fake-driver.ts';

const TICKET = '0123456789abcdef0123456789abcdef01234567';
const FP1 = 'ab'.repeat(32);
const FP2 = 'CD:'.repeat(31) + 'CD';
/** The seed sections of the build, as the applier reads them. */
const SECTIONS = seedSectionsOf(AGENT_MODULES);

function parsedOf(seed: Seed, kind: TargetKind) {
  return seed.targets.find((t) => t.section.kind === kind)?.parsed;
}

function fails(text: string): AgentError {
  try {
    parseSeed(text, SECTIONS);
  } catch (error) {
    expect(error).toBeInstanceOf(AgentError);
    return error as AgentError;
  }
  throw new Error(`expected the seed to be refused:\n${text}`);
}

describe('seed parser', () => {
  it('reads every parameter of a full seed, with defaults for ports and target names', () => {
    const seed = parseSeed(
      [
        '; written by the installer',
        '[seed]',
        'AGENT_NAME=ws-42.example.org',
        'AUTO_UPDATE=0',
        'ICINGA_MASTER=icinga.example.org',
        `ICINGA_TICKET=${TICKET.toUpperCase()}`,
        'ICINGA_FINGERPRINT=sha256:' + 'ab'.repeat(32),
        'ICINGA_CN=ws-42',
        'TENTACLE_SERVER=10.0.0.5:4112',
        'TENTACLE_PASSWORD="s3cret = with spaces"',
        'TENTACLE_TLS=1',
        'TENTACLE_CA=/etc/pandora/ca.crt',
        'TENTACLE_TARGET=pandora-eu',
        'GORGONE_SERVER=[2001:db8::1]',
        'GORGONE_NODE_ID=12',
        'GORGONE_THUMBPRINT=' + 'A'.repeat(42) + '_',
        'ONSPHERE_DISPATCHER=dispatcher.local:10443',
        'ONSPHERE_CA=C:\\certs\\ca.crt',
        'ONSPHERE_CERT=C:\\certs\\module.crt',
        'ONSPHERE_KEY=\\\\share\\certs\\module.key',
      ].join('\r\n'),
      SECTIONS,
    );
    expect(seed.agent).toEqual({ name: 'ws-42.example.org', autoUpdate: false });
    expect(parsedOf(seed, 'icinga')).toEqual({
      target: 'icinga',
      masters: [
        { host: 'icinga.example.org', port: 5665, fingerprint: Array(32).fill('AB').join(':') },
      ],
      secrets: { ticket: TICKET },
      cn: 'ws-42',
    });
    expect(parsedOf(seed, 'tentacle')).toEqual({
      target: 'pandora-eu',
      server: { host: '10.0.0.5', port: 4112 },
      tls: true,
      secrets: { password: 's3cret = with spaces' },
      caFile: '/etc/pandora/ca.crt',
    });
    expect(parsedOf(seed, 'gorgone')).toEqual({
      target: 'centreon',
      server: { host: '2001:db8::1', port: 5556 },
      nodeId: 12,
      thumbprint: 'A'.repeat(42) + '_',
      secrets: {},
    });
    expect(parsedOf(seed, 'onsphere')).toEqual({
      target: 'onsphere',
      dispatcher: { host: 'dispatcher.local', port: 10443 },
      caFile: 'C:\\certs\\ca.crt',
      certFile: 'C:\\certs\\module.crt',
      keyFile: '\\\\share\\certs\\module.key',
      secrets: {},
    });
  });

  it('reads every master of an HA parent zone with its fingerprint, a secondary Tentacle server, and a Pandora conf', () => {
    const ha = parseSeed(
      [
        'ICINGA_MASTER=master1.example, [2001:db8::2]:5666',
        `ICINGA_FINGERPRINT=sha256:${FP1},${FP2}`,
        'TENTACLE_SERVER=pandora.example',
        'TENTACLE_TLS=1',
        'TENTACLE_PASSWORD=primary-secret',
        'TENTACLE_SECONDARY=pandora-dr.example:4200',
        'TENTACLE_SECONDARY_TLS=yes',
        'TENTACLE_SECONDARY_CA=/etc/pandora/dr-ca.crt',
        'TENTACLE_SECONDARY_PASSWORD=dr-secret',
      ].join('\n'),
      SECTIONS,
    );
    expect(parsedOf(ha, 'icinga')).toEqual({
      target: 'icinga',
      masters: [
        { host: 'master1.example', port: 5665, fingerprint: Array(32).fill('AB').join(':') },
        { host: '2001:db8::2', port: 5666, fingerprint: Array(32).fill('CD').join(':') },
      ],
      secrets: {},
    });
    expect(parsedOf(ha, 'tentacle')).toEqual({
      target: 'pandora',
      server: { host: 'pandora.example', port: 41121 },
      tls: true,
      secondary: {
        server: { host: 'pandora-dr.example', port: 4200 },
        tls: true,
        caFile: '/etc/pandora/dr-ca.crt',
        mode: 'on_error',
      },
      secrets: { password: 'primary-secret', 'secondary-password': 'dr-secret' },
    });
    // Without TLS to either, an 'always' secondary without a password.
    const always = parseSeed(
      'TENTACLE_SERVER=p\nTENTACLE_SECONDARY=s\nTENTACLE_SECONDARY_MODE=always',
      SECTIONS,
    );
    expect(parsedOf(always, 'tentacle')).toMatchObject({
      tls: false,
      secondary: { server: { host: 's', port: 41121 }, tls: false, mode: 'always' },
      secrets: {},
    });
    const pandora = parseSeed(
      'PANDORA_CONF=C:\\Deploy\\pandora_agent.conf\nPANDORA_AGENT=desktops',
      SECTIONS,
    );
    expect(pandora.targets.map((t) => [t.section.lead, t.parsed])).toEqual([
      [
        'PANDORA_CONF',
        {
          target: 'pandora',
          conf: 'C:\\Deploy\\pandora_agent.conf',
          agent: 'desktops',
          secrets: {},
        },
      ],
    ]);
  });

  it('ignores parameters an installer wrote empty, and reads UTF-16 files with a BOM', () => {
    const text = '[seed]\r\nICINGA_MASTER=m.example\r\nICINGA_TICKET=\r\nTENTACLE_SERVER=\r\n';
    const utf16 = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]);
    const seed = parseSeed(utf16, SECTIONS);
    expect(parsedOf(seed, 'icinga')).toEqual({
      target: 'icinga',
      masters: [{ host: 'm.example', port: 5665 }],
      secrets: {},
    });
    expect(parsedOf(seed, 'tentacle')).toBeUndefined();
  });

  it('accepts the parameter names installers and admin scripts use, no more, no fewer', () => {
    expect([...seedParameters(SECTIONS).keys()].sort()).toEqual(
      [
        ...['AGENT_NAME', 'AUTO_UPDATE'],
        ...['ICINGA_MASTER', 'ICINGA_TICKET', 'ICINGA_FINGERPRINT', 'ICINGA_CN', 'ICINGA_TARGET'],
        ...['TENTACLE_SERVER', 'TENTACLE_PASSWORD', 'TENTACLE_TLS', 'TENTACLE_CA'],
        'TENTACLE_TARGET',
        ...['TENTACLE_SECONDARY', 'TENTACLE_SECONDARY_MODE', 'TENTACLE_SECONDARY_TLS'],
        ...['TENTACLE_SECONDARY_CA', 'TENTACLE_SECONDARY_PASSWORD'],
        ...['PANDORA_CONF', 'PANDORA_AGENT'],
        ...['GORGONE_SERVER', 'GORGONE_NODE_ID', 'GORGONE_PUBKEY', 'GORGONE_THUMBPRINT'],
        'GORGONE_TARGET',
        ...['ONSPHERE_DISPATCHER', 'ONSPHERE_CA', 'ONSPHERE_CERT', 'ONSPHERE_KEY'],
        'ONSPHERE_TARGET',
      ].sort(),
    );
    expect([...secretSeedParameters(SECTIONS)].sort()).toEqual([
      'ICINGA_TICKET',
      'TENTACLE_PASSWORD',
      'TENTACLE_SECONDARY_PASSWORD',
    ]);
  });

  const bad: Array<[string, string, RegExp]> = [
    ['ICINGA_MASTR=x', 'ICINGA_MASTR', /unknown parameter/],
    ['ICINGA_MASTER=a\nICINGA_MASTER=b', 'ICINGA_MASTER', /given twice/],
    ['just words', 'line 1', /KEY=VALUE/],
    ['[other]\nICINGA_MASTER=a', 'line 1', /only section is \[seed\]/],
    ['', 'seed', /sets nothing/],
    ['AGENT_NAME=bad name', 'AGENT_NAME', /host-name-like/],
    ['AUTO_UPDATE=maybe', 'AUTO_UPDATE', /1 or 0/],
    ['ICINGA_MASTER=bad_host!', 'ICINGA_MASTER', /HOST\[:PORT\]/],
    ['ICINGA_MASTER=host:0', 'ICINGA_MASTER', /1 to 65535/],
    ['ICINGA_MASTER=host:70000', 'ICINGA_MASTER', /1 to 65535/],
    ['ICINGA_MASTER=host:http', 'ICINGA_MASTER', /1 to 65535/],
    ['ICINGA_MASTER=2001:db8::1', 'ICINGA_MASTER', /brackets/],
    ['ICINGA_MASTER=h\nICINGA_TICKET=not-hex', 'ICINGA_TICKET', /40 hex digits/],
    ['ICINGA_MASTER=h\nICINGA_FINGERPRINT=abcd', 'ICINGA_FINGERPRINT', /SHA-256 fingerprint/],
    ['ICINGA_MASTER=h\nICINGA_CN=a/b', 'ICINGA_CN', /host-name-like/],
    ['ICINGA_MASTER=h\nICINGA_TARGET=-x', 'ICINGA_TARGET', /not a valid target name/],
    [`ICINGA_TICKET=${TICKET}`, 'ICINGA_TICKET', /only meaningful with ICINGA_MASTER/],
    ['TENTACLE_SERVER=h\nTENTACLE_PASSWORD=x', 'TENTACLE_PASSWORD', /only sent over TLS/],
    ['TENTACLE_SERVER=h\nTENTACLE_TLS=2', 'TENTACLE_TLS', /1 or 0/],
    ['TENTACLE_SERVER=h\nTENTACLE_CA=/ca.crt', 'TENTACLE_CA', /only used with TLS/],
    ['TENTACLE_SERVER=h\nTENTACLE_TLS=1\nTENTACLE_CA=ca.crt', 'TENTACLE_CA', /absolute path/],
    ['TENTACLE_PASSWORD=x', 'TENTACLE_PASSWORD', /only meaningful with TENTACLE_SERVER/],
    ['TENTACLE_SERVER=h\nTENTACLE_TARGET=a b', 'TENTACLE_TARGET', /not a valid target name/],
    ['GORGONE_SERVER=h\nGORGONE_THUMBPRINT=' + 'a'.repeat(43), 'GORGONE_NODE_ID', /is required/],
    [
      'GORGONE_SERVER=h\nGORGONE_NODE_ID=0\nGORGONE_THUMBPRINT=' + 'a'.repeat(43),
      'GORGONE_NODE_ID',
      /positive whole number/,
    ],
    ['GORGONE_SERVER=h\nGORGONE_NODE_ID=3', 'GORGONE_PUBKEY', /pins the server key/],
    [
      'GORGONE_SERVER=h\nGORGONE_NODE_ID=3\nGORGONE_THUMBPRINT=short',
      'GORGONE_THUMBPRINT',
      /43-character/,
    ],
    [
      'GORGONE_SERVER=h\nGORGONE_NODE_ID=3\nGORGONE_PUBKEY=/k.pem\nGORGONE_THUMBPRINT=' +
        'a'.repeat(43),
      'GORGONE_THUMBPRINT',
      /not both/,
    ],
    [
      'GORGONE_SERVER=h\nGORGONE_NODE_ID=3\nGORGONE_PUBKEY=key.pem',
      'GORGONE_PUBKEY',
      /absolute path/,
    ],
    ['GORGONE_NODE_ID=3', 'GORGONE_NODE_ID', /only meaningful with GORGONE_SERVER/],
    [
      'GORGONE_SERVER=h\nGORGONE_NODE_ID=3\nGORGONE_TARGET=a/b\nGORGONE_THUMBPRINT=' +
        'a'.repeat(43),
      'GORGONE_TARGET',
      /not a valid target name/,
    ],
    ['ONSPHERE_DISPATCHER=h\nONSPHERE_CERT=/c\nONSPHERE_KEY=/k', 'ONSPHERE_CA', /is required/],
    ['ONSPHERE_DISPATCHER=h\nONSPHERE_CA=/a\nONSPHERE_KEY=/k', 'ONSPHERE_CERT', /is required/],
    ['ONSPHERE_DISPATCHER=h\nONSPHERE_CA=/a\nONSPHERE_CERT=/c', 'ONSPHERE_KEY', /is required/],
    [
      'ONSPHERE_DISPATCHER=h\nONSPHERE_CA=/a\nONSPHERE_CERT=/c\nONSPHERE_KEY=k',
      'ONSPHERE_KEY',
      /absolute path/,
    ],
    [
      'ONSPHERE_DISPATCHER=h:99999\nONSPHERE_CA=/a\nONSPHERE_CERT=/c\nONSPHERE_KEY=/k',
      'ONSPHERE_DISPATCHER',
      /1 to 65535/,
    ],
    ['ONSPHERE_CA=/a', 'ONSPHERE_CA', /only meaningful with ONSPHERE_DISPATCHER/],
    [
      'ONSPHERE_DISPATCHER=h\nONSPHERE_CA=/a\nONSPHERE_CERT=/c\nONSPHERE_KEY=/k\nONSPHERE_TARGET=..',
      'ONSPHERE_TARGET',
      /not a valid target name/,
    ],
    [
      'ICINGA_MASTER=h\nTENTACLE_SERVER=h\nTENTACLE_TARGET=icinga',
      'seed',
      /two targets are named 'icinga'/,
    ], // Icinga HA parent zones (issue #18): every master, one fingerprint each.
    [
      `ICINGA_MASTER=a,b\nICINGA_FINGERPRINT=${FP1}`,
      'ICINGA_FINGERPRINT',
      /1 fingerprint for 2 masters/,
    ],
    [
      `ICINGA_MASTER=a\nICINGA_FINGERPRINT=${FP1},${FP2}`,
      'ICINGA_FINGERPRINT',
      /2 fingerprints for 1 master:/,
    ],
    [
      `ICINGA_MASTER=a,b\nICINGA_FINGERPRINT=${FP1},abcd`,
      'ICINGA_FINGERPRINT',
      /SHA-256 fingerprint/,
    ],
    [`ICINGA_MASTER=a,b\nICINGA_FINGERPRINT=${FP1},`, 'ICINGA_FINGERPRINT', /item 2 .* is empty/],
    [
      'ICINGA_MASTER=m1.example:5665,M1.example',
      'ICINGA_MASTER',
      /m1\.example:5665 is listed twice/,
    ],
    ['ICINGA_MASTER=a,,b', 'ICINGA_MASTER', /item 2 of 'a,,b' is empty/],
    ['ICINGA_MASTER=a,b:0', 'ICINGA_MASTER', /1 to 65535/],
    ['ICINGA_MASTER=a,2001:db8::1', 'ICINGA_MASTER', /brackets/],
    [
      `ICINGA_MASTER=${Array.from({ length: 9 }, (_, i) => `m${i}`).join(',')}`,
      'ICINGA_MASTER',
      /at most 8/,
    ],
    // Tentacle secondary server (issue #18), its parameters mirroring the primary's.
    ['TENTACLE_SECONDARY=h2', 'TENTACLE_SECONDARY', /only meaningful with TENTACLE_SERVER/],
    [
      'TENTACLE_SERVER=h\nTENTACLE_SECONDARY_MODE=always',
      'TENTACLE_SECONDARY_MODE',
      /only meaningful with TENTACLE_SECONDARY \(the secondary Tentacle server\)/,
    ],
    [
      'TENTACLE_SERVER=h\nTENTACLE_SECONDARY_TLS=1',
      'TENTACLE_SECONDARY_TLS',
      /only meaningful with TENTACLE_SECONDARY/,
    ],
    [
      'TENTACLE_SERVER=h\nTENTACLE_SECONDARY=h2\nTENTACLE_SECONDARY_MODE=never',
      'TENTACLE_SECONDARY_MODE',
      /on_error .* or always .* got 'never'/,
    ],
    ['TENTACLE_SERVER=h\nTENTACLE_SECONDARY=h2:99999', 'TENTACLE_SECONDARY', /1 to 65535/],
    [
      'TENTACLE_SERVER=h\nTENTACLE_SECONDARY=h2\nTENTACLE_SECONDARY_TLS=2',
      'TENTACLE_SECONDARY_TLS',
      /1 or 0/,
    ],
    [
      'TENTACLE_SERVER=h\nTENTACLE_TLS=1\nTENTACLE_SECONDARY=h2\nTENTACLE_SECONDARY_PASSWORD=x',
      'TENTACLE_SECONDARY_PASSWORD',
      /only sent over TLS: add TENTACLE_SECONDARY_TLS=1/,
    ],
    [
      'TENTACLE_SERVER=h\nTENTACLE_TLS=1\nTENTACLE_SECONDARY=h2\nTENTACLE_SECONDARY_CA=/ca.crt',
      'TENTACLE_SECONDARY_CA',
      /only used with TLS: add TENTACLE_SECONDARY_TLS=1/,
    ],
    [
      'TENTACLE_SERVER=h\nTENTACLE_SECONDARY=h2\nTENTACLE_SECONDARY_TLS=1\nTENTACLE_SECONDARY_CA=ca.crt',
      'TENTACLE_SECONDARY_CA',
      /absolute path/,
    ],
    // A Pandora agent's conf (issue #18).
    ['PANDORA_CONF=pandora_agent.conf', 'PANDORA_CONF', /absolute path/],
    [
      'PANDORA_AGENT=desktops',
      'PANDORA_AGENT',
      /only meaningful with PANDORA_CONF \(the Pandora FMS agent configuration to import\): add PANDORA_CONF=\/path\/to\/pandora_agent\.conf/,
    ],
    [
      'PANDORA_CONF=/etc/pandora/pandora_agent.conf\nPANDORA_AGENT=a b',
      'PANDORA_AGENT',
      /not a valid target name/,
    ],
    [
      'TENTACLE_SERVER=h\nPANDORA_CONF=/etc/pandora/pandora_agent.conf',
      'PANDORA_CONF',
      /cannot be given with TENTACLE_SERVER: the conf names its own Tentacle server/,
    ],
  ];
  for (const [text, field, message] of bad) {
    it(`refuses ${JSON.stringify(text.split('\n').at(-1))} naming ${field}`, () => {
      const error = fails(text);
      expect(error.code).toBe('invalid-request');
      expect(error.field).toBe(field);
      expect(error.message).toMatch(message);
      expect(error.message.startsWith(`${field}:`)).toBe(true);
    });
  }

  it('refuses a file that is not text', () => {
    const error = fails(Buffer.from([0x41, 0x3d, 0xff, 0xfe, 0x80]) as unknown as string);
    expect(error.field).toBe('seed');
  });

  it('never fails on any input with anything but an AgentError naming a field', () => {
    const keys = [...seedParameters(SECTIONS).keys(), 'NOPE', '[seed]', '#', ''];
    const line = fc
      .tuple(
        fc.constantFrom(...keys),
        fc.constantFrom('=', ' = ', ''),
        fc.string({ maxLength: 50 }),
      )
      .map(([k, eq, v]) => `${k}${eq}${v}`);
    fc.assert(
      fc.property(fc.array(line, { maxLength: 12 }), fc.constantFrom('\n', '\r\n'), (lines, nl) => {
        try {
          parseSeed(lines.join(nl), SECTIONS);
        } catch (error) {
          expect(error).toBeInstanceOf(AgentError);
          expect((error as AgentError).field).toBeTypeOf('string');
        }
      }),
      { numRuns: 500 },
    );
  });
});

/** A protocol module as far as the seed applier sees one: a driver whose schema checks the config. */
function moduleWithDriver(kind: TargetKind, schema: z.ZodType): AgentModule {
  return fakeModule(fakeDriver({ kind, configSchema: schema, accepts: [] }));
}

describe('seed applier', () => {
  const cleanups: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0)) await c();
  });

  async function setup(modules: AgentModule[]) {
    const temp = await makeTempDir('outpost-seed-');
    const dataDir = join(temp.dir, 'data');
    const machineDir = join(temp.dir, 'machine');
    const agent = await Agent.open({ dataDir, modules, logToFile: false });
    cleanups.push(async () => {
      await agent.close();
      await temp.cleanup();
    });
    return {
      agent,
      dataDir,
      machineDir,
      dir: temp.dir,
      locations: [join(dataDir, 'seed.ini'), join(machineDir, 'seed.ini')],
    };
  }

  it('creates the targets, moves the secrets to the SecretStore, pins keys, and applies once', async () => {
    const ca = TestCa.create();
    const module = ca.issue({ cn: 'ws-42' });
    const gorgoneKey = generateKeyPairSync('rsa', { modulusLength: 2048 });
    // Icinga pairs through its module's API over the network: without that module here it is reported
    // as skipped (the real-master test below pairs it); its ticket must still leave the file.
    const { agent, dataDir, dir, locations } = await setup([
      tentacleModule,
      // The real modules: their target schemas decide whether a seeded target is valid.
      gorgoneModule,
      onsphereModule,
    ]);
    await writeFile(join(dir, 'ca.crt'), ca.certPem);
    await writeFile(join(dir, 'module.crt'), module.certPem);
    await writeFile(join(dir, 'module.key'), module.keyPem);
    await writeFile(
      join(dir, 'gorgone.pub'),
      gorgoneKey.publicKey.export({ type: 'spki', format: 'pem' }),
    );
    const seedText = [
      '[seed]',
      'AGENT_NAME=ws-42',
      'AUTO_UPDATE=0',
      'ICINGA_MASTER=icinga.example:5665',
      `ICINGA_TICKET=${TICKET}`,
      'ICINGA_FINGERPRINT=' + 'cd'.repeat(32),
      'TENTACLE_SERVER=pandora.example',
      'TENTACLE_PASSWORD=hunter2-secret',
      'TENTACLE_TLS=1',
      `TENTACLE_CA=${join(dir, 'ca.crt')}`,
      'GORGONE_SERVER=central.example',
      'GORGONE_NODE_ID=7',
      `GORGONE_PUBKEY=${join(dir, 'gorgone.pub')}`,
      'ONSPHERE_DISPATCHER=dispatcher.example',
      `ONSPHERE_CA=${join(dir, 'ca.crt')}`,
      `ONSPHERE_CERT=${join(dir, 'module.crt')}`,
      `ONSPHERE_KEY=${join(dir, 'module.key')}`,
    ].join('\n');
    await writeFile(locations[0]!, seedText);
    const notices: string[] = [];
    agent.events.on('notice', (n) => notices.push(`${n.level}: ${n.title}`));

    const [report] = await applyPendingSeeds(agent, locations);
    expect(report?.status).toBe('applied');
    // In the composition root's module order.
    expect(report?.targets.map((t) => [t.target, t.outcome])).toEqual([
      ['icinga', 'skipped'],
      ['pandora', 'created'],
      ['onsphere', 'created'],
      ['centreon', 'created'],
    ]);
    expect(notices).toEqual(['warning: Deployment settings applied']);

    const settings = await agent.api.getSettings({});
    expect(settings.agent.name).toBe('ws-42');
    expect(settings.agent.autoUpdate).toBe(false);
    const targets = await agent.api.listTargets({});
    expect(Object.fromEntries(targets.map((t) => [t.name, t.config]))).toMatchObject({
      pandora: {
        host: 'pandora.example',
        port: 41121,
        tls: true,
        caFile: agent.context.identity.certificateFiles('pandora').caPath,
      },
      centreon: { host: 'central.example', port: 5556, nodeId: '7' },
      onsphere: { host: 'dispatcher.example', port: 10000 },
    });
    // settings.json holds no secret.
    const settingsFile = await readFile(join(dataDir, 'settings.json'), 'utf8');
    expect(settingsFile).not.toContain('hunter2');
    expect(settingsFile).not.toContain(TICKET);

    expect(await agent.context.secrets.get('target/pandora/password')).toBe('hunter2-secret');
    expect(await agent.context.secrets.get('target/icinga/ticket')).toBe(TICKET);
    const pins = await agent.context.identity.pins();
    expect(pins.find((p) => p.target === 'centreon')?.value).toBe(
      jwkThumbprint(gorgoneKey.publicKey),
    );
    const stored = await agent.context.identity.readCertificates('onsphere');
    expect(stored).toEqual({ caPem: ca.certPem, certPem: module.certPem, keyPem: module.keyPem });

    // The source is gone; the applied record keeps everything but the secrets.
    await expect(access(locations[0]!)).rejects.toThrow();
    const applied = await readFile(join(dataDir, 'seed.applied.ini'), 'utf8');
    expect(applied).toContain('TENTACLE_SERVER=pandora.example');
    expect(applied).toContain('secret moved to the secret store as target/pandora/password');
    expect(applied).not.toContain('hunter2');
    expect(applied).not.toContain(TICKET);

    // The same seed dropped again (e.g. the installer re-run) is not applied twice.
    await agent.api.removeTarget({ name: 'pandora' });
    await writeFile(locations[0]!, seedText);
    const [again] = await applyPendingSeeds(agent, locations);
    expect(again?.status).toBe('already-applied');
    expect((await agent.api.listTargets({})).map((t) => t.name)).not.toContain('pandora');
    await expect(access(locations[0]!)).rejects.toThrow();
  });

  it('reports kinds whose module is missing and targets whose files are wrong, and still removes every secret', async () => {
    const { agent, dataDir, dir, locations } = await setup([
      moduleWithDriver('onsphere', z.object({}).passthrough()),
    ]);
    const ca = TestCa.create();
    const other = ca.issue({ cn: 'other' });
    const module = ca.issue({ cn: 'ws-42' });
    await writeFile(join(dir, 'ca.crt'), ca.certPem);
    await writeFile(join(dir, 'module.crt'), module.certPem);
    await writeFile(join(dir, 'other.key'), other.keyPem);
    const seedText = [
      'ICINGA_MASTER=icinga.example',
      `ICINGA_TICKET=${TICKET}`,
      'ONSPHERE_DISPATCHER=dispatcher.example',
      `ONSPHERE_CA=${join(dir, 'ca.crt')}`,
      `ONSPHERE_CERT=${join(dir, 'module.crt')}`,
      `ONSPHERE_KEY=${join(dir, 'other.key')}`,
    ].join('\n');
    await writeFile(locations[0]!, seedText);
    const [report] = await applyPendingSeeds(agent, locations);
    expect(report?.targets).toEqual([
      expect.objectContaining({
        target: 'icinga',
        outcome: 'skipped',
        detail: expect.stringMatching(/no icinga module/),
      }),
      expect.objectContaining({
        target: 'onsphere',
        outcome: 'failed',
        detail: expect.stringMatching(/^ONSPHERE_KEY: .* is not the key of the ONSPHERE_CERT/),
      }),
    ]);
    expect(await agent.context.secrets.get('target/icinga/ticket')).toBe(TICKET);
    expect(await agent.api.listTargets({})).toEqual([]);
    expect(await readFile(join(dataDir, 'seed.applied.ini'), 'utf8')).not.toContain(TICKET);
  });

  it("reports a Tentacle target's connection warnings in words", async () => {
    const { agent, locations } = await setup([tentacleModule]);
    await writeFile(locations[0]!, 'TENTACLE_SERVER=pandora.example\n');
    const [report] = await applyPendingSeeds(agent, locations);
    expect(report?.targets).toEqual([
      expect.objectContaining({
        target: 'pandora',
        outcome: 'created',
        detail: expect.stringMatching(/^saved pandora\.example:41121 \(.*plain TCP.*\)$/i),
      }),
    ]);
    expect(report?.targets[0]?.detail).not.toContain('[object');
  });

  it('leaves an invalid seed in place and says why', async () => {
    const { agent, locations } = await setup([]);
    await writeFile(locations[0]!, 'TENTACLE_SERVER=h\nTENTACLE_PASSWORD=x\n');
    const notices: string[] = [];
    agent.events.on('notice', (n) => notices.push(n.body));
    const [report] = await applyPendingSeeds(agent, locations);
    expect(report?.status).toBe('invalid');
    expect(report?.error).toMatch(/^TENTACLE_PASSWORD: a password is only sent over TLS/);
    expect(notices[0]).toContain('TENTACLE_PASSWORD');
    expect(await readFile(locations[0]!, 'utf8')).toContain('TENTACLE_PASSWORD');
    expect(await agent.context.secrets.list()).toEqual([]);
  });

  it('reports a seed it cannot read without stopping', async () => {
    const { agent, locations } = await setup([]);
    await mkdir(locations[0]!);
    const [report] = await applyPendingSeeds(agent, locations);
    expect(report).toMatchObject({
      status: 'invalid',
      error: expect.stringMatching(/cannot read the seed file: EISDIR/),
    });
  });

  it('applies a machine-wide seed and knows where each OS keeps it', async () => {
    const { agent, locations, machineDir } = await setup([]);
    await mkdir(machineDir, { mode: 0o755 });
    await writeFile(locations[1]!, 'AUTO_UPDATE=0\n', { mode: 0o644 });
    const reports = await applyPendingSeeds(agent, locations);
    expect(reports.map((r) => [r.source, r.status])).toEqual([[locations[1], 'applied']]);
    expect((await agent.api.getSettings({})).agent.autoUpdate).toBe(false);
    expect(seedLocations('/data', 'linux')).toEqual([
      join('/data', 'seed.ini'),
      join('/etc/outpost', 'seed.ini'),
    ]);
    expect(machineSeedDir('darwin')).toBe(join('/Library/Application Support', 'Outpost'));
    expect(machineSeedDir('win32', { ProgramData: 'D:\\PD' })).toMatch(/^D:\\PD[\\/]Outpost$/);
  });
});

describe.skipIf(process.platform === 'win32')('seed trust (POSIX owners and modes)', () => {
  const cleanups: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0)) await c();
  });

  async function machineSeed(text: string) {
    const temp = await makeTempDir('outpost-seed-trust-');
    const agent = await Agent.open({ dataDir: join(temp.dir, 'data'), logToFile: false });
    cleanups.push(async () => {
      await agent.close();
      await temp.cleanup();
    });
    const folder = join(temp.dir, 'machine');
    await mkdir(folder, { mode: 0o755 });
    const file = join(folder, 'seed.ini');
    await writeFile(file, text, { mode: 0o644 });
    const notices: string[] = [];
    agent.events.on('notice', (n) => notices.push(`${n.level}: ${n.body}`));
    const apply = async () => (await applyPendingSeeds(agent, [file]))[0];
    return { agent, folder, file, notices, apply };
  }

  it('refuses a seed in a folder other users can write in, or a file they can change, and leaves it in place', async () => {
    const { agent, folder, file, notices, apply } = await machineSeed('AGENT_NAME=intruder\n');
    await chmod(folder, 0o777);
    expect(await apply()).toMatchObject({
      status: 'invalid',
      error: `the seed folder ${folder} can be changed by other users (mode 0777): any of them could have written the seed, so it is not applied. Remove their write access: chmod go-w ${folder}`,
    });
    await chmod(folder, 0o755);
    await chmod(file, 0o666);
    expect((await apply())?.error).toMatch(
      `the seed file ${file} can be changed by other users (mode 0666)`,
    );
    expect(notices).toEqual([
      expect.stringMatching(/^error: .*seed folder.*mode 0777/),
      expect.stringMatching(/^error: .*seed file.*mode 0666/),
    ]);
    expect((await agent.api.getSettings({})).agent.name).not.toBe('intruder');
    expect(await readFile(file, 'utf8')).toBe('AGENT_NAME=intruder\n');

    // Nobody else can enter a 0700 folder (the data folder): its file's mode is not theirs to use.
    await chmod(folder, 0o700);
    expect(await apply()).toMatchObject({ status: 'applied' });
    expect((await agent.api.getSettings({})).agent.name).toBe('intruder');
  });

  it.skipIf(process.getuid?.() !== 0)(
    'refuses a seed folder that belongs to another user',
    async () => {
      const { folder, apply } = await machineSeed('AGENT_NAME=intruder\n');
      await chown(folder, 65534, 65534);
      expect((await apply())?.error).toBe(
        `the seed folder ${folder} belongs to another user (uid 65534), who could have written the seed: it is not applied. An administrator should give it to root: sudo chown root ${folder}`,
      );
    },
  );
});

describe('seeded Tentacle target against the reference server', () => {
  it('delivers over verified TLS with the password the seed moved to the SecretStore', async () => {
    const temp = await makeTempDir('outpost-seed-tentacle-');
    const ca = TestCa.create();
    const serverCert = ca.issue({ cn: 'localhost' });
    const server = await TentacleServer.start({
      dir: join(temp.dir, 'incoming'),
      password: 'seeded-Secret',
      tls: { certPem: serverCert.certPem, keyPem: serverCert.keyPem },
    });
    const agent = await Agent.open({
      dataDir: join(temp.dir, 'data'),
      modules: [tentacleModule],
      logToFile: false,
    });
    try {
      await writeFile(join(temp.dir, 'ca.crt'), ca.certPem);
      const seedFile = join(temp.dir, 'data', 'seed.ini');
      await writeFile(
        seedFile,
        `TENTACLE_SERVER=127.0.0.1:${server.port}\nTENTACLE_TLS=1\nTENTACLE_CA=${join(temp.dir, 'ca.crt')}\nTENTACLE_PASSWORD=seeded-Secret\n`,
      );
      const [report] = await applyPendingSeeds(agent, [seedFile]);
      expect(report?.targets).toEqual([
        expect.objectContaining({ target: 'pandora', outcome: 'created' }),
      ]);
      expect(await readFile(join(temp.dir, 'data', 'seed.applied.ini'), 'utf8')).not.toContain(
        'seeded-Secret',
      );

      const payload = join(temp.dir, 'agent.data');
      await writeFile(payload, '<agent_data/>\n');
      const result = await agent.api.sendTentacleFiles({ target: 'pandora', files: [payload] });
      expect(result.allOk).toBe(true);
      expect(result.tls?.peerSubject).toContain('localhost');
      expect(await readFile(join(temp.dir, 'incoming', 'agent.data'), 'utf8')).toBe(
        '<agent_data/>\n',
      );
    } finally {
      await agent.close();
      await server.stop();
      await temp.cleanup();
    }
  });
});
