import { buildZipArchive, type ZipEntry } from '../core/protocols/tentacle/zip.ts';

export type { ZipEntry };

/**
 * The diagnostics bundle: the core's ZIP writer, with Windows separators made
 * portable and members marked 0600 (logs and settings are for the user only).
 */
export function createZip(entries: readonly ZipEntry[], date: Date = new Date()): Buffer {
  return buildZipArchive(
    entries.map((entry) => ({ name: entry.name.replace(/\\/g, '/'), data: entry.data })),
    date,
    0o600,
  );
}
