import {
  commandPolicySchema,
  regularExpressionProblem,
} from '../../core/contract/command-policy.ts';
import { ICINGA_MAX_MASTERS, type IcingaCommandEndpoint } from '../../core/contract/icinga.ts';
import type { AgentRequest } from '../../core/contract/index.ts';
import { formatHostPort, parseHostPort } from '../../core/contract/host-port.ts';
import { ICINGA_DEFAULT_PORT } from '../../core/contract/ports.ts';
import type { CommandArgs, CommandSpec } from '../command.ts';
import {
  flag,
  integerOption,
  listOption,
  requiredOption,
  stringOption,
  UsageError,
  withFlagNames,
} from '../command.ts';
import { keyValues } from '../format.ts';
import { confirm } from '../prompt.ts';
import { SECRET_FILE_HELP, secretFileOptions, secretOptions } from '../secret-options.ts';

/** Without a ticket an admin has to act: wait an hour by default (spec icinga2.md §3.5). */
const DEFAULT_ON_DEMAND_WAIT_SECONDS = 3600;

/** The flag that sets each field of a patchIcingaCommandPolicy request, so a refusal names the flag. */
const PATCH_FLAGS = {
  'allow.add': '--allow',
  'allow.remove': '--disallow',
  'commands.add': '--map',
  'commands.remove': '--unmap',
  maxTimeoutSeconds: '--max-timeout',
  maxOutputBytes: '--max-output',
} as const;

/** `CHECKCOMMAND=COMMAND_LINE` (the first '=' separates; the command line may hold more). */
function parseMapping(value: string): [string, string] {
  const eq = value.indexOf('=');
  const checkCommand = eq === -1 ? '' : value.slice(0, eq).trim();
  const commandLine = eq === -1 ? '' : value.slice(eq + 1).trim();
  if (checkCommand === '' || commandLine === '')
    throw new UsageError(
      `--map must be CHECKCOMMAND=COMMAND_LINE (e.g. 'dummy=/usr/lib/nagios/plugins/check_dummy $dummy_state$'), got '${value}'`,
    );
  return [checkCommand, commandLine];
}

/**
 * The change the flags of `icinga commands` ask for, checked before the agent
 * opens; undefined when no flag asks for one. The core applies it
 * (patchIcingaCommandPolicy), as it does the settings page's.
 */
function commandEndpointPatch(
  args: CommandArgs,
): Omit<AgentRequest<'patchIcingaCommandPolicy'>, 'name'> | undefined {
  const enable = flag(args, 'enable');
  const disable = flag(args, 'disable');
  if (enable && disable) throw new UsageError('use --enable or --disable, not both');
  const allow = listOption(args, 'allow');
  for (const pattern of allow) {
    const problem = regularExpressionProblem(pattern);
    if (problem !== undefined)
      throw new UsageError(`--allow '${pattern}' is not a valid regular expression: ${problem}`);
  }
  const mappings = listOption(args, 'map').map(parseMapping);
  const disallow = listOption(args, 'disallow');
  const unmap = listOption(args, 'unmap');
  const caps = {
    maxTimeoutSeconds: integerOption(args, 'max-timeout'),
    maxOutputBytes: integerOption(args, 'max-output'),
  };
  const checked = commandPolicySchema.safeParse(caps);
  if (!checked.success) {
    const issue = checked.error.issues[0]!;
    const field = issue.path[0] as 'maxTimeoutSeconds' | 'maxOutputBytes';
    throw new UsageError(`${PATCH_FLAGS[field]} ${caps[field]}: ${issue.message}`);
  }
  const patch = {
    ...(enable || disable ? { enabled: enable } : {}),
    ...(allow.length + disallow.length === 0 ? {} : { allow: { add: allow, remove: disallow } }),
    ...(mappings.length + unmap.length === 0
      ? {}
      : { commands: { add: Object.fromEntries(mappings), remove: unmap } }),
    ...(caps.maxTimeoutSeconds === undefined ? {} : { maxTimeoutSeconds: caps.maxTimeoutSeconds }),
    ...(caps.maxOutputBytes === undefined ? {} : { maxOutputBytes: caps.maxOutputBytes }),
  };
  return Object.keys(patch).length === 0 ? undefined : patch;
}

/**
 * The masters `icinga pair` was given: every `--master` (an HA zone has two),
 * each with its `--trust-fingerprint` when given (one per --master, in order).
 */
export function mastersToPair(
  args: CommandArgs,
): Array<{ host: string; port: number; trustFingerprint?: string }> {
  const addresses = listOption(args, 'master');
  if (addresses.length === 0)
    throw new UsageError(
      '--master HOST[:PORT] is required (repeat it for each master of an HA parent zone)',
    );
  if (addresses.length > ICINGA_MAX_MASTERS)
    throw new UsageError(
      `--master is given ${addresses.length} times: a parent zone has at most ${ICINGA_MAX_MASTERS} masters here`,
    );
  const fingerprints = listOption(args, 'trust-fingerprint');
  if (fingerprints.length > 0 && fingerprints.length !== addresses.length)
    throw new UsageError(
      `--trust-fingerprint: give one per --master, in the same order (got ${fingerprints.length} for ${addresses.length} masters), or none to confirm each master's certificate when asked`,
    );
  const seen = new Set<string>();
  return addresses.map((address, i) => {
    const { host, port } = parseHostPort(address, ICINGA_DEFAULT_PORT, '--master');
    const key = formatHostPort({ host: host.toLowerCase(), port });
    if (seen.has(key))
      throw new UsageError(`--master ${key} is given twice: give each master of the zone once`);
    seen.add(key);
    const trustFingerprint = fingerprints[i];
    return { host, port, ...(trustFingerprint === undefined ? {} : { trustFingerprint }) };
  });
}

function commandEndpointHuman(name: string, endpoint: IcingaCommandEndpoint): string {
  const { policy, commands } = endpoint;
  const mapped = Object.entries(commands);
  return [
    keyValues([
      [
        'command endpoint',
        policy.enabled
          ? `ENABLED on ${name}: the master may run the mapped commands below`
          : `disabled on ${name} (the master's checks are answered UNKNOWN)`,
      ],
      ['shell', 'never (macros are substituted per argument)'],
      ['max timeout', `${policy.maxTimeoutSeconds} s`],
      ['max output', `${policy.maxOutputBytes} bytes`],
    ]),
    '',
    policy.allow.length === 0
      ? 'Allowed command lines: none (every command is refused)'
      : `Allowed command lines (each pattern must match the whole expanded line):\n${policy.allow.map((a) => `  ${a}`).join('\n')}`,
    '',
    mapped.length === 0
      ? 'Mapped CheckCommands: none (the master gets "Check command … does not exist.")'
      : `Mapped CheckCommands:\n${mapped.map(([check, line]) => `  ${check} = ${line}`).join('\n')}`,
  ].join('\n');
}

export const icingaCommands: CommandSpec[] = [
  {
    path: ['icinga', 'pair'],
    summary:
      'Pair with an Icinga 2 master (ticket or on-demand signing), as `icinga2 node wizard` does',
    usage: `NAME --master HOST[:PORT=${ICINGA_DEFAULT_PORT}]... [--cn CN] [--ticket T | --ticket-file FILE] [--trust-fingerprint SHA256]... [--wait SECONDS] [--replace]`,
    options: {
      master: { type: 'string', multiple: true },
      cn: { type: 'string' },
      ticket: { type: 'string' },
      ...secretFileOptions('ticket'),
      'trust-fingerprint': { type: 'string', multiple: true },
      wait: { type: 'string' },
      replace: { type: 'boolean' },
    },
    details: [
      '--master HOST[:PORT] an endpoint of the parent zone; repeat it for each master of an HA zone (the agent connects to every one, results go over whichever is up)',
      "--cn                 this agent's endpoint name (default: settings agent.name or the host name, lower-cased)",
      "--ticket             from `icinga2 pki ticket --cn CN` on the master; without it the master's admin signs with `icinga2 ca sign`",
      '--ticket-file FILE   the same, read from FILE',
      '--trust-fingerprint  SHA-256 of the master certificate, confirmed in advance (otherwise shown and asked); with several --master, one per --master in the same order',
      `--wait               seconds to keep polling while the request is pending (default ${DEFAULT_ON_DEMAND_WAIT_SECONDS} without a ticket, 0 with one)`,
      "--replace            start over with a new key instead of keeping this target's identity",
      '',
      ...SECRET_FILE_HELP,
    ],
    async run(ctx, args) {
      const name = args.positionals[0];
      if (name === undefined) throw new UsageError('NAME is required');
      const wanted = mastersToPair(args);
      const { ticket } = await secretOptions(ctx, args, ['ticket']);
      const agent = await ctx.agent();
      const masters: Array<{ host: string; port: number; trustFingerprint: string }> = [];
      for (const { host, port, trustFingerprint } of wanted) {
        if (trustFingerprint !== undefined) {
          masters.push({ host, port, trustFingerprint });
          continue;
        }
        const cert = await agent.api.fetchIcingaMasterCertificate({ host, port });
        ctx.progress(
          [
            `Master certificate of ${formatHostPort({ host, port })}:`,
            keyValues([
              ['  Subject', cert.subject],
              ['  Issuer', cert.issuer],
              ['  Valid until', cert.notAfter],
              ['  SHA-256', cert.fingerprintSpaced],
            ]),
            `Compare on the master: openssl x509 -in /var/lib/icinga2/certs/${cert.endpoint}.crt -noout -fingerprint -sha256`,
          ].join('\n'),
        );
        if (!(await confirm('Is this information correct? [y/N] '))) {
          return {
            data: { state: 'unconfirmed', masterFingerprint: cert.fingerprint },
            human: `Not paired: the certificate of ${cert.endpoint} at ${formatHostPort({ host, port })} was not confirmed. Re-run with --trust-fingerprint ${cert.fingerprint} for that --master once you have checked it.`,
            exitCode: 1,
          };
        }
        masters.push({ host, port, trustFingerprint: cert.fingerprint });
      }
      const off = agent.events.on('pairing.step', (step) => {
        if (step.target !== name) return;
        if (step.status === 'running') return;
        ctx.progress(
          `${step.status === 'failed' ? '✗' : step.status === 'waiting' ? '…' : '✓'} ${step.step}${step.detail === undefined ? '' : `: ${step.detail}`}`,
        );
      });
      try {
        const waitSeconds = integerOption(
          args,
          'wait',
          ticket === undefined ? DEFAULT_ON_DEMAND_WAIT_SECONDS : 0,
        )!;
        const result = await agent.api.pairIcinga({
          name,
          masters,
          waitSeconds,
          replace: flag(args, 'replace'),
          ...(ticket === undefined ? {} : { ticket }),
          ...(stringOption(args, 'cn') === undefined ? {} : { cn: stringOption(args, 'cn')! }),
        });
        const pinned = result.masters
          .map((m) => `  ${m.endpoint} at ${formatHostPort(m)}: SHA-256 ${m.fingerprint}`)
          .join('\n');
        const human =
          result.state === 'paired'
            ? `Paired ${name}: ${result.cn} → ${result.masters.map((m) => m.endpoint).join(', ')}${result.reused ? ' (existing identity kept)' : ''}, certificate valid until ${result.certificateExpires ?? '?'}.\nPinned masters:\n${pinned}`
            : `Still pending after ${waitSeconds} s. On the master ${result.signOn ?? ''} run:\n  ${result.signCommand ?? ''}\nthen run this command again (the request stays the same).`;
        return { data: result, human, exitCode: result.state === 'paired' ? 0 : 1 };
      } finally {
        off();
      }
    },
  },
  {
    path: ['icinga', 'ticket'],
    summary: 'Compute the ticket `icinga2 pki ticket --cn CN --salt SALT` prints',
    usage: '--cn CN (--salt SALT | --salt-file FILE)',
    options: { cn: { type: 'string' }, salt: { type: 'string' }, ...secretFileOptions('salt') },
    details: [
      "--salt SALT          the master's TicketSalt (constants.conf): whoever has it can make tickets",
      '--salt-file FILE     the same, read from FILE',
      '',
      ...SECRET_FILE_HELP,
    ],
    async run(ctx, args) {
      const cn = requiredOption(args, 'cn');
      const { salt } = await secretOptions(ctx, args, ['salt']);
      if (salt === undefined || salt === '')
        throw new UsageError('--salt SALT or --salt-file FILE is required');
      const result = await (await ctx.agent()).api.computeIcingaTicket({ cn, salt });
      return { data: result, human: result.ticket };
    },
  },
  {
    path: ['icinga', 'status'],
    summary: 'Connection state, certificate expiry and last confirmed result of an Icinga target',
    usage: 'NAME [--no-probe]',
    options: { 'no-probe': { type: 'boolean' } },
    details: [
      'Without a running agent in this process the command connects once to report the state (--no-probe skips that).',
    ],
    async run(ctx, args) {
      const name = args.positionals[0];
      if (name === undefined) throw new UsageError('NAME is required');
      const s = await (
        await ctx.agent()
      ).api.getIcingaStatus({ name, probe: !flag(args, 'no-probe') });
      const masters: Array<[string, string | undefined]> = s.masters.map((m, i) => [
        s.masters.length === 1 ? 'master' : `master ${i + 1}`,
        `${m.endpoint} at ${formatHostPort(m)} (${s.transport}): ${m.state}${m.detail === undefined ? '' : ` (${m.detail})`}${m.fingerprint === undefined ? '' : `, pinned SHA-256 ${m.fingerprint}`}`,
      ]);
      const human = keyValues([
        ['target', s.target],
        ...masters,
        ['endpoint name (CN)', `${s.cn} in zone ${s.zone}`],
        [
          'paired',
          s.paired
            ? 'yes'
            : s.pendingRequest === undefined
              ? 'no'
              : `pending — on ${s.pendingRequest.heldBy === undefined ? 'the master' : `the master ${s.pendingRequest.heldBy.join(' or ')}`} run: ${s.pendingRequest.signCommand}`,
        ],
        [
          'connection',
          s.masters.length === 1
            ? `${s.state}${s.detail === undefined ? '' : ` (${s.detail})`}`
            : `${s.state} (${s.masters.filter((m) => m.state === 'ready').length} of ${s.masters.length} masters connected)`,
        ],
        ['last error', s.lastError],
        [
          'last confirmed result',
          s.lastConfirmedAt === undefined ? 'never' : new Date(s.lastConfirmedAt).toISOString(),
        ],
        [
          'certificate expires',
          s.certificate === undefined
            ? undefined
            : `${s.certificate.notAfter} (${s.certificate.daysLeft} days${s.certificate.renewDue ? ', renewal due' : ''})`,
        ],
        // Several masters: each line above carries its pin.
        ['master pin (SHA-256)', s.masters.length === 1 ? s.masterPin : undefined],
        [
          'command endpoint',
          s.commandEndpoint.enabled
            ? `on: ${s.commandEndpoint.commands.join(', ') || 'no command mapped'}`
            : 'off',
        ],
      ]);
      return { data: s, human };
    },
  },
  {
    path: ['icinga', 'transport'],
    summary:
      'Send check results over the cluster connection or through the REST API (client certificate or an ApiUser)',
    usage:
      'NAME (--cluster | --rest) [--rest-user USER] [--rest-password PWD | --rest-password-file FILE]',
    options: {
      cluster: { type: 'boolean' },
      rest: { type: 'boolean' },
      'rest-user': { type: 'string' },
      'rest-password': { type: 'string' },
      ...secretFileOptions('rest-password'),
    },
    details: [
      '--cluster            JSON-RPC over the one TLS connection to the master (the default); forgets any REST user and password',
      '--rest               POST /v1/actions/process-check-result on the same API port (spec icinga2.md §5)',
      "--rest-user USER     an ApiUser with permission actions/process-check-result (HTTP basic auth); without it this agent's client certificate authenticates (an ApiUser whose client_cn is our CN)",
      "--rest-password PWD  that ApiUser's password, kept in the SecretStore and never printed; without it a stored one is kept. Needs --rest-user",
      '--rest-password-file FILE   the same, read from FILE',
      '',
      ...SECRET_FILE_HELP,
    ],
    async run(ctx, args) {
      const name = args.positionals[0];
      if (name === undefined) throw new UsageError('NAME is required');
      const cluster = flag(args, 'cluster');
      const rest = flag(args, 'rest');
      if (cluster === rest)
        throw new UsageError(
          'give exactly one of --cluster (JSON-RPC connection) or --rest (REST API)',
        );
      const restUser = stringOption(args, 'rest-user');
      const { 'rest-password': restPassword } = await secretOptions(ctx, args, ['rest-password']);
      if (restUser === '') throw new UsageError('--rest-user must name an ApiUser of the master');
      if (restPassword === '') throw new UsageError('--rest-password must not be empty');
      if (cluster && (restUser !== undefined || restPassword !== undefined))
        throw new UsageError('--rest-user and --rest-password go with --rest, not --cluster');
      if (restPassword !== undefined && restUser === undefined)
        throw new UsageError(
          '--rest-password needs --rest-user USER (the ApiUser it belongs to); without a user the client certificate authenticates',
        );
      const agent = await ctx.agent();
      const result = await agent.api.setIcingaRest({
        name,
        transport: rest ? 'rest' : 'cluster',
        ...(restUser === undefined ? {} : { restUser }),
        ...(restPassword === undefined ? {} : { restPassword }),
      });
      const s = await agent.api.getIcingaStatus({ name, probe: false });
      const several = s.masters.length > 1;
      const masters = s.masters.map((m) => `${m.endpoint} at ${formatHostPort(m)}`).join(', ');
      // HA parent zone: a connection to each master; REST posts to the first that takes the result.
      const restApi = several
        ? `the REST API of the first master that takes each result, in this order: ${masters}`
        : `the REST API of ${masters}`;
      let human: string;
      if (cluster) {
        human = `${name} now sends check results over the cluster connection to ${several ? `each master of the parent zone: ${masters}` : masters}; any REST user and password were forgotten.`;
      } else if (restUser !== undefined) {
        human = `${name} now sends check results through ${restApi}, as ApiUser '${restUser}' (HTTP basic auth; ${restPassword === undefined ? 'any password already stored for this target is kept — give --rest-password to set or change it' : 'password stored in the SecretStore'}).`;
      } else {
        human = [
          `${name} now sends check results through ${restApi}; no REST user given, so this agent's client certificate (CN ${s.cn}) authenticates.`,
          several
            ? `Each master (${s.masters.map((m) => m.endpoint).join(', ')}) needs an ApiUser for that certificate, e.g.:`
            : 'The master needs an ApiUser for that certificate, e.g.:',
          `  object ApiUser "${s.cn}" { client_cn = "${s.cn}"; permissions = [ { permission = "actions/process-check-result"; filter = {{ host.name == "${s.cn}" }} } ] }`,
          ...(s.paired
            ? []
            : [
                `WARNING: ${name} has no signed certificate yet: finish pairing (outpost icinga pair) or give --rest-user.`,
              ]),
        ].join('\n');
      }
      return { data: result, human };
    },
  },
  {
    path: ['icinga', 'commands'],
    summary:
      'Show or change which checks the master may run on this machine (command endpoint, off by default)',
    usage:
      'NAME [--enable | --disable] [--allow REGEX]... [--disallow REGEX]... [--map CHECKCOMMAND=COMMAND_LINE]... [--unmap CHECKCOMMAND]... [--max-timeout SECONDS] [--max-output BYTES]',
    options: {
      enable: { type: 'boolean' },
      disable: { type: 'boolean' },
      allow: { type: 'string', multiple: true },
      map: { type: 'string', multiple: true },
      disallow: { type: 'string', multiple: true },
      unmap: { type: 'string', multiple: true },
      'max-timeout': { type: 'string' },
      'max-output': { type: 'string' },
    },
    details: [
      'Without flags it prints the current policy. Flags change it; allow patterns and mappings add to the ones already there.',
      "--enable | --disable             let the master's event::ExecuteCommand run (spec icinga2.md §4.6), or answer it UNKNOWN",
      '--allow REGEX                    a command line runs only if a pattern matches it whole, after macro expansion (repeatable); arguments with spaces appear single-quoted',
      "--map CHECKCOMMAND=COMMAND_LINE  what the master's CheckCommand runs here; $macro$ placeholders are filled per argument (repeatable; replaces a line already mapped)",
      '--disallow REGEX                 remove a pattern from the allow list (repeatable; must be listed exactly)',
      '--unmap CHECKCOMMAND             forget a mapped CheckCommand (repeatable)',
      '--max-timeout SECONDS            cap on the check timeout the master asks for (1–3600, default 60)',
      '--max-output BYTES               cap on the plugin output kept (1024–16777216, default 1048576)',
      'A running `outpost run` applies the change to the next command the master sends.',
    ],
    async run(ctx, args) {
      const name = args.positionals[0];
      if (name === undefined) throw new UsageError('NAME is required');
      const patch = commandEndpointPatch(args);
      const agent = await ctx.agent();
      if (patch === undefined) {
        const current = await agent.api.getIcingaCommandPolicy({ name });
        return { data: current, human: commandEndpointHuman(name, current) };
      }
      const result = await agent.api
        .patchIcingaCommandPolicy({ name, ...patch })
        .catch((error: unknown) => {
          throw withFlagNames(error, PATCH_FLAGS);
        });
      const human = commandEndpointHuman(name, result);
      return {
        data: result,
        human: result.policy.enabled
          ? `WARNING: the master can now run these commands on this machine, with the rights of the user the agent runs as (\`outpost run\` or the desktop app).\n\n${human}`
          : human,
      };
    },
  },
];
