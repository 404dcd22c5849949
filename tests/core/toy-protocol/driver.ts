import type { AgentContext } from '../../../main/core/context.ts';
import { AgentError } from '../../../main/core/contract/errors.ts';
import type { TargetDriver } from '../../../main/core/targets/driver.ts';
import { TOY_KIND, toyTargetConfigSchema, type ToyTargetConfig } from './config.ts';
import { ToySession } from './session.ts';

export function createToyDriver(ctx: AgentContext): TargetDriver<ToyTargetConfig> {
  return {
    kind: TOY_KIND,
    configSchema: toyTargetConfigSchema,
    accepts: ['message'],
    window: 1,
    checkNaming: ['service'],
    async deliver(target, item) {
      if (item.payload.kind !== 'message') throw new AgentError('refused', 'toy takes messages');
      const pinned = await ctx.identity.pin(target.name);
      const { session, key } = await ToySession.open(target.config.host, target.config.port);
      try {
        if (key !== pinned?.value)
          throw new AgentError('untrusted-peer', `toy server key ${key} is not the pinned one`);
        const result = item.payload.message as {
          host: string;
          service: string;
          state: number;
          output: string;
        };
        const answer = await session.request({ id: item.id, result });
        if (!('ack' in answer) || answer.ack !== item.id)
          throw new AgentError('protocol', 'the toy server did not acknowledge', {
            transient: true,
          });
      } finally {
        session.close();
      }
    },
    async deliverCheckResult(target, delivery) {
      const items = await delivery.enqueue({
        kind: 'message',
        targets: [target.name],
        message: {
          host: delivery.agentName,
          service: delivery.naming.service ?? delivery.check.name,
          state: delivery.result.state,
          output: delivery.result.output,
        },
      });
      return { items };
    },
  };
}
