/**
 * The queue's view of Tentacle targets (TargetDriver): one file per SEND,
 * one item at a time (window 1: a server session is strictly lock-step, §2,
 * and is never kept open idle, §12).
 */
import { join } from 'node:path';
import type { AgentContext } from '../../context.ts';
import { AgentError, toAgentError } from '../../contract/errors.ts';
import type { QueueItem } from '../../contract/queue-items.ts';
import type { DeliveryContext, TargetDriver } from '../../targets/driver.ts';
import type { TargetRecord, TargetStatus } from '../../contract/targets.ts';
import { TentacleClient, TENTACLE_TMP_DIR } from './transfer.ts';
import {
  clientOptions,
  connectionWarnings,
  readTargetSecrets,
  tentacleTargetConfigSchema,
  type TentacleTargetConfig,
} from './config.ts';
import { assertFileName } from './names.ts';
import { PandoraResultFiles } from './check-results.ts';
import { isSecurityWarning } from '../../contract/warnings.ts';

export const TENTACLE_WINDOW = 1;

export function createTentacleDriver(ctx: AgentContext): TargetDriver<TentacleTargetConfig> {
  const statuses = new Map<string, TargetStatus>();
  const resultFiles = new PandoraResultFiles(ctx);
  const setStatus = (target: string, status: TargetStatus): void => {
    statuses.set(target, status);
    ctx.events.emit('target.state', { target, status });
  };

  return {
    kind: 'tentacle',
    configSchema: tentacleTargetConfigSchema,
    accepts: ['file'],
    window: TENTACLE_WINDOW,
    checkNaming: ['agentName', 'moduleName', 'pandoraModule'],
    deliverCheckResult: (target, delivery) => resultFiles.deliver(target, delivery),

    validate(_target, item) {
      if (item.payload.kind !== 'file') {
        throw new AgentError(
          'invalid-request',
          `Tentacle targets take files only, not ${item.payload.kind} items`,
          { field: 'kind' },
        );
      }
      assertFileName(item.payload.file.fileName, 'fileName');
    },

    /** One SEND of the spooled file; resolves only on the server's final SEND OK (§4.1). */
    async deliver(
      target: TargetRecord<TentacleTargetConfig>,
      item: QueueItem,
      delivery: DeliveryContext,
    ): Promise<void> {
      if (item.payload.kind !== 'file') {
        throw new AgentError(
          'refused',
          `Tentacle targets take files only, not ${item.payload.kind} items`,
        );
      }
      const config = tentacleTargetConfigSchema.parse(target.config);
      const file = item.payload.file;
      const log = ctx.log.child('tentacle');
      const previous = statuses.get(target.name);
      setStatus(target.name, {
        ...previous,
        state: 'connecting',
        detail: `sending ${file.fileName}`,
      });
      let client: TentacleClient | undefined;
      try {
        const secrets = await readTargetSecrets(ctx, target.name);
        const options = await clientOptions(config, secrets, {
          signal: delivery.signal,
          tmpDir: join(ctx.paths.root, TENTACLE_TMP_DIR),
        });
        for (const warning of connectionWarnings(config, secrets).filter(isSecurityWarning)) {
          log.warn(warning.message, { target: target.name });
        }
        client = await TentacleClient.connect(options);
        await client.send(file.path, {
          name: file.fileName,
          zip: config.zip,
          onProgress: (p) => {
            delivery.progress(p.bytes);
            ctx.events.emit('tentacle.progress', {
              target: target.name,
              server: `${config.host}:${config.port}`,
              direction: 'send',
              name: p.name,
              bytes: p.bytes,
              total: p.total,
            });
          },
        });
        await client.quit();
        log.info('file delivered', {
          target: target.name,
          file: file.fileName,
          bytes: file.size,
          item: item.id,
        });
        setStatus(target.name, {
          state: 'idle',
          lastDeliveryAt: Date.now(),
          ...(config.insecure
            ? { detail: 'TLS server certificate NOT verified (--insecure)' }
            : {}),
        });
      } catch (error) {
        client?.close();
        const agentError = toAgentError(error);
        log.warn('delivery failed', {
          target: target.name,
          file: file.fileName,
          item: item.id,
          error: agentError.message,
          transient: agentError.transient,
        });
        setStatus(target.name, {
          state: agentError.transient ? 'retrying' : 'failed',
          lastError: agentError.message,
          ...(previous?.lastDeliveryAt === undefined
            ? {}
            : { lastDeliveryAt: previous.lastDeliveryAt }),
        });
        throw agentError;
      }
    },

    status(target) {
      const status = statuses.get(target.name) ?? { state: 'idle' };
      const config = tentacleTargetConfigSchema.safeParse(target.config);
      if (config.success && config.data.insecure && status.detail === undefined) {
        return { ...status, detail: 'TLS server certificate NOT verified (--insecure)' };
      }
      return status;
    },
  };
}
