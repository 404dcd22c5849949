/**
 * Every way the dispatcher or the broker refuses us gives a clear error, and
 * the broker-side ones are classed permanent (onsphere.md §3.3, §4.7).
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { AgentError } from '../../../../main/core/contract/errors.ts';
import { ospConfigSchema, type OspConfig } from '../../../../main/core/protocols/onsphere/codec.ts';
import {
  DispatcherError,
  fetchConfig,
} from '../../../../main/core/protocols/onsphere/dispatcher.ts';
import type { IdentityMaterial } from '../../../../main/core/protocols/onsphere/identity.ts';
import { OspSession } from '../../../../main/core/protocols/onsphere/session.ts';
import { createLogger, FileLogSink } from '../../../../main/core/log.ts';
import { TestCa, type Issued } from '../../../peers/pki.ts';
import { brokerSuite, NAME, startStack, type Stack } from './fixture.ts';

let stack: Stack;
let foreign: Issued;
let ghost: Issued;
let vhostUser: Issued;
const VHOST_USER = 'osp-vhost-x';
const log = createLogger(new FileLogSink(undefined, 'error'));

function material(issued: Issued, ca = stack.ca.certPem): IdentityMaterial {
  return { caPem: ca, certPem: issued.certPem, keyPem: issued.keyPem };
}

function config(name = NAME, amqp: Record<string, unknown> = {}): OspConfig {
  return ospConfigSchema.parse({
    schema: 'osp.remote-connector.config/1',
    version: 't',
    module: { name, kind: 'osp-snmp-trap' },
    amqp: stack.amqpSection({ requestQueue: `osp.connector.${name}.requests`, ...amqp }),
  });
}

/** A session's first outcome: ready, or the error ready() rejects with. */
async function sessionOutcome(
  identity: IdentityMaterial,
  cfg: OspConfig,
  tls?: ConstructorParameters<typeof OspSession>[0]['tls'],
  readyMs = 15_000,
): Promise<{ error: AgentError | undefined; failureClass: string | undefined }> {
  const session = new OspSession({
    config: cfg,
    identity,
    agentVersion: 'test',
    log,
    backoff: () => 60_000,
    ...(tls === undefined ? {} : { tls }),
  });
  session.start();
  try {
    await session.ready(readyMs);
    return { error: undefined, failureClass: undefined };
  } catch (error) {
    return { error: error as AgentError, failureClass: session.lastFailure?.class };
  } finally {
    await session.close();
  }
}

const fetchOpts = { name: NAME, userAgent: 'outpost/test' };

brokerSuite()('OnSphere refusals', () => {
  beforeAll(async () => {
    stack = await startStack('refusals', { extraUsers: [VHOST_USER] });
    foreign = TestCa.create('Some other CA').issue({ cn: NAME, serverAuth: false });
    ghost = stack.ca.issue({ cn: 'osp-ghost', serverAuth: false });
    vhostUser = stack.ca.issue({ cn: VHOST_USER, serverAuth: false });
    stack.dispatcher.setConnector({
      name: VHOST_USER,
      kind: 'osp-snmp-trap',
      remote: true,
      certPem: vhostUser.certPem,
      version: 'w1',
      body: {
        amqp: stack.amqpSection({
          vhost: 'other',
          requestQueue: `osp.connector.${VHOST_USER}.requests`,
        }),
      },
    });
  });
  afterAll(async () => stack?.cleanup());

  const dispatcher = () => ({ host: '127.0.0.1', port: stack.dispatcher.port });

  it('dispatcher: no client certificate is a refusal, not "network down"', async () => {
    const err = await fetchConfig(
      dispatcher(),
      { caPem: stack.ca.certPem, certPem: '', keyPem: '' },
      fetchOpts,
    ).catch((e: unknown) => e as DispatcherError);
    expect(err).toBeInstanceOf(DispatcherError);
    expect(err).toMatchObject({ code: 'unauthorized', transient: false });
    expect((err as Error).message).toMatch(/client certificate/);
  });

  it('dispatcher: a certificate from another CA is refused', async () => {
    const err = await fetchConfig(dispatcher(), material(foreign), fetchOpts).catch(
      (e: unknown) => e as DispatcherError,
    );
    expect(err).toMatchObject({ code: 'unauthorized', transient: false });
    expect((err as Error).message).toMatch(
      /refused our client certificate|unknown CA|does not trust/,
    );
  });

  it('dispatcher: TLS 1.2 is refused (TLS 1.3 only, §3.1)', async () => {
    const err = await fetchConfig(dispatcher(), material(stack.connector), {
      ...fetchOpts,
      tls: { minVersion: 'TLSv1.2', maxVersion: 'TLSv1.2' },
    }).catch((e: unknown) => e as DispatcherError);
    expect(err).toMatchObject({ code: 'refused', transient: false });
    expect((err as Error).message).toMatch(/TLS version/);
  });

  it('dispatcher: unknown CN → 404, CN mismatch → 403, certificate not on record → 403, busy → Retry-After', async () => {
    await expect(
      fetchConfig(dispatcher(), material(ghost), { ...fetchOpts, name: 'osp-ghost' }),
    ).rejects.toMatchObject({ status: 404, serverCode: 'UNKNOWN_CONNECTOR', transient: false });
    await expect(fetchConfig(dispatcher(), material(ghost), fetchOpts)).rejects.toMatchObject({
      status: 403,
      serverCode: 'CN_MISMATCH',
      code: 'unauthorized',
    });
    const reissued = stack.ca.issue({ cn: NAME, serverAuth: false });
    await expect(fetchConfig(dispatcher(), material(reissued), fetchOpts)).rejects.toThrow(
      /CERT_NOT_ON_RECORD/,
    );
    stack.dispatcher.busySeconds = 7;
    try {
      await expect(
        fetchConfig(dispatcher(), material(stack.connector), fetchOpts),
      ).rejects.toMatchObject({ status: 503, retryAfterSeconds: 7, transient: true });
    } finally {
      stack.dispatcher.busySeconds = undefined;
    }
    const first = await fetchConfig(dispatcher(), material(stack.connector), fetchOpts);
    expect(first.status).toBe('changed');
    expect(
      await fetchConfig(dispatcher(), material(stack.connector), { ...fetchOpts, version: 'v1' }),
    ).toEqual({ status: 'unchanged' });
  });

  it('pairing: a certificate from another CA, an unknown CN and a wrong vhost each stop with a clear error', async () => {
    const agent = await stack.openAgent('refusals');
    const where = { host: '127.0.0.1', port: stack.dispatcher.port };
    const mixed = await stack.files('foreign', foreign);
    await expect(
      agent.api.pairOnsphere({
        name: 'a',
        dispatcher: where,
        caFile: mixed.ca,
        certFile: mixed.cert,
        keyFile: mixed.key,
      }),
    ).rejects.toThrow(/module\.crt .* is not signed by .*ca\.crt/);
    const unknown = await stack.files('ghost', ghost);
    await expect(
      agent.api.pairOnsphere({
        name: 'b',
        dispatcher: where,
        caFile: unknown.ca,
        certFile: unknown.cert,
        keyFile: unknown.key,
      }),
    ).rejects.toThrow(/knows no connector of this name \(404: UNKNOWN_CONNECTOR/);
    const wrongVhost = await stack.files('vhost', vhostUser);
    await expect(
      agent.api.pairOnsphere({
        name: 'c',
        dispatcher: where,
        caFile: wrongVhost.ca,
        certFile: wrongVhost.cert,
        keyFile: wrongVhost.key,
      }),
    ).rejects.toThrow(/refused the vhost/);
    // Nothing was saved by a failed pairing.
    expect(agent.context.targets.list().filter((t) => t.kind === 'onsphere')).toEqual([]);
  });

  it('broker: no client certificate, a foreign CA, an unknown CN, a wrong vhost and TLS 1.1 are permanent, each with its reason', async () => {
    const noCert = await sessionOutcome(
      { caPem: stack.ca.certPem, certPem: '', keyPem: '' },
      config(),
    );
    expect(noCert).toMatchObject({ failureClass: 'permanent' });
    expect(noCert.error?.message).toMatch(/requires a client certificate/);

    const foreignCa = await sessionOutcome(material(foreign), config());
    expect(foreignCa.failureClass).toBe('permanent');
    expect(foreignCa.error?.message).toMatch(/does not trust the issuer/);

    const unknownCn = await sessionOutcome(material(ghost), config('osp-ghost'));
    expect(unknownCn.failureClass).toBe('permanent');
    expect(unknownCn.error?.message).toMatch(/no user for our certificate's CN/);

    const vhost = await sessionOutcome(material(stack.connector), config(NAME, { vhost: 'other' }));
    expect(vhost.failureClass).toBe('permanent');
    expect(vhost.error?.message).toMatch(/refused the vhost/);

    const tls11 = await sessionOutcome(material(stack.connector), config(), {
      minVersion: 'TLSv1.1',
      maxVersion: 'TLSv1.1',
    });
    expect(tls11.failureClass).toBe('permanent');
    expect(tls11.error?.message).toMatch(/TLS version/);
  });

  it('broker: the stack not ready (exchanges missing) is transient', async () => {
    const outcome = await sessionOutcome(
      material(stack.connector),
      config(NAME, {
        exchanges: { values: 'osp.values.missing', requests: 'osp.requests', config: 'osp.config' },
      }),
      undefined,
      3_000,
    );
    expect(outcome.failureClass).toBe('transient');
    expect(outcome.error?.message).toMatch(/stack not ready/);
  });
});
