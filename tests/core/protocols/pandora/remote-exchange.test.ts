import { mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { confKey, md5Hex } from '../../../../main/core/protocols/pandora/conf-key.ts';
import {
  exchangeRemoteConfig,
  MAX_CONF_BYTES,
} from '../../../../main/core/protocols/pandora/remote-exchange.ts';
import { TentacleClient } from '../../../../main/core/protocols/tentacle/transfer.ts';
import type { TentacleServer } from '../../../peers/tentacle-server.ts';
import { makeTempDir } from '../../../peers/util.ts';
import {
  startPandoraTentacle,
  WORKED_CONF,
  WORKED_EDITED_MD5,
  WORKED_KEY,
  WORKED_MD5,
} from './remote-fixtures.ts';

/**
 * pandora-remote-config.md §9 replayed against the reference Tentacle server
 * with Pandora's stock filters and overwrite off: the files, their bytes, and
 * what went over the wire, one session per run (§10.3).
 */
let tmp: { dir: string; cleanup(): Promise<void> };
let server: TentacleServer;
let staging: string;
const dataIn = (...parts: string[]): string => join(tmp.dir, 'data_in', ...parts);

beforeEach(async () => {
  tmp = await makeTempDir('pandora-exchange');
  server = await startPandoraTentacle(tmp.dir);
  staging = join(tmp.dir, 'staging');
  await mkdir(staging);
});
afterEach(async () => {
  await server.stop();
  await tmp.cleanup();
});

async function run(localConf: string | Buffer): ReturnType<typeof exchangeRemoteConfig> {
  const client = await TentacleClient.connect({ host: '127.0.0.1', port: server.port });
  try {
    return await exchangeRemoteConfig(client, {
      key: WORKED_KEY,
      localConf: Buffer.from(localConf),
      stagingDir: staging,
    });
  } finally {
    await client.quit();
  }
}

describe('remote configuration exchange (§9 worked example)', () => {
  it('key and MD5 of the worked example', () => {
    expect(Buffer.byteLength(WORKED_CONF)).toBe(182);
    expect(confKey('outpost-ws-0042')).toBe(WORKED_KEY);
    expect(md5Hex(WORKED_CONF)).toBe(WORKED_MD5);
    expect(md5Hex(WORKED_CONF.replace('interval 300', 'interval 60'))).toBe(WORKED_EDITED_MD5);
  });

  it('run 1 uploads conf then md5 in one session; run 2 only reads the md5; run 3 downloads the edit', async () => {
    const first = await run(WORKED_CONF);
    expect(first).toEqual({
      kind: 'registered',
      md5: WORKED_MD5,
      confExisted: false,
      md5Existed: false,
    });
    // The stock filters put them where the console looks (§3.3), with the exact bytes (§2.5).
    expect(await readFile(dataIn('conf', `${WORKED_KEY}.conf`), 'utf8')).toBe(WORKED_CONF);
    expect(await readFile(dataIn('md5', `${WORKED_KEY}.md5`))).toEqual(Buffer.from(WORKED_MD5));
    expect(await readdir(dataIn())).toEqual(['conf', 'md5']);
    expect(server.connections).toHaveLength(1);
    expect(server.connections[0]!.clientBytes().toString('latin1')).toBe(
      `RECV <${WORKED_KEY}.md5>\n` +
        `SEND <${WORKED_KEY}.conf> SIZE 182\n${WORKED_CONF}` +
        `SEND <${WORKED_KEY}.md5> SIZE 32\n${WORKED_MD5}` +
        'QUIT\n',
    );

    expect(await run(WORKED_CONF)).toEqual({ kind: 'unchanged', md5: WORKED_MD5 });
    expect(server.connections[1]!.clientBytes().toString('latin1')).toBe(
      `RECV <${WORKED_KEY}.md5>\nRECV OK\nQUIT\n`,
    );

    // The console's edit: conf then md5, written on disk (§8.1).
    const edited = WORKED_CONF.replace('interval 300', 'interval 60');
    await writeFile(dataIn('conf', `${WORKED_KEY}.conf`), edited);
    await writeFile(dataIn('md5', `${WORKED_KEY}.md5`), WORKED_EDITED_MD5);
    const third = await run(WORKED_CONF);
    expect(third.kind).toBe('changed');
    expect(third.kind === 'changed' && third.conf.toString('utf8')).toBe(edited);
    expect(server.connections[2]!.clientBytes().toString('latin1')).toBe(
      `RECV <${WORKED_KEY}.md5>\nRECV OK\nRECV <${WORKED_KEY}.conf>\nRECV OK\nQUIT\n`,
    );
    // Nothing staged is left behind.
    expect(await readdir(staging)).toEqual([]);
  });

  it('reads an md5 with a trailing newline or in uppercase as the same md5: no download', async () => {
    await mkdir(dataIn('conf'), { recursive: true });
    await mkdir(dataIn('md5'), { recursive: true });
    await writeFile(dataIn('conf', `${WORKED_KEY}.conf`), WORKED_CONF);
    for (const written of [`${WORKED_MD5}\n`, `${WORKED_MD5.toUpperCase()}\r\n`]) {
      await writeFile(dataIn('md5', `${WORKED_KEY}.md5`), written);
      expect(await run(WORKED_CONF)).toEqual({ kind: 'unchanged', md5: WORKED_MD5 });
    }
    expect(server.connections.every((c) => !c.clientBytes().includes('.conf>'))).toBe(true);
  });

  it('treats "file already exists" as registered and never overwrites the server copy', async () => {
    await mkdir(dataIn('conf'), { recursive: true });
    await writeFile(dataIn('conf', `${WORKED_KEY}.conf`), 'server_ip 10.0.0.1\n');
    expect(await run(WORKED_CONF)).toEqual({
      kind: 'registered',
      md5: WORKED_MD5,
      confExisted: true,
      md5Existed: false,
    });
    expect(await readFile(dataIn('conf', `${WORKED_KEY}.conf`), 'utf8')).toBe(
      'server_ip 10.0.0.1\n',
    );
  });

  it('refuses a download whose MD5 is not the announced one, and a conf above the cap', async () => {
    await mkdir(dataIn('conf'), { recursive: true });
    await mkdir(dataIn('md5'), { recursive: true });
    await writeFile(dataIn('conf', `${WORKED_KEY}.conf`), 'server_ip 10.0.0.1\n');
    await writeFile(dataIn('md5', `${WORKED_KEY}.md5`), WORKED_EDITED_MD5);
    const wrong = await run(WORKED_CONF);
    expect(wrong.kind).toBe('refused');
    expect(wrong.kind === 'refused' && wrong.reason).toMatch(
      new RegExp(
        `has MD5 ${md5Hex('server_ip 10.0.0.1\n')} but .* says ${WORKED_EDITED_MD5}: discarded`,
      ),
    );

    const big = Buffer.alloc(MAX_CONF_BYTES + 1, 0x23);
    await writeFile(dataIn('conf', `${WORKED_KEY}.conf`), big);
    await writeFile(dataIn('md5', `${WORKED_KEY}.md5`), md5Hex(big));
    const tooBig = await run(WORKED_CONF);
    expect(tooBig.kind === 'refused' && tooBig.reason).toMatch(
      /larger than 1048576 bytes: declined/,
    );
    expect(server.connections.at(-1)!.clientBytes().toString('latin1')).toContain(
      `RECV <${WORKED_KEY}.conf>\nRECV NO\n`,
    );
  });

  it('uploads nothing when the md5 cannot be read for another reason than "does not exist" (§10.3)', async () => {
    // A hung server: the RECV times out; against a server run with -o an upload would
    // overwrite the admin's edit, so nothing may be sent.
    server.stalled = true;
    const client = await TentacleClient.connect({
      host: '127.0.0.1',
      port: server.port,
      idleTimeoutMs: 300,
    });
    await expect(
      exchangeRemoteConfig(client, {
        key: WORKED_KEY,
        localConf: Buffer.from(WORKED_CONF),
        stagingDir: staging,
      }),
    ).rejects.toMatchObject({ code: 'timeout' });
    client.close();
    expect(server.connections[0]!.clientBytes().toString('latin1')).toBe(
      `RECV <${WORKED_KEY}.md5>\n`,
    );
    expect(await readdir(dataIn())).toEqual([]);
  });
});
