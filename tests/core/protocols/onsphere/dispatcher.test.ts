/**
 * The dispatcher client (onsphere.md §3) against an HTTPS server (TLS 1.3,
 * client certificate required, as §3.1) that answers with any status, any
 * body and any ETag/Retry-After: every fetch settles with a config, "not
 * modified", or a DispatcherError naming what the dispatcher did.
 */
import { createServer } from 'node:https';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AgentError } from '../../../../main/core/contract/errors.ts';
import { MAX_CONFIG_BYTES } from '../../../../main/core/protocols/onsphere/codec.ts';
import {
  DispatcherError,
  fetchConfig,
  type FetchOutcome,
} from '../../../../main/core/protocols/onsphere/dispatcher.ts';
import { TestCa } from '../../../peers/pki.ts';

const NAME = 'osp-snmp-trap-remote-1';
const ca = TestCa.create('OnSphere test CA');
const serverCert = ca.issue({ cn: '127.0.0.1', altNames: ['127.0.0.1', 'localhost'] });
const clientCert = ca.issue({ cn: NAME, serverAuth: false });
const identity = { caPem: ca.certPem, certPem: clientCert.certPem, keyPem: clientCert.keyPem };

const CONFIG = {
  schema: 'osp.remote-connector.config/1',
  version: 'v1',
  module: { name: NAME, kind: 'osp-snmp-trap' },
  amqp: {
    hosts: [{ host: '127.0.0.1', port: 5671 }],
    vhost: 'onsphere',
    serverName: 'rabbitmq.stack.example',
    heartbeatSeconds: 30,
    exchanges: { values: 'osp.values', requests: 'osp.requests', config: 'osp.config' },
    requestQueue: `osp.connector.${NAME}.requests`,
    prefetch: 100,
  },
};

interface Answer {
  status: number;
  body: Buffer;
  etag?: string;
  retryAfter?: string;
}

/** Header values Node lets a server send: visible ASCII and spaces. */
const headerValue = fc.stringMatching(/^[\x20-\x7e]{0,40}$/);

const body = fc.oneof(
  fc.string().map((s) => Buffer.from(s)),
  fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.from(b)),
  fc.jsonValue().map((v) => Buffer.from(JSON.stringify(v))),
  // The real document with one field replaced by anything.
  fc
    .tuple(
      fc.constantFrom('version', 'module', 'amqp', 'schema', 'secrets', 'settings'),
      fc.jsonValue(),
    )
    .map(([field, value]) => Buffer.from(JSON.stringify({ ...CONFIG, [field]: value }))),
  fc.constant(Buffer.from(JSON.stringify(CONFIG))),
  fc
    .record({ code: fc.string(), message: fc.string() })
    .map((error) => Buffer.from(JSON.stringify({ error }))),
);

const answer: fc.Arbitrary<Answer> = fc.record(
  {
    status: fc.oneof(
      fc.constantFrom(200, 304, 400, 403, 404, 429, 500, 503),
      fc.integer({ min: 200, max: 599 }),
    ),
    body,
    etag: headerValue,
    retryAfter: headerValue,
  },
  { requiredKeys: ['status', 'body'] },
);

describe('dispatcher answers (property, over TLS 1.3 with a client certificate)', () => {
  let next: Answer = { status: 200, body: Buffer.alloc(0) };
  const server = createServer(
    {
      key: serverCert.keyPem,
      cert: serverCert.certPem,
      ca: ca.certPem,
      requestCert: true,
      rejectUnauthorized: true,
      minVersion: 'TLSv1.3',
    },
    (req, res) => {
      req.resume();
      const headers: Record<string, string> = {};
      if (next.etag !== undefined) headers.ETag = next.etag;
      if (next.retryAfter !== undefined) headers['Retry-After'] = next.retryAfter;
      // 1xx/204/304 carry no body in HTTP; Node refuses to send one.
      const bodyless = next.status === 204 || next.status === 304;
      res.writeHead(next.status, headers);
      res.end(bodyless ? undefined : next.body);
    },
  );
  let port = 0;
  beforeAll(async () => {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as { port: number }).port;
  });
  afterAll(() => {
    server.closeAllConnections();
    server.close();
  });

  const fetch = () =>
    fetchConfig({ host: '127.0.0.1', port }, identity, {
      name: NAME,
      userAgent: 'outpost/test',
      version: 'v0',
    });

  it('settles every answer with a config, "not modified" or a DispatcherError', async () => {
    await fc.assert(
      fc.asyncProperty(answer, async (a) => {
        next = a;
        let outcome: FetchOutcome;
        try {
          outcome = await fetch();
        } catch (error) {
          expect(error).toBeInstanceOf(DispatcherError);
          expect((error as DispatcherError).message).toMatch(/OnSphere dispatcher 127\.0\.0\.1/);
          if (a.status === 200) expect((error as AgentError).code).toBe('protocol');
          return;
        }
        if (outcome.status === 'unchanged') expect(a.status).toBe(304);
        else {
          expect(a.status).toBe(200);
          expect(outcome.config.module.name).toBe(NAME);
        }
      }),
      { numRuns: 150 },
    );
  });

  it('refuses a body over 4 MiB as a protocol error', async () => {
    next = { status: 200, body: Buffer.alloc(MAX_CONFIG_BYTES + 1, 0x20) };
    await expect(fetch()).rejects.toMatchObject({ code: 'protocol' });
  });
});
