import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { commandPolicySchema, type CommandPolicy } from '../../../main/core/exec/policy.ts';
import {
  generateRsaKeyPair,
  jwkThumbprint,
  parsePublicKey,
  type PemKeyPair,
} from '../../../main/core/identity/keys.ts';
import { createLogger, FileLogSink, type LogLine } from '../../../main/core/log.ts';
import type { ProcessCopyPolicy } from '../../../main/core/protocols/gorgone/actions.ts';
import { HistoryStore } from '../../../main/core/protocols/gorgone/history.ts';

/** 2048-bit keys: the minimum Gorgone accepts, and fast to generate in tests. */
export async function testKey(): Promise<PemKeyPair & { thumbprint: string }> {
  const pair = await generateRsaKeyPair(2048);
  return { ...pair, thumbprint: jwkThumbprint(parsePublicKey(pair.publicKeyPem)) };
}

/** A logger whose every line (debug included) is kept, to assert that no key material is logged. */
export function captureLog(): {
  log: ReturnType<typeof createLogger>;
  lines: LogLine[];
  text(): string;
} {
  const sink = new FileLogSink(undefined, 'debug');
  const lines: LogLine[] = [];
  sink.onLine((l) => lines.push(l));
  return { log: createLogger(sink, 'test'), lines, text: () => JSON.stringify(lines) };
}

export function tempDir(): { dir: string; cleanup(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'outpost-gorgone-'));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export function nodeEnv(
  dir: string,
  log: ReturnType<typeof createLogger>,
  options: { command?: Partial<CommandPolicy>; processcopy?: ProcessCopyPolicy } = {},
): {
  history: HistoryStore;
  commandPolicy: CommandPolicy;
  processcopy: ProcessCopyPolicy;
  log: ReturnType<typeof createLogger>;
} {
  return {
    history: new HistoryStore(join(dir, 'history.sqlite')),
    commandPolicy: commandPolicySchema.parse(options.command ?? {}),
    processcopy: options.processcopy ?? { enabled: false },
    log,
  };
}

export async function eventually<T>(
  fn: () => T | undefined | Promise<T | undefined>,
  timeoutMs = 5_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await fn();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 25));
  }
}
