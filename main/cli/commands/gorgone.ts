import type { GorgoneListenResult } from '../../core/contract/gorgone.ts';

import { parseHostPort } from '../../core/contract/host-port.ts';

import { GORGONE_DEFAULT_PORT } from '../../core/contract/ports.ts';

import type { CliContext, CommandArgs, CommandSpec } from '../command.ts';

import { flag, listOption, requiredOption, stringOption, UsageError } from '../command.ts';

import { keyValues } from '../format.ts';

import { confirm } from '../prompt.ts';

function listenHuman(result: GorgoneListenResult): string {
  const lines = [
    keyValues([
      [
        'push-mode listener',
        result.enabled ? `ENABLED on ${result.bind} (applied by \`outpost run\`)` : 'disabled',
      ],
      ['key rotation', `every ${result.rotationSeconds} s`],
      ['this node thumbprint', result.thumbprint],
    ]),
    '',
    result.authorizedClients.length === 0
      ? 'Authorized centrals: none (every central is refused)'
      : `Authorized centrals:\n${result.authorizedClients.map((c) => `  ${c.thumbprint}${c.comment === undefined ? '' : `  # ${c.comment}`}`).join('\n')}`,
    '',
    "On the central, declare this node in the register module's nodes (e.g. /etc/centreon-gorgone/config.d/…):",
    result.registerSnippet,
  ];
  return lines.join('\n');
}

async function authorizeRequest(
  args: CommandArgs,
): Promise<{ thumbprint?: string; publicKeyFile?: string; comment?: string }> {
  const keyFile = stringOption(args, 'key');
  const thumbprint = args.positionals[0];
  if ((keyFile === undefined) === (thumbprint === undefined)) {
    throw new UsageError('give exactly one of THUMBPRINT or --key CENTRAL_PUBKEY.pem');
  }
  const comment = stringOption(args, 'comment');
  return {
    ...(thumbprint === undefined ? { publicKeyFile: keyFile! } : { thumbprint }),
    ...(comment === undefined ? {} : { comment }),
  };
}

async function resolveTrust(
  ctx: CliContext,
  args: CommandArgs,
  name: string,
  host: string,
  port: number,
) {
  const pubkeyFile = stringOption(args, 'server-pubkey');
  const trustThumbprint = stringOption(args, 'trust-thumbprint');
  if (pubkeyFile !== undefined) {
    return {
      serverPublicKeyFile: pubkeyFile,
      ...(trustThumbprint === undefined ? {} : { trustThumbprint }),
    };
  }
  if (trustThumbprint !== undefined) return { trustThumbprint };
  // Trust on first use: show the key, ask a person (gorgone.md §4 step 1: GETPUBKEY is unauthenticated).
  const agent = await ctx.agent();
  const key = await agent.api.getGorgoneServerKey({ host, port, name });
  ctx.progress(
    `The Gorgone server ${key.server} presents a ${key.bits}-bit key with JWK thumbprint\n  ${key.thumbprint}\n`,
  );
  if (key.pinned === 'mismatch')
    ctx.progress(`WARNING: this is NOT the key pinned for '${name}'.\n`);
  ctx.progress(
    'Compare it with `perl gorgone_key_thumbprint.pl --key-path=/var/lib/centreon-gorgone/.keys/rsakey.pub.pem` on the server.\n',
  );
  if (!(await confirm('Trust this key? [y/N] '))) {
    throw new UsageError(
      `server key not confirmed: after checking it, run again with --trust-thumbprint ${key.thumbprint}`,
    );
  }
  return { trustThumbprint: key.thumbprint };
}

export const gorgoneCommands: CommandSpec[] = [
  {
    path: ['gorgone', 'thumbprint'],
    summary: "This agent's JWK thumbprint and the authorized_clients line for the Gorgone server",
    async run(ctx) {
      const agent = await ctx.agent();
      const result = await agent.api.getGorgoneThumbprint({});
      return {
        data: result,
        human: [
          result.thumbprint,
          '',
          'Add this under gorgonecore.authorized_clients on the Gorgone server, then restart gorgoned:',
          `  ${result.authorizedClientsLine}`,
        ].join('\n'),
      };
    },
  },
  {
    path: ['gorgone', 'pair'],
    summary:
      'Handshake with a Gorgone central, pin its key and register this agent as a pull-mode node',
    usage:
      'NAME --server HOST[:PORT] --node-id N [--server-pubkey FILE | --trust-thumbprint T] [--allow-command REGEX]... [--allow-copy DIR]',
    options: {
      server: { type: 'string' },
      'node-id': { type: 'string' },
      'server-pubkey': { type: 'string' },
      'trust-thumbprint': { type: 'string' },
      'allow-command': { type: 'string', multiple: true },
      'allow-copy': { type: 'string' },
    },
    details: [
      `--server HOST[:PORT]     the central gorgoned external_com_path (port ${GORGONE_DEFAULT_PORT} by default)`,
      '--node-id N              the id the central declares for this node (register: type pull)',
      '--server-pubkey FILE     the server public key (rsakey.pub.pem): pinned without asking',
      '--trust-thumbprint T     the server key thumbprint you checked; otherwise it is shown and asked',
      '--allow-command REGEX    let the central run commands matching REGEX (whole line; repeatable). Off by default',
      '--allow-copy DIR         let the central deploy files (PROCESSCOPY) into DIR only. Off by default',
    ],
    async run(ctx, args) {
      const name = args.positionals[0];
      if (name === undefined)
        throw new UsageError(
          'name the new target: outpost gorgone pair NAME --server HOST --node-id N',
        );
      const { host, port } = parseHostPort(
        requiredOption(args, 'server'),
        GORGONE_DEFAULT_PORT,
        '--server',
      );
      const nodeId = requiredOption(args, 'node-id');
      if (
        stringOption(args, 'server-pubkey') !== undefined &&
        stringOption(args, 'trust-thumbprint') !== undefined
      ) {
        throw new UsageError('use --server-pubkey FILE or --trust-thumbprint T, not both');
      }
      const trust = await resolveTrust(ctx, args, name, host, port);
      const agent = await ctx.agent();
      const allowCopyDir = stringOption(args, 'allow-copy');
      const result = await agent.api.pairGorgone({
        name,
        host,
        port,
        nodeId,
        ...trust,
        allowCommands: listOption(args, 'allow-command'),
        ...(allowCopyDir === undefined ? {} : { allowCopyDir }),
      });
      return {
        data: result,
        human: [
          `Paired '${result.name}' with ${result.server} (${result.serverHostname}) as pull node ${result.nodeId}.`,
          keyValues([
            ['server key (pinned)', result.serverThumbprint],
            ['this agent', result.clientThumbprint],
          ]),
          '`outpost run` keeps this node connected.',
        ].join('\n'),
      };
    },
  },
  {
    path: ['gorgone', 'listen'],
    summary: 'Enable the push-mode node: a ZMQ listener that authorized centrals connect to',
    usage:
      '[--bind HOST:PORT] --authorize THUMBPRINT|--authorize-key CENTRAL_PUBKEY.pem [...] [--node-id N] [--disable]',
    options: {
      bind: { type: 'string' },
      authorize: { type: 'string', multiple: true },
      'authorize-key': { type: 'string', multiple: true },
      'node-id': { type: 'string' },
      disable: { type: 'boolean' },
    },
    details: [
      `--bind HOST:PORT         external_com_path, *:${GORGONE_DEFAULT_PORT} by default (all interfaces)`,
      '--authorize T            thumbprint of a central key allowed to connect (repeatable)',
      '--authorize-key FILE     the central public key file (its thumbprint is computed; repeatable)',
      '--node-id N              the id the central gives this node (shown in PONG and in the register snippet)',
      '--disable                turn the listener off',
    ],
    async run(ctx, args) {
      const agent = await ctx.agent();
      const bind = stringOption(args, 'bind');
      const nodeId = stringOption(args, 'node-id');
      const result = await agent.api.listenGorgone({
        enabled: !flag(args, 'disable'),
        authorize: listOption(args, 'authorize'),
        authorizeKeyFiles: listOption(args, 'authorize-key'),
        ...(bind === undefined ? {} : { bind }),
        ...(nodeId === undefined ? {} : { nodeId }),
      });
      if (result.enabled && result.authorizedClients.length === 0) {
        ctx.progress(
          'outpost: WARNING: no central is authorized yet: add one with --authorize or `outpost gorgone authorized add`\n',
        );
      }
      return { data: result, human: listenHuman(result) };
    },
  },
  {
    path: ['gorgone', 'authorized', 'list'],
    summary: 'Centrals allowed to connect to the push-mode listener',
    async run(ctx) {
      const result = await (await ctx.agent()).api.listGorgoneAuthorized({});
      return { data: result, human: listenHuman(result) };
    },
  },
  {
    path: ['gorgone', 'authorized', 'add'],
    summary: 'Authorize a central by thumbprint or by its public key file',
    usage: 'THUMBPRINT | --key CENTRAL_PUBKEY.pem [--comment TEXT]',
    options: { key: { type: 'string' }, comment: { type: 'string' } },
    async run(ctx, args) {
      const result = await (
        await ctx.agent()
      ).api.addGorgoneAuthorized(await authorizeRequest(args));
      return { data: result, human: `authorized ${result.thumbprint}` };
    },
  },
  {
    path: ['gorgone', 'authorized', 'remove'],
    summary: 'Remove a central from the authorized list',
    usage: 'THUMBPRINT',
    async run(ctx, args) {
      const thumbprint = args.positionals[0];
      if (thumbprint === undefined) throw new UsageError('name the THUMBPRINT to remove');
      const result = await (await ctx.agent()).api.removeGorgoneAuthorized({ thumbprint });
      return { data: result, human: `removed ${result.thumbprint}` };
    },
  },
  {
    path: ['gorgone', 'ping'],
    summary:
      'Controller PING of a paired Gorgone server: prints its node status map (exit 0 on PONG)',
    usage: 'NAME',
    async run(ctx, args) {
      const name = args.positionals[0];
      if (name === undefined) throw new UsageError('name the paired Gorgone target to ping');
      const result = await (await ctx.agent()).api.pingGorgone({ name });
      const nodes = Object.entries(result.nodes);
      return {
        data: result,
        human: [
          `PONG from ${result.server}: gorgone id ${result.id} (${result.hostname}), key ${result.serverThumbprint}`,
          nodes.length === 0
            ? 'no nodes'
            : nodes.map(([id, status]) => `  node ${id}: ${JSON.stringify(status)}`).join('\n'),
        ].join('\n'),
      };
    },
  },
];
