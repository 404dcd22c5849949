/**
 * Reads tests/fixtures/vectors/tentacle-transcripts.md (real tentacle_server captures) into scenarios:
 * the server command line and, per TCP stream, the byte segments each way.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { VECTORS_DIR } from '../../../vectors.ts';

export const TRANSCRIPTS_PATH = join(VECTORS_DIR, 'tentacle-transcripts.md');

export interface WireSegment {
  from: 'client' | 'server';
  size: number;
  /** The exact bytes, when the transcript shows them in full. */
  bytes?: Buffer;
  /** Otherwise the first bytes (hex summary of a bulk payload). */
  prefix?: Buffer;
}

export interface WireStream {
  clientPort: number;
  serverPort: number;
  tls: boolean;
  segments: WireSegment[];
  /** Who sent the first FIN/RST. */
  firstCloser: 'client' | 'server' | undefined;
}

export interface Scenario {
  id: string;
  title: string;
  /** Server profile name → its command line. */
  servers: Array<{ profile: string; command: string }>;
  client: string;
  streams: WireStream[];
}

/** Python-style escapes as the transcript prints them (plus the stray `\|`). */
export function unescapeWire(text: string): Buffer {
  const out: number[] = [];
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c !== '\\') {
      out.push(...Buffer.from(c, 'utf8'));
      continue;
    }
    const n = text[++i];
    if (n === 'n') out.push(0x0a);
    else if (n === 'r') out.push(0x0d);
    else if (n === 't') out.push(0x09);
    else if (n === '0') out.push(0x00);
    else if (n === 'x') {
      out.push(parseInt(text.slice(i + 1, i + 3), 16));
      i += 2;
    } else out.push(...Buffer.from(n ?? '', 'utf8'));
  }
  return Buffer.from(out);
}

const SEGMENT = /^(C->S|S->C)\s+(\d+) B\s+(.*)$/;
const SUMMARY = /^\[data, .*first bytes hex ([0-9a-f]+)\]$/;

function parseSegment(line: string): WireSegment | undefined {
  const m = SEGMENT.exec(line);
  if (m === null) return undefined;
  const from = m[1] === 'C->S' ? 'client' : 'server';
  const size = Number(m[2]);
  const body = m[3]!;
  const summary = SUMMARY.exec(body);
  if (summary !== null) {
    const prefix = Buffer.from(summary[1]!, 'hex');
    return prefix.length >= size
      ? { from, size, bytes: prefix.subarray(0, size) }
      : { from, size, prefix };
  }
  if (body.startsWith('"') && body.endsWith('"')) {
    const bytes = unescapeWire(body.slice(1, -1));
    if (bytes.length !== size)
      throw new Error(`transcript segment '${body}' decodes to ${bytes.length} bytes, not ${size}`);
    return { from, size, bytes };
  }
  throw new Error(`cannot read transcript segment: ${line}`);
}

export function loadTranscripts(path = TRANSCRIPTS_PATH): Scenario[] {
  const lines = readFileSync(path, 'utf8').split('\n');
  const scenarios: Scenario[] = [];
  let current: Scenario | undefined;
  let stream: WireStream | undefined;
  let inFence = false;
  let fenceIsData = false;
  for (const line of lines) {
    const heading = /^### (\w+)\. (.*)$/.exec(line);
    if (heading !== null) {
      current = { id: heading[1]!, title: heading[2]!, servers: [], client: '', streams: [] };
      scenarios.push(current);
      stream = undefined;
      continue;
    }
    if (current === undefined) continue;
    if (line.startsWith('```')) {
      inFence = !inFence;
      fenceIsData = false;
      continue;
    }
    if (inFence) {
      if (stream === undefined) continue;
      const segment = parseSegment(line);
      if (segment !== undefined && (fenceIsData || stream.segments.length === 0)) {
        fenceIsData = true;
        stream.segments.push(segment);
      }
      continue;
    }
    const server = /^- Server `(\w+)`: `(.*)`$/.exec(line);
    if (server !== null) current.servers.push({ profile: server[1]!, command: server[2]! });
    const client = /^- Client: `(.*)`$/.exec(line);
    if (client !== null) current.client = client[1]!;
    const tcp = /^TCP stream \d+: (\d+) -> (\d+)( \(TLS\))?$/.exec(line);
    if (tcp !== null) {
      stream = {
        clientPort: Number(tcp[1]),
        serverPort: Number(tcp[2]),
        tls: tcp[3] !== undefined,
        segments: [],
        firstCloser: undefined,
      };
      current.streams.push(stream);
    }
    const fin = /^TCP FIN\/RST: [\d.]+s (\d+)->(\d+)/.exec(line);
    if (fin !== null && stream !== undefined)
      stream.firstCloser = Number(fin[1]) === stream.clientPort ? 'client' : 'server';
  }
  return scenarios;
}

/** The flags of a tentacle_server command line that our reference server reproduces. */
export interface ServerProfile {
  port: number;
  password?: string;
  maxSize?: number;
  overwrite: boolean;
  tls: boolean;
  requireClientCert: boolean;
  filters?: Array<{ pattern: RegExp; dir: string }>;
  unsupported?: string;
}

export function serverProfile(command: string): ServerProfile {
  const words = command.split(/\s+/);
  const value = (flag: string): string | undefined => {
    const i = words.indexOf(flag);
    return i === -1 ? undefined : words[i + 1];
  };
  const profile: ServerProfile = {
    port: Number(value('-p')),
    overwrite: words.includes('-o'),
    tls: words.includes('-e'),
    requireClientCert: words.includes('-f'),
  };
  const password = value('-x');
  if (password !== undefined) profile.password = password;
  const max = value('-m');
  if (max !== undefined) profile.maxSize = Number(max);
  const filters = value('-i');
  if (filters !== undefined) {
    profile.filters = filters.split(';').map((f) => {
      const [pattern, dir] = f.split(':');
      return { pattern: new RegExp(pattern!), dir: dir! };
    });
  }
  if (words.includes('-q'))
    profile.unsupported =
      'quiet mode (-q) auth bypass bug is deliberately not reproduced (§8, P28)';
  if (words.includes('-b'))
    profile.unsupported = 'relay mode (-b/-g) is not part of the reference server';
  return profile;
}
