import { isIpAddress } from '../../core/contract/ip-address.ts';
import { createInterface } from 'node:readline/promises';
import type { Agent } from '../../core/agent.ts';
import type { AgentRequest } from '../../core/contract/index.ts';
import { TENTACLE_DEFAULT_PORT } from '../../core/contract/ports.ts';
import { formatHostPort, parseHostPort } from '../../core/contract/host-port.ts';
import {
  idleTimeoutFromClientFlags,
  MAX_IDLE_TIMEOUT_SECONDS,
  REFERENCE_RETRIES,
  REFERENCE_WAIT_SECONDS,
  type TentacleTestResult,
  type TentacleTransferResult,
} from '../../core/contract/tentacle.ts';
import { AgentError, toAgentError } from '../../core/contract/errors.ts';
import type { CliContext, CommandArgs, CommandOutput, CommandSpec } from '../command.ts';
import { flag, integerOption, stringOption, UsageError } from '../command.ts';
import { keyValues } from '../format.ts';
import { askPassphrase } from '../prompt.ts';
import { SECRET_FILE_HELP, secretFileOptions, secretOptions } from '../secret-options.ts';
import { isSecurityWarning, type AgentWarning } from '../../core/contract/warnings.ts';

/** The secrets the connection flags carry; each also has a `--NAME-file` (-y's password only that). */
const SECRETS = ['password', 'key-passphrase', 'proxy-password'] as const;
type Secrets = Partial<Record<(typeof SECRETS)[number], string>>;

/** The flags of tentacle_client (tentacle.md §13), so admins feel at home. */
const CONNECTION_OPTIONS = {
  address: { type: 'string', short: 'a' },
  port: { type: 'string', short: 'p' },
  password: { type: 'string', short: 'x' },
  tls: { type: 'boolean', short: 'c' },
  cert: { type: 'string', short: 'e' },
  key: { type: 'string', short: 'k' },
  'key-passphrase': { type: 'string' },
  ca: { type: 'string', short: 'f' },
  insecure: { type: 'boolean' },
  'allow-plain-password': { type: 'boolean' },
  zip: { type: 'boolean', short: 'z' },
  proxy: { type: 'string', short: 'y' },
  bind: { type: 'string', short: 'b' },
  timeout: { type: 'string', short: 't' },
  retries: { type: 'string', short: 'r' },
  'ask-key-passphrase': { type: 'boolean', short: 'w' },
  quiet: { type: 'boolean', short: 'q' },
  verbose: { type: 'boolean', short: 'v' },
  ...secretFileOptions(...SECRETS),
} as const;

/** The secondary server's secrets (`tentacle add`), each with its `--NAME-file` too. */
const SECONDARY_SECRETS = [
  'secondary-password',
  'secondary-key-passphrase',
  'secondary-proxy-password',
] as const;

/**
 * `tentacle add`'s secondary server (pandora-remote-config.md §11–§14): its
 * address and mode, and the primary's connection flags with a `--secondary-`
 * prefix, so that it has TLS, certificates, proxy and a password of its own.
 */
const SECONDARY_OPTIONS = {
  secondary: { type: 'string' },
  'secondary-mode': { type: 'string' },
  'secondary-password': { type: 'string' },
  'secondary-tls': { type: 'boolean' },
  'secondary-cert': { type: 'string' },
  'secondary-key': { type: 'string' },
  'secondary-key-passphrase': { type: 'string' },
  'secondary-ca': { type: 'string' },
  'secondary-insecure': { type: 'boolean' },
  'secondary-allow-plain-password': { type: 'boolean' },
  'secondary-zip': { type: 'boolean' },
  'secondary-proxy': { type: 'string' },
  'secondary-bind': { type: 'string' },
  'secondary-timeout': { type: 'string' },
  'secondary-retries': { type: 'string' },
  ...secretFileOptions(...SECONDARY_SECRETS),
} as const;

const SECONDARY_DETAILS = [
  "    --secondary HOST[:PORT]   a secondary Tentacle server (default port 41121), as pandora_agent.conf's",
  "                              secondary_server_ip/secondary_server_port; it never gets the primary's password",
  '    --secondary-mode MODE     on_error (default): a file goes to it when the primary fails it;',
  '                              always: it gets a copy of every file, queued on its own',
  '    --secondary-password PWD, --secondary-tls, --secondary-cert FILE, --secondary-key FILE,',
  '    --secondary-key-passphrase PASS, --secondary-ca FILE, --secondary-insecure,',
  '    --secondary-allow-plain-password, --secondary-zip, --secondary-proxy [USER:PASS@]HOST:PORT,',
  '    --secondary-bind ADDRESS, --secondary-timeout SECONDS, --secondary-retries N',
  "                              the secondary's own settings, as the primary's flags above",
  '                              (and --secondary-password-file, --secondary-key-passphrase-file,',
  '                              --secondary-proxy-password-file)',
];

const CONNECTION_DETAILS = [
  '-a, --address HOST        Tentacle server (required)',
  `-p, --port PORT           server port (default ${TENTACLE_DEFAULT_PORT})`,
  '-x, --password PWD        server password (sent as its double-MD5 digest; needs TLS or --allow-plain-password)',
  '    --password-file FILE  the same, read from FILE',
  '-c, --tls                 TLS; the server certificate is VERIFIED (system store, or -f CA) unless --insecure',
  '-e, --cert FILE           client certificate (PEM); implies TLS',
  '-k, --key FILE            its private key (PEM); --key-passphrase PASS if encrypted',
  '    --key-passphrase-file FILE   that passphrase, read from FILE',
  '-f, --ca FILE             CA bundle (PEM) that signs the server certificate; implies TLS',
  '    --insecure            accept ANY server certificate (NOT verified; shown as a warning everywhere)',
  '-z, --zip                 compressed transfers (ZSEND/ZRECV)',
  '-y, --proxy [USER:PASS@]HOST:PORT   HTTP CONNECT proxy',
  '    --proxy-password-file FILE   the password of -y USER@HOST:PORT, read from FILE',
  '-b, --bind ADDRESS        local IPv4/IPv6 address to connect from (with -y: the connection to the proxy)',
  '-t, --timeout SECONDS     as tentacle_client: give up once the server (or proxy) is silent for',
  '-r, --retries N             SECONDS × (N + 1) s (its defaults 1 and 3 fill in for the one not given;',
  "                            neither given: 15 s); a file's final confirmation waits at least 30 s (§12)",
  '-w, --ask-key-passphrase  ask twice for the passphrase of -k KEY: on the terminal (not echoed), or the first two lines of a piped stdin',
  '-q, --quiet               no error messages (exit status still 1 on failure; --json unchanged;',
  '                            usage errors and the insecure-TLS warning are still shown)',
  '-v, --verbose             TLS details and progress on stderr',
  '',
  ...SECRET_FILE_HELP,
];

type ConnectionRequest = Extract<AgentRequest<'sendTentacleFiles'>, { connection: unknown }>;
type ProxyConfig = NonNullable<ConnectionRequest['connection']['proxy']>;

function wholeNumber(raw: string, flagName: string, min: number): number {
  if (!/^\d+$/.test(raw) || Number(raw) < min)
    throw new UsageError(`${flagName} must be a whole number from ${min} up, got '${raw}'`);
  return Number(raw);
}

/**
 * The primary's connection flags are tentacle_client's (`-e`); the secondary
 * server's are the same long flags with a `--secondary-` prefix
 * (`--secondary-cert`). `flag('cert', 'e')` is how a message names one.
 */
interface Flags {
  prefix: '' | 'secondary-';
  flag(long: string, short?: string): string;
}

const PRIMARY: Flags = {
  prefix: '',
  flag: (long, short) => (short === undefined ? `--${long}` : `-${short}`),
};
const SECONDARY_FLAGS: Flags = {
  prefix: 'secondary-',
  flag: (long) => `--secondary-${long}`,
};

/** -t / -r (§12) as one idle timeout, checked. */
function idleTimeoutFrom(args: CommandArgs, flags: Flags): number | undefined {
  const t = flags.flag('timeout', 't');
  const r = flags.flag('retries', 'r');
  const rawWait = stringOption(args, `${flags.prefix}timeout`);
  const rawRetries = stringOption(args, `${flags.prefix}retries`);
  const wait = rawWait === undefined ? undefined : wholeNumber(rawWait, `${t} SECONDS`, 1);
  const retries = rawRetries === undefined ? undefined : wholeNumber(rawRetries, `${r} N`, 0);
  const total = idleTimeoutFromClientFlags(wait, retries);
  if (total !== undefined && total > MAX_IDLE_TIMEOUT_SECONDS)
    throw new UsageError(
      `${t} ${wait ?? REFERENCE_WAIT_SECONDS} × (${r} ${retries ?? REFERENCE_RETRIES} + 1) = ${total} s is longer than a day (${MAX_IDLE_TIMEOUT_SECONDS} s): choose smaller values`,
    );
  return total;
}

/** A percent-encoded proxy user or password; a bad escape names the flag, never the value. */
function decodeCredential(text: string, field: string, what: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    throw new AgentError(
      'invalid-request',
      `${field}: the proxy ${what} has a '%' that is not a %XX escape (write a literal '%' as %25)`,
      { field },
    );
  }
}

/** `[user:pass@]host:port` as tentacle_client's -y takes it (§11, §13). */
function parseProxySpec(spec: string, field: string): { proxy: ProxyConfig; password?: string } {
  const at = spec.lastIndexOf('@');
  const credentials = at === -1 ? undefined : spec.slice(0, at);
  const address = at === -1 ? spec : spec.slice(at + 1);
  const m = /^(\[[^\]]+\]|[^:]+):(\d{1,5})$/.exec(address);
  const port = Number(m?.[2]);
  if (m === null || port < 1 || port > 65535) {
    throw new AgentError(
      'invalid-request',
      `${field} '${address}' must be PROXYHOST:PORT, optionally preceded by USER:PASS@`,
      { field },
    );
  }
  const proxy: ProxyConfig = { host: m[1]!.replace(/^\[(.*)\]$/, '$1'), port };
  if (credentials === undefined) return { proxy };
  const colon = credentials.indexOf(':');
  proxy.user = decodeCredential(
    colon === -1 ? credentials : credentials.slice(0, colon),
    field,
    'user',
  );
  if (proxy.user === '')
    throw new AgentError('invalid-request', `${field}: the proxy user before '@' is empty`, {
      field,
    });
  return colon === -1
    ? { proxy }
    : { proxy, password: decodeCredential(credentials.slice(colon + 1), field, 'password') };
}

/** The secret flags' values (from the command line, files or stdin), read once. */
function secretsFrom(ctx: CliContext, args: CommandArgs): Promise<Secrets> {
  return secretOptions(
    ctx,
    args,
    SECRETS,
    flag(args, 'ask-key-passphrase') ? '-w (the key passphrase prompt)' : undefined,
  );
}

function connectionFrom(
  args: CommandArgs,
  secrets: Secrets,
): Omit<ConnectionRequest, 'files' | 'zip'> {
  const host = stringOption(args, 'address');
  if (host === undefined || host === '')
    throw new UsageError('-a HOST (the Tentacle server) is required');
  const port = integerOption(args, 'port', TENTACLE_DEFAULT_PORT)!;
  return serverFrom(args, secrets, { host, port }, PRIMARY);
}

/** One server's connection and secrets from its flags (the primary's, or the secondary's). */
function serverFrom(
  args: CommandArgs,
  secrets: Secrets,
  address: { host: string; port: number },
  flags: Flags,
): Omit<ConnectionRequest, 'files' | 'zip'> {
  const { prefix, flag: name } = flags;
  const cert = stringOption(args, `${prefix}cert`);
  const key = stringOption(args, `${prefix}key`);
  const ca = stringOption(args, `${prefix}ca`);
  const insecure = flag(args, `${prefix}insecure`);
  if ((cert === undefined) !== (key === undefined))
    throw new UsageError(`${name('cert', 'e')} CERT and ${name('key', 'k')} KEY go together`);
  if (insecure && ca !== undefined)
    throw new UsageError(`${name('insecure')} and ${name('ca', 'f')} CA contradict each other`);
  const bind = stringOption(args, `${prefix}bind`);
  if (bind !== undefined && !isIpAddress(bind))
    throw new UsageError(
      `${name('bind', 'b')} ADDRESS must be an IPv4 or IPv6 address of this machine (like 10.0.0.5), got '${bind}'`,
    );
  const idleTimeoutSeconds = idleTimeoutFrom(args, flags);
  if (prefix === '' && flag(args, 'ask-key-passphrase')) {
    if (cert === undefined)
      throw new UsageError(
        '-w prompts for the passphrase of a client key: it needs -e CERT -k KEY',
      );
    if (secrets['key-passphrase'] !== undefined)
      throw new UsageError(
        '-w (prompt for the key passphrase) and --key-passphrase contradict each other',
      );
  }
  const connection: ConnectionRequest['connection'] = {
    ...address,
    tls: flag(args, `${prefix}tls`) || cert !== undefined || ca !== undefined || insecure,
    insecure,
    allowPlainPassword: flag(args, `${prefix}allow-plain-password`),
    zip: flag(args, `${prefix}zip`),
    ...(ca === undefined ? {} : { caFile: ca }),
    ...(cert === undefined ? {} : { certFile: cert, keyFile: key }),
    ...(bind === undefined ? {} : { bindAddress: bind }),
    ...(idleTimeoutSeconds === undefined ? {} : { idleTimeoutSeconds }),
  };
  const request: Omit<ConnectionRequest, 'files' | 'zip'> = { connection };
  const proxy = stringOption(args, `${prefix}proxy`);
  const proxyPassword = secrets['proxy-password'];
  const y = name('proxy', 'y');
  const passwordFile = name('proxy-password-file');
  if (proxy !== undefined) {
    const parsed = parseProxySpec(proxy, y);
    connection.proxy = parsed.proxy;
    if (parsed.password !== undefined && proxyPassword !== undefined)
      throw new UsageError(
        `${y} USER:PASS@ and ${passwordFile} contradict each other: give the proxy's password once`,
      );
    if (proxyPassword !== undefined && parsed.proxy.user === undefined)
      throw new UsageError(
        `${passwordFile} needs the user it belongs to: ${y} USER@PROXYHOST:PORT`,
      );
    const password = parsed.password ?? proxyPassword;
    if (password !== undefined) request.proxyPassword = password;
  } else if (proxyPassword !== undefined) {
    throw new UsageError(`${passwordFile} goes with ${y} USER@PROXYHOST:PORT`);
  }
  if (secrets.password !== undefined) request.password = secrets.password;
  if (secrets['key-passphrase'] !== undefined) request.keyPassphrase = secrets['key-passphrase'];
  return request;
}

type SecondaryRequest = Pick<
  AgentRequest<'addTentacleTarget'>,
  'secondary' | 'secondaryPassword' | 'secondaryKeyPassphrase' | 'secondaryProxyPassword'
>;

/** The secondary server of `tentacle add`, from --secondary and its --secondary-… flags. */
function secondaryFrom(
  args: CommandArgs,
  secrets: Partial<Record<(typeof SECONDARY_SECRETS)[number], string>>,
): SecondaryRequest {
  const spec = stringOption(args, 'secondary');
  if (spec === undefined) {
    const stray = Object.keys(SECONDARY_OPTIONS).find(
      (option) => option !== 'secondary' && args.options[option] !== undefined,
    );
    if (stray !== undefined)
      throw new UsageError(
        `--${stray} belongs to a secondary server: give its address with --secondary HOST[:PORT]`,
      );
    return {};
  }
  const mode = stringOption(args, 'secondary-mode') ?? 'on_error';
  if (mode !== 'on_error' && mode !== 'always')
    throw new UsageError(`--secondary-mode must be 'on_error' or 'always', got '${mode}'`);
  let address: { host: string; port: number };
  try {
    address = parseHostPort(spec, TENTACLE_DEFAULT_PORT, '--secondary');
  } catch (error) {
    throw new UsageError(toAgentError(error).message);
  }
  const server = serverFrom(
    args,
    {
      password: secrets['secondary-password'],
      'key-passphrase': secrets['secondary-key-passphrase'],
      'proxy-password': secrets['secondary-proxy-password'],
    },
    address,
    SECONDARY_FLAGS,
  );
  return {
    secondary: { ...server.connection, mode },
    ...(server.password === undefined ? {} : { secondaryPassword: server.password }),
    ...(server.keyPassphrase === undefined ? {} : { secondaryKeyPassphrase: server.keyPassphrase }),
    ...(server.proxyPassword === undefined ? {} : { secondaryProxyPassword: server.proxyPassword }),
  };
}

/**
 * The first two lines of a piped stdin, as tentacle_client's `-w` reads them
 * (transcript S26: `printf 'pass\npass\n' | tentacle_client -w …`).
 */
async function twoPipedLines(): Promise<[string, string]> {
  const lines: string[] = [];
  const rl = createInterface({ input: process.stdin, terminal: false });
  try {
    for await (const line of rl) {
      lines.push(line.replace(/\r$/, ''));
      if (lines.length === 2) break;
    }
  } finally {
    rl.close();
  }
  if (lines.length < 2)
    throw new UsageError(
      `-w reads the key passphrase twice from stdin, but it ended after ${lines.length} line(s): pipe two lines, or give it with --key-passphrase PASS`,
    );
  return [lines[0]!, lines[1]!];
}

/** -w: tentacle_client asks twice for the key passphrase (§13), on a terminal or from a pipe. */
async function promptKeyPassphrase(
  ctx: CliContext,
  args: CommandArgs,
  request: { keyPassphrase?: string },
): Promise<void> {
  if (!flag(args, 'ask-key-passphrase')) return;
  const [first, again] =
    process.stdin.isTTY === true
      ? [
          await askPassphrase(ctx, 'Enter the passphrase of the client key: '),
          await askPassphrase(ctx, 'Enter it again to confirm: '),
        ]
      : await twoPipedLines();
  if (first !== again) throw new UsageError('the two passphrases differ: run the command again');
  request.keyPassphrase = first;
}

/**
 * -q (tentacle_client's quiet, §13): no error message in the human output,
 * whether the command fails as a whole or file by file; the exit status
 * still says it. Usage errors and --json stay as they are.
 */
async function quietly(
  ctx: CliContext,
  args: CommandArgs,
  work: () => Promise<CommandOutput>,
): Promise<CommandOutput> {
  if (!flag(args, 'quiet') || ctx.json) return work();
  try {
    return await work();
  } catch (error) {
    if (error instanceof UsageError) throw error;
    const agentError = toAgentError(error);
    if (agentError.code === 'invalid-request') throw agentError;
    return { data: { error: agentError.toJSON() }, exitCode: 1 };
  }
}

/** One immediate send or get: progress while it runs, warnings, -v details, -q. */
function transfer(
  ctx: CliContext,
  args: CommandArgs,
  verb: 'sent' | 'received',
  call: (api: Agent['api']) => Promise<TentacleTransferResult>,
): Promise<CommandOutput> {
  return quietly(ctx, args, async () => {
    const agent = await ctx.agent();
    const stop = await watchProgress(ctx, args);
    try {
      const result = await call(agent.api);
      warn(ctx, result);
      verbose(ctx, args, result);
      return transferOutput(args, result, verb);
    } finally {
      stop();
    }
  });
}

function warn(ctx: CliContext, result: { warnings: AgentWarning[] }): void {
  // Insecure TLS is always shown; the rest only matters with -v.
  for (const w of result.warnings.filter(isSecurityWarning))
    ctx.progress(`outpost: WARNING: ${w.message}\n`);
}

function verbose(ctx: CliContext, args: CommandArgs, result: TentacleTransferResult): void {
  if (!flag(args, 'verbose')) return;
  for (const w of result.warnings)
    if (!isSecurityWarning(w)) ctx.progress(`[log] note: ${w.message}\n`);
  if (result.tls !== undefined) {
    ctx.progress(
      `[log] ${result.tls.version} with ${result.server}: ${result.tls.peerSubject} issued by ${result.tls.peerIssuer}, SHA-256 ${result.tls.fingerprint256}\n`,
    );
  }
}

async function watchProgress(ctx: CliContext, args: CommandArgs): Promise<() => void> {
  if (!flag(args, 'verbose')) return () => undefined;
  const agent = await ctx.agent();
  let lastShown = new Map<string, number>();
  return agent.events.on('tentacle.progress', (p) => {
    const step = p.total === 0 ? 100 : Math.floor((p.bytes / p.total) * 10) * 10;
    if ((lastShown.get(p.name) ?? -1) >= step) return;
    lastShown = new Map(lastShown).set(p.name, step);
    ctx.progress(
      `[log] ${p.direction === 'send' ? 'sending' : 'receiving'} '${p.name}': ${p.bytes}/${p.total} bytes (${step}%)\n`,
    );
  });
}

function transferOutput(
  args: CommandArgs,
  result: TentacleTransferResult,
  verb: string,
): CommandOutput {
  const lines = result.results
    .filter((r) => r.ok || !flag(args, 'quiet'))
    .map((r) =>
      r.ok
        ? `${verb} ${r.name} (${r.bytes ?? 0} bytes)${r.path === undefined ? '' : ` -> ${r.path}`}`
        : `FAILED ${r.file}: ${r.error?.message ?? 'not done'}`,
    );
  return {
    data: result,
    ...(lines.length === 0 ? {} : { human: lines.join('\n') }),
    exitCode: result.allOk ? 0 : 1,
  };
}

export const tentacleCommands: CommandSpec[] = [
  {
    path: ['tentacle', 'send'],
    summary:
      'Send files now to a Pandora FMS Tentacle server (exit 0 only when the server acknowledged every file)',
    usage:
      'FILE... -a HOST [-p PORT] [-x PASSWORD | --password-file FILE] [-c] [-e CERT -k KEY [-w]] [-f CA] [--insecure] [-z] [-y [USER:PASS@]PROXYHOST:PORT] [-b ADDRESS] [-t SECONDS] [-r N] [-q] [-v]',
    options: { ...CONNECTION_OPTIONS },
    details: CONNECTION_DETAILS,
    async run(ctx, args) {
      if (args.positionals.length === 0) throw new UsageError('name at least one FILE to send');
      const request = {
        ...connectionFrom(args, await secretsFrom(ctx, args)),
        files: args.positionals,
        zip: flag(args, 'zip'),
      };
      await promptKeyPassphrase(ctx, args, request);
      return transfer(ctx, args, 'sent', (api) => api.sendTentacleFiles(request));
    },
  },
  {
    path: ['tentacle', 'get'],
    summary:
      'Download files from a Tentacle server (temporary file then rename; never overwrites unless --overwrite)',
    usage:
      'NAME... -a HOST [-p PORT] [-x PASSWORD | --password-file FILE] [-c] [-e CERT -k KEY [-w]] [-f CA] [--insecure] [-z] [-y PROXY] [-b ADDRESS] [-t SECONDS] [-r N] [-d DIR] [--overwrite] [-q] [-v]',
    options: {
      ...CONNECTION_OPTIONS,
      dir: { type: 'string', short: 'd' },
      overwrite: { type: 'boolean' },
    },
    details: [
      ...CONNECTION_DETAILS,
      '-d, --dir DIR             where the files land (default: current directory)',
      '    --overwrite           replace existing local files',
    ],
    async run(ctx, args) {
      if (args.positionals.length === 0) throw new UsageError('name at least one file to download');
      const request = {
        ...connectionFrom(args, await secretsFrom(ctx, args)),
        names: args.positionals,
        dir: stringOption(args, 'dir') ?? process.cwd(),
        overwrite: flag(args, 'overwrite'),
        zip: flag(args, 'zip'),
      };
      await promptKeyPassphrase(ctx, args, request);
      return transfer(ctx, args, 'received', (api) => api.fetchTentacleFiles(request));
    },
  },
  {
    path: ['tentacle', 'add'],
    summary:
      'Save a Tentacle target (password, key passphrase and proxy password go to the SecretStore)',
    usage:
      'NAME -a HOST [-p PORT] [-x PASSWORD | --password-file FILE] [-c] [-e CERT -k KEY [-w]] [-f CA] [--insecure] [-z] [-y PROXY] [-b ADDRESS] [-t SECONDS] [-r N] [-q] [--outbox DIR [--after-delivery move|remove]] [--secondary HOST[:PORT] [--secondary-mode on_error|always] [--secondary-…]]',
    options: {
      ...CONNECTION_OPTIONS,
      outbox: { type: 'string' },
      'after-delivery': { type: 'string' },
      ...SECONDARY_OPTIONS,
    },
    details: [
      ...CONNECTION_DETAILS,
      '    --outbox DIR          watched folder: files that appear there are queued to this target',
      '    --after-delivery X    what happens to a delivered outbox file: move (to DIR/sent/, default) or remove',
      ...SECONDARY_DETAILS,
    ],
    async run(ctx, args) {
      const name = args.positionals[0];
      if (name === undefined) throw new UsageError('NAME is required');
      // One read of every secret flag: only one of them may take a piped stdin.
      const allSecrets = await secretOptions(
        ctx,
        args,
        [...SECRETS, ...SECONDARY_SECRETS],
        flag(args, 'ask-key-passphrase') ? '-w (the key passphrase prompt)' : undefined,
      );
      const { connection, ...secrets } = connectionFrom(args, allSecrets);
      const secondary = secondaryFrom(args, allSecrets);
      const outbox = stringOption(args, 'outbox');
      const after = stringOption(args, 'after-delivery') ?? 'move';
      if (after !== 'move' && after !== 'remove')
        throw new UsageError("--after-delivery must be 'move' or 'remove'");
      if (stringOption(args, 'after-delivery') !== undefined && outbox === undefined)
        throw new UsageError('--after-delivery needs --outbox DIR');
      await promptKeyPassphrase(ctx, args, secrets);
      return quietly(ctx, args, async () => {
        const agent = await ctx.agent();
        const info = await agent.api.addTentacleTarget({
          name,
          connection,
          ...secrets,
          ...(outbox === undefined ? {} : { outbox: { dir: outbox, afterDelivery: after } }),
          ...secondary,
        });
        warn(ctx, info);
        const c = info.config;
        return {
          data: info,
          human: [
            `Saved Tentacle target ${name}.`,
            keyValues([
              ['  server', `${c.host}:${c.port}`],
              [
                '  TLS',
                c.tls
                  ? c.insecure
                    ? 'yes, server certificate NOT verified'
                    : `yes, verified against ${c.caFile ?? 'the system store'}`
                  : 'no',
              ],
              ['  client certificate', c.certFile],
              ['  password', info.secrets.password ? 'stored in the SecretStore' : 'none'],
              ['  proxy', c.proxy === undefined ? undefined : `${c.proxy.host}:${c.proxy.port}`],
              ['  local address', c.bindAddress],
              [
                '  idle timeout',
                c.idleTimeoutSeconds === undefined ? undefined : `${c.idleTimeoutSeconds} s`,
              ],
              ['  compressed', c.zip],
              [
                '  outbox',
                c.outbox === undefined
                  ? undefined
                  : `${c.outbox.dir} (then ${c.outbox.afterDelivery})`,
              ],
              [
                '  secondary server',
                c.secondary === undefined
                  ? undefined
                  : `${formatHostPort(c.secondary)} (${c.secondary.mode}), TLS ${c.secondary.tls ? (c.secondary.insecure ? 'NOT verified' : 'verified') : 'no'}, password ${info.secondarySecrets?.password === true ? 'stored in the SecretStore' : 'none'}`,
              ],
            ]),
            ...info.warnings.map((w) => `  note: ${w.message}`),
          ].join('\n'),
        };
      });
    },
  },
  {
    path: ['tentacle', 'test'],
    summary:
      'Connect to a saved Tentacle target (and its secondary server, if any), authenticate and QUIT',
    usage: 'NAME',
    async run(ctx, args) {
      const name = args.positionals[0];
      if (name === undefined) throw new UsageError('NAME is required');
      const result = await (await ctx.agent()).api.testTentacleTarget({ name });
      warn(ctx, result);
      const over = (tls: TentacleTestResult['tls']): string =>
        tls === undefined
          ? ''
          : ` over ${tls.version} (${tls.peerSubject}, SHA-256 ${tls.fingerprint256})`;
      const secondary = result.secondary;
      const lines = [
        result.ok
          ? `Tentacle target ${name} answers${over(result.tls)}.`
          : `Tentacle target ${name} failed: ${result.error?.message ?? 'unknown error'}`,
      ];
      if (secondary !== undefined)
        lines.push(
          secondary.ok
            ? `Its secondary server ${secondary.server} (${secondary.mode}) answers${over(secondary.tls)}.`
            : `Its secondary server ${secondary.server} (${secondary.mode}) failed: ${secondary.error?.message ?? 'unknown error'}`,
        );
      return {
        data: result,
        human: lines.join('\n'),
        exitCode: result.ok && secondary?.ok !== false ? 0 : 1,
      };
    },
  },
];
