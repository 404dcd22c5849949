/**
 * pandora_agent.conf's `secondary_*` keys (pandora-remote-config.md §11) as
 * the Tentacle target's secondary server: its own address, TLS, client
 * certificate, proxy and password (§14.5), and when it gets a file (§12.1).
 */
import type { ImportReport } from '../../contract/import-report.ts';
import {
  idleTimeoutFromClientFlags,
  MAX_IDLE_TIMEOUT_SECONDS,
  SECONDARY_MODES,
  type SecondaryMode,
} from '../../contract/tentacle.ts';
import { DEFAULT_PORT, SECONDARY, tentacleSecretName } from '../../protocols/tentacle/config.ts';
import { parseServerOpts, type TentacleClientFlags } from './pandora-conf.ts';

/** Every secondary key the agents read (§11), whether or not Outpost needs it. */
export const SECONDARY_KEYS = [
  'secondary_mode',
  'secondary_server_ip',
  'secondary_server_port',
  'secondary_server_path',
  'secondary_transfer_mode',
  'secondary_transfer_timeout',
  'secondary_server_user',
  'secondary_server_pwd',
  'secondary_server_ssl',
  'secondary_server_opts',
] as const;

export interface SecondaryImport {
  /** The target config's `secondary` (contract/tentacle.ts secondarySchema); absent: none. */
  config?: Record<string, unknown>;
  /** SecretStore names and values: the secondary's own password and proxy password. */
  secrets: Array<[string, string]>;
}

/**
 * Maps the secondary keys of `global` (already parsed, with their lines),
 * reporting what it cannot carry over in `report`. The caller marks
 * SECONDARY_KEYS as used.
 */
export function secondaryFromConf(
  global: ReadonlyMap<string, { value: string; line: number }>,
  context: { file: string; target: string; allowPlainPassword: boolean },
  report: ImportReport,
): SecondaryImport {
  const { file, target } = context;
  const value = (key: (typeof SECONDARY_KEYS)[number]): string | undefined =>
    global.get(key)?.value;
  const unmapped = (key: string, text: string, reason: string): void => {
    report.unmapped.push({ file, line: global.get(key)?.line, text, reason });
  };
  const present = SECONDARY_KEYS.filter((key) => global.has(key));
  const modeText = value('secondary_mode') ?? 'never';
  if (modeText === 'never') {
    for (const key of present.filter((k) => k !== 'secondary_mode'))
      unmapped(
        key,
        `${key} ${key.endsWith('pwd') ? '***' : value(key)}`,
        'not used: secondary_mode is never',
      );
    return { secrets: [] };
  }
  if (!(SECONDARY_MODES as readonly string[]).includes(modeText)) {
    unmapped(
      'secondary_mode',
      `secondary_mode ${modeText}`,
      'must be never, on_error or always: no secondary server configured',
    );
    return { secrets: [] };
  }
  const mode = modeText as SecondaryMode;
  const host = value('secondary_server_ip');
  if (host === undefined || host === '') {
    unmapped(
      'secondary_mode',
      `secondary_mode ${mode}`,
      'no secondary_server_ip (the Unix agent would try localhost): no secondary server configured',
    );
    return { secrets: [] };
  }

  const { port, tls, opts } = serverKeys(
    'secondary_',
    value,
    unmapped,
    'the secondary server is reached over Tentacle',
  );
  // Understood, and only needed by the ssh/ftp/local transports (§11).
  for (const key of ['secondary_server_path', 'secondary_server_user'] as const) {
    if (global.has(key))
      unmapped(key, `${key} ${value(key)!}`, 'not used: only ftp/ssh/local need it, not Tentacle');
  }

  const flags = connectionFromClientFlags(opts, (text, reason) =>
    unmapped('secondary_server_opts', text, reason),
  );
  const config: Record<string, unknown> = { host, port, tls, ...flags.fields, mode };
  const timeoutText = value('secondary_transfer_timeout');
  if (timeoutText !== undefined) {
    const seconds = Number(timeoutText);
    if (!/^\d+$/.test(timeoutText) || seconds < 1 || seconds > MAX_IDLE_TIMEOUT_SECONDS)
      unmapped(
        'secondary_transfer_timeout',
        `secondary_transfer_timeout ${timeoutText}`,
        `not 1–${MAX_IDLE_TIMEOUT_SECONDS} seconds: Outpost's idle timeout kept`,
      );
    else if (config.idleTimeoutSeconds === undefined) {
      config.idleTimeoutSeconds = seconds;
      report.notes.push(
        `secondary_transfer_timeout ${seconds}: the Pandora agent stops a whole transfer after ${seconds} s; Outpost gives up on the secondary server after ${seconds} s of silence (a big file may take longer, §12 of tentacle.md)`,
      );
    }
  }

  const secrets: Array<[string, string]> = [];
  if (flags.proxyPassword !== undefined && flags.proxyPassword !== '')
    secrets.push([tentacleSecretName(target, 'proxyPassword', SECONDARY), flags.proxyPassword]);

  // Its own password only: the primary's server_pwd never goes to the secondary (§14.5).
  const password = value('secondary_server_pwd') ?? opts.password;
  if (password !== undefined && password !== '') {
    // Stored either way, as the primary's is: without TLS delivery says why it refuses to send it.
    secrets.push([tentacleSecretName(target, 'password', SECONDARY), password]);
    if (!tls && context.allowPlainPassword) {
      config.allowPlainPassword = true;
    } else if (!tls) {
      unmapped(
        global.has('secondary_server_pwd') ? 'secondary_server_pwd' : 'secondary_server_opts',
        'secondary_server_pwd ***',
        'a password over plain TCP can be replayed by anyone on the path (tentacle.md §8): Outpost will refuse to send it until the secondary uses TLS (secondary_server_ssl 1) or you re-run the import with --allow-plain-password',
      );
    }
  }
  if (tls && opts.caPath === undefined)
    report.notes.push(
      `secondary_server_ssl / -c: Outpost verifies the secondary server ${host} against the system's trusted CAs; a private CA needs -f CA_FILE in secondary_server_opts before the import.`,
    );
  report.notes.push(
    `secondary server ${host}:${port} (${mode}): ${mode === 'on_error' ? 'gets a data file when the primary fails it' : 'gets a copy of every data file, queued on its own'}; remote configuration and collections stay on the primary.`,
  );
  return { config, secrets };
}

/**
 * A server's port, transfer mode and TLS keys (`server_*` for the primary,
 * `secondary_server_*` for the secondary, §11), read the same way for both:
 * what does not carry over goes to `unmapped` with the key it came from;
 * `transferReason` ends the message for a transfer_mode other than tentacle.
 */
export function serverKeys<Prefix extends '' | 'secondary_'>(
  prefix: Prefix,
  read: (
    key: `${Prefix}${'server_port' | 'transfer_mode' | 'server_opts' | 'server_ssl'}`,
  ) => string | undefined,
  unmapped: (key: string, text: string, reason: string) => void,
  transferReason: string,
): { port: number; tls: boolean; opts: TentacleClientFlags } {
  const portKey = `${prefix}server_port` as const;
  const portText = read(portKey);
  let port = DEFAULT_PORT;
  if (portText !== undefined) {
    if (/^\d+$/.test(portText) && Number(portText) >= 1 && Number(portText) <= 65_535)
      port = Number(portText);
    else unmapped(portKey, `${portKey} ${portText}`, `not a port number: ${DEFAULT_PORT} used`);
  }
  const transferKey = `${prefix}transfer_mode` as const;
  const transfer = read(transferKey);
  if (transfer !== undefined && transfer !== 'tentacle')
    unmapped(
      transferKey,
      `${transferKey} ${transfer}`,
      `only tentacle is supported: ${transferReason}`,
    );
  const opts = parseServerOpts(read(`${prefix}server_opts`) ?? '');
  const sslText = read(`${prefix}server_ssl`);
  const tls = opts.tls || (sslText !== undefined && /^(1|yes|on|true)$/i.test(sslText));
  return { port, tls, opts };
}

/**
 * The tentacle_client flags of a `server_opts`-style line as a Tentacle
 * connection's fields (CA, client certificate, -z, -b, -t/-r, -y proxy and
 * its password), reporting each flag that does not carry over: what
 * `secondary_server_opts` needs, and `server_opts` the same.
 */
export function connectionFromClientFlags(
  opts: TentacleClientFlags,
  unmapped: (text: string, reason: string) => void,
): { fields: Record<string, unknown>; proxyPassword?: string } {
  for (const flag of opts.unsupported) unmapped(flag, 'tentacle_client flag not carried over');
  const fields: Record<string, unknown> = { zip: opts.zip };
  if (opts.caPath !== undefined) fields.caFile = opts.caPath;
  if (opts.certPath !== undefined) fields.certFile = opts.certPath;
  if (opts.keyPath !== undefined) fields.keyFile = opts.keyPath;
  if (opts.bindAddress !== undefined) fields.bindAddress = opts.bindAddress;
  const idleTimeout = idleTimeoutFromClientFlags(opts.waitSeconds, opts.retries);
  if (idleTimeout !== undefined) {
    if (idleTimeout <= MAX_IDLE_TIMEOUT_SECONDS) fields.idleTimeoutSeconds = idleTimeout;
    else
      unmapped(
        `-t ${opts.waitSeconds ?? ''} -r ${opts.retries ?? ''}`.replace(/ +/g, ' ').trim(),
        `more than a day of silence (${idleTimeout} s): Outpost's idle timeout kept`,
      );
  }
  if (opts.proxy === undefined) return { fields };
  const proxy = /^(?:([^:@]+)(?::([^@]*))?@)?([^:@]+):(\d+)$/.exec(opts.proxy);
  if (proxy === null) {
    unmapped('-y …', 'proxy is not [user:pass@]host:port: not carried over');
    return { fields };
  }
  fields.proxy = {
    host: proxy[3],
    port: Number(proxy[4]),
    ...(proxy[1] === undefined ? {} : { user: proxy[1] }),
  };
  return proxy[2] === undefined ? { fields } : { fields, proxyPassword: proxy[2] };
}
