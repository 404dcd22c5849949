import type { AgentContext } from '../../../main/core/context.ts';
import { TOY_DEFAULT_PORT, TOY_KIND } from './config.ts';
import { ToySession } from './session.ts';

/** From nothing to a saved target whose server key is pinned on first use. */
export async function pairToy(
  ctx: AgentContext,
  name: string,
  host: string,
  port = TOY_DEFAULT_PORT,
): Promise<{ key: string }> {
  const { session, key } = await ToySession.open(host, port);
  session.close();
  await ctx.identity.setPin({ target: name, kind: 'tls-sha256', value: key, subject: 'toy' });
  ctx.targets.save(name, TOY_KIND, { host, port });
  return { key };
}
