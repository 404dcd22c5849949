/**
 * Importing ca.crt / module.crt / module.key (onsphere.md §2.1): every check
 * names the file and the fix; fingerprints are what openssl prints.
 */
import { execFileSync } from 'node:child_process';
import { createPrivateKey } from 'node:crypto';
import { mkdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Agent } from '../../../../main/core/agent.ts';
import {
  checkIdentity,
  importIdentity,
  readIdentityFiles,
} from '../../../../main/core/protocols/onsphere/identity.ts';
import { TestCa } from '../../../peers/pki.ts';
import { makeTempDir, which } from '../../../peers/util.ts';

const ca = TestCa.create('OnSphere identity CA');
const good = ca.issue({ cn: 'osp-snmp-trap-remote-1', serverAuth: false, days: 365 });
let temp: { dir: string; cleanup(): Promise<void> };

beforeAll(async () => {
  temp = await makeTempDir('onsphere-identity');
});
afterAll(async () => temp?.cleanup());

describe('OnSphere identity import', () => {
  it('shows CN, issuer, expiry and the SHA-256 fingerprints openssl prints', async () => {
    const summary = checkIdentity({
      caPem: ca.certPem,
      certPem: good.certPem,
      keyPem: good.keyPem,
    });
    expect(summary).toMatchObject({
      cn: 'osp-snmp-trap-remote-1',
      issuer: 'OnSphere identity CA',
      expiresSoon: false,
      keyType: 'rsa',
    });
    expect(summary.daysLeft).toBeGreaterThan(360);
    if (which('openssl') !== undefined) {
      const path = join(temp.dir, 'fp.crt');
      await writeFile(path, good.certPem);
      const out = execFileSync(
        'openssl',
        ['x509', '-in', path, '-noout', '-fingerprint', '-sha256'],
        { encoding: 'utf8' },
      );
      expect(out.trim().split('=')[1]).toBe(summary.certFingerprint);
    }
  });

  it('warns 30 days before expiry and refuses an expired or not-yet-valid certificate', () => {
    const soon = ca.issue({ cn: 'osp-a', serverAuth: false, days: 20 });
    expect(
      checkIdentity({ caPem: ca.certPem, certPem: soon.certPem, keyPem: soon.keyPem }).expiresSoon,
    ).toBe(true);
    const expired = ca.issue({ cn: 'osp-a', serverAuth: false, startOffsetDays: -30, days: 10 });
    expect(() =>
      checkIdentity({ caPem: ca.certPem, certPem: expired.certPem, keyPem: expired.keyPem }),
    ).toThrow(/module\.crt expired on .*ask the stack's admin/);
    const future = ca.issue({ cn: 'osp-a', serverAuth: false, startOffsetDays: 5 });
    expect(() =>
      checkIdentity({ caPem: ca.certPem, certPem: future.certPem, keyPem: future.keyPem }),
    ).toThrow(/not valid before .*clock/);
  });

  it('names the file and the fix for each wrong input', () => {
    const other = TestCa.create('Other CA');
    const foreign = other.issue({ cn: 'osp-a', serverAuth: false });
    const base = { caPem: ca.certPem, certPem: good.certPem, keyPem: good.keyPem };
    expect(() =>
      checkIdentity({ ...base, certPem: foreign.certPem, keyPem: foreign.keyPem }),
    ).toThrow(/module\.crt .*is not signed by ca\.crt .*same stack/);
    expect(() => checkIdentity({ ...base, keyPem: foreign.keyPem })).toThrow(
      /module\.key is not the key of module\.crt/,
    );
    expect(() => checkIdentity({ ...base, caPem: good.certPem })).toThrow(
      /ca\.crt is not a CA certificate/,
    );
    expect(() => checkIdentity({ ...base, caPem: 'garbage' })).toThrow(
      /ca\.crt is not a PEM certificate/,
    );
    expect(() => checkIdentity({ ...base, keyPem: 'garbage' })).toThrow(
      /module\.key is not a PEM private key/,
    );
    const encrypted = createPrivateKey(good.keyPem).export({
      type: 'pkcs8',
      format: 'pem',
      cipher: 'aes-256-cbc',
      passphrase: 'pw',
    }) as string;
    expect(() => checkIdentity({ ...base, keyPem: encrypted })).toThrow(/module\.key is encrypted/);
    const serverOnly = ca.issue({ cn: 'osp-a', serverAuth: true, clientAuth: false });
    expect(() =>
      checkIdentity({ ...base, certPem: serverOnly.certPem, keyPem: serverOnly.keyPem }),
    ).toThrow(/lacks clientAuth/);
    const badCn = ca.issue({ cn: 'has space', serverAuth: false });
    expect(() => checkIdentity({ ...base, certPem: badCn.certPem, keyPem: badCn.keyPem })).toThrow(
      /CN 'has space' is not a connector name/,
    );
    // PKCS#8 is accepted as well as PKCS#1.
    const pkcs8 = createPrivateKey(good.keyPem).export({ type: 'pkcs8', format: 'pem' }) as string;
    expect(checkIdentity({ ...base, keyPem: pkcs8 }).cn).toBe('osp-snmp-trap-remote-1');
  });

  it('finds remote-connector.crt/.key in a folder and stores the key 0600 through core/identity', async () => {
    const dir = join(temp.dir, 'export');
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, 'ca.crt'), ca.certPem);
    await writeFile(join(dir, 'remote-connector.crt'), good.certPem);
    await writeFile(join(dir, 'remote-connector.key'), good.keyPem);
    const files = await readIdentityFiles({ ca: dir, cert: dir, key: dir });
    expect(files.names.cert).toBe(join(dir, 'remote-connector.crt'));
    const agent = await Agent.open({ dataDir: join(temp.dir, 'agent'), logToFile: false });
    try {
      const { summary, files: stored } = await importIdentity(
        agent.context,
        'osp',
        files,
        files.names,
      );
      expect(summary.cn).toBe('osp-snmp-trap-remote-1');
      expect((await stat(stored.keyPath)).mode & 0o777).toBe(0o600);
      await expect(
        readIdentityFiles({ ca: join(dir, 'nope.crt'), cert: dir, key: dir }),
      ).rejects.toThrow(/cannot read the CA certificate \(ca\.crt\)/);
    } finally {
      await agent.close();
    }
  });
});
