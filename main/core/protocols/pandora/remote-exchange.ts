/**
 * One remote-configuration exchange over one Tentacle session to the primary
 * server (pandora-remote-config.md §9, §10.3): RECV `<key>.md5`; only when the
 * server says it does not exist, SEND `<key>.conf` then `<key>.md5`; when the
 * md5 differs, RECV `<key>.conf` and check it against the md5. What to do with
 * a downloaded conf is the caller's business (remote-config.ts).
 */
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { AgentError } from '../../contract/errors.ts';
import type { RecvOptions, RecvResult, SendOptions, SendResult } from '../tentacle/transfer.ts';
import { confFileName, md5FileContent, md5FileName, md5Hex, readAnnouncedMd5 } from './conf-key.ts';

/** §10.5: a pandora_agent.conf above this is declined at `RECV SIZE`. */
export const MAX_CONF_BYTES = 1024 * 1024;
/** 32 hex digits with a BOM and a line end fit; a bigger `.md5` is declined unread. */
const MAX_MD5_BYTES = 256;

/** The two calls of a Tentacle client session this exchange makes (TentacleClient has them). */
export interface ConfTransport {
  recv(name: string, options: RecvOptions): Promise<RecvResult>;
  send(path: string, options: SendOptions): Promise<SendResult>;
}

export type Exchange =
  | { kind: 'unchanged'; md5: string }
  | { kind: 'registered'; md5: string; confExisted: boolean; md5Existed: boolean }
  | { kind: 'changed'; md5: string; conf: Buffer }
  | { kind: 'refused'; reason: string };

export interface ExchangeRequest {
  key: string;
  /** The local conf's exact bytes. */
  localConf: Buffer;
  /** Private directory for the files going out and coming in. */
  stagingDir: string;
}

export async function exchangeRemoteConfig(
  client: ConfTransport,
  request: ExchangeRequest,
): Promise<Exchange> {
  const { key, localConf, stagingDir } = request;
  const localMd5 = md5Hex(localConf);
  let announcedBytes: Buffer;
  try {
    announcedBytes = await download(client, md5FileName(key), stagingDir, MAX_MD5_BYTES);
  } catch (error) {
    // §10.3: only the server's own "file does not exist" means first contact; a connection,
    // TLS, password or timeout error uploads nothing (against `-o` it would overwrite the admin's edit).
    if (isNoSuchFile(error)) return register(client, request, localMd5);
    if (isDeclined(error))
      return {
        kind: 'refused',
        reason: `the server's ${md5FileName(key)} is larger than ${MAX_MD5_BYTES} bytes: it is not an MD5 file; the local configuration stays`,
      };
    throw error;
  }
  const announced = readAnnouncedMd5(announcedBytes);
  if (announced === undefined) {
    return {
      kind: 'refused',
      reason: `the server's ${md5FileName(key)} does not hold an MD5 (32 hex digits, pandora-remote-config.md §2.5): the local configuration stays`,
    };
  }
  if (announced === localMd5) return { kind: 'unchanged', md5: localMd5 };
  let conf: Buffer;
  try {
    conf = await download(client, confFileName(key), stagingDir, MAX_CONF_BYTES);
  } catch (error) {
    if (isNoSuchFile(error))
      return {
        kind: 'refused',
        reason: `the server has ${md5FileName(key)} but no ${confFileName(key)} (pandora-remote-config.md §7): the local configuration stays`,
      };
    if (isDeclined(error))
      return {
        kind: 'refused',
        reason: `the server's ${confFileName(key)} is larger than ${MAX_CONF_BYTES} bytes: declined, the local configuration stays`,
      };
    throw error;
  }
  const got = md5Hex(conf);
  if (got !== announced) {
    // §10.5: the console writes conf then md5 non-atomically; a later run sees both agree.
    return {
      kind: 'refused',
      reason: `the downloaded ${confFileName(key)} has MD5 ${got} but the server's ${md5FileName(key)} says ${announced}: discarded (the console may be between its two writes), tried again next run`,
    };
  }
  return { kind: 'changed', md5: announced, conf };
}

/** §9 run 1: conf then md5 (32 lowercase hex, no newline); "already exists" = registered before. */
async function register(
  client: ConfTransport,
  request: ExchangeRequest,
  localMd5: string,
): Promise<Exchange> {
  const confFile = join(request.stagingDir, `out-${confFileName(request.key)}`);
  const md5File = join(request.stagingDir, `out-${md5FileName(request.key)}`);
  try {
    await writeFile(confFile, request.localConf, { mode: 0o600 });
    await writeFile(md5File, md5FileContent(localMd5), { mode: 0o600 });
    const confExisted = await sendUnlessExists(client, confFile, confFileName(request.key));
    const md5Existed = await sendUnlessExists(client, md5File, md5FileName(request.key));
    return { kind: 'registered', md5: localMd5, confExisted, md5Existed };
  } finally {
    await rm(confFile, { force: true });
    await rm(md5File, { force: true });
  }
}

/** True when the server already had the file (`SEND ERR (file already exists)`, §3.6). */
async function sendUnlessExists(
  client: ConfTransport,
  path: string,
  name: string,
): Promise<boolean> {
  try {
    await client.send(path, { name });
    return false;
  } catch (error) {
    if (
      error instanceof AgentError &&
      error.code === 'refused' &&
      error.message.includes('already exists')
    )
      return true;
    throw error;
  }
}

async function download(
  client: ConfTransport,
  name: string,
  dir: string,
  maxBytes: number,
): Promise<Buffer> {
  const received = await client.recv(name, { dir, overwrite: true, maxBytes });
  try {
    return await readFile(received.path);
  } finally {
    await rm(received.path, { force: true });
  }
}

/** TentacleClient's reading of `RECV ERR (file does not exist)` (transfer.ts). */
function isNoSuchFile(error: unknown): boolean {
  return error instanceof AgentError && error.code === 'not-found' && error.field === 'name';
}

/** A `RECV SIZE` above the cap, declined by the client. */
function isDeclined(error: unknown): boolean {
  return error instanceof AgentError && error.code === 'refused' && error.field === 'maxBytes';
}
