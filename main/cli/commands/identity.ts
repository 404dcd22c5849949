import type { CommandSpec } from '../command.ts';
import { stringOption } from '../command.ts';
import { keyValues } from '../format.ts';

export const identityCommands: CommandSpec[] = [
  {
    path: ['identity', 'show'],
    summary: 'Every key and certificate the agent holds, with thumbprints, fingerprints and expiry',
    async run(ctx) {
      const agent = await ctx.agent();
      const identity = await agent.api.getIdentity({});
      const lines = [
        'Agent key',
        keyValues([
          ['  JWK thumbprint', identity.agentKey.thumbprint],
          ['  RSA bits', identity.agentKey.bits],
          ['  private key', `${identity.agentKey.privateKeyPath} (0600)`],
          ['  public key', identity.agentKey.publicKeyPath],
        ]),
        '',
        `Secrets: ${identity.secretStore.backend}${identity.secretStore.encrypted ? ' (encrypted by the OS keychain)' : ' (NOT encrypted: protected by file permissions only)'}`,
      ];
      for (const cert of identity.certificates) {
        lines.push(
          '',
          `Certificate (${cert.role}) of target ${cert.target}`,
          keyValues([
            ['  subject CN', cert.summary.subjectCN],
            ['  issuer CN', cert.summary.issuerCN],
            ['  SHA-256', cert.summary.fingerprintSha256],
            [
              '  expires',
              `${cert.summary.notAfter} (${cert.summary.daysLeft} days)${cert.summary.daysLeft < 30 ? '  ⚠ renew soon' : ''}`,
            ],
            ['  file', cert.path],
          ]),
        );
      }
      for (const pin of identity.pins) {
        lines.push(
          '',
          `Pinned ${pin.kind} of target ${pin.target}${pin.peer === undefined ? '' : ` for ${pin.peer}`}: ${pin.value}${pin.subject === undefined ? '' : ` (${pin.subject})`}`,
        );
      }
      for (const ticket of identity.tickets)
        lines.push('', `Ticket of target ${ticket.target}: ${ticket.masked}`);
      return { data: identity, human: lines.join('\n') };
    },
  },
  {
    path: ['identity', 'thumbprint'],
    summary:
      "JWK thumbprint (RFC 7638, SHA-256) of a PEM key, like Gorgone's gorgone_key_thumbprint.pl",
    usage: '[--key-path FILE]',
    options: { 'key-path': { type: 'string' } },
    details: ["With no --key-path: the agent's own key (generated on first use)."],
    async run(ctx, args) {
      const agent = await ctx.agent();
      const keyPath = stringOption(args, 'key-path');
      const result = await agent.api.getThumbprint(keyPath === undefined ? {} : { keyPath });
      return { data: result, human: result.thumbprint };
    },
  },
];
