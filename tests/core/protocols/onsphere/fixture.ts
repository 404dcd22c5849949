/**
 * One OnSphere "stack" per test file: a real RabbitMQ node (TLS only, EXTERNAL
 * by CN, the §4.2 least-privilege permissions) with the stack's exchanges, the
 * reference dispatcher of §5, and the certificates of a few connectors.
 */
import amqp from 'amqplib';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe } from 'vitest';
import { Agent } from '../../../../main/core/agent.ts';
import { connectorPermissions } from '../../../../main/core/protocols/onsphere/codec.ts';
import { ReferenceDispatcher } from '../../../peers/onsphere-dispatcher.ts';
import { TestCa, type Issued } from '../../../peers/pki.ts';
import { RabbitBroker, rabbitmqMissing } from '../../../peers/rabbitmq.ts';
import { makeTempDir } from '../../../peers/util.ts';

export const NAME = 'osp-snmp-trap-remote-1';
export const VHOST = 'onsphere';
export const EXCHANGES = { values: 'osp.values', requests: 'osp.requests', config: 'osp.config' };

/** describe, or describe.skip with a printed reason when rabbitmq is missing outside CI (under CI it must fail). */
export function brokerSuite(): typeof describe | typeof describe.skip {
  const missing = rabbitmqMissing();
  if (missing === undefined || process.env.CI !== undefined) return describe;
  console.warn(`skipping OnSphere broker tests: ${missing}`);
  return describe.skip;
}

export interface Stack {
  ca: TestCa;
  broker: RabbitBroker;
  dispatcher: ReferenceDispatcher;
  connector: Issued;
  peer: Issued;
  dir: string;
  /** Writes ca.crt, module.crt, module.key for a connector into a folder; returns the paths. */
  files(
    name: string,
    issued: Issued,
    ca?: string,
  ): Promise<{ ca: string; cert: string; key: string; dir: string }>;
  /** The §3.4 amqp section pointing at the test broker. */
  amqpSection(overrides?: Record<string, unknown>): Record<string, unknown>;
  /** A connection as the `peer` user: a module of the stack. */
  peerConnection(): Promise<amqp.ChannelModel>;
  openAgent(name: string): Promise<Agent>;
  cleanup(): Promise<void>;
}

export async function startStack(
  label: string,
  options: { heartbeatSeconds?: number; extraUsers?: string[] } = {},
): Promise<Stack> {
  const temp = await makeTempDir(`onsphere-${label}`);
  const ca = TestCa.create(`OnSphere ${label} CA`);
  const connector = ca.issue({ cn: NAME, serverAuth: false });
  const peer = ca.issue({ cn: 'peer', serverAuth: false });
  const broker = await RabbitBroker.start({
    ca,
    vhosts: [VHOST, 'other'],
    users: [
      { name: NAME, permissions: [{ vhost: VHOST, ...connectorPermissions(NAME) }] },
      {
        name: 'peer',
        tags: ['administrator'],
        permissions: [{ vhost: VHOST, configure: '.*', write: '.*', read: '.*' }],
      },
      ...(options.extraUsers ?? []).map((name) => ({
        name,
        permissions: [{ vhost: VHOST, ...connectorPermissions(name) }],
      })),
    ],
    exchanges: Object.values(EXCHANGES).map((name) => ({
      vhost: VHOST,
      name,
      type: 'topic' as const,
    })),
  });
  const dispatcher = await ReferenceDispatcher.start({
    ca,
    throttle: { max: 1000, windowMs: 10_000 },
    notifier: { url: `${broker.url}/${VHOST}`, identity: peer },
  });
  const amqpSection = (overrides: Record<string, unknown> = {}): Record<string, unknown> => ({
    hosts: [{ host: '127.0.0.1', port: broker.port }],
    vhost: VHOST,
    serverName: 'localhost',
    heartbeatSeconds: options.heartbeatSeconds ?? 30,
    exchanges: EXCHANGES,
    requestQueue: `osp.connector.${NAME}.requests`,
    prefetch: 100,
    ...overrides,
  });
  dispatcher.setConnector({
    name: NAME,
    kind: 'osp-snmp-trap',
    remote: true,
    certPem: connector.certPem,
    version: 'v1',
    body: { amqp: amqpSection(), secrets: { 'usm.ops.auth': 'top-secret-usm' } },
  });
  const agents: Agent[] = [];
  const peers: amqp.ChannelModel[] = [];
  return {
    ca,
    broker,
    dispatcher,
    connector,
    peer,
    dir: temp.dir,
    amqpSection,
    async files(name, issued, caPem = ca.certPem) {
      const dir = join(temp.dir, 'files', name);
      await mkdir(dir, { recursive: true });
      await writeFile(join(dir, 'ca.crt'), caPem);
      await writeFile(join(dir, 'module.crt'), issued.certPem);
      await writeFile(join(dir, 'module.key'), issued.keyPem, { mode: 0o600 });
      return {
        ca: join(dir, 'ca.crt'),
        cert: join(dir, 'module.crt'),
        key: join(dir, 'module.key'),
        dir,
      };
    },
    async peerConnection() {
      const conn = await amqp.connect(`${broker.url}/${VHOST}?heartbeat=5`, {
        credentials: amqp.credentials.external(),
        ca: ca.certPem,
        cert: peer.certPem,
        key: peer.keyPem,
        servername: 'localhost',
      });
      conn.on('error', () => undefined);
      peers.push(conn);
      return conn;
    },
    async openAgent(name) {
      const agent = await Agent.open({ dataDir: join(temp.dir, 'agents', name), logToFile: false });
      agents.push(agent);
      return agent;
    },
    async cleanup() {
      for (const agent of agents) await agent.close().catch(() => undefined);
      for (const p of peers) await p.close().catch(() => undefined);
      await dispatcher.stop().catch(() => undefined);
      await broker.stop();
      await temp.cleanup();
    },
  };
}
