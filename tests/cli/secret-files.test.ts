/**
 * Every secret flag has a `--…-file FILE` twin ('-' is stdin), read by one
 * shared helper: the real `outpost` against the reference Tentacle server and
 * HTTP CONNECT proxy, so the secret from the file is the one on the wire.
 */
import { createPrivateKey } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConnectProxy } from '../peers/http-connect-proxy.ts';
import { harness, testPki, type Harness, type Pki } from '../core/protocols/tentacle/fixtures.ts';
import { runCli } from './run-cli.ts';

let h: Harness;
let pki: Pki;
let data: string;

beforeAll(async () => {
  h = await harness('secret-files');
  pki = await testPki(join(h.dir, 'pki'));
  data = join(h.dir, 'data');
}, 60_000);
afterAll(async () => h.cleanup());

async function file(name: string, content: string, mode = 0o600): Promise<string> {
  const path = join(h.dir, name);
  await writeFile(path, content, { mode });
  return path;
}

describe('tentacle --password-file, --key-passphrase-file, --proxy-password-file', () => {
  it('--password-file authenticates with the line the file holds, from a file or a piped stdin', async () => {
    const server = await h.start({ password: 's3cret' });
    const send = (name: string, secretArgs: string[], input?: string) =>
      runCli(
        [
          'tentacle',
          'send',
          join(h.dir, name),
          '-a',
          '127.0.0.1',
          '-p',
          String(server.port),
          '--allow-plain-password',
          ...secretArgs,
          '--data-dir',
          data,
        ],
        {},
        60_000,
        input,
      );
    await file('a.data', 'A');
    await file('b.data', 'B');
    await file('c.data', 'C');
    const fromFile = await send('a.data', ['--password-file', await file('pw', 's3cret\n')]);
    expect(fromFile.code, fromFile.stderr).toBe(0);
    expect(fromFile.stderr).not.toContain('WARNING');
    const fromStdin = await send('b.data', ['--password-file', '-'], 's3cret\r\n');
    expect(fromStdin.code, fromStdin.stderr).toBe(0);
    const wrong = await send('c.data', ['--password-file', await file('wrong-pw', 'nope\n')]);
    expect(wrong.code).toBe(1);
    expect(wrong.stdout).toMatch(/password is wrong/);
    expect(await readFile(join(server.options.dir, 'a.data'), 'utf8')).toBe('A');
    expect(await readFile(join(server.options.dir, 'b.data'), 'utf8')).toBe('B');
  });

  it('warns, like ssh, when other users can read the file, and still uses it', async () => {
    const server = await h.start({ password: 's3cret' });
    const path = await file('open-pw', 's3cret\n', 0o644);
    const res = await runCli([
      'tentacle',
      'send',
      await file('open.data', 'O'),
      '-a',
      '127.0.0.1',
      '-p',
      String(server.port),
      '--allow-plain-password',
      '--password-file',
      path,
      '--data-dir',
      data,
    ]);
    expect(res.code, res.stderr).toBe(0);
    expect(res.stderr).toContain(
      `WARNING: ${path} (--password-file) can be read or changed by other users (mode 0644): chmod 600 ${path}`,
    );
    expect(res.stdout + res.stderr).not.toContain('s3cret');
  });

  it('--key-passphrase-file unlocks an encrypted client key for mutual TLS', async () => {
    const server = await h.start({
      tls: { certPem: pki.server.certPem, keyPem: pki.server.keyPem, caPem: pki.ca.certPem },
    });
    const key = await file(
      'encrypted.key',
      createPrivateKey(pki.client.keyPem)
        .export({ format: 'pem', type: 'pkcs8', cipher: 'aes-256-cbc', passphrase: 'k3y pass' })
        .toString(),
    );
    const res = await runCli([
      'tentacle',
      'send',
      await file('tls.data', 'T'),
      '-a',
      '127.0.0.1',
      '-p',
      String(server.port),
      '-f',
      pki.files['ca.crt']!,
      '-e',
      pki.files['client.crt']!,
      '-k',
      key,
      '--key-passphrase-file',
      await file('key-pass', 'k3y pass\n'),
      '--data-dir',
      data,
    ]);
    expect(res.code, res.stderr).toBe(0);
    expect(await readFile(join(server.options.dir, 'tls.data'), 'utf8')).toBe('T');
  });

  it("--proxy-password-file is the password of -y USER@HOST:PORT in the proxy's Basic credentials", async () => {
    const server = await h.start();
    const proxy = await ConnectProxy.start({ user: 'agent', password: 'proxy:pw' });
    try {
      const res = await runCli([
        'tentacle',
        'send',
        await file('proxied.data', 'P'),
        '-a',
        '127.0.0.1',
        '-p',
        String(server.port),
        '-y',
        `agent@127.0.0.1:${proxy.port}`,
        '--proxy-password-file',
        await file('proxy-pw', 'proxy:pw\n'),
        '--data-dir',
        data,
      ]);
      expect(res.code, res.stderr).toBe(0);
      expect(proxy.requests[0]!.toString('latin1')).toContain(
        `Proxy-Authorization: Basic ${Buffer.from('agent:proxy:pw').toString('base64')}\r\n`,
      );
      expect(await readFile(join(server.options.dir, 'proxied.data'), 'utf8')).toBe('P');
    } finally {
      await proxy.stop();
    }
  });

  it('tentacle add keeps the password from --password-file in the SecretStore, without its line break', async () => {
    const server = await h.start({ password: 's3cret' });
    const res = await runCli([
      'tentacle',
      'add',
      'from-file',
      '-a',
      '127.0.0.1',
      '-p',
      String(server.port),
      '--allow-plain-password',
      '--password-file',
      await file('add-pw', 's3cret\n'),
      '--data-dir',
      data,
    ]);
    expect(res.code, res.stderr).toBe(0);
    const secrets = JSON.parse(await readFile(join(data, 'secrets.json'), 'utf8')) as Record<
      string,
      string
    >;
    expect(secrets['target/from-file/password']).toBe('s3cret');
    const tested = await runCli(['tentacle', 'test', 'from-file', '--data-dir', data]);
    expect(tested.code, tested.stdout + tested.stderr).toBe(0);
  });

  it('refuses, with exit 2 naming the flag, a secret given twice, an empty or multi-line file, a missing file, stdin wanted twice', async () => {
    const base = ['tentacle', 'send', 'x', '-a', '127.0.0.1', '-p', '1', '--data-dir', data];
    const cases: Array<[string[], string, string?]> = [
      [
        ['-x', 'a', '--password-file', await file('twice', 'b\n')],
        '--password and --password-file contradict each other',
      ],
      [['--password-file', await file('empty', '\n')], 'the secret is empty'],
      [['--password-file', await file('lines', 'a\nb\n')], 'holds more than one line'],
      [['--password-file', join(h.dir, 'absent')], `--password-file ${join(h.dir, 'absent')}:`],
      [['--password-file', h.dir], 'not a regular file or a pipe'],
      [
        [
          '-e',
          pki.files['client.crt']!,
          '-k',
          pki.files['client.key']!,
          '-w',
          '--password-file',
          '-',
        ],
        '--password-file - and -w (the key passphrase prompt) both read stdin',
        'x\nx\n',
      ],
      [
        [
          '-e',
          pki.files['client.crt']!,
          '-k',
          pki.files['client.key']!,
          '-w',
          '--key-passphrase-file',
          await file('kp', 'p\n'),
        ],
        '-w (prompt for the key passphrase) and --key-passphrase contradict each other',
      ],
      [
        ['--proxy-password-file', await file('pp1', 'p\n')],
        '--proxy-password-file goes with -y USER@PROXYHOST:PORT',
      ],
      [
        ['-y', '127.0.0.1:3128', '--proxy-password-file', await file('pp2', 'p\n')],
        '--proxy-password-file needs the user it belongs to',
      ],
      [
        ['-y', 'u:p@127.0.0.1:3128', '--proxy-password-file', await file('pp3', 'p\n')],
        '-y USER:PASS@ and --proxy-password-file contradict each other',
      ],
    ];
    for (const [args, message, input] of cases) {
      const res = await runCli([...base, ...args], {}, 60_000, input);
      expect(res.code, args.join(' ')).toBe(2);
      expect(res.stderr).toContain(message);
    }
  });

  it('--help names every secret file flag and what it does', async () => {
    const help = (await runCli(['tentacle', 'send', '--help'])).stdout;
    for (const flag of [
      '--password-file FILE',
      '--key-passphrase-file FILE',
      '--proxy-password-file FILE',
    ])
      expect(help).toContain(flag);
    expect(help).toContain("reads it from FILE ('-': a piped stdin)");
    expect(help).toContain('does not show in the process list');
  });
});

describe('icinga --salt-file, --ticket-file, --rest-password-file', () => {
  it('icinga ticket --salt-file gives the ticket --salt gives', async () => {
    // The value `icinga2 pki ticket` printed for this CN and salt (tests/core/protocols/icinga/cli.test.ts).
    const expected = 'e28cffcb4fdaef877b7edc47ba55f5cd097ad940\n';
    const salt = await file('salt', 'peer-test-ticket-salt\n');
    const res = await runCli(['icinga', 'ticket', '--cn', 'agent1.test', '--salt-file', salt]);
    expect(res).toMatchObject({ code: 0, stdout: expected });
    const piped = await runCli(
      ['icinga', 'ticket', '--cn', 'agent1.test', '--salt-file', '-'],
      {},
      60_000,
      'peer-test-ticket-salt',
    );
    expect(piped).toMatchObject({ code: 0, stdout: expected });
    const none = await runCli(['icinga', 'ticket', '--cn', 'agent1.test']);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('--salt SALT or --salt-file FILE is required');
  });

  it('icinga pair and transport take their secret from a file, and refuse it twice', async () => {
    const twice = await runCli([
      'icinga',
      'pair',
      'm',
      '--master',
      '127.0.0.1:1',
      '--ticket',
      't',
      '--ticket-file',
      await file('ticket', 't\n'),
      '--data-dir',
      data,
    ]);
    expect(twice.code).toBe(2);
    expect(twice.stderr).toContain('--ticket and --ticket-file contradict each other');
    // Read from the file and checked before the target is looked up.
    const noUser = await runCli([
      'icinga',
      'transport',
      'm',
      '--rest',
      '--rest-password-file',
      await file('rest-pw', 'pw\n'),
      '--data-dir',
      data,
    ]);
    expect(noUser.code).toBe(2);
    expect(noUser.stderr).toContain('--rest-password needs --rest-user');
    for (const command of [
      ['icinga', 'pair'],
      ['icinga', 'transport'],
    ]) {
      const help = (await runCli([...command, '--help'])).stdout;
      expect(help).toContain(
        command[1] === 'pair' ? '--ticket-file FILE' : '--rest-password-file FILE',
      );
    }
  });
});
