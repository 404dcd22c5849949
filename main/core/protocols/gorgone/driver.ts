/**
 * The queue's view of a Gorgone central (TargetDriver kind 'gorgone'): a
 * 'message' item `{action, data?, target?}` is sent as one request; delivery
 * resolves on the server's answer with code 0/2 (gorgone.md §3, §9) and fails
 * for good on code 1. Results of module actions are not awaited: the ACK is
 * what the server acknowledges.
 */
import type { AgentContext } from '../../context.ts';
import { AgentError } from '../../contract/errors.ts';
import type { QueueItem } from '../../contract/queue-items.ts';
import type { DeliveryContext, TargetDriver } from '../../targets/driver.ts';
import type { TargetRecord, TargetStatus } from '../../contract/targets.ts';
import { generateToken } from './codec.ts';
import { gorgoneTargetConfigSchema, type GorgoneTargetConfig } from './config.ts';
import { openController } from './controller.ts';
import type { GorgoneRuntime } from './runtime.ts';
import { deliverGorgoneCheckResult } from './check-results.ts';

function messageOf(item: Pick<QueueItem, 'payload'>): {
  action: string;
  data: unknown;
  target: string;
} {
  const payload = item.payload;
  if (payload.kind !== 'message')
    throw new AgentError('invalid-request', 'Gorgone targets take message items only');
  const { action, data, target } = payload.message;
  if (typeof action !== 'string' || !/^[A-Z_-]+$/.test(action)) {
    throw new AgentError(
      'invalid-request',
      'a Gorgone message needs "action": an upper-case Gorgone action name (e.g. PUTLOG)',
      {
        field: 'message.action',
      },
    );
  }
  if (target !== undefined && (typeof target !== 'string' || !/^\d*$/.test(target))) {
    throw new AgentError('invalid-request', 'message.target must be a node id', {
      field: 'message.target',
    });
  }
  return { action, data: data ?? {}, target: (target as string | undefined) ?? '' };
}

export function createGorgoneDriver(
  ctx: AgentContext,
  runtime: GorgoneRuntime,
): TargetDriver<GorgoneTargetConfig> {
  return {
    kind: 'gorgone',
    configSchema: gorgoneTargetConfigSchema,
    accepts: ['message'],
    window: 1,
    validate(_target, item) {
      messageOf(item);
    },
    async deliver(
      target: TargetRecord<GorgoneTargetConfig>,
      item: QueueItem,
      _delivery: DeliveryContext,
    ) {
      const message = messageOf(item);
      const controller = await openController(ctx, target.name);
      try {
        const answer = await controller.session.request(message.action, message.data, {
          token: generateToken(),
          target: message.target,
        });
        const code = Number((answer.json as { code?: unknown } | undefined)?.code);
        if (code !== 0 && code !== 2) {
          throw new AgentError(
            'refused',
            `Gorgone server refused ${message.action}: ${answer.data}`,
          );
        }
      } finally {
        controller.close();
      }
    },
    status(target): TargetStatus {
      return runtime.status(target.name);
    },
    checkNaming: [],
    deliverCheckResult: (_target, delivery) => deliverGorgoneCheckResult(ctx, delivery),
  };
}
