/** Reads the real gorgoned 22.10 transcripts of tests/fixtures/vectors (spec gorgone.md §13). */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { VECTORS_DIR } from '../../../vectors.ts';

export interface TranscriptFrame {
  time: number;
  direction: 'C->S' | 'S->C';
  label: string;
  /** The bytes of the one ZMQ frame, as ASCII. */
  wire: string;
  /** The clear text the recorder printed (plaintext:/decrypted:/RSA-decrypted:), when any. */
  clear: string | undefined;
}

export interface Transcript {
  clientPrivateKeyPem: string;
  clientPublicKeyPem: string;
  routingId: string;
  frames: TranscriptFrame[];
}

export function readTranscript(
  file: 'gorgone-session-transcript.txt' | 'gorgone-pull-node-transcript.txt',
): Transcript {
  const text = readFileSync(join(VECTORS_DIR, file), 'utf8');
  const own = readFileSync(join(VECTORS_DIR, 'gorgone-session-transcript.txt'), 'utf8');
  const clientPrivateKeyPem = /-----BEGIN PRIVATE KEY-----[\s\S]*?-----END PRIVATE KEY-----\n/.exec(
    own,
  )![0];
  const clientPublicKeyPem =
    /# CLIENT_PUBLIC_KEY:\n(-----BEGIN PUBLIC KEY-----[\s\S]*?-----END PUBLIC KEY-----\n)/.exec(
      own,
    )![1]!;
  const routingId = /DEALER routing id: "([^"]+)"/.exec(text)![1]!;
  const frames: TranscriptFrame[] = [];
  const body = text.split('# ---- transcript')[1]!.split('\n');
  // A C->S frame is printed twice when encrypted: first "plaintext: …", then "N bytes: <wire>".
  let pendingPlain: string | undefined;
  for (let i = 0; i < body.length; i++) {
    const line = body[i]!;
    const head = /^\s*([\d.]+) (C->S|S->C) \[([^\]]+)\] (.*)$/.exec(line);
    if (head === null) continue;
    const [, time, direction, label, rest] = head as unknown as [
      string,
      string,
      'C->S' | 'S->C',
      string,
      string,
    ];
    if (direction === 'C->S') {
      const plain = /^plaintext: (.*)$/.exec(rest);
      if (plain !== null) {
        pendingPlain = plain[1];
        continue;
      }
      const wire = /^\d+ bytes: (.*)$/.exec(rest)![1]!;
      frames.push({ time: Number(time), direction, label, wire, clear: pendingPlain });
      pendingPlain = undefined;
      continue;
    }
    // S->C: either "N bytes: <wire>" inline, or "1 frame(s)" with "frame 0: N bytes: <wire>" below.
    let wire: string;
    let j = i;
    const inline = /^\d+ bytes: (.*)$/.exec(rest);
    if (inline !== null) wire = inline[1]!;
    else {
      j++;
      wire = /^\s*frame 0: \d+ bytes: (.*)$/.exec(body[j]!)![1]!;
    }
    const next = body[j + 1] ?? '';
    const clear = /^\s*(?:decrypted|RSA-decrypted|decoded): (.*)$/.exec(next)?.[1];
    frames.push({ time: Number(time), direction, label, wire, clear });
  }
  return { clientPrivateKeyPem, clientPublicKeyPem, routingId, frames };
}
