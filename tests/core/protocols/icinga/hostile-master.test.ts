/**
 * The agent's Icinga client (command endpoint §4.6, certificate updates §3.8,
 * delivery §4.4) against a reference master that sends hostile requests over
 * a real TLS connection: every ExecuteCommand is answered, no update replaces
 * the certificate with something unsigned, and results keep being confirmed.
 */
import type { TLSSocket } from 'node:tls';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TargetRecord } from '../../../../main/core/contract/targets.ts';
import { encodeMessage, type JsonObject } from '../../../../main/core/protocols/icinga/codec.ts';
import {
  answeringMaster,
  referenceCa,
  type ReferenceMaster,
} from '../../../peers/icinga-reference.ts';
import { checkResultItem, deliveryContext, openIcingaAgent, type TestAgent } from './helpers.ts';
import { eventually } from '../../../poll.ts';

const CN = 'agent1.test';
const agentCert = referenceCa.issue({ cn: CN, altNames: [CN] });

/** Names a plain object inherits, next to any text: never a mapped command or macro. */
const name = fc.oneof(
  fc.string({ maxLength: 12 }),
  fc.constantFrom('echo', 'text', 'toString', 'constructor', '__proto__', 'hasOwnProperty'),
);
const notAString = fc.jsonValue({ maxDepth: 2 }).filter((v) => typeof v !== 'string');

const executeCommand = fc.record({
  hostIsText: fc.boolean(),
  host: notAString,
  command: fc.oneof(name, notAString),
  service: fc.option(fc.oneof(name, notAString), { nil: undefined }),
  macros: fc.oneof(
    fc.dictionary(name, fc.jsonValue({ maxDepth: 2 })),
    fc.jsonValue({ maxDepth: 2 }),
  ),
  checkTimeout: fc.option(fc.oneof(fc.integer({ min: -3, max: 3 }), notAString), {
    nil: undefined,
  }),
});

const certificateUpdate = fc.record(
  {
    status_code: fc.oneof(fc.constant(0), fc.jsonValue({ maxDepth: 1 })),
    cert: fc.oneof(fc.string(), fc.constant(referenceCa.certPem), fc.jsonValue({ maxDepth: 1 })),
    ca: fc.oneof(fc.string(), fc.constant(referenceCa.certPem), fc.jsonValue({ maxDepth: 1 })),
  },
  { requiredKeys: [] },
);

describe('Icinga client against a master sending hostile requests (property)', () => {
  let master: { ref: ReferenceMaster; sockets: TLSSocket[] };
  let t: TestAgent;
  let record: TargetRecord;
  beforeAll(async () => {
    master = await answeringMaster();
    t = await openIcingaAgent('icinga-hostile');
    const ctx = t.agent.context;
    await ctx.identity.saveCertificates('m', {
      keyPem: agentCert.keyPem,
      certPem: agentCert.certPem,
      caPem: referenceCa.certPem,
    });
    record = ctx.targets.save('m', 'icinga', {
      host: '127.0.0.1',
      port: master.ref.port,
      endpoint: 'master.test',
      cn: CN,
      zone: CN,
      commandEndpoint: {
        policy: { enabled: true, allow: ['/bin/echo .*'], maxTimeoutSeconds: 5 },
        commands: { echo: '/bin/echo $text$' },
      },
    });
    t.client.session(record);
  });
  afterAll(async () => {
    await t?.close();
    master?.ref.server.close();
  });

  const send = (method: string, params: unknown): void => {
    master.sockets[master.ref.connections]!.write(
      encodeMessage({ jsonrpc: '2.0', method, params } as JsonObject),
    );
  };
  let delivered = 0;
  const deliver = (): Promise<void> =>
    t.driver.deliver(
      record,
      checkResultItem('m', { host: CN, service: 'passive', output: `n=${delivered++}` }),
      deliveryContext(),
    );

  it('answers every ExecuteCommand that names a host and a command, whatever else it carries', async () => {
    await deliver();
    let n = 0;
    await fc.assert(
      fc.asyncProperty(executeCommand, async (request) => {
        const host = request.hostIsText ? `host-${n++}` : request.host;
        send('event::ExecuteCommand', {
          host,
          command: request.command,
          ...(request.service === undefined ? {} : { service: request.service }),
          macros: request.macros,
          ...(request.checkTimeout === undefined ? {} : { check_timeout: request.checkTimeout }),
        });
        if (typeof host === 'string' && typeof request.command === 'string') {
          const answer = await eventually(
            async () =>
              master.ref.received.find(
                (r) =>
                  r.message.method === 'event::CheckResult' &&
                  (r.message.params as { host?: unknown }).host === host,
              )?.message,
            { timeout: 10_000, interval: 200, what: `the answer for ${host}` },
          );
          const cr = (answer.params as { cr: { state: number; output: string } }).cr;
          if (request.command === 'echo') expect([0, 3]).toContain(cr.state);
          else
            expect(cr).toMatchObject({
              state: 3,
              output: `Check command '${request.command}' does not exist.`,
            });
        }
        await deliver();
      }),
      { numRuns: 40 },
    );
  });

  it('keeps its certificate when updates carry anything but a signed one for its key', async () => {
    await fc.assert(
      fc.asyncProperty(certificateUpdate, async (params) => {
        send('pki::UpdateCertificate', params);
        await deliver();
        expect((await t.agent.context.identity.readCertificates('m')).certPem).toBe(
          agentCert.certPem,
        );
      }),
      { numRuns: 40 },
    );
  });
});
