/**
 * The OnSphere codec: property tests for every parser of network input
 * (dispatcher bodies and headers, AMQP requests, notices, value bodies) and
 * the message shapes of onsphere.md §3.4, §4.3–§4.5.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AgentError } from '../../../../main/core/contract/errors.ts';
import {
  backoffMs,
  checkResultValues,
  classifyFailure,
  connectorPermissions,
  encodeReply,
  encodeValue,
  formatEtag,
  messageIdFor,
  parseConfigDocument,
  parseConfigNotification,
  parseDispatcherError,
  parseEtag,
  parseReply,
  parseRequest,
  parseRetryAfter,
  parseValueBody,
  valueRoutingKey,
} from '../../../../main/core/protocols/onsphere/codec.ts';

const SPEC_DOC = {
  schema: 'osp.remote-connector.config/1',
  version: '9f1c2e7',
  module: { name: 'osp-snmp-trap-remote-1', kind: 'osp-snmp-trap' },
  amqp: {
    hosts: [
      { host: 'stack-1.example', port: 5671 },
      { host: 'stack-2.example', port: 5671 },
    ],
    vhost: 'onsphere',
    serverName: 'rabbitmq.stack.example',
    heartbeatSeconds: 30,
    exchanges: { values: 'osp.values', requests: 'osp.requests', config: 'osp.config' },
    requestQueue: 'osp.connector.osp-snmp-trap-remote-1.requests',
    prefetch: 100,
  },
  metrics: { port: 9100 },
  settings: {
    listen: { port: 162 },
    usm: [{ user: 'ops', authProtocol: 'SHA-256', authKeyRef: 'secret:usm.ops.auth' }],
  },
  secrets: { 'usm.ops.auth': 's3cret' },
};

const valueId = fc
  .array(fc.stringMatching(/^[A-Za-z0-9_-]{1,12}$/), { minLength: 1, maxLength: 6 })
  .map((w) => w.join('.'));

describe('config document (§3.4)', () => {
  it('accepts the spec example and ignores unknown fields', () => {
    const doc = parseConfigDocument(JSON.stringify({ ...SPEC_DOC, extra: { anything: 1 } }));
    expect(doc.amqp.hosts).toHaveLength(2);
    expect(doc.secrets).toEqual({ 'usm.ops.auth': 's3cret' });
    expect('extra' in doc).toBe(false);
  });

  it('rejects a document missing a required field, naming its JSON path', () => {
    const broken = structuredClone(SPEC_DOC) as { amqp: Partial<typeof SPEC_DOC.amqp> };
    delete broken.amqp.vhost;
    expect(() => parseConfigDocument(JSON.stringify(broken))).toThrow(/at \$\.amqp\.vhost/);
    expect(() => parseConfigDocument(JSON.stringify({ ...SPEC_DOC, schema: 'other/2' }))).toThrow(
      /at \$\.schema/,
    );
  });

  it('never throws anything but an AgentError on arbitrary input', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          fc.json(),
          fc.jsonValue().map((v) => JSON.stringify(v)),
        ),
        (text) => {
          try {
            parseConfigDocument(text);
          } catch (error) {
            expect(error).toBeInstanceOf(AgentError);
          }
        },
      ),
      { numRuns: 500 },
    );
  });

  it('survives any single field mutated in the spec example: either a valid config or a named path', () => {
    const paths = [
      ['version'],
      ['module', 'name'],
      ['amqp', 'hosts'],
      ['amqp', 'heartbeatSeconds'],
      ['amqp', 'prefetch'],
      ['amqp', 'exchanges', 'values'],
      ['metrics', 'port'],
    ];
    fc.assert(
      fc.property(fc.constantFrom(...paths), fc.jsonValue(), (path, replacement) => {
        const doc = structuredClone(SPEC_DOC) as Record<string, unknown>;
        let node = doc;
        for (const key of path.slice(0, -1)) node = node[key] as Record<string, unknown>;
        node[path.at(-1)!] = replacement;
        try {
          parseConfigDocument(JSON.stringify(doc));
        } catch (error) {
          expect((error as AgentError).field).toMatch(/^\$\./);
        }
      }),
      { numRuns: 300 },
    );
  });
});

describe('dispatcher headers and errors (§3.3)', () => {
  it('ETag round-trips and weak validators compare equal', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[\x21\x23-\x7e]{1,40}$/), (v) => {
        expect(parseEtag(formatEtag(v))).toBe(v);
      }),
    );
    expect(parseEtag('W/"abc"')).toBe('abc');
    expect(parseEtag('abc')).toBeUndefined();
  });

  it('Retry-After: seconds or an HTTP date, undefined for nonsense, never negative', () => {
    expect(parseRetryAfter('120')).toBe(120);
    expect(parseRetryAfter(new Date(Date.now() + 30_000).toUTCString())).toBeGreaterThanOrEqual(29);
    expect(parseRetryAfter('soon')).toBeUndefined();
    fc.assert(
      fc.property(fc.string(), (text) => {
        const v = parseRetryAfter(text);
        expect(v === undefined || (Number.isInteger(v) && v >= 0)).toBe(true);
      }),
    );
  });

  it('error bodies: the §3.3 shape or undefined, never a throw', () => {
    expect(parseDispatcherError('{"error":{"code":"CN_MISMATCH","message":"no"}}')).toEqual({
      code: 'CN_MISMATCH',
      message: 'no',
    });
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.json()), (text) => void parseDispatcherError(text)),
    );
  });
});

describe('values (§4.3, §4.4)', () => {
  it('encodes values that a module parses back with type, quality and timestamp', () => {
    fc.assert(
      fc.property(
        valueId,
        fc.oneof(
          fc.boolean(),
          fc.integer(),
          fc.double({ noNaN: true, noDefaultInfinity: true }),
          fc.string(),
        ),
        fc.integer({ min: 0, max: 4_000_000_000_000 }),
        (id, value, ts) => {
          const msg = encodeValue(
            { valueId: id, value, timestamp: ts },
            { module: 'm1', exchange: 'osp.values', seq: 3, messageId: messageIdFor('x') },
          );
          const body = parseValueBody(msg.content);
          expect(body.id).toBe(id);
          expect(Object.is(body.value, value) || (body.value === 0 && value === 0)).toBe(true);
          expect(body.type).toBe(
            typeof value === 'boolean'
              ? 'BOOLEAN'
              : typeof value === 'string'
                ? 'TEXT'
                : Number.isInteger(value)
                  ? 'INTEGER'
                  : 'DECIMAL',
          );
          expect(Date.parse(body.ts)).toBe(ts);
          expect(msg.routingKey).toBe(`value.m1.${id}`);
          expect(msg.properties).toMatchObject({
            deliveryMode: 2,
            type: 'osp.value/1',
            mandatory: true,
            timestamp: Math.floor(ts / 1000),
            headers: { 'x-osp-module': 'm1', 'x-osp-seq': 3 },
          });
        },
      ),
    );
  });

  it('refuses a routing key over 255 bytes at the boundary', () => {
    expect(valueRoutingKey('m', 'a'.repeat(247))).toHaveLength(255);
    expect(() => valueRoutingKey('m', 'a'.repeat(248))).toThrow(/255 bytes/);
    expect(() => valueRoutingKey('m', 'é'.repeat(124))).toThrow(/255 bytes/);
  });

  it('message ids are UUID v4 shaped, stable per item and index, distinct otherwise', () => {
    fc.assert(
      fc.property(fc.string(), fc.nat(1000), (item, i) => {
        const id = messageIdFor(item, i);
        expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
        expect(messageIdFor(item, i)).toBe(id);
        expect(messageIdFor(item, i + 1)).not.toBe(id);
      }),
    );
  });

  it('value bodies from the wire: the §4.4 shape or an AgentError', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.json()), (text) => {
        try {
          parseValueBody(Buffer.from(text));
        } catch (error) {
          expect(error).toBeInstanceOf(AgentError);
        }
      }),
    );
  });

  it('a check result becomes <base>.state and one value per perfdata label (U left out)', () => {
    const values = checkResultValues({
      host: 'ws 42',
      service: 'load',
      state: 3,
      output: '',
      performanceData: ['load1=0.5;1;2', 'load5=U', "'cpu %'=12%"],
      executionStart: 0,
      executionEnd: 10,
    });
    expect(values).toEqual([
      { valueId: 'outpost.ws_42.load.state', value: 3, timestamp: 10_000, quality: 'ERROR' },
      { valueId: 'outpost.ws_42.load.load1', value: 0.5, timestamp: 10_000, quality: 'GOOD' },
      { valueId: 'outpost.ws_42.load.cpu', value: 12, timestamp: 10_000, quality: 'GOOD' },
    ]);
  });
});

describe('requests and replies (§4.5)', () => {
  it('parses the spec request and answers through the default exchange with the correlation id', () => {
    const parsed = parseRequest({
      content: Buffer.from('{"action":"write","id":"root.site1.x","value":42}'),
      fields: { routingKey: 'request.m.write', redelivered: true },
      properties: { replyTo: 'amq.rabbitmq.reply-to.g1', correlationId: 'c9', messageId: 'm1' },
    });
    expect(parsed).toEqual({
      ok: true,
      request: {
        action: 'write',
        id: 'root.site1.x',
        value: 42,
        replyTo: 'amq.rabbitmq.reply-to.g1',
        correlationId: 'c9',
        messageId: 'm1',
        redelivered: true,
      },
    });
    const reply = encodeReply('amq.rabbitmq.reply-to.g1', 'c9', { status: 'ok', result: 1 });
    expect(reply).toMatchObject({
      exchange: '',
      routingKey: 'amq.rabbitmq.reply-to.g1',
      properties: { correlationId: 'c9', mandatory: true },
    });
    expect(parseReply(reply.content)).toEqual({ status: 'ok', result: 1 });
  });

  it('never throws on arbitrary bodies and properties; a bad request keeps reply_to and correlation_id for the error reply', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          fc.json(),
          fc.uint8Array().map((a) => Buffer.from(a).toString('latin1')),
        ),
        fc.anything(),
        fc.anything(),
        fc.boolean(),
        (body, replyTo, correlationId, redelivered) => {
          const parsed = parseRequest({
            content: Buffer.from(body, 'latin1'),
            fields: { routingKey: 'k', redelivered },
            properties: { replyTo, correlationId },
          });
          if (!parsed.ok) {
            expect(parsed.error.code).toBe('BAD_REQUEST');
            expect(parsed.replyTo).toBe(
              typeof replyTo === 'string' && replyTo !== '' ? replyTo : undefined,
            );
          }
        },
      ),
      { numRuns: 500 },
    );
  });

  it('replies from the wire: the §4.5 shape or an AgentError', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          fc.json(),
          fc.constantFrom(
            '{"status":"ok"}',
            '{"status":"error","error":{"code":"X","message":"m"}}',
          ),
        ),
        (text) => {
          try {
            expect(['ok', 'error']).toContain(parseReply(Buffer.from(text)).status);
          } catch (error) {
            expect(error).toBeInstanceOf(AgentError);
          }
        },
      ),
      { numRuns: 500 },
    );
  });

  it('config notices: {"version"} or ignored', () => {
    expect(parseConfigNotification(Buffer.from('{"version":"v2"}'))).toEqual({ version: 'v2' });
    fc.assert(
      fc.property(
        fc.oneof(fc.string(), fc.json()),
        (text) => void parseConfigNotification(Buffer.from(text)),
      ),
    );
  });
});

describe('topology permissions and reconnect policy (§4.2, §4.7)', () => {
  it('least-privilege regexes match our own queues only, with dots escaped', () => {
    const p = connectorPermissions('a.b');
    expect(new RegExp(p.configure).test('osp.connector.a.b.requests')).toBe(true);
    expect(new RegExp(p.configure).test('osp.connector.aXb.requests')).toBe(false);
    expect(new RegExp(p.configure).test('osp.values')).toBe(false);
    expect(new RegExp(p.write).test('osp.values')).toBe(true);
    expect(new RegExp(p.read).test('osp.values')).toBe(false);
  });

  it('backoff: 0.5 s × 2ⁿ capped at 30 s, ±20 %', () => {
    fc.assert(
      fc.property(fc.nat(100), fc.double({ min: 0, max: 0.999999, noNaN: true }), (n, r) => {
        const raw = Math.min(30_000, 500 * 2 ** Math.min(n, 30));
        const ms = backoffMs(n, r);
        expect(ms).toBeGreaterThanOrEqual(Math.floor(raw * 0.8));
        expect(ms).toBeLessThanOrEqual(Math.ceil(raw * 1.2));
      }),
    );
  });

  it('classifies the observed failure strings of §4.7', () => {
    const cls = (e: unknown) => classifyFailure(e, 'broker').class;
    expect(cls({ code: 'ECONNREFUSED', message: 'connect ECONNREFUSED 127.0.0.1:5671' })).toBe(
      'transient',
    );
    expect(cls(new Error('Heartbeat timeout'))).toBe('transient');
    // Reply codes are matched as AMQP writes them ('403 (ACCESS-REFUSED)'), never inside a port number.
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 65535 }), (port) => {
        expect(
          classifyFailure(
            { code: 'ECONNREFUSED', message: `connect ECONNREFUSED 127.0.0.1:${port}` },
            'b',
          ),
        ).toMatchObject({ class: 'transient', code: 'unreachable' });
      }),
    );
    expect(
      cls(
        new Error(
          'Connection closed: 320 (CONNECTION-FORCED) with message "CONNECTION_FORCED - broker forced connection closure with reason \'shutdown\'"',
        ),
      ),
    ).toBe('transient');
    expect(cls({ code: 'ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED', message: 'x' })).toBe(
      'permanent',
    );
    expect(cls({ code: 'ERR_SSL_TLSV1_ALERT_UNKNOWN_CA', message: 'x' })).toBe('permanent');
    expect(
      cls(
        new Error(
          'Handshake terminated by server: 403 (ACCESS-REFUSED) with message "ACCESS_REFUSED - Login was refused using authentication mechanism EXTERNAL."',
        ),
      ),
    ).toBe('permanent');
    expect(cls(new Error('SASL mechanism PLAIN is not provided by the server'))).toBe('permanent');
    expect(cls(new Error('Expected ConnectionOpenOk; got <ConnectionClose channel:0>'))).toBe(
      'permanent',
    );
    expect(
      cls({
        code: 'SELF_SIGNED_CERT_IN_CHAIN',
        message: 'self-signed certificate in certificate chain',
      }),
    ).toBe('permanent');
    expect(
      cls({
        code: 'ERR_TLS_CERT_ALTNAME_INVALID',
        message: "Hostname/IP does not match certificate's altnames",
      }),
    ).toBe('permanent');
    expect(cls({ code: 'ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION', message: 'x' })).toBe('permanent');
    // The counterexample fast-check once found: an object String() cannot convert.
    expect(['transient', 'permanent']).toContain(
      classifyFailure({ toString: undefined }, 'the broker').class,
    );
    expect(classifyFailure(Object.create(null), 'the broker').reason).toBeTruthy();
    fc.assert(
      fc.property(fc.anything(), (e) => {
        expect(['transient', 'permanent']).toContain(classifyFailure(e, 'x').class);
      }),
    );
  });
});
