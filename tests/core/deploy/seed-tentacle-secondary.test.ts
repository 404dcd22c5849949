/**
 * The installer seed's secondary Tentacle server (issue #18,
 * pandora-remote-config.md §11–§14): TENTACLE_SECONDARY_* mirror the
 * primary's parameters; applied on first start, then used against two
 * reference servers over loopback, each with its own CA and password.
 */
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Agent } from '../../../main/core/agent.ts';
import { applyPendingSeeds } from '../../../main/core/deploy/apply.ts';
import { tentacleModule } from '../../../main/core/protocols/tentacle/index.ts';
import { TestCa } from '../../peers/pki.ts';
import { TentacleServer } from '../../peers/tentacle-server.ts';
import { makeTempDir } from '../../peers/util.ts';

describe('seeded Tentacle target with a secondary server', () => {
  const cleanups: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  async function setup() {
    const temp = await makeTempDir('outpost-seed-secondary-');
    cleanups.push(temp.cleanup);
    const agent = await Agent.open({
      dataDir: join(temp.dir, 'data'),
      modules: [tentacleModule],
      logToFile: false,
    });
    cleanups.push(() => agent.close());
    return { dir: temp.dir, agent, seedFile: join(temp.dir, 'data', 'seed.ini') };
  }

  /** A TLS reference server whose certificate is signed by a CA of its own, written to `caFile`. */
  async function tlsServer(dir: string, name: string, password: string) {
    const ca = TestCa.create(`${name} CA`);
    const cert = ca.issue({ cn: 'localhost' });
    const server = await TentacleServer.start({
      dir: join(dir, name),
      password,
      tls: { certPem: cert.certPem, keyPem: cert.keyPem },
    });
    cleanups.push(() => server.stop());
    const caFile = join(dir, `${name}-ca.crt`);
    await writeFile(caFile, ca.certPem);
    return { server, caFile };
  }

  it('reaches the secondary over verified TLS with its own CA and password, neither left on disk', async () => {
    const { dir, agent, seedFile } = await setup();
    const primary = await tlsServer(dir, 'primary', 'primary-Secret');
    const secondary = await tlsServer(dir, 'secondary', 'secondary-Secret');
    await writeFile(
      seedFile,
      [
        `TENTACLE_SERVER=127.0.0.1:${primary.server.port}`,
        'TENTACLE_TLS=1',
        `TENTACLE_CA=${primary.caFile}`,
        'TENTACLE_PASSWORD=primary-Secret',
        `TENTACLE_SECONDARY=127.0.0.1:${secondary.server.port}`,
        'TENTACLE_SECONDARY_MODE=always',
        'TENTACLE_SECONDARY_TLS=1',
        `TENTACLE_SECONDARY_CA=${secondary.caFile}`,
        'TENTACLE_SECONDARY_PASSWORD=secondary-Secret',
      ].join('\n'),
    );
    const [report] = await applyPendingSeeds(agent, [seedFile]);
    expect(report).toMatchObject({
      status: 'applied',
      targets: [
        {
          target: 'pandora',
          kind: 'tentacle',
          outcome: 'created',
          detail: `saved 127.0.0.1:${primary.server.port} over TLS, secondary 127.0.0.1:${secondary.server.port} over TLS (always)`,
        },
      ],
      secretsStored: ['target/pandora/password', 'target/pandora/secondary-password'],
    });
    expect(await agent.context.secrets.get('target/pandora/secondary-password')).toBe(
      'secondary-Secret',
    );
    const applied = await readFile(join(dir, 'data', 'seed.applied.ini'), 'utf8');
    expect(applied).not.toContain('Secret');
    expect(applied).toContain('TENTACLE_SECONDARY_MODE=always');

    // The CAs were copied: the installer's files may go.
    await rm(primary.caFile);
    await rm(secondary.caFile);
    const [target] = await agent.api.listTargets({});
    const config = target!.config as { caFile: string; secondary: Record<string, unknown> };
    expect(config.secondary).toMatchObject({
      host: '127.0.0.1',
      port: secondary.server.port,
      tls: true,
      mode: 'always',
    });
    expect(config.secondary.caFile).not.toBe(config.caFile);

    // Each server accepts only its own password, so both answering proves each got its own.
    const test = await agent.api.testTentacleTarget({ name: 'pandora' });
    expect(test).toMatchObject({
      ok: true,
      secondary: { server: `127.0.0.1:${secondary.server.port}`, mode: 'always', ok: true },
    });
    expect(test.secondary?.tls?.peerSubject).toContain('localhost');
  });

  it('defaults the mode to on_error and sends nothing but the address without TLS', async () => {
    const { agent, seedFile } = await setup();
    await writeFile(seedFile, 'TENTACLE_SERVER=pandora.example\nTENTACLE_SECONDARY=dr.example\n');
    const [report] = await applyPendingSeeds(agent, [seedFile]);
    expect(report?.targets[0]).toMatchObject({ outcome: 'created' });
    const [target] = await agent.api.listTargets({});
    expect((target!.config as { secondary: unknown }).secondary).toMatchObject({
      host: 'dr.example',
      port: 41121,
      tls: false,
      mode: 'on_error',
    });
    expect(await agent.context.secrets.get('target/pandora/secondary-password')).toBeUndefined();
  });

  it("reports a secondary CA file that is not a certificate, naming TENTACLE_SECONDARY_CA, and still moves the secondary's password off the disk", async () => {
    const { dir, agent, seedFile } = await setup();
    const notCa = join(dir, 'not-a-ca.pem');
    await writeFile(notCa, 'hello\n');
    await writeFile(
      seedFile,
      `TENTACLE_SERVER=h\nTENTACLE_SECONDARY=h2\nTENTACLE_SECONDARY_TLS=1\nTENTACLE_SECONDARY_CA=${notCa}\nTENTACLE_SECONDARY_PASSWORD=dr-Secret\n`,
    );
    const [report] = await applyPendingSeeds(agent, [seedFile]);
    expect(report?.targets[0]).toMatchObject({
      outcome: 'failed',
      detail: expect.stringMatching(/^TENTACLE_SECONDARY_CA: /) as string,
    });
    expect(await agent.api.listTargets({})).toEqual([]);
    expect(await agent.context.secrets.get('target/pandora/secondary-password')).toBe('dr-Secret');
    expect(await readFile(join(dir, 'data', 'seed.applied.ini'), 'utf8')).not.toContain(
      'dr-Secret',
    );
  });
});
