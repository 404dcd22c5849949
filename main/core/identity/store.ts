import { link, readFile, readdir, unlink, rm } from 'node:fs/promises';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { AgentError } from '../contract/errors.ts';
import { ensurePrivateDir, writeFileAtomic } from '../fsutil.ts';
import { ownValue } from '../own.ts';
import { targetSecretName, type SecretStore } from '../secrets.ts';
import {
  DEFAULT_RSA_BITS,
  generateRsaKeyPair,
  jwkThumbprint,
  publicKeyFromPem,
  rsaBits,
} from './keys.ts';
import { parseCertificate, summarizeCertificate } from './x509.ts';
import type { AgentKeyInfo, Pin, StoredCertificate } from '../contract/identity.ts';

/** Where a target keeps its certificate material. */
export interface CertificateFiles {
  certPath: string;
  keyPath: string;
  caPath: string;
}

/**
 * Key pairs, certificates, pins and tickets, in `<data>/identity` (0700,
 * private keys 0600). Protocols ask this store; nothing else writes here.
 */
export class IdentityStore {
  readonly dir: string;
  readonly #secrets: SecretStore;
  #agentKey: Promise<AgentKeyInfo> | undefined;

  constructor(dir: string, secrets: SecretStore) {
    this.dir = dir;
    this.#secrets = secrets;
  }

  get privateKeyPath(): string {
    return join(this.dir, 'agent.key');
  }

  get publicKeyPath(): string {
    return join(this.dir, 'agent.pub');
  }

  /** The agent's RSA key pair, generated (asynchronously) on first use. */
  agentKey(bits: number = DEFAULT_RSA_BITS): Promise<AgentKeyInfo> {
    this.#agentKey ??= this.#loadOrCreateAgentKey(bits).catch((error: unknown) => {
      this.#agentKey = undefined;
      throw error;
    });
    return this.#agentKey;
  }

  async hasAgentKey(): Promise<boolean> {
    return (await readOptional(this.privateKeyPath)) !== undefined;
  }

  async agentPrivateKeyPem(): Promise<string> {
    await this.agentKey();
    return readFile(this.privateKeyPath, 'utf8');
  }

  async #loadOrCreateAgentKey(bits: number): Promise<AgentKeyInfo> {
    let privatePem = await readOptional(this.privateKeyPath);
    if (privatePem === undefined) {
      await ensurePrivateDir(this.dir);
      const pair = await generateRsaKeyPair(bits);
      // Another process (CLI vs tray) or store may generate at the same moment: the first
      // link() wins and the loser adopts the winner's key.
      const tmp = `${this.privateKeyPath}.${process.pid}.${randomUUID()}.tmp`;
      await writeFileAtomic(tmp, pair.privateKeyPem, 0o600);
      try {
        await link(tmp, this.privateKeyPath);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      } finally {
        await unlink(tmp).catch(() => undefined);
      }
      privatePem = await readFile(this.privateKeyPath, 'utf8');
    }
    const publicKey = publicKeyFromPem(privatePem);
    const publicKeyPem = publicKey.export({ type: 'spki', format: 'pem' }) as string;
    if ((await readOptional(this.publicKeyPath)) !== publicKeyPem) {
      await writeFileAtomic(this.publicKeyPath, publicKeyPem, 0o644);
    }
    return {
      privateKeyPath: this.privateKeyPath,
      publicKeyPath: this.publicKeyPath,
      bits: rsaBits(publicKey),
      thumbprint: jwkThumbprint(publicKey),
      publicKeyPem,
    };
  }

  // ---- pins -------------------------------------------------------------

  async pins(): Promise<Pin[]> {
    return Object.values(await this.#readPins());
  }

  async pin(target: string): Promise<Pin | undefined> {
    return ownValue(await this.#readPins(), target);
  }

  async setPin(pin: Omit<Pin, 'pinnedAt'>): Promise<Pin> {
    const all = await this.#readPins();
    const stored: Pin = { ...pin, pinnedAt: new Date().toISOString() };
    all[pin.target] = stored;
    await this.#writePins(all);
    return stored;
  }

  async removePin(target: string): Promise<void> {
    const all = await this.#readPins();
    if (!Object.hasOwn(all, target)) return;
    delete all[target];
    await this.#writePins(all);
  }

  async #readPins(): Promise<Record<string, Pin>> {
    const text = await readOptional(join(this.dir, 'pins.json'));
    return text === undefined ? {} : (JSON.parse(text) as Record<string, Pin>);
  }

  async #writePins(pins: Record<string, Pin>): Promise<void> {
    await ensurePrivateDir(this.dir);
    await writeFileAtomic(join(this.dir, 'pins.json'), JSON.stringify(pins, null, 2), 0o600);
  }

  // ---- per-target certificates -----------------------------------------

  certificateFiles(target: string): CertificateFiles {
    const dir = this.#targetDir(target);
    return {
      certPath: join(dir, 'cert.crt'),
      keyPath: join(dir, 'cert.key'),
      caPath: join(dir, 'ca.crt'),
    };
  }

  /** Stores a target's certificate material; the key is written 0600. */
  async saveCertificates(
    target: string,
    material: { certPem?: string; keyPem?: string; caPem?: string },
  ): Promise<CertificateFiles> {
    const files = this.certificateFiles(target);
    await ensurePrivateDir(this.#targetDir(target));
    if (material.keyPem !== undefined) await writeFileAtomic(files.keyPath, material.keyPem, 0o600);
    if (material.certPem !== undefined)
      await writeFileAtomic(files.certPath, material.certPem, 0o644);
    if (material.caPem !== undefined) await writeFileAtomic(files.caPath, material.caPem, 0o644);
    return files;
  }

  async readCertificates(
    target: string,
  ): Promise<{ certPem?: string; keyPem?: string; caPem?: string }> {
    const files = this.certificateFiles(target);
    const [certPem, keyPem, caPem] = await Promise.all([
      readOptional(files.certPath),
      readOptional(files.keyPath),
      readOptional(files.caPath),
    ]);
    const out: { certPem?: string; keyPem?: string; caPem?: string } = {};
    if (certPem !== undefined) out.certPem = certPem;
    if (keyPem !== undefined) out.keyPem = keyPem;
    if (caPem !== undefined) out.caPem = caPem;
    return out;
  }

  async removeTarget(target: string): Promise<void> {
    await rm(this.#targetDir(target), { recursive: true, force: true });
    await this.removePin(target);
  }

  async certificates(now: Date = new Date()): Promise<StoredCertificate[]> {
    const root = join(this.dir, 'targets');
    let names: string[];
    try {
      names = await readdir(root);
    } catch {
      return [];
    }
    const out: StoredCertificate[] = [];
    for (const target of names.sort()) {
      const files = this.certificateFiles(target);
      for (const [role, path] of [
        ['client', files.certPath],
        ['ca', files.caPath],
      ] as const) {
        const pem = await readOptional(path);
        if (pem !== undefined) {
          out.push({
            target,
            role,
            path,
            summary: summarizeCertificate(parseCertificate(pem), now),
          });
        }
      }
    }
    return out;
  }

  // ---- tickets ----------------------------------------------------------

  async tickets(): Promise<Array<{ target: string; masked: string }>> {
    const names = (await this.#secrets.list()).filter((n) => n.endsWith('/ticket'));
    const out: Array<{ target: string; masked: string }> = [];
    for (const name of names) {
      const value = (await this.#secrets.get(name)) ?? '';
      out.push({ target: name.split('/')[1] ?? name, masked: maskSecret(value) });
    }
    return out;
  }

  /** The whole ticket of one target: only on an explicit user request. */
  async ticket(target: string): Promise<string> {
    const value = await this.#secrets.get(targetSecretName(target, 'ticket'));
    if (value === undefined) {
      const known = (await this.tickets()).map((t) => t.target);
      throw new AgentError(
        'not-found',
        `no ticket is stored for '${target}'${known.length > 0 ? `: tickets exist for ${known.join(', ')}` : ''}`,
        { field: 'target' },
      );
    }
    return value;
  }

  #targetDir(target: string): string {
    if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/.test(target)) {
      throw new AgentError('invalid-request', `target name '${target}' is not a safe folder name`, {
        field: 'target',
      });
    }
    return join(this.dir, 'targets', target);
  }
}

/** Shows the first and last 4 characters only. */
export function maskSecret(value: string): string {
  if (value.length <= 8) return '•'.repeat(value.length);
  return `${value.slice(0, 4)}${'•'.repeat(8)}${value.slice(-4)}`;
}

async function readOptional(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}
