/**
 * A small reference Icinga master written from the spec (icinga2.md §2):
 * TLS with client certificates, netstring JSON-RPC, and a per-test behaviour
 * for each message the agent sends (answer, go silent, close, send garbage).
 * The real master is tests/peers/icinga2.ts; this one can misbehave.
 */
import { createServer, type Server, type TLSSocket } from 'node:tls';
import {
  decodeMessage,
  encodeMessage,
  NetstringDecoder,
  type RpcMessage,
} from '../../main/core/protocols/icinga/codec.ts';
import { TestCa } from './pki.ts';
import { freePort } from './util.ts';

/** One CA for the reference master and the agents that talk to it. */
export const referenceCa = TestCa.create('Icinga CA');
export const referenceMasterCert = referenceCa.issue({
  cn: 'master.test',
  altNames: ['master.test'],
});

export type Behaviour = (socket: TLSSocket, message: RpcMessage, connection: number) => void;

export interface ReferenceMaster {
  port: number;
  connections: number;
  received: Array<{ connection: number; message: RpcMessage }>;
  server: Server;
}

/** The master's icinga::Hello (§2.5). */
export const MASTER_HELLO = encodeMessage({
  jsonrpc: '2.0',
  method: 'icinga::Hello',
  params: { capabilities: 1, version: 21306 },
});

export async function referenceMaster(behaviour: Behaviour): Promise<ReferenceMaster> {
  const port = await freePort();
  const ref: ReferenceMaster = {
    port,
    connections: 0,
    received: [],
    server: undefined as unknown as Server,
  };
  ref.server = createServer(
    {
      key: referenceMasterCert.keyPem,
      cert: referenceMasterCert.certPem,
      ca: referenceCa.certPem,
      requestCert: true,
    },
    (socket) => {
      const connection = ++ref.connections;
      const decoder = new NetstringDecoder();
      socket.on('error', () => undefined);
      socket.on('data', (chunk: Buffer) => {
        for (const payload of decoder.push(chunk)) {
          const message = decodeMessage(payload);
          ref.received.push({ connection, message });
          behaviour(socket, message, connection);
        }
      });
    },
  );
  await new Promise<void>((resolve) => ref.server.listen(port, '127.0.0.1', resolve));
  return ref;
}

/** Answers Hello with Hello and every check result's id (as icinga2 does), remembering each connection's socket. */
export async function answeringMaster(): Promise<{
  ref: ReferenceMaster;
  sockets: TLSSocket[];
}> {
  const sockets: TLSSocket[] = [];
  const ref = await referenceMaster((socket, message, connection) => {
    sockets[connection] = socket;
    if (message.method === 'icinga::Hello') socket.write(MASTER_HELLO);
    if (message.method === 'event::CheckResult' && message.id !== undefined)
      socket.write(encodeMessage({ id: message.id, jsonrpc: '2.0', result: null }));
  });
  return { ref, sockets };
}
