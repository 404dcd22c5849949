import { createInterface } from 'node:readline/promises';
import type { CliContext, CommandSpec } from '../command.ts';
import { flag, integerOption, requiredOption, stringOption, UsageError } from '../command.ts';
import { keyValues } from '../format.ts';

const DEFAULT_PORT = 5665;
/** Without a ticket an admin has to act: wait an hour by default (spec icinga2.md §3.5). */
const DEFAULT_ON_DEMAND_WAIT_SECONDS = 3600;

/** `HOST`, `HOST:PORT`, `[v6]` or `[v6]:PORT`. */
export function parseMaster(value: string): { host: string; port: number } {
  const match = /^(?:\[([^\]]+)\]|([^:]+))(?::(\d{1,5}))?$/.exec(value.trim());
  if (match === null) throw new UsageError(`--master must be HOST or HOST:PORT, got '${value}'`);
  const host = match[1] ?? match[2] ?? '';
  const port = match[3] === undefined ? DEFAULT_PORT : Number(match[3]);
  if (port < 1 || port > 65535) throw new UsageError(`--master port must be 1–65535, got ${port}`);
  return { host, port };
}

async function confirm(ctx: CliContext, question: string): Promise<boolean> {
  if (process.stdin.isTTY !== true) return false;
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return /^y(es)?$/i.test((await rl.question(question)).trim());
  } finally {
    rl.close();
  }
}

export const icingaCommands: CommandSpec[] = [
  {
    path: ['icinga', 'pair'],
    summary:
      'Pair with an Icinga 2 master (ticket or on-demand signing), as `icinga2 node wizard` does',
    usage:
      'NAME --master HOST[:PORT=5665] [--cn CN] [--ticket T] [--trust-fingerprint SHA256] [--wait SECONDS] [--replace]',
    options: {
      master: { type: 'string' },
      cn: { type: 'string' },
      ticket: { type: 'string' },
      'trust-fingerprint': { type: 'string' },
      wait: { type: 'string' },
      replace: { type: 'boolean' },
    },
    details: [
      "--cn                 this agent's endpoint name (default: settings agent.name or the host name, lower-cased)",
      "--ticket             from `icinga2 pki ticket --cn CN` on the master; without it the master's admin signs with `icinga2 ca sign`",
      '--trust-fingerprint  SHA-256 of the master certificate, confirmed in advance (otherwise shown and asked)',
      `--wait               seconds to keep polling while the request is pending (default ${DEFAULT_ON_DEMAND_WAIT_SECONDS} without a ticket, 0 with one)`,
      "--replace            start over with a new key instead of keeping this target's identity",
    ],
    async run(ctx, args) {
      const name = args.positionals[0];
      if (name === undefined) throw new UsageError('NAME is required');
      const { host, port } = parseMaster(requiredOption(args, 'master'));
      const ticket = stringOption(args, 'ticket');
      const agent = await ctx.agent();
      let trustFingerprint = stringOption(args, 'trust-fingerprint');
      if (trustFingerprint === undefined) {
        const cert = await agent.api.fetchIcingaMasterCertificate({ host, port });
        ctx.progress(
          [
            `Master certificate of ${host}:${port}:`,
            keyValues([
              ['  Subject', cert.subject],
              ['  Issuer', cert.issuer],
              ['  Valid until', cert.notAfter],
              ['  SHA-256', cert.fingerprintSpaced],
            ]),
            `Compare on the master: openssl x509 -in /var/lib/icinga2/certs/${cert.endpoint}.crt -noout -fingerprint -sha256`,
          ].join('\n'),
        );
        if (!(await confirm(ctx, 'Is this information correct? [y/N] '))) {
          return {
            data: { state: 'unconfirmed', masterFingerprint: cert.fingerprint },
            human: `Not paired: the master's certificate was not confirmed. Re-run with --trust-fingerprint ${cert.fingerprint} once you have checked it.`,
            exitCode: 1,
          };
        }
        trustFingerprint = cert.fingerprint;
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
          host,
          port,
          trustFingerprint,
          waitSeconds,
          replace: flag(args, 'replace'),
          ...(ticket === undefined ? {} : { ticket }),
          ...(stringOption(args, 'cn') === undefined ? {} : { cn: stringOption(args, 'cn')! }),
        });
        const human =
          result.state === 'paired'
            ? `Paired ${name}: ${result.cn} → ${result.endpoint}${result.reused ? ' (existing identity kept)' : ''}, certificate valid until ${result.certificateExpires ?? '?'}.`
            : `Still pending after ${waitSeconds} s. On the master run:\n  ${result.signCommand ?? ''}\nthen run this command again (the request stays the same).`;
        return { data: result, human, exitCode: result.state === 'paired' ? 0 : 1 };
      } finally {
        off();
      }
    },
  },
  {
    path: ['icinga', 'ticket'],
    summary: 'Compute the ticket `icinga2 pki ticket --cn CN --salt SALT` prints',
    usage: '--cn CN --salt SALT',
    options: { cn: { type: 'string' }, salt: { type: 'string' } },
    async run(ctx, args) {
      const result = await (
        await ctx.agent()
      ).api.icingaTicket({ cn: requiredOption(args, 'cn'), salt: requiredOption(args, 'salt') });
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
      ).api.icingaStatus({ name, probe: !flag(args, 'no-probe') });
      const human = keyValues([
        ['target', s.target],
        ['master', `${s.endpoint} at ${s.host}:${s.port} (${s.transport})`],
        ['endpoint name (CN)', `${s.cn} in zone ${s.zone}`],
        [
          'paired',
          s.paired
            ? 'yes'
            : s.pendingRequest === undefined
              ? 'no'
              : `pending — on the master run: ${s.pendingRequest.signCommand}`,
        ],
        ['connection', `${s.state}${s.detail === undefined ? '' : ` (${s.detail})`}`],
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
        ['master pin (SHA-256)', s.masterPin],
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
];
