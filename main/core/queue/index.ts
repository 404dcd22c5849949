import type { AgentHandlers } from '../contract/index.ts';
import type { QueueContext } from '../context.ts';
import type { EnqueueResult, QueueItemView, queueContract } from '../contract/queue.ts';
import type { HandlersOf } from '../contract/define.ts';
import { AgentError, toAgentError } from '../contract/errors.ts';
import { ensurePrivateDir } from '../fsutil.ts';
import { newItemId } from './item-id.ts';
import { DeliveryLock } from './lock.ts';
import type { QueueService } from './model.ts';
import type { EnqueueRequest, ItemPayload, QueueItem } from '../contract/queue-items.ts';
import { Scheduler, type SchedulerOptions } from './scheduler.ts';
import { TransferQueue, type FreeSpaceProbe, type QueueClock } from './service.ts';
import { readQueueSettings, writeQueueSettings } from './settings.ts';
import { QueueStore } from './store.ts';
import { pause } from '../abort.ts';

export interface OpenedQueue {
  service: QueueService;
  handlers: Partial<AgentHandlers>;
  /** Delivers until `signal` aborts, in the one process that holds the delivery lock. */
  run?(signal: AbortSignal): Promise<void>;
  close(): Promise<void>;
}

export interface QueueOptions extends SchedulerOptions {
  clock?: QueueClock;
  freeSpace?: FreeSpaceProbe;
  /** How often a process that does not hold the delivery lock tries to take it over. */
  lockRetryMs?: number;
}

/** Opens the durable transfer queue (issue #3): store, enqueue side, scheduler. */
export async function openQueue(
  ctx: QueueContext,
  options: QueueOptions = {},
): Promise<OpenedQueue> {
  await ensurePrivateDir(ctx.paths.root);
  const store = new QueueStore(ctx.paths.queueDb);
  const queue = new TransferQueue(ctx, store, options);
  const lock = new DeliveryLock(ctx.paths.deliveryLock, ctx.paths.deliveryOwner);

  const view = (item: QueueItem): QueueItemView => item as QueueItemView;

  /** `--now`: straight to the target's driver, no queue; resolves on acknowledgement. */
  const deliverNow = async (targets: string[], payload: ItemPayload): Promise<EnqueueResult> => {
    const failures: string[] = [];
    let firstError: AgentError | undefined;
    const delivered: string[] = [];
    for (const name of [...new Set(targets)]) {
      const target = ctx.targets.get(name, 'targets');
      const driver = ctx.targets.driver(target.kind);
      if (!driver.accepts.includes(payload.kind)) {
        throw new AgentError(
          'invalid-request',
          `target '${name}' (${target.kind}) does not take ${payload.kind} items`,
          {
            field: 'targets',
          },
        );
      }
      driver.validate?.(target, { payload });
      const item: QueueItem = {
        id: newItemId(),
        target: name,
        payload,
        state: 'sending',
        createdAt: Date.now(),
        attempts: 1,
        nextAttemptAt: Date.now(),
        lastError: undefined,
        bytesTotal: Buffer.byteLength(JSON.stringify(payload)),
        bytesSent: 0,
        deliveredAt: undefined,
      };
      try {
        await driver.deliver(target, item, {
          signal: AbortSignal.timeout(60_000),
          progress: () => undefined,
        });
        delivered.push(name);
      } catch (error) {
        const agentError = toAgentError(error);
        firstError ??= agentError;
        failures.push(`${name}: ${agentError.message}`);
      }
    }
    if (firstError !== undefined) {
      throw new AgentError(firstError.code, `not delivered to ${failures.join('; ')}`, {
        transient: firstError.transient,
      });
    }
    return { items: [], delivered };
  };

  const enqueueOrDeliver = async (
    request: EnqueueRequest,
    now: boolean,
  ): Promise<EnqueueResult> => {
    if (now && request.kind !== 'file') {
      const payload: ItemPayload =
        request.kind === 'check-result'
          ? { kind: 'check-result', result: request.result }
          : request.kind === 'value'
            ? { kind: 'value', value: request.value }
            : { kind: 'message', message: request.message };
      return deliverNow(request.targets, payload);
    }
    return { items: (await queue.enqueue(request)).map(view), delivered: [] };
  };

  const setPaused = (paused: boolean): { paused: boolean } => {
    writeQueueSettings(ctx.settings, { paused });
    ctx.log.info(paused ? 'sending paused' : 'sending resumed');
    return { paused };
  };

  const handlers: HandlersOf<typeof queueContract> = {
    enqueueFile: async ({ targets, path, name }) =>
      enqueueOrDeliver(
        {
          kind: 'file',
          targets,
          filePath: path,
          ...(name === undefined ? {} : { fileName: name }),
        },
        false,
      ),
    enqueueCheckResult: async ({ targets, result, now }) => {
      const at = Date.now() / 1000;
      const full = {
        ...result,
        executionStart: result.executionStart ?? at,
        executionEnd: result.executionEnd ?? at,
      };
      return enqueueOrDeliver({ kind: 'check-result', targets, result: full }, now);
    },
    enqueueValue: async ({ targets, value, now }) => {
      const full = { ...value, timestamp: value.timestamp ?? Date.now() };
      return enqueueOrDeliver({ kind: 'value', targets, value: full }, now);
    },
    listQueue: async ({ state, target, limit, beforeSeq }) =>
      store.list({
        limit,
        ...(state === undefined ? {} : { state }),
        ...(target === undefined ? {} : { target }),
        ...(beforeSeq === undefined ? {} : { beforeSeq }),
      }),
    getQueueItem: async ({ id }) => queue.require(id),
    retryQueueItem: async ({ id }) => view(await queue.retry(id)),
    retryFailed: async ({ target }) => ({ retried: await queue.retryFailed(target) }),
    cancelQueueItem: async ({ id }) => view(await queue.cancel(id)),
    pauseTarget: async ({ target }) => ({
      target,
      paused: ctx.targets.setPaused(target, true).paused,
    }),
    resumeTarget: async ({ target }) => ({
      target,
      paused: ctx.targets.setPaused(target, false).paused,
    }),
    pauseSending: async () => setPaused(true),
    resumeSending: async () => setPaused(false),
    getQueueStats: async () => queue.stats(lock.owner()),
    getQueueSettings: async () => readQueueSettings(ctx.settings),
    updateQueueSettings: async (patch) =>
      writeQueueSettings(
        ctx.settings,
        Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== undefined)),
      ),
  };

  const run = async (signal: AbortSignal): Promise<void> => {
    let told = false;
    while (!signal.aborted && !(await lock.tryAcquire())) {
      if (!told) {
        ctx.log.info(
          'another Outpost process delivers from this data directory; waiting to take over',
          { pid: process.pid, deliveringPid: lock.owner() },
        );
        told = true;
      }
      await pause(options.lockRetryMs ?? 2_000, signal);
    }
    if (signal.aborted) return;
    ctx.log.info('this process delivers from this data directory', { pid: process.pid });
    try {
      const requeued = store.requeueSending(Date.now());
      if (requeued > 0)
        ctx.log.warn('items in flight at the last stop are queued again (at-least-once)', {
          count: requeued,
        });
      await new Scheduler(ctx, queue, options).run(signal);
    } finally {
      lock.release();
    }
  };

  return {
    service: queue,
    handlers,
    run,
    close: async () => {
      lock.close();
      store.close();
    },
  };
}
