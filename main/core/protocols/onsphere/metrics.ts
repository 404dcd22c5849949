/**
 * The connector's own Prometheus endpoint (onsphere.md §4.8, §2.2):
 * `GET /metrics` on PROMETHEUS_PORT (9100; 0 disables), bound to 127.0.0.1
 * unless the user chooses otherwise. No label ever carries a secret or a
 * value payload.
 */
import { createServer, type Server } from 'node:http';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { AgentError } from '../../contract/errors.ts';
import { DEFAULT_PROMETHEUS_HOST } from './config.ts';

/**
 * How often the event-loop lag metrics sample. prom-client's default, 10 ms,
 * is a timer waking the agent 100 times a second for as long as it runs,
 * metrics served or not: 0.65 % of a core at rest per OnSphere target
 * (issue #17). A scrape every 15 s still gets 15 samples.
 */
export const EVENT_LOOP_SAMPLE_MS = 1000;

export class OspMetrics {
  readonly registry = new Registry();
  readonly up = new Gauge({
    name: 'osp_up',
    help: '1 when the AMQP session is open',
    registers: [this.registry],
  });
  readonly configInfo = new Gauge({
    name: 'osp_config_info',
    help: 'The config version in force (value 1)',
    labelNames: ['version', 'stale'],
    registers: [this.registry],
  });
  readonly dispatcherFetches = new Counter({
    name: 'osp_dispatcher_fetches_total',
    help: 'Config requests to the dispatcher, by result',
    labelNames: ['result'],
    registers: [this.registry],
  });
  readonly reconnects = new Counter({
    name: 'osp_amqp_reconnects_total',
    help: 'AMQP connection failures followed by a reconnect, by class',
    labelNames: ['class'],
    registers: [this.registry],
  });
  readonly published = new Counter({
    name: 'osp_values_published_total',
    help: 'Value publishes written to the broker (re-sends included)',
    registers: [this.registry],
  });
  readonly confirmed = new Counter({
    name: 'osp_values_confirmed_total',
    help: 'Values the broker confirmed',
    registers: [this.registry],
  });
  readonly unroutable = new Counter({
    name: 'osp_values_unroutable_total',
    help: 'Values returned by the broker as unroutable (312 NO_ROUTE)',
    registers: [this.registry],
  });
  readonly resent = new Counter({
    name: 'osp_values_resent_total',
    help: 'Values published again after a connection loss (possible duplicates, §4.6)',
    registers: [this.registry],
  });
  readonly pending = new Gauge({
    name: 'osp_values_pending',
    help: 'Values accepted but not yet confirmed (outbox depth)',
    registers: [this.registry],
  });
  readonly confirmSeconds = new Histogram({
    name: 'osp_publish_confirm_seconds',
    help: 'Time from publish to broker confirm',
    buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 30],
    registers: [this.registry],
  });
  readonly requests = new Counter({
    name: 'osp_requests_total',
    help: 'Requests from the stack, by action and result',
    labelNames: ['action', 'result'],
    registers: [this.registry],
  });

  constructor(options: { processMetrics?: boolean } = {}) {
    if (options.processMetrics !== false)
      collectDefaultMetrics({
        register: this.registry,
        eventLoopMonitoringPrecision: EVENT_LOOP_SAMPLE_MS,
      });
  }

  setConfig(version: string, stale: boolean): void {
    this.configInfo.reset();
    this.configInfo.set({ version, stale: stale ? 'true' : 'false' }, 1);
  }
}

/** Serves `/metrics`; resolves once listening. Port 0 means disabled (§2.2) and returns undefined. */
export async function serveMetrics(
  metrics: OspMetrics,
  options: { port: number; host?: string },
): Promise<{ server: Server; port: number; host: string } | undefined> {
  if (options.port === 0) return undefined;
  const host = options.host ?? DEFAULT_PROMETHEUS_HOST;
  const server = createServer((req, res) => {
    if (req.method !== 'GET' || (req.url ?? '').split('?')[0] !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('only GET /metrics here\n');
      return;
    }
    metrics.registry.metrics().then(
      (text) => res.writeHead(200, { 'content-type': metrics.registry.contentType }).end(text),
      (error: unknown) =>
        res.writeHead(500, { 'content-type': 'text/plain' }).end(`${(error as Error).message}\n`),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(
        new AgentError(
          error.code === 'EADDRINUSE' ? 'conflict' : 'io',
          `cannot serve Prometheus metrics on ${host}:${options.port}: ${error.message} (set PROMETHEUS_PORT to another port, or 0 to disable)`,
          { field: 'PROMETHEUS_PORT' },
        ),
      ),
    );
    server.listen(options.port, host, () => resolve());
  });
  const address = server.address();
  return {
    server,
    port: typeof address === 'object' && address !== null ? address.port : options.port,
    host,
  };
}
