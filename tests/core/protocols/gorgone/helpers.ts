import { createHash } from 'node:crypto';

import { lstatSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

import {
  commandPolicySchema,
  type CommandPolicy,
} from '../../../../main/core/contract/command-policy.ts';

import {
  generateRsaKeyPair,
  jwkThumbprint,
  parsePublicKey,
  type PemKeyPair,
} from '../../../../main/core/identity/keys.ts';

import { createLogger, FileLogSink } from '../../../../main/core/log.ts';

import { type LogLine } from '../../../../main/core/contract/log.ts';

import type { ProcessCopyPolicy } from '../../../../main/core/protocols/gorgone/actions.ts';

import { GorgoneController } from '../../../../main/core/protocols/gorgone/controller.ts';

import { HistoryStore } from '../../../../main/core/protocols/gorgone/history.ts';

import {
  GorgoneListener,
  type ListenerOptions,
} from '../../../../main/core/protocols/gorgone/listener.ts';

import { GorgoneReferenceClient } from '../../../peers/gorgone-server.ts';

import { freePort } from '../../../peers/util.ts';

import { makeTempDirSync } from '../../../peers/util.ts';

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

/** One ustar header block (tests build hostile archives that no tar command writes). */
export function tarHeader(entry: {
  name: string;
  type?: string;
  size?: number;
  mode?: number;
  mtime?: number;
  linkname?: string;
  prefix?: string;
}): Buffer {
  const block = Buffer.alloc(512);
  const octal = (value: number, width: number) => `${value.toString(8).padStart(width - 1, '0')}\0`;
  block.write(entry.name, 0, 100, 'utf8');
  block.write(octal(entry.mode ?? 0o644, 8), 100, 'latin1');
  block.write(octal(0, 8), 108, 'latin1');
  block.write(octal(0, 8), 116, 'latin1');
  block.write(octal(entry.size ?? 0, 12), 124, 'latin1');
  block.write(octal(entry.mtime ?? 1_700_000_000, 12), 136, 'latin1');
  block.write('        ', 148, 'latin1');
  block.write(entry.type ?? '0', 156, 'latin1');
  block.write(entry.linkname ?? '', 157, 100, 'utf8');
  block.write('ustar\u000000', 257, 'latin1');
  block.write(entry.prefix ?? '', 345, 155, 'utf8');
  let sum = 0;
  for (const byte of block) sum += byte;
  block.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'latin1');
  return block;
}

/** A header, its content, and the padding to the next 512-byte block. */
export function tarEntry(
  entry: Parameters<typeof tarHeader>[0],
  content = Buffer.alloc(0),
): Buffer {
  const padding = Buffer.alloc((512 - (content.length % 512)) % 512);
  return Buffer.concat([
    tarHeader({ ...entry, size: entry.size ?? content.length }),
    content,
    padding,
  ]);
}

/** Entries followed by the two zero blocks that end an archive. */
export function tarOf(...entries: Buffer[]): Buffer {
  return Buffer.concat([...entries, Buffer.alloc(1024)]);
}

/** Every path below `dir` with its kind, permission bits and content md5 (sorted). */
export function treeOf(
  dir: string,
): Array<{ path: string; kind: string; mode: number; md5?: string }> {
  const out: Array<{ path: string; kind: string; mode: number; md5?: string }> = [];
  const walk = (sub: string) => {
    for (const name of readdirSync(join(dir, sub)).sort()) {
      const rel = sub === '' ? name : `${sub}/${name}`;
      const stat = lstatSync(join(dir, rel));
      if (stat.isSymbolicLink()) {
        out.push({ path: rel, kind: 'symlink', mode: 0 });
      } else if (stat.isDirectory()) {
        out.push({ path: rel, kind: 'directory', mode: stat.mode & 0o7777 });
        walk(rel);
      } else if (!stat.isFile()) {
        out.push({ path: rel, kind: 'special', mode: stat.mode & 0o7777 });
      } else {
        const md5 = createHash('md5')
          .update(readFileSync(join(dir, rel)))
          .digest('hex');
        out.push({ path: rel, kind: 'file', mode: stat.mode & 0o7777, md5 });
      }
    }
  };
  walk('');
  return out;
}

/**
 * The PROCESSCOPY messages gorgone's proxy sends for one payload (`prepare_remote_copy`):
 * 500 000-byte chunks, base64 with a newline every 76 characters (Perl's
 * encode_base64), then `end` with the md5 of the whole payload.
 */
export function processCopyMessages(
  payload: Buffer,
  content: { type: 'regular' | 'archive'; destination: string; owner?: string; group?: string },
): unknown[] {
  const common = {
    type: content.type,
    destination: content.destination,
    cache_dir: '/var/cache/centreon-gorgone',
  };
  const messages: unknown[] = [];
  for (let at = 0; at < payload.length; at += 500_000) {
    const chunk = payload.subarray(at, at + 500_000);
    const data = `${chunk
      .toString('base64')
      .match(/.{1,76}/g)!
      .join('\n')}\n`;
    messages.push({
      logging: {},
      content: { ...common, status: 'inprogress', chunk: { data, size: chunk.length }, md5: null },
      parameters: { no_fork: 1 },
    });
  }
  messages.push({
    logging: {},
    content: {
      ...common,
      status: 'end',
      chunk: null,
      md5: createHash('md5').update(payload).digest('hex'),
      owner: content.owner ?? 'centreon-engine',
      group: content.group ?? 'centreon-engine',
    },
    parameters: { no_fork: 1 },
  });
  return messages;
}

type TestKey = Awaited<ReturnType<typeof testKey>>;
export type Cleanups = Array<() => void | Promise<void>>;

/**
 * Our push-mode listener on 127.0.0.1 (node id 12, hostname desk-12) that
 * authorizes `central`'s key; `cleanups` close it and its history.
 */
export async function startTestListener(
  cleanups: Cleanups,
  keys: { agent: TestKey; central: TestKey },
  options: {
    rotationSeconds?: number;
    command?: { enabled: boolean; allow: string[] };
    processcopy?: ProcessCopyPolicy;
    guard?: ListenerOptions['guard'];
  } = {},
) {
  const temp = makeTempDirSync('gorgone');
  cleanups.push(temp.cleanup);
  const { log, lines, text } = captureLog();
  const env = nodeEnv(temp.dir, log, {
    ...(options.command === undefined ? {} : { command: options.command }),
    ...(options.processcopy === undefined ? {} : { processcopy: options.processcopy }),
  });
  cleanups.push(() => env.history.close());
  const port = await freePort();
  const listener = new GorgoneListener({
    bind: `127.0.0.1:${port}`,
    nodeId: '12',
    privateKeyPem: keys.agent.privateKeyPem,
    publicKeyPem: keys.agent.publicKeyPem,
    authorizedClients: () => [{ thumbprint: keys.central.thumbprint }],
    env,
    log,
    rotationSeconds: options.rotationSeconds ?? 86_400,
    rotationCheckMs: 50,
    hostname: 'desk-12',
    ...(options.guard === undefined ? {} : { guard: options.guard }),
  });
  await listener.start();
  cleanups.push(() => listener.close());
  return { listener, env, lines, text, endpoint: `tcp://127.0.0.1:${port}` };
}

/** The reference central's proxy (spec-only code) connected to `endpoint`. */
export function referenceCentral(
  cleanups: Cleanups,
  endpoint: string,
  identity?: string,
): GorgoneReferenceClient {
  const client = new GorgoneReferenceClient(identity);
  client.connect(endpoint);
  cleanups.push(() => client.close());
  return client;
}

/** Our controller acting as the central, handshaken with `central`'s key. */
export async function controllerFor(
  cleanups: Cleanups,
  endpoint: string,
  keys: { agent: TestKey; central: TestKey },
): Promise<GorgoneController> {
  const { log } = captureLog();
  const controller = await GorgoneController.connect({
    endpoint,
    clientKey: {
      privateKeyPem: keys.central.privateKeyPem,
      publicKeyPem: keys.central.publicKeyPem,
    },
    trust: { thumbprint: keys.agent.thumbprint },
    log,
  });
  cleanups.push(() => controller.close());
  return controller;
}
