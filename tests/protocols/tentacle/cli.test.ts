/** `outpost tentacle ...` as admins run it, against the reference server. */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../cli/run-cli.ts';
import { harness, testPki, type Harness, type Pki } from './fixtures.ts';

let h: Harness;
let pki: Pki;
let data: string;

beforeAll(async () => {
  h = await harness('tentacle-cli');
  pki = await testPki(join(h.dir, 'pki'));
  data = join(h.dir, 'data');
}, 60_000);
afterAll(async () => h.cleanup());

async function file(name: string, content: string): Promise<string> {
  const path = join(h.dir, name);
  await writeFile(path, content);
  return path;
}

describe('outpost tentacle', () => {
  it('send exits 0 only when the server acknowledged every file', async () => {
    const server = await h.start();
    const a = await file('a.data', 'A');
    const b = await file('b.data', 'B');
    const ok = await runCli([
      'tentacle',
      'send',
      a,
      b,
      '-a',
      '127.0.0.1',
      '-p',
      String(server.port),
      '--data-dir',
      data,
    ]);
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toMatch(/sent a\.data \(1 bytes\)\nsent b\.data \(1 bytes\)/);
    expect(server.connections).toHaveLength(1);
    const c = await file('c.data', 'C');
    const partly = await runCli([
      'tentacle',
      'send',
      c,
      a,
      '-a',
      '127.0.0.1',
      '-p',
      String(server.port),
      '--json',
      '--data-dir',
      data,
    ]);
    expect(partly.code).toBe(1);
    const result = JSON.parse(partly.stdout) as {
      allOk: boolean;
      results: Array<{ name: string; ok: boolean }>;
    };
    expect(result.allOk).toBe(false);
    expect(result.results.map((r) => [r.name, r.ok])).toEqual([
      ['c.data', true],
      ['a.data', false],
    ]);
  });

  it('-c verifies the server; --insecure is an explicit opt-in with a warning on stderr', async () => {
    const server = await h.start({
      tls: { certPem: pki.server.certPem, keyPem: pki.server.keyPem },
    });
    const f = await file('tls.data', 'T');
    const refused = await runCli([
      'tentacle',
      'send',
      f,
      '-a',
      '127.0.0.1',
      '-p',
      String(server.port),
      '-c',
      '--data-dir',
      data,
    ]);
    expect(refused.code).toBe(1);
    expect(refused.stdout).toMatch(/not trusted/);
    const verified = await runCli([
      'tentacle',
      'send',
      f,
      '-a',
      '127.0.0.1',
      '-p',
      String(server.port),
      '-c',
      '-f',
      pki.files['ca.crt']!,
      '-v',
      '--data-dir',
      data,
    ]);
    expect(verified.code, verified.stdout + verified.stderr).toBe(0);
    expect(verified.stderr).toMatch(
      /TLSv1\.[23] with 127\.0\.0\.1:\d+: localhost issued by Tentacle Test CA/,
    );
    expect(verified.stderr).not.toMatch(/WARNING/);
    const insecure = await runCli([
      'tentacle',
      'send',
      await file('tls2.data', 'T'),
      '-a',
      '127.0.0.1',
      '-p',
      String(server.port),
      '-c',
      '--insecure',
      '--data-dir',
      data,
    ]);
    expect(insecure.code).toBe(0);
    expect(insecure.stderr).toMatch(/WARNING: TLS server certificate NOT verified/);
  });

  it('refuses a password over plain TCP unless --allow-plain-password', async () => {
    const server = await h.start({ password: 's3cret' });
    const f = await file('pw.data', 'P');
    const refused = await runCli([
      'tentacle',
      'send',
      f,
      '-a',
      '127.0.0.1',
      '-p',
      String(server.port),
      '-x',
      's3cret',
      '--data-dir',
      data,
    ]);
    expect(refused.code).toBe(1);
    expect(refused.stdout).toMatch(/--allow-plain-password/);
    expect(server.connections).toHaveLength(0);
    const allowed = await runCli([
      'tentacle',
      'send',
      f,
      '-a',
      '127.0.0.1',
      '-p',
      String(server.port),
      '-x',
      's3cret',
      '--allow-plain-password',
      '--data-dir',
      data,
    ]);
    expect(allowed.code).toBe(0);
    const wrong = await runCli([
      'tentacle',
      'send',
      await file('pw2.data', 'P'),
      '-a',
      '127.0.0.1',
      '-p',
      String(server.port),
      '-x',
      'nope',
      '--allow-plain-password',
      '--data-dir',
      data,
    ]);
    expect(wrong.code).toBe(1);
    expect(wrong.stdout).toMatch(/password is wrong/);
  });

  it('get downloads into -d, never overwriting without --overwrite, also compressed', async () => {
    const server = await h.start();
    await writeFile(join(server.options.dir, 'conf.md5'), 'd41d8cd98f00b204e9800998ecf8427e');
    const dir = join(h.dir, 'dl');
    await mkdir(dir);
    const got = await runCli([
      'tentacle',
      'get',
      'conf.md5',
      '-a',
      '127.0.0.1',
      '-p',
      String(server.port),
      '-d',
      dir,
      '-z',
      '--data-dir',
      data,
    ]);
    expect(got.code, got.stdout + got.stderr).toBe(0);
    expect(await readFile(join(dir, 'conf.md5'), 'utf8')).toBe('d41d8cd98f00b204e9800998ecf8427e');
    const again = await runCli([
      'tentacle',
      'get',
      'conf.md5',
      '-a',
      '127.0.0.1',
      '-p',
      String(server.port),
      '-d',
      dir,
      '--data-dir',
      data,
    ]);
    expect(again.code).toBe(1);
    expect(again.stdout).toMatch(/already exists/);
  });

  it('add saves a target with its password in the SecretStore, then test and target list show it', async () => {
    const server = await h.start({
      password: 's3cret',
      tls: { certPem: pki.server.certPem, keyPem: pki.server.keyPem },
    });
    const outbox = join(h.dir, 'outbox');
    const added = await runCli([
      'tentacle',
      'add',
      'pandora',
      '-a',
      '127.0.0.1',
      '-p',
      String(server.port),
      '-c',
      '-f',
      pki.files['ca.crt']!,
      '-x',
      's3cret',
      '--outbox',
      outbox,
      '--data-dir',
      data,
    ]);
    expect(added.code, added.stderr).toBe(0);
    expect(added.stdout).toMatch(/password: +stored in the SecretStore/);
    const settings = await readFile(join(data, 'settings.json'), 'utf8');
    expect(settings).toContain('"outbox"');
    expect(settings).not.toContain('s3cret');
    expect(await readFile(join(data, 'secrets.json'), 'utf8')).toContain(
      '"target/pandora/password": "s3cret"',
    );
    const tested = await runCli(['tentacle', 'test', 'pandora', '--data-dir', data]);
    expect(tested.code, tested.stdout).toBe(0);
    expect(tested.stdout).toMatch(/answers over TLSv1\.[23]/);
    const list = await runCli(['target', 'list', '--data-dir', data]);
    expect(list.stdout).toMatch(/pandora +tentacle/);
  });

  it('usage errors exit 2', async () => {
    const noHost = await runCli(['tentacle', 'send', 'x', '--data-dir', data]);
    expect(noHost.code).toBe(2);
    expect(noHost.stderr).toMatch(/-a HOST/);
    const badProxy = await runCli([
      'tentacle',
      'send',
      'x',
      '-a',
      'h',
      '-y',
      'nonsense',
      '--data-dir',
      data,
    ]);
    expect(badProxy.code).toBe(2);
    expect(badProxy.stderr).toMatch(/PROXYHOST:PORT/);
  });
});
