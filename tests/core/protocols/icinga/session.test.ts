/**
 * The session state machine (spec icinga2.md §2.5) against a small reference
 * master written from the spec: TLS with client certificates, netstrings,
 * and per-test behaviour (answer, go silent, close at once, send garbage).
 * Timings are shortened through SessionTiming; the real master's are in
 * delivery.test.ts.
 */
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { encodeMessage, encodeNetstring } from '../../../../main/core/protocols/icinga/codec.ts';
import {
  IcingaSession,
  type SessionTiming,
} from '../../../../main/core/protocols/icinga/session.ts';
import { REPLAY_GRACE_MS } from '../../../../main/core/protocols/icinga/zone-log.ts';
import {
  answeringMaster,
  MASTER_HELLO,
  referenceCa,
  referenceMaster,
  type ReferenceMaster,
} from '../../../peers/icinga-reference.ts';

/** Polls until `check` gives a value (this file stays free of the Agent and its modules). */
async function eventually<T>(
  check: () => Promise<T | undefined>,
  timeoutMs: number,
  what: string,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const agentCert = referenceCa.issue({ cn: 'agent1.test', altNames: ['agent1.test'] });
const TIMING: SessionTiming = {
  heartbeatMs: 100,
  livenessMs: 600,
  reconnectMinMs: 50,
  reconnectMaxMs: 200,
  configSyncWaitMs: 50,
};

const hello = MASTER_HELLO;

function session(
  port: number,
  events: string[] = [],
  warn: (message: string, fields?: Record<string, unknown>) => void = () => undefined,
): IcingaSession {
  const noop = (): void => undefined;
  const log = { debug: noop, info: noop, warn, error: noop, child: () => log };
  return new IcingaSession({
    host: '127.0.0.1',
    port,
    endpoint: 'master.test',
    zone: 'agent1.test',
    log,
    initialTs: 0,
    saveTs: noop,
    capabilities: 0,
    keepProcessAlive: () => false,
    loadTls: async () => ({
      keyPem: agentCert.keyPem,
      certPem: agentCert.certPem,
      caPem: referenceCa.certPem,
    }),
    onState: (state) => events.push(state),
    timing: TIMING,
  });
}

describe('Icinga session state machine (spec §2.5)', () => {
  let ref: ReferenceMaster | undefined;
  let s: IcingaSession | undefined;
  afterEach(async () => {
    await s?.stop();
    ref?.server.close();
  });

  it('sends Hello first, then heartbeats; becomes ready on the master Hello', async () => {
    ref = await referenceMaster((socket, message) => {
      if (message.method === 'icinga::Hello') socket.write(hello);
    });
    s = session(ref.port);
    s.start();
    await s.ready(5_000);
    await eventually(
      async () =>
        ref!.received.filter((r) => r.message.method === 'event::Heartbeat').length >= 3
          ? true
          : undefined,
      5_000,
      'heartbeats',
    );
    expect(ref.received[0]?.message).toEqual({
      jsonrpc: '2.0',
      method: 'icinga::Hello',
      params: { version: 21306, capabilities: 0 },
    });
    expect(ref.received.find((r) => r.message.method === 'event::Heartbeat')?.message).toEqual({
      jsonrpc: '2.0',
      method: 'event::Heartbeat',
      params: {},
    });
    expect(ref.connections).toBe(1);
  });

  it('treats a silent master as dead and reconnects', async () => {
    ref = await referenceMaster((socket, message, connection) => {
      // The first connection answers Hello once and then never sends a byte again.
      if (message.method === 'icinga::Hello' && connection >= 1) socket.write(hello);
    });
    const events: string[] = [];
    s = session(ref.port, events);
    s.start();
    await s.ready(5_000);
    await eventually(
      async () => (ref!.connections >= 2 ? true : undefined),
      5_000,
      'a second connection',
    );
    expect(events).toContain('retrying');
  });

  it('backs off and retries when the master closes right after its Hello (endpoint already connected)', async () => {
    ref = await referenceMaster((socket, message) => {
      if (message.method === 'icinga::Hello') socket.end(hello);
    });
    s = session(ref.port);
    s.start();
    await eventually(async () => (ref!.connections >= 3 ? true : undefined), 5_000, 'retries');
    expect(s.state).not.toBe('ready');
    expect(s.lastError).toMatch(/closed the connection/);
    await expect(s.ready(100)).rejects.toMatchObject({ code: 'unreachable', transient: true });
  });

  it('drops a connection on a framing violation and reconnects', async () => {
    ref = await referenceMaster((socket, message, connection) => {
      if (message.method !== 'icinga::Hello') return;
      socket.write(connection === 1 ? Buffer.from('01:x,') : hello);
    });
    s = session(ref.port);
    s.start();
    await s.ready(5_000);
    expect(ref.connections).toBe(2);
  });

  it('confirms a result only when the master answers its id, with increasing ts', async () => {
    ref = await referenceMaster((socket, message) => {
      if (message.method === 'icinga::Hello') socket.write(hello);
      if (message.method === 'event::CheckResult')
        socket.write(encodeMessage({ id: message.id, jsonrpc: '2.0', result: null }));
    });
    s = session(ref.port);
    s.start();
    const connection = await s.ready(5_000);
    await Promise.all(
      [1, 2, 3].map((n) => s!.confirmed('event::CheckResult', { host: `h${n}` }, connection)),
    );
    const sent = ref.received
      .filter((r) => r.message.method === 'event::CheckResult')
      .map((r) => r.message);
    expect(sent).toHaveLength(3);
    for (let i = 1; i < sent.length; i++) expect(sent[i]!.ts!).toBeGreaterThan(sent[i - 1]!.ts!);
    expect(new Set(sent.map((m) => m.id)).size).toBe(3);
  });
});

describe('Icinga session replay after a reconnect (spec §2.4, master shutdown)', () => {
  let ref: ReferenceMaster | undefined;
  let s: IcingaSession | undefined;
  afterEach(async () => {
    await s?.stop();
    ref?.server.close();
  });

  const position = (ts: number): Buffer =>
    encodeMessage({ jsonrpc: '2.0', method: 'log::SetLogPosition', params: { log_position: ts } });

  it('re-sends the newest covered result per object and every uncovered one, in order, once', async () => {
    // Connection 1 behaves like icinga2 2.13 during shutdown: it answers every
    // id and covers the first four results with its log position, then
    // closes. Connection 2 is the restarted master.
    const master = await answeringMaster();
    ref = master.ref;
    s = session(ref.port);
    s.start();
    const connection = await s.ready(5_000);
    const results = [
      { host: 'h1', service: 'disk', n: 1 },
      { host: 'h1', service: 'disk', n: 2 },
      { host: 'h1', service: 'load', n: 3 },
      { host: 'h2', n: 4 },
      { host: 'h1', service: 'disk', n: 5 },
      { host: 'h1', service: 'disk', n: 6 },
    ];
    for (const params of results.slice(0, 4))
      await s.confirmed('event::CheckResult', params, connection);
    const sentFirst = ref.received.filter((r) => r.message.method === 'event::CheckResult');
    master.sockets[1]!.write(position(sentFirst.at(-1)!.message.ts!));
    // The position must be handled before the next results, as on the wire.
    await new Promise((r) => setTimeout(r, 50));
    for (const params of results.slice(4))
      await s.confirmed('event::CheckResult', params, connection);
    master.sockets[1]!.destroy();

    await eventually(
      async () =>
        ref!.received.filter((r) => r.connection === 2 && r.message.method === 'event::CheckResult')
          .length >= 4
          ? true
          : undefined,
      5_000,
      'the replay on the second connection',
    );
    await new Promise((r) => setTimeout(r, 100));
    const replayed = ref.received
      .filter((r) => r.connection === 2 && r.message.method === 'event::CheckResult')
      .map((r) => r.message);
    // h1!disk n=1 and n=2 were covered and superseded by n=5/n=6: not re-sent,
    // so the master never steps back to them. load (3) and h2 (4) are the
    // newest of their objects: re-sent although covered. 5 and 6: never covered.
    expect(replayed.map((m) => (m.params as { n: number }).n)).toEqual([3, 4, 5, 6]);
    for (let i = 1; i < replayed.length; i++)
      expect(replayed[i]!.ts!).toBeGreaterThan(replayed[i - 1]!.ts!);
    expect(replayed[0]!.ts!).toBeGreaterThan(sentFirst.at(-1)!.message.ts!);
    // Re-sends carry no id: nothing waits for them, the queue already has its acknowledgement.
    expect(replayed.every((m) => m.id === undefined)).toBe(true);
  });

  it('keeps one covered result per object however many were confirmed', async () => {
    const master = await answeringMaster();
    ref = master.ref;
    s = session(ref.port);
    s.start();
    const connection = await s.ready(5_000);
    const services = ['disk', 'load', 'swap'];
    await Promise.all(
      Array.from({ length: 600 }, (_, n) =>
        s!.confirmed('event::CheckResult', { host: 'h', service: services[n % 3]!, n }, connection),
      ),
    );
    expect(s.replayBacklog).toBe(600);
    const last = ref.received.filter((r) => r.message.method === 'event::CheckResult').at(-1)!;
    master.sockets[1]!.write(position(last.message.ts!));
    await eventually(async () => (s!.replayBacklog === 3 ? true : undefined), 5_000, 'compaction');
  });

  it('forgets covered results once they are older than the grace window', async () => {
    const master = await answeringMaster();
    ref = master.ref;
    const realNow = Date.now;
    let offset = 0;
    Date.now = () => realNow() + offset;
    try {
      s = session(ref.port);
      s.start();
      const connection = await s.ready(5_000);
      await s.confirmed('event::CheckResult', { host: 'old' }, connection);
      offset = REPLAY_GRACE_MS + 1_000;
      await s.confirmed('event::CheckResult', { host: 'new' }, connection);
      const last = ref.received.filter((r) => r.message.method === 'event::CheckResult').at(-1)!;
      master.sockets[1]!.write(position(last.message.ts!));
      await new Promise((r) => setTimeout(r, 50));
      master.sockets[1]!.destroy();
      await eventually(
        async () => (ref!.connections >= 2 && s!.state === 'ready' ? true : undefined),
        5_000,
        'the reconnect',
      );
      await new Promise((r) => setTimeout(r, 100));
      const replayed = ref.received
        .filter((r) => r.connection === 2 && r.message.method === 'event::CheckResult')
        .map((r) => (r.message.params as { host: string }).host);
      expect(replayed).toEqual(['new']);
    } finally {
      Date.now = realNow;
    }
  });
});

describe('Icinga session against a master sending hostile frames (property)', () => {
  const methods = fc.constantFrom(
    'icinga::Hello',
    'config::Update',
    'event::Heartbeat',
    'log::SetLogPosition',
    'event::ExecuteCommand',
    'pki::UpdateCertificate',
    'event::CheckResult',
    'no::Such',
  );
  const hostileFrame = fc.oneof(
    fc.uint8Array({ minLength: 1, maxLength: 120 }).map((b) => Buffer.from(b)),
    fc.uint8Array({ maxLength: 120 }).map((b) => encodeNetstring(Buffer.from(b))),
    fc.jsonValue({ maxDepth: 3 }).map((v) => encodeNetstring(JSON.stringify(v) ?? 'null')),
    fc
      .record({
        jsonrpc: fc.constant('2.0'),
        method: methods,
        params: fc.jsonValue({ maxDepth: 3 }),
      })
      .map((m) => encodeMessage(m)),
    fc
      .record(
        { id: fc.string({ maxLength: 10 }), result: fc.jsonValue(), error: fc.jsonValue() },
        { requiredKeys: ['id'] },
      )
      .map((m) => encodeMessage(m)),
  );

  /** Confirms one result, on whichever connection is ready (a hostile frame may cost the current one). */
  async function deliver(s: IcingaSession, n: number): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      const connection = await s.ready(5_000);
      try {
        await s.confirmed('event::CheckResult', { host: 'h', n }, connection);
        return;
      } catch (error) {
        if (attempt === 5) throw error;
      }
    }
  }

  it('survives any frame: a broken one closes the connection with a logged reason, the session reconnects and keeps confirming results', async () => {
    const { ref, sockets } = await answeringMaster();
    const closes: Array<string | undefined> = [];
    const s = session(ref.port, [], (message, fields) => {
      if (message === 'icinga connection closed') closes.push(fields?.reason as string);
    });
    s.start();
    let n = 0;
    try {
      await fc.assert(
        fc.asyncProperty(hostileFrame, async (frame) => {
          await deliver(s, n++);
          const connections = ref.connections;
          const closed = closes.length;
          sockets[connections]!.write(frame);
          await deliver(s, n++);
          if (ref.connections > connections) {
            expect(closes.length).toBeGreaterThan(closed);
            expect(closes.at(-1)).toMatch(/not cluster protocol|nothing received|closed/);
          }
        }),
        { numRuns: 40 },
      );
    } finally {
      await s.stop();
      ref.server.close();
    }
    // Some frames must have broken a connection, or this tested nothing.
    expect(closes.some((reason) => /not cluster protocol/.test(reason ?? ''))).toBe(true);
  });
});
