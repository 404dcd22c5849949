/**
 * The real gorgoned transcripts replayed over real ZMQ sockets on 127.0.0.1:
 *
 * 1. our client (controller and pull node) against the RECORDED server frames:
 *    a scripted ROUTER answers each frame we send with the next recorded one.
 *    Our frames must equal the recorded client frames byte for byte wherever
 *    the protocol is deterministic: AES-CBC with the session's fixed key/IV
 *    (§4 step 4) makes every encrypted request with the same text identical.
 *    Not deterministic, so checked by structure: HELO (PKCS#1 v1.5 encryption
 *    is randomized), SETLOGS (rows carry our own history ids and times).
 * 2. the RECORDED client frames against the reference server: GETPUBKEY gives
 *    the recorded [PUBKEY] byte for byte; HELO cannot be answered (the real
 *    server's private key is not in the vectors), so the session recorded in
 *    [KEY] is installed and every recorded encrypted request is replayed. The
 *    answers are compared as JSON: the real server's member order and
 *    generated tokens are random (Perl hashes, §11), ours are not.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Dealer, Router } from 'zeromq';
import { createLogger, FileLogSink } from '../../../../main/core/log.ts';
import {
  decryptFrame,
  decryptKeyAnswer,
  parseKeyMessage,
  parseMessage,
  parsePubkey,
  rsaDecryptor,
  type SessionKeys,
} from '../../../../main/core/protocols/gorgone/codec.ts';
import { DISABLED_COMMAND_POLICY } from '../../../../main/core/exec/policy.ts';
import { HistoryStore } from '../../../../main/core/protocols/gorgone/history.ts';
import { PullNode } from '../../../../main/core/protocols/gorgone/pull-node.ts';
import { GorgoneSession } from '../../../../main/core/protocols/gorgone/session.ts';
import { GorgoneReferenceServer } from '../../../peers/gorgone-server.ts';
import { readTranscript, type Transcript, type TranscriptFrame } from './transcripts.ts';

const SERVER_THUMBPRINT = 'R_pOd_SmwMR-yHjkiBLY0-jDE7oYp5VLd9N5r9z-lRU';
const log = createLogger(new FileLogSink(undefined, 'error'), 'test');
const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function frameAt(t: Transcript, time: number, direction: 'C->S' | 'S->C'): TranscriptFrame {
  const f = t.frames.find((x) => Math.abs(x.time - time) < 0.0005 && x.direction === direction);
  if (f === undefined) throw new Error(`no ${direction} frame at ${time}`);
  return f;
}

async function scriptedRouter(): Promise<{
  router: Router;
  endpoint: string;
  next(): Promise<[Buffer, string]>;
}> {
  const router = new Router({ linger: 0 });
  await router.bind('tcp://127.0.0.1:0');
  return {
    router,
    endpoint: router.lastEndpoint!,
    async next() {
      const [id, payload] = await router.receive();
      return [id!, payload!.toString('latin1')];
    },
  };
}

describe('our client against the recorded server frames', () => {
  it('controller: GETPUBKEY, HELO, then PING and GETTHUMBPRINT byte for byte (session transcript)', async () => {
    const t = readTranscript('gorgone-session-transcript.txt');
    const script = await scriptedRouter();
    try {
      const opening = GorgoneSession.open({
        endpoint: script.endpoint,
        identity: t.routingId,
        name: 'gorgone-3',
        clientKey: { privateKeyPem: t.clientPrivateKeyPem, publicKeyPem: t.clientPublicKeyPem },
        trust: { thumbprint: SERVER_THUMBPRINT },
        log,
      });
      let [id, frame] = await script.next();
      expect(id.toString('latin1')).toBe(t.routingId);
      expect(frame).toBe(frameAt(t, 0.183, 'C->S').wire);
      await script.router.send([id, frameAt(t, 0.184, 'S->C').wire]);
      [id, frame] = await script.next();
      // HELO: same name and client PEM as recorded; the RSA part is randomized.
      const recordedHelo = frameAt(t, 0.185, 'C->S').wire;
      expect(frame.slice(0, frame.lastIndexOf('['))).toBe(
        recordedHelo.slice(0, recordedHelo.lastIndexOf('[')),
      );
      await script.router.send([id, frameAt(t, 0.211, 'S->C').wire]);
      const session = await opening;
      expect(session.serverThumbprint).toBe(SERVER_THUMBPRINT);
      expect(session.serverHostname).toBe('gorgone-central-test');

      const ping = session.request('PING');
      [id, frame] = await script.next();
      expect(frame).toBe(frameAt(t, 0.213, 'C->S').wire);
      await script.router.send([id, frameAt(t, 0.216, 'S->C').wire]);
      const pong = await ping;
      expect(pong.action).toBe('PONG');
      expect(Object.keys((pong.json as { data: { data: object } }).data.data).sort()).toEqual([
        '2',
        '3',
      ]);

      const thumb = session.request('GETTHUMBPRINT', {}, { token: 'tok-thumb' });
      [id, frame] = await script.next();
      expect(frame).toBe(t.frames.find((f) => f.label === 'getthumbprint')!.wire);
      await script.router.send([id, frameAt(t, 0.22, 'S->C').wire]);
      const answer = await thumb;
      expect(answer.token).toBe('tok-thumb');
      expect((answer.json as { data: { data: { thumbprint: string } } }).data.data.thumbprint).toBe(
        SERVER_THUMBPRINT,
      );
      session.close();
    } finally {
      script.router.close();
    }
  });

  it('pull node: REGISTERNODES, PONG, keepalive after a rotation and UNREGISTERNODES byte for byte (pull-node transcript)', async () => {
    const t = readTranscript('gorgone-pull-node-transcript.txt');
    const decryptor = rsaDecryptor(t.clientPrivateKeyPem);
    const dir = mkdtempSync(join(tmpdir(), 'outpost-gorgone-replay-'));
    dirs.push(dir);
    const history = new HistoryStore(join(dir, 'history.sqlite'));
    const script = await scriptedRouter();
    const node = new PullNode({
      endpoint: script.endpoint,
      nodeId: '3',
      identity: t.routingId,
      hostname: 'wire-client',
      clientKey: { privateKeyPem: t.clientPrivateKeyPem, publicKeyPem: t.clientPublicKeyPem },
      trust: { thumbprint: SERVER_THUMBPRINT },
      env: {
        history,
        commandPolicy: DISABLED_COMMAND_POLICY,
        processcopy: { enabled: false },
        log,
      },
      log,
      keepaliveMs: 3_600_000,
    });
    try {
      node.start();
      let [id, frame] = await script.next();
      expect(frame).toBe('[GETPUBKEY]');
      await script.router.send([id, frameAt(t, 0.147, 'S->C').wire]);
      [id, frame] = await script.next();
      await script.router.send([id, frameAt(t, 0.166, 'S->C').wire]);
      // §8 step 1, as gorgone's pull module words it.
      [id, frame] = await script.next();
      expect(frame).toBe(frameAt(t, 0.193, 'C->S').wire);
      await script.router.send([id, frameAt(t, 0.194, 'S->C').wire]);
      await node.ready();

      // The central pushes a COMMAND: commands are off by default → a refusal row with its token.
      await script.router.send([id, frameAt(t, 3.947, 'S->C').wire]);
      const keys1 = decryptKeyAnswer(frameAt(t, 0.166, 'S->C').wire, decryptor)!;
      const commandToken = parseMessage(
        decryptFrame(keys1, frameAt(t, 3.947, 'S->C').wire)!,
      )!.token;

      await script.router.send([id, frameAt(t, 55.503, 'S->C').wire]);
      [id, frame] = await script.next();
      expect(frame).toBe(frameAt(t, 55.503, 'C->S').wire);
      // Every message gets exactly one answer (§3), PONG included.
      await script.router.send([id, frameAt(t, 55.506, 'S->C').wire]);

      // Rotation: [KEY] under the old key; what we send next is under the new one.
      await script.router.send([id, frameAt(t, 60.519, 'S->C').wire]);
      const keys2: SessionKeys = parseKeyMessage(
        decryptFrame(keys1, frameAt(t, 60.519, 'S->C').wire)!,
      )!;
      await script.router.send([id, frameAt(t, 75.553, 'S->C').wire]); // GETLOG {"ctime":…}
      [id, frame] = await script.next();
      const setlogs = parseMessage(decryptFrame(keys2, frame)!)!;
      expect(setlogs.action).toBe('SETLOGS');
      expect(setlogs.target).toBe('');
      const body = JSON.parse(setlogs.data) as {
        code: number;
        data: {
          action: string;
          id: string;
          result: Array<{ token: string; code: number; data: string }>;
        };
      };
      expect(body.code).toBe(0);
      expect(body.data.action).toBe('getlog');
      expect(body.data.id).toBe('3');
      const refusal = body.data.result.find((r) => r.token === commandToken && r.code === 1)!;
      expect(JSON.parse(refusal.data).message).toMatch(/remote command execution is disabled/);
      await script.router.send([id, frameAt(t, 75.558, 'S->C').wire]); // SYNCLOGS: nothing to answer
      await script.router.send([id, frameAt(t, 75.559, 'S->C').wire]); // the ACK of our SETLOGS

      const keepalive = node.keepalive();
      [id, frame] = await script.next();
      expect(frame).toBe(frameAt(t, 120.623, 'C->S').wire);
      await script.router.send([id, frameAt(t, 120.625, 'S->C').wire]); // second rotation
      await script.router.send([id, frameAt(t, 120.636, 'S->C').wire]); // its ACK, under the new key
      await keepalive;

      const stopping = node.stop();
      [id, frame] = await script.next();
      expect(frame).toBe(frameAt(t, 140.661, 'C->S').wire);
      await stopping;
      expect(node.session).toBeUndefined();
    } finally {
      await node.stop();
      script.router.close();
      history.close();
    }
  });
});

describe('the recorded client frames against the reference server', () => {
  for (const file of [
    'gorgone-session-transcript.txt',
    'gorgone-pull-node-transcript.txt',
  ] as const) {
    it(`answers like the real gorgoned (${file})`, async () => {
      const t = readTranscript(file);
      const pubkeyFrame = t.frames.find((f) => f.label === 'pubkey')!;
      const server = new GorgoneReferenceServer({
        publicKeyPem: parsePubkey(pubkeyFrame.wire)!.pem,
        authorized: ['yzKWQth2uxEcQpbGt-NbmChrmTgRWyG2-Lg6Sh6AO-4'],
        hostname: 'gorgone-central-test',
      });
      await server.start();
      const dealer = new Dealer({ routingId: t.routingId, linger: 0 });
      dealer.connect(server.endpoint);
      const exchange = async (frame: string): Promise<string> => {
        await dealer.send(frame);
        const [answer] = await dealer.receive();
        return answer!.toString('latin1');
      };
      try {
        expect(await exchange('[GETPUBKEY]')).toBe(pubkeyFrame.wire);
        // Without the real server's private key the recorded HELO cannot be read: plaintext refusal (§4).
        expect(await exchange(t.frames.find((f) => f.label === 'helo')!.wire)).toBe(
          '[ACK] [] {"code":1,"data":{"message":"handshake issue"}}',
        );
        const keys = decryptKeyAnswer(
          t.frames.find((f) => f.label === 'key')!.wire,
          rsaDecryptor(t.clientPrivateKeyPem),
        )!;
        server.installSession(t.routingId, keys.key, keys.iv);
        const requests = t.frames.filter(
          (f) => f.direction === 'C->S' && f.time < 1 && f.clear !== undefined,
        );
        expect(requests.map((r) => r.label)).toEqual(
          file === 'gorgone-session-transcript.txt'
            ? ['ping', 'getthumbprint']
            : ['ping', 'getthumbprint', 'unknown', 'registernodes'],
        );
        for (const request of requests) {
          const ours = decryptFrame(keys, await exchange(request.wire))!;
          const recordedFrame = t.frames[t.frames.indexOf(request) + 1]!;
          const recorded = decryptFrame(keys, recordedFrame.wire)!;
          const [o, r] = [parseMessage(ours)!, parseMessage(recorded)!];
          expect(o.action).toBe(r.action);
          expect(o.target).toBe(r.target);
          if (request.label === 'ping') {
            // Generated tokens (§3): 128 lowercase hex; the node map differs (our registry is empty).
            expect(o.token).toMatch(/^[0-9a-f]{128}$/);
            const [od, rd] = [JSON.parse(o.data), JSON.parse(r.data)];
            expect({ ...od.data, data: {} }).toEqual({ ...rd.data, data: {} });
          } else if (request.label === 'registernodes') {
            expect(o.token).toMatch(/^[0-9a-f]{128}$/);
            expect(JSON.parse(o.data)).toEqual(JSON.parse(r.data));
          } else {
            expect(o.token).toBe(r.token);
            expect(JSON.parse(o.data)).toEqual(JSON.parse(r.data));
          }
        }
        if (file === 'gorgone-pull-node-transcript.txt')
          expect(server.nodes.get('3')).toBe(t.routingId);
      } finally {
        dealer.close();
        server.close();
      }
    });
  }
});
