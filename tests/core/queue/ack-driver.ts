import { connect } from 'node:net';
import { z } from 'zod';
import { AgentError } from '../../../main/core/contract/errors.ts';
import type { AgentModule } from '../../../main/core/modules.ts';
import type { QueueItem } from '../../../main/core/contract/queue-items.ts';
import type { TargetDriver } from '../../../main/core/targets/driver.ts';
import { fakeDriver, fakeModule } from '../../fake-driver.ts';

/**
 * A test-only protocol for the queue: one TCP connection per item to an
 * AckServer, resolved on `OK <id>`, permanent failure on `ERR`, transient on
 * a dropped connection: the fake driver (tests/fake-driver.ts) with a delivery.
 */
export const ackConfigSchema = z.object({ port: z.number().int() });

export function ackDriver(
  options: { window?: number; delivered?: string[] } = {},
): TargetDriver<{ port: number }> {
  return fakeDriver<{ port: number }>({
    kind: 'ack',
    configSchema: ackConfigSchema,
    window: options.window ?? 1,
    validate(_target, item) {
      if (item.payload.kind === 'file' && item.payload.file.fileName.includes('/')) {
        throw new AgentError('invalid-request', 'file name must not contain /', { field: 'name' });
      }
    },
    deliver: (target, item: QueueItem, ctx) =>
      new Promise<void>((resolve, reject) => {
        const socket = connect({ port: target.config.port, host: '127.0.0.1' });
        let answered = false;
        const onAbort = (): void => {
          socket.destroy();
          reject(new AgentError('timeout', 'aborted', { transient: true }));
        };
        ctx.signal.addEventListener('abort', onAbort, { once: true });
        socket.on('connect', () => socket.write(`${item.id}\n`));
        socket.on('data', (chunk: Buffer) => {
          const line = chunk.toString('utf8').trim();
          answered = true;
          socket.end();
          ctx.signal.removeEventListener('abort', onAbort);
          if (line === `OK ${item.id}`) {
            options.delivered?.push(item.id);
            ctx.progress(item.bytesTotal);
            resolve();
          } else
            reject(new AgentError('refused', `server refused ${item.id}`, { transient: false }));
        });
        socket.on('error', (error) => {
          ctx.signal.removeEventListener('abort', onAbort);
          reject(
            new AgentError('unreachable', `ack server: ${error.message}`, { transient: true }),
          );
        });
        socket.on('close', () => {
          if (!answered)
            reject(
              new AgentError('unreachable', 'ack server closed the connection', {
                transient: true,
              }),
            );
        });
      }),
  });
}

export function ackModule(options: { window?: number; delivered?: string[] } = {}): AgentModule {
  return fakeModule(ackDriver(options));
}
