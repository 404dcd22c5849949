import { dispatcherFromEnv } from '../../core/protocols/onsphere/config.ts';
import { parseDispatcher } from '../../core/protocols/onsphere/dispatcher.ts';
import type { CommandSpec } from '../command.ts';
import { flag, integerOption, requiredOption, stringOption, UsageError } from '../command.ts';
import { keyValues } from '../format.ts';

/** `--value V`: true/false, a number, else text (OnSphere's BOOLEAN / INTEGER / DECIMAL / TEXT, onsphere.md §4.4). */
function parseValue(text: string, asText: boolean): number | string | boolean {
  if (asText) return text;
  if (text === 'true' || text === 'false') return text === 'true';
  if (/^-?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?$/.test(text)) return Number(text);
  return text;
}

export const onsphereCommands: CommandSpec[] = [
  {
    path: ['onsphere', 'pair'],
    summary:
      'Pair with an OnSphere stack as a remote connector: check ca.crt/module.crt/module.key, fetch the config from the dispatcher, join the broker',
    usage:
      'NAME --dispatcher HOST[:PORT=10000] --ca FILE --cert FILE --key FILE [--metrics-port PORT] [--metrics-host ADDR]',
    options: {
      dispatcher: { type: 'string' },
      ca: { type: 'string' },
      cert: { type: 'string' },
      key: { type: 'string' },
      'metrics-port': { type: 'string' },
      'metrics-host': { type: 'string' },
    },
    details: [
      '--dispatcher HOST[:PORT]  the configuration dispatcher (default port 10000; DISPATCHER_HOST / DISPATCHER_PORT when omitted)',
      '--ca FILE                 ca.crt of the stack',
      '--cert FILE               module.crt (or remote-connector.crt); a folder holding it also works',
      '--key FILE                module.key (or remote-connector.key), unencrypted; stored 0600',
      '--metrics-port PORT       Prometheus /metrics of this connector (default PROMETHEUS_PORT or 9100; 0 disables)',
      '--metrics-host ADDR       address /metrics binds (default 127.0.0.1)',
    ],
    async run(ctx, args) {
      const name = args.positionals[0];
      if (name === undefined) throw new UsageError('NAME (the target name) is required');
      const given = stringOption(args, 'dispatcher');
      let dispatcher;
      if (given !== undefined) dispatcher = parseDispatcher(given, '--dispatcher');
      else {
        const env = dispatcherFromEnv();
        if (env.host === undefined)
          throw new UsageError('--dispatcher HOST[:PORT] is required (or set DISPATCHER_HOST)');
        dispatcher = { host: env.host, port: env.port ?? 10000 };
      }
      const metricsPort = integerOption(args, 'metrics-port');
      const metricsHost = stringOption(args, 'metrics-host');
      const agent = await ctx.agent();
      const off = agent.events.on('pairing.step', (step) => {
        if (step.target !== name || step.status === 'running') return;
        ctx.progress(
          `${step.status === 'failed' ? '✗' : '✓'} ${step.step}${step.detail === undefined ? '' : `: ${step.detail}`}\n`,
        );
      });
      try {
        const result = await agent.api.pairOnsphere({
          name,
          dispatcher,
          caFile: requiredOption(args, 'ca'),
          certFile: requiredOption(args, 'cert'),
          keyFile: requiredOption(args, 'key'),
          ...(metricsPort === undefined ? {} : { metricsPort }),
          ...(metricsHost === undefined ? {} : { metricsHost }),
        });
        const id = result.identity;
        return {
          data: result,
          human: [
            `Paired OnSphere target ${name} as connector ${id.cn}.`,
            keyValues([
              ['  module.crt SHA-256', id.certFingerprint],
              ['  issuer', id.issuer],
              ['  ca.crt SHA-256', id.caFingerprint],
              ['  valid until', `${id.notAfter} (${id.daysLeft} days)`],
              ['  dispatcher', `${result.dispatcher.host}:${result.dispatcher.port}`],
              ['  config', `${result.config.version} (${result.config.kind})`],
              ['  broker', `${result.config.brokers.join(', ')} vhost '${result.config.vhost}'`],
            ]),
            ...result.warnings.map((w) => `  WARNING: ${w.message}`),
          ].join('\n'),
        };
      } finally {
        off();
      }
    },
  },
  {
    path: ['onsphere', 'publish'],
    summary:
      'Queue a value for an OnSphere target (durable), or publish it now (--now: exit 0 only on the broker confirm)',
    usage: '--target NAME --value-id ID --value V [--text] [--quality GOOD|STALE|ERROR] [--now]',
    options: {
      target: { type: 'string' },
      'value-id': { type: 'string' },
      value: { type: 'string' },
      text: { type: 'boolean' },
      quality: { type: 'string' },
      now: { type: 'boolean' },
    },
    details: [
      '--value V      true/false → BOOLEAN, a number → INTEGER/DECIMAL, anything else → TEXT',
      '--text         send V as TEXT even when it looks like a number',
      '--now          publish at once instead of through the queue; waits for the broker confirm',
    ],
    async run(ctx, args) {
      const quality = stringOption(args, 'quality');
      if (quality !== undefined && !['GOOD', 'STALE', 'ERROR'].includes(quality))
        throw new UsageError('--quality must be GOOD, STALE or ERROR');
      const agent = await ctx.agent();
      const result = await agent.api.publishOnsphere({
        target: requiredOption(args, 'target'),
        valueId: requiredOption(args, 'value-id'),
        value: parseValue(requiredOption(args, 'value'), flag(args, 'text')),
        now: flag(args, 'now'),
        ...(quality === undefined ? {} : { quality: quality as 'GOOD' | 'STALE' | 'ERROR' }),
      });
      return {
        data: result,
        human:
          result.outcome === 'confirmed'
            ? `${result.valueId}: confirmed by the broker`
            : `${result.valueId}: queued (${result.itemIds.join(', ')})`,
      };
    },
  },
  {
    path: ['onsphere', 'status'],
    summary: 'Identity, config (fresh or last-known-good) and AMQP session of an OnSphere target',
    usage: 'NAME [--probe]',
    options: { probe: { type: 'boolean' } },
    details: [
      '--probe        connect now (fetch the config, join the broker) when no daemon runs in this process',
    ],
    async run(ctx, args) {
      const name = args.positionals[0];
      if (name === undefined) throw new UsageError('NAME is required');
      const agent = await ctx.agent();
      const s = await agent.api.getOnsphereStatus({ name, probe: flag(args, 'probe') });
      return {
        data: s,
        human: [
          `OnSphere target ${name}`,
          keyValues([
            ['  connector (CN)', s.identity?.cn],
            ['  module.crt SHA-256', s.identity?.certFingerprint],
            [
              '  valid until',
              s.identity === undefined
                ? undefined
                : `${s.identity.notAfter} (${s.identity.daysLeft} days)`,
            ],
            ['  dispatcher', `${s.dispatcher.host}:${s.dispatcher.port}`],
            [
              '  config',
              s.config === undefined
                ? 'none yet'
                : `${s.config.version} fetched ${s.config.fetchedAt}${s.config.stale ? ' (STALE: last-known-good)' : ''}`,
            ],
            ['  broker', s.config?.brokers.join(', ')],
            [
              '  session',
              `${s.session.state}${s.session.detail === undefined ? '' : `: ${s.session.detail}`}`,
            ],
            [
              '  metrics',
              s.metrics === undefined
                ? undefined
                : `http://${s.metrics.host}:${s.metrics.port}/metrics`,
            ],
          ]),
          ...s.warnings.map((w) => `  note: ${w.message}`),
        ].join('\n'),
        exitCode: s.identity === undefined ? 1 : 0,
      };
    },
  },
];
