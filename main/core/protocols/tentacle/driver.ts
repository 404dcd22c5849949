/**
 * The queue's view of Tentacle targets (TargetDriver): one file per SEND,
 * one item at a time (window 1: a server session is strictly lock-step, §2,
 * and is never kept open idle, §12).
 *
 * A target may have a secondary server (pandora-remote-config.md §11–§14):
 * `on_error` items try the primary first and go to the secondary when it
 * fails; `always` gives every item a copy of its own addressed to the
 * secondary (queue address `<target>/secondary`), so that either server being
 * down holds back only its own items.
 */
import { join } from 'node:path';
import type { AgentContext } from '../../context.ts';
import { AgentError, toAgentError } from '../../contract/errors.ts';
import type { FilePayload, QueueItem } from '../../contract/queue-items.ts';
import type { DeliveryContext, TargetDriver } from '../../targets/driver.ts';
import { queueAddress, type TargetRecord, type TargetStatus } from '../../contract/targets.ts';
import { FileExistsError, TentacleClient, TENTACLE_TMP_DIR } from './transfer.ts';
import {
  clientOptions,
  connectionWarnings,
  readTargetSecrets,
  SECONDARY,
  secondaryConnection,
  tentacleTargetConfigSchema,
  type TentacleConnection,
  type TentacleTargetConfig,
} from './config.ts';
import { assertFileName } from './names.ts';
import { PandoraResultFiles } from './check-results.ts';
import { isSecurityWarning } from '../../contract/warnings.ts';

export const TENTACLE_WINDOW = 1;

/**
 * §14.2: after the primary failed a file in `on_error` mode, the files that
 * follow go straight to the secondary for this long instead of each paying
 * the primary's connect timeout again; the next file after it tries the
 * primary first again.
 */
const PRIMARY_BREAKER_MS = 60_000;

const INSECURE_DETAIL = 'TLS server certificate NOT verified (--insecure)';

/** One server a file goes to: the primary (`destination` undefined) or the secondary. */
interface Destination {
  destination: typeof SECONDARY | undefined;
  connection: TentacleConnection;
}

function server(connection: TentacleConnection): string {
  return `${connection.host}:${connection.port}`;
}

export function createTentacleDriver(ctx: AgentContext): TargetDriver<TentacleTargetConfig> {
  /** Per queue address: the target's own (primary) and `<target>/secondary`. */
  const statuses = new Map<string, TargetStatus>();
  /** Per target: until when `on_error` files skip the primary (§14.2). */
  const primaryDownUntil = new Map<string, number>();
  const resultFiles = new PandoraResultFiles(ctx);
  const log = ctx.log.child('tentacle');
  const setStatus = (
    target: TargetRecord<TentacleTargetConfig>,
    address: string,
    status: TargetStatus,
  ): void => {
    statuses.set(address, status);
    // Delivery already parsed the config: not parsed again for each status change.
    ctx.events.emit('target.state', {
      target: target.name,
      status: targetStatus(target.name, target.config),
    });
  };

  /** The primary's state; with a secondary server, the detail shows both (§14). */
  function targetStatus(name: string, config: TentacleTargetConfig | undefined): TargetStatus {
    const primary = statuses.get(name) ?? { state: 'idle' };
    if (config === undefined) return primary;
    const secondary = config.secondary;
    const insecure = config.insecure || secondary?.insecure === true;
    if (secondary === undefined)
      return insecure && primary.detail === undefined
        ? { ...primary, detail: INSECURE_DETAIL }
        : primary;
    const other = statuses.get(queueAddress(name, SECONDARY)) ?? { state: 'idle' };
    const describe = (label: string, s: TargetStatus): string =>
      `${label}: ${s.state}${s.lastError === undefined ? '' : ` (${s.lastError})`}`;
    const status: TargetStatus = {
      ...primary,
      detail: [
        describe(`primary ${server(config)}`, primary),
        describe(`secondary ${server(secondary)} (${secondary.mode})`, other),
        ...(insecure ? [INSECURE_DETAIL] : []),
      ].join('; '),
    };
    const lastDeliveryAt = Math.max(primary.lastDeliveryAt ?? 0, other.lastDeliveryAt ?? 0);
    if (lastDeliveryAt > 0) status.lastDeliveryAt = lastDeliveryAt;
    return status;
  }

  /** One SEND of the spooled file to one server; resolves only on its final SEND OK (§4.1). */
  async function sendTo(
    target: TargetRecord<TentacleTargetConfig>,
    to: Destination,
    item: QueueItem,
    file: FilePayload,
    delivery: DeliveryContext,
  ): Promise<void> {
    const address = queueAddress(target.name, to.destination);
    const previous = statuses.get(address);
    setStatus(target, address, {
      ...previous,
      state: 'connecting',
      detail: `sending ${file.fileName}`,
    });
    let client: TentacleClient | undefined;
    try {
      // Each server with its own secrets: the primary's password never goes to the secondary (§14.5).
      const secrets = await readTargetSecrets(ctx, target.name, to.destination);
      const options = await clientOptions(to.connection, secrets, {
        signal: delivery.signal,
        tmpDir: join(ctx.paths.root, TENTACLE_TMP_DIR),
      });
      for (const warning of connectionWarnings(to.connection, secrets).filter(isSecurityWarning)) {
        log.warn(warning.message, { target: address });
      }
      client = await TentacleClient.connect(options);
      try {
        await client.send(file.path, {
          name: file.fileName,
          zip: to.connection.zip,
          onProgress: (p) => {
            delivery.progress(p.bytes);
            ctx.events.emit('tentacle.progress', {
              target: target.name,
              server: server(to.connection),
              direction: 'send',
              name: p.name,
              bytes: p.bytes,
              total: p.total,
            });
          },
        });
      } catch (error) {
        // §14.3: a resent file the server already has was stored by an attempt whose final OK
        // was lost; refusing it for ever would jam the queue.
        if (!(error instanceof FileExistsError) || item.attempts < 2) throw error;
        log.info('resent file already on the server: counted as delivered', {
          target: address,
          file: file.fileName,
          item: item.id,
        });
      }
      await client.quit();
      log.info('file delivered', {
        target: address,
        server: server(to.connection),
        file: file.fileName,
        bytes: file.size,
        item: item.id,
      });
      setStatus(target, address, {
        state: 'idle',
        lastDeliveryAt: Date.now(),
        ...(to.connection.insecure ? { detail: INSECURE_DETAIL } : {}),
      });
    } catch (error) {
      client?.close();
      const agentError = toAgentError(error);
      log.warn('delivery failed', {
        target: address,
        server: server(to.connection),
        file: file.fileName,
        item: item.id,
        error: agentError.message,
        transient: agentError.transient,
      });
      setStatus(target, address, {
        state: agentError.transient ? 'retrying' : 'failed',
        lastError: agentError.message,
        ...(previous?.lastDeliveryAt === undefined
          ? {}
          : { lastDeliveryAt: previous.lastDeliveryAt }),
      });
      throw agentError;
    }
  }

  /** `on_error` (§12.1): primary first, the secondary when it fails; done when either accepted. */
  async function sendWithFallback(
    target: TargetRecord<TentacleTargetConfig>,
    secondary: TentacleConnection,
    item: QueueItem,
    file: FilePayload,
    delivery: DeliveryContext,
  ): Promise<void> {
    const primary = { destination: undefined, connection: target.config };
    const skipPrimary = (primaryDownUntil.get(target.name) ?? 0) > Date.now();
    let primaryError: AgentError | undefined;
    if (!skipPrimary) {
      try {
        await sendTo(target, primary, item, file, delivery);
        primaryDownUntil.delete(target.name);
        return;
      } catch (error) {
        primaryError = toAgentError(error);
        if (delivery.signal.aborted) throw primaryError;
        primaryDownUntil.set(target.name, Date.now() + PRIMARY_BREAKER_MS);
      }
    }
    try {
      await sendTo(target, { destination: SECONDARY, connection: secondary }, item, file, delivery);
    } catch (error) {
      const secondaryError = toAgentError(error);
      // The retry policy follows whichever server may still take it.
      throw new AgentError(
        secondaryError.code,
        `${primaryError === undefined ? `primary ${server(target.config)} skipped after a recent failure` : `primary ${server(target.config)}: ${primaryError.message}`}; secondary ${server(secondary)}: ${secondaryError.message}`,
        {
          transient: secondaryError.transient || primaryError?.transient !== false,
          cause: secondaryError,
        },
      );
    }
  }

  return {
    kind: 'tentacle',
    configSchema: tentacleTargetConfigSchema,
    accepts: ['file'],
    window: TENTACLE_WINDOW,
    checkNaming: ['agentName', 'moduleName', 'pandoraModule'],
    deliverCheckResult: (target, delivery) => resultFiles.deliver(target, delivery),

    // Runs on every enqueue: a saved config was validated when it was saved,
    // so reading the one field is enough (no parse per item).
    copyDestinations(target) {
      const config = target.config as { secondary?: { mode?: unknown } } | null | undefined;
      return config?.secondary?.mode === 'always' ? [SECONDARY] : [];
    },

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
      const record = { ...target, config };
      const file = item.payload.file;
      const secondary = config.secondary;
      if (delivery.destination === SECONDARY) {
        if (secondary === undefined) {
          throw new AgentError(
            'refused',
            `target '${target.name}' has no secondary server any more: this copy has nowhere to go (cancel it)`,
          );
        }
        return sendTo(
          record,
          { destination: SECONDARY, connection: secondaryConnection(secondary) },
          item,
          file,
          delivery,
        );
      }
      if (delivery.destination !== undefined) {
        throw new AgentError(
          'refused',
          `target '${target.name}' has no destination '${delivery.destination}'`,
        );
      }
      if (secondary?.mode === 'on_error') {
        return sendWithFallback(record, secondaryConnection(secondary), item, file, delivery);
      }
      return sendTo(record, { destination: undefined, connection: config }, item, file, delivery);
    },

    status: (target) => {
      const config = tentacleTargetConfigSchema.safeParse(target.config);
      return targetStatus(target.name, config.success ? config.data : undefined);
    },
  };
}
