/** `outpost tentacle ...` as admins run it, against the reference server. */
import { spawn } from 'node:child_process';
import { createPrivateKey } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, runCli } from '../../../cli/run-cli.ts';
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

/**
 * Runs the CLI on a pseudo-terminal through util-linux `script`, typing each
 * answer once the text before it has appeared; resolves with the exit status
 * and everything the terminal showed.
 */
function runOnTerminal(
  args: string[],
  answers: Array<[RegExp, string]>,
): Promise<{ code: number; screen: string }> {
  const quote = (word: string): string => `'${word.replace(/'/g, `'\\''`)}'`;
  const command = [process.execPath, CLI, ...args].map(quote).join(' ');
  return new Promise((resolve, reject) => {
    const child = spawn('script', ['-qfec', command, '/dev/null'], {
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let screen = '';
    let next = 0;
    const onOutput = (chunk: Buffer): void => {
      screen += chunk.toString();
      const answer = answers[next];
      if (answer !== undefined && answer[0].test(screen.slice(screen.lastIndexOf('\n') + 1))) {
        next += 1;
        child.stdin.write(`${answer[1]}\r`);
      }
    };
    child.stdout.on('data', onOutput);
    child.stderr.on('data', onOutput);
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      child.stdin.end();
      resolve({ code: code ?? -1, screen });
    });
  });
}

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

  it('-b binds the connection to a local address, also for a saved target; a foreign address is named', async () => {
    const server = await h.start();
    const bound = await runCli([
      'tentacle',
      'send',
      await file('bound.data', 'B'),
      '-a',
      '127.0.0.1',
      '-p',
      String(server.port),
      '-b',
      '127.0.0.2',
      '--data-dir',
      data,
    ]);
    expect(bound.code, bound.stdout + bound.stderr).toBe(0);
    expect(server.connections.map((c) => c.remoteAddress)).toEqual(['127.0.0.2']);

    const added = await runCli([
      'tentacle',
      'add',
      'bound',
      '-a',
      '127.0.0.1',
      '-p',
      String(server.port),
      '--bind',
      '127.0.0.3',
      '-t',
      '5',
      '-r',
      '2',
      '--data-dir',
      data,
    ]);
    expect(added.code, added.stderr).toBe(0);
    expect(added.stdout).toMatch(/local address: +127\.0\.0\.3/);
    expect(added.stdout).toMatch(/idle timeout: +15 s/);
    const settings = await readFile(join(data, 'settings.json'), 'utf8');
    expect(settings).toMatch(/"bindAddress": "127\.0\.0\.3"/);
    expect(settings).toMatch(/"idleTimeoutSeconds": 15/);
    const tested = await runCli(['tentacle', 'test', 'bound', '--data-dir', data]);
    expect(tested.code, tested.stdout).toBe(0);
    expect(server.connections.at(-1)?.remoteAddress).toBe('127.0.0.3');

    // 192.0.2.0/24 is reserved for documentation (RFC 5737): never an address of this machine.
    const foreign = await runCli([
      'tentacle',
      'send',
      await file('foreign.data', 'F'),
      '-a',
      '127.0.0.1',
      '-p',
      String(server.port),
      '-b',
      '192.0.2.1',
      '--data-dir',
      data,
    ]);
    expect(foreign.code).toBe(1);
    expect(foreign.stdout).toMatch(
      /from local address 192\.0\.2\.1 \(-b\): it is not an address of this machine/,
    );
    expect(server.connections).toHaveLength(2);

    const notAnAddress = await runCli([
      'tentacle',
      'send',
      'x',
      '-a',
      'h',
      '-b',
      'eth0',
      '--data-dir',
      data,
    ]);
    expect(notAnAddress.code).toBe(2);
    expect(notAnAddress.stderr).toMatch(/-b ADDRESS must be an IPv4 or IPv6 address .*got 'eth0'/);
  });

  it('-t 1 -r 1 gives up after 2 s of silence from a hung server, saying so', async () => {
    const server = await h.start();
    server.stalled = true;
    const started = Date.now();
    const hung = await runCli([
      'tentacle',
      'send',
      await file('hung.data', 'H'),
      '-a',
      '127.0.0.1',
      '-p',
      String(server.port),
      '-t',
      '1',
      '-r',
      '1',
      '--data-dir',
      data,
    ]);
    const elapsed = Date.now() - started;
    expect(hung.code).toBe(1);
    expect(hung.stdout).toMatch(
      /FAILED .*hung\.data: Tentacle server 127\.0\.0\.1:\d+ stopped answering for 2 s while we waited for the reply to SEND/,
    );
    // Our default is 15 s: well under it shows -t/-r took effect (the CLI start-up is in there too).
    expect(elapsed).toBeGreaterThanOrEqual(1900);
    expect(elapsed).toBeLessThan(12_000);
    expect(server.connections[0]?.closedBy).toBe('client');
  }, 30_000);

  it('-t and -r are checked: whole numbers, -t from 1, -r from 0, at most a day in all', async () => {
    const run = (...flags: string[]) =>
      runCli(['tentacle', 'send', 'x', '-a', 'h', ...flags, '--data-dir', data]);
    const zero = await run('-t', '0');
    expect(zero.code).toBe(2);
    expect(zero.stderr).toMatch(/-t SECONDS must be a whole number from 1 up, got '0'/);
    const fraction = await run('-t', '1.5');
    expect(fraction.code).toBe(2);
    expect(fraction.stderr).toMatch(/-t SECONDS must be a whole number/);
    const negative = await run('--retries=-1');
    expect(negative.code).toBe(2);
    expect(negative.stderr).toMatch(/-r N must be a whole number from 0 up, got '-1'/);
    const long = await run('-t', '3600', '-r', '24');
    expect(long.code).toBe(2);
    expect(long.stderr).toMatch(/-t 3600 × \(-r 24 \+ 1\) = 90000 s is longer than a day/);
  });

  it('-q prints no error message (exit status still 1), --json is unchanged', async () => {
    const server = await h.start();
    const first = await file('q1.data', 'Q');
    await writeFile(join(server.options.dir, 'q2.data'), 'already there');
    const second = await file('q2.data', 'Q');
    const args = ['-a', '127.0.0.1', '-p', String(server.port), '--data-dir', data];
    const quiet = await runCli(['tentacle', 'send', first, second, ...args, '-q']);
    expect(quiet.code).toBe(1);
    expect(quiet.stdout).toBe('sent q1.data (1 bytes)\n');
    expect(quiet.stderr).toBe('');
    const json = await runCli(['tentacle', 'send', second, ...args, '--quiet', '--json']);
    expect(json.code).toBe(1);
    expect(JSON.parse(json.stdout)).toMatchObject({
      allOk: false,
      results: [{ name: 'q2.data', ok: false, error: { code: 'refused' } }],
    });
    await server.stop();
    const down = await runCli(['tentacle', 'get', 'q1.data', ...args, '-d', h.dir, '-q']);
    expect(down.code).toBe(1);
    expect(down.stdout + down.stderr).toBe('');
    const usage = await runCli([
      'tentacle',
      'send',
      first,
      '-a',
      'h',
      '-t',
      'x',
      '-q',
      '--data-dir',
      data,
    ]);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toMatch(/-t SECONDS/);
  });

  it('-w needs -e, and a terminal or two piped lines: otherwise exit 2 pointing to --key-passphrase', async () => {
    const args = ['-a', '127.0.0.1', '-p', '1', '--data-dir', data];
    const noCert = await runCli(['tentacle', 'send', 'x', ...args, '-w']);
    expect(noCert.code).toBe(2);
    expect(noCert.stderr).toMatch(
      /-w prompts for the passphrase of a client key: it needs -e CERT -k KEY/,
    );
    const noTty = await runCli([
      'tentacle',
      'send',
      'x',
      ...args,
      '-e',
      pki.files['client.crt']!,
      '-k',
      pki.files['client.key']!,
      '-w',
    ]);
    expect(noTty.code).toBe(2);
    expect(noTty.stderr).toMatch(
      /-w reads the key passphrase twice from stdin, but it ended after 0 line\(s\): pipe two lines, or give it with --key-passphrase PASS/,
    );
    const both = await runCli([
      'tentacle',
      'add',
      'w',
      ...args,
      '-e',
      pki.files['client.crt']!,
      '-k',
      pki.files['client.key']!,
      '-w',
      '--key-passphrase',
      'p',
    ]);
    expect(both.code).toBe(2);
    expect(both.stderr).toMatch(/-w .* and --key-passphrase contradict each other/);
  });

  /** `tentacle send NAME -w` over mutual TLS with a client key encrypted under `passphrase`. */
  async function sendWithEncryptedKey(
    name: string,
    content: string,
    passphrase: string,
  ): Promise<{ args: string[]; serverDir: string }> {
    const server = await h.start({
      tls: { certPem: pki.server.certPem, keyPem: pki.server.keyPem, caPem: pki.ca.certPem },
    });
    const encryptedKey = await file(
      `${name}.key`,
      createPrivateKey(pki.client.keyPem)
        .export({ format: 'pem', type: 'pkcs8', cipher: 'aes-256-cbc', passphrase })
        .toString(),
    );
    const args = [
      'tentacle',
      'send',
      await file(name, content),
      '-a',
      '127.0.0.1',
      '-p',
      String(server.port),
      '-f',
      pki.files['ca.crt']!,
      '-e',
      pki.files['client.crt']!,
      '-k',
      encryptedKey,
      '-w',
      '--data-dir',
      data,
    ];
    return { args, serverDir: server.options.dir };
  }

  it('-w reads the passphrase twice from a pipe, as tentacle_client does (transcript S26)', async () => {
    const { args, serverDir } = await sendWithEncryptedKey('piped.data', 'P', 'keypass');
    const ok = await runCli(args, {}, 60_000, 'keypass\nkeypass\n');
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toMatch(/sent piped\.data \(1 bytes\)/);
    expect(ok.stdout + ok.stderr).not.toContain('keypass');
    expect(await readFile(join(serverDir, 'piped.data'), 'utf8')).toBe('P');
    const differ = await runCli(args, {}, 60_000, 'keypass\ntypo\n');
    expect(differ.code).toBe(2);
    expect(differ.stderr).toMatch(/the two passphrases differ/);
    const oneLine = await runCli(args, {}, 60_000, 'keypass\n');
    expect(oneLine.code).toBe(2);
    expect(oneLine.stderr).toMatch(/ended after 1 line\(s\)/);
  });

  it.skipIf(process.platform !== 'linux' || !existsSync('/usr/bin/script'))(
    '-w asks twice on the terminal, without echo, and unlocks the client key with the answer',
    async () => {
      const { args, serverDir } = await sendWithEncryptedKey('prompted.data', 'W', 'Pass-w0rd');
      const ok = await runOnTerminal(args, [
        [/passphrase of the client key: $/, 'Pass-w0rd'],
        [/again to confirm: $/, 'Pass-w0rd'],
      ]);
      expect(ok.code, ok.screen).toBe(0);
      expect(ok.screen).toMatch(/sent prompted\.data \(1 bytes\)/);
      expect(ok.screen).not.toContain('Pass-w0rd');
      expect(await readFile(join(serverDir, 'prompted.data'), 'utf8')).toBe('W');
      const differ = await runOnTerminal(args, [
        [/passphrase of the client key: $/, 'Pass-w0rd'],
        [/again to confirm: $/, 'typo'],
      ]);
      expect(differ.code).toBe(2);
      expect(differ.screen).toMatch(/the two passphrases differ/);
    },
    90_000,
  );

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
    const badEscape = await runCli([
      'tentacle',
      'send',
      'x',
      '-a',
      'h',
      '-y',
      'user:s3cr%zzet@127.0.0.1:3128',
      '--data-dir',
      data,
    ]);
    expect(badEscape.code).toBe(2);
    expect(badEscape.stderr).toMatch(/-y: the proxy password has a '%'/);
    expect(badEscape.stderr).not.toContain('s3cr');
  });
});
