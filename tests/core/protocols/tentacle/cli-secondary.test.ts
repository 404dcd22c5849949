/** `outpost tentacle add NAME … --secondary HOST[:PORT]` and its --secondary-… flags, as admins run them. */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../../cli/run-cli.ts';
import { harness, testPki, type Harness, type Pki } from './fixtures.ts';

let h: Harness;
let pki: Pki;
let data: string;

beforeAll(async () => {
  h = await harness('tentacle-cli-secondary');
  pki = await testPki(join(h.dir, 'pki'));
  data = join(h.dir, 'data');
}, 60_000);
afterAll(async () => h.cleanup());

const add = (...args: string[]) =>
  runCli(['tentacle', 'add', 'pandora', '-a', '127.0.0.1', ...args, '--data-dir', data]);

describe('outpost tentacle add --secondary', () => {
  it('saves the secondary with its own mode, TLS and password (SecretStore), the primary keeping its own', async () => {
    const passwordFile = join(h.dir, 'secondary.pwd');
    await writeFile(passwordFile, 'second-pass\n', { mode: 0o600 });
    const added = await add(
      '-x',
      'primary-pass',
      '--allow-plain-password',
      '--secondary',
      '[::1]:41200',
      '--secondary-mode',
      'always',
      '--secondary-ca',
      pki.files['ca.crt']!,
      '--secondary-password-file',
      passwordFile,
      '--secondary-timeout',
      '5',
    );
    expect(added.code, added.stderr).toBe(0);
    expect(added.stdout).toMatch(
      /secondary server: +\[::1\]:41200 \(always\), TLS verified, password stored in the SecretStore/,
    );
    const settings = JSON.parse(await readFile(join(data, 'settings.json'), 'utf8')) as {
      targets: Record<string, { config: Record<string, unknown> }>;
    };
    expect(settings.targets.pandora!.config.secondary).toEqual({
      host: '::1',
      port: 41200,
      mode: 'always',
      tls: true,
      caFile: pki.files['ca.crt'],
      insecure: false,
      allowPlainPassword: false,
      zip: false,
      // tentacle_client's -r default 3 fills in: 5 × (3 + 1)
      idleTimeoutSeconds: 20,
    });
    const secrets = JSON.parse(await readFile(join(data, 'secrets.json'), 'utf8')) as Record<
      string,
      string
    >;
    expect(secrets['target/pandora/password']).toBe('primary-pass');
    expect(secrets['target/pandora/secondary-password']).toBe('second-pass');

    // Saved again without --secondary: the secondary and its secrets are gone.
    const again = await add();
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).not.toMatch(/secondary server/);
    expect(await readFile(join(data, 'secrets.json'), 'utf8')).not.toContain('secondary');
  });

  it('test checks the secondary server too, with its own password; exit 1 when it fails', async () => {
    const primary = await h.start();
    const secondary = await h.start({ password: 'second-pass' });
    const added = await runCli([
      'tentacle',
      'add',
      'tested',
      '-a',
      '127.0.0.1',
      '-p',
      String(primary.port),
      '--secondary',
      `127.0.0.1:${secondary.port}`,
      '--secondary-password',
      'second-pass',
      '--secondary-allow-plain-password',
      '--data-dir',
      data,
    ]);
    expect(added.code, added.stderr).toBe(0);
    const tested = await runCli(['tentacle', 'test', 'tested', '--data-dir', data]);
    expect(tested.code, tested.stdout + tested.stderr).toBe(0);
    expect(tested.stdout).toBe(
      `Tentacle target tested answers.\nIts secondary server 127.0.0.1:${secondary.port} (on_error) answers.\n`,
    );
    await secondary.kill();
    const down = await runCli(['tentacle', 'test', 'tested', '--data-dir', data]);
    expect(down.code).toBe(1);
    expect(down.stdout).toMatch(
      new RegExp(
        `^Its secondary server 127\\.0\\.0\\.1:${secondary.port} \\(on_error\\) failed: `,
        'm',
      ),
    );
  });

  it('defaults to on_error and the Tentacle port', async () => {
    const added = await add('--secondary', 'backup.example');
    expect(added.code, added.stderr).toBe(0);
    expect(added.stdout).toMatch(
      /secondary server: +backup\.example:41121 \(on_error\), TLS no, password none/,
    );
  });

  it.each([
    [
      ['--secondary-mode', 'always'],
      '--secondary-mode belongs to a secondary server: give its address with --secondary HOST[:PORT]',
    ],
    [
      ['--secondary-password', 'x'],
      '--secondary-password belongs to a secondary server: give its address with --secondary HOST[:PORT]',
    ],
    [
      ['--secondary', 'backup', '--secondary-mode', 'sometimes'],
      "--secondary-mode must be 'on_error' or 'always', got 'sometimes'",
    ],
    [['--secondary', 'a:b:c'], "--secondary: 'a:b:c' is not HOST[:PORT]"],
    [['--secondary', 'backup:70000'], "--secondary: port '70000' must be a number from 1 to 65535"],
    [
      ['--secondary', 'backup', '--secondary-cert', 'c.pem'],
      '--secondary-cert CERT and --secondary-key KEY go together',
    ],
    [
      ['--secondary', 'backup', '--secondary-insecure', '--secondary-ca', 'ca.pem'],
      '--secondary-insecure and --secondary-ca CA contradict each other',
    ],
    [
      ['--secondary', 'backup', '--secondary-timeout', '0'],
      "--secondary-timeout SECONDS must be a whole number from 1 up, got '0'",
    ],
    [
      ['--secondary', 'backup', '--secondary-proxy-password-file', 'PROXY_PASSWORD_FILE'],
      '--secondary-proxy-password-file goes with --secondary-proxy USER@PROXYHOST:PORT',
    ],
  ])('refuses %j with a usage error naming the flag', async (flags, message) => {
    const proxyPasswordFile = join(h.dir, 'proxy.pwd');
    await writeFile(proxyPasswordFile, 'proxy-pass\n', { mode: 0o600 });
    const result = await add(
      ...flags.map((f) => (f === 'PROXY_PASSWORD_FILE' ? proxyPasswordFile : f)),
    );
    expect(result.code, result.stdout).toBe(2);
    expect(result.stderr).toContain(message);
  });

  it("refuses the secondary's password over plain TCP, naming the secondary's field", async () => {
    const result = await add('--secondary', 'plain-backup', '--secondary-password', 'x', '--json');
    expect(result.code).toBe(2);
    expect(JSON.parse(result.stdout || result.stderr)).toMatchObject({
      error: { code: 'invalid-request', field: 'secondaryPassword' },
    });
    expect(result.stderr).toMatch(
      /secondary server: refusing to send the Tentacle password over plain TCP/,
    );
    // Nothing was saved.
    const list = await runCli(['target', 'list', '--json', '--data-dir', data]);
    const names = (JSON.parse(list.stdout) as Array<{ name: string; config: object }>).map(
      (t) => t.config,
    );
    expect(JSON.stringify(names)).not.toContain('plain-backup');
  });
});
