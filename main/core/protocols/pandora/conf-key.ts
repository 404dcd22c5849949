/**
 * Names and hashes of Pandora remote configuration (pandora-remote-config.md
 * §2): pure functions, what the property tests hit.
 */
import { createHash } from 'node:crypto';

const MD5_HEX = /^[0-9a-f]{32}$/;

/** Lowercase hex MD5 of raw bytes (§2.5: binary, no normalisation). */
export function md5Hex(bytes: Uint8Array | string): string {
  return createHash('md5').update(bytes).digest('hex');
}

/** §2.1, §10.2: the file-name stem is the MD5 of the agent_name's UTF-8 bytes. */
export function confKey(agentName: string): string {
  return md5Hex(Buffer.from(agentName, 'utf8'));
}

export function confFileName(key: string): string {
  return `${key}.conf`;
}

export function md5FileName(key: string): string {
  return `${key}.md5`;
}

/** §2.5: exactly 32 lowercase hex digits, no newline — the one form every reader takes. */
export function md5FileContent(hex: string): Buffer {
  if (!MD5_HEX.test(hex)) throw new Error(`not an MD5 in lowercase hex: '${hex.slice(0, 40)}'`);
  return Buffer.from(hex, 'ascii');
}

/**
 * §10.4: a server `.md5` read leniently — BOM and surrounding whitespace
 * stripped, hex lowercased — since hand-written files carry a trailing LF or
 * uppercase (§2.6) and must not cause a download on every run. Anything else
 * is not an MD5: undefined, and the caller keeps its conf.
 */
export function readAnnouncedMd5(bytes: Uint8Array): string | undefined {
  // 32 hex digits plus a BOM and some whitespace: anything much longer is not an md5 file.
  if (bytes.length > 256) return undefined;
  const text = Buffer.from(bytes)
    .toString('latin1')
    .replace(/^\u00ef\u00bb\u00bf/, '')
    .trim()
    .toLowerCase();
  return MD5_HEX.test(text) ? text : undefined;
}
