import {
  formatHostPort,
  parseHostPort,
  type HostPort,
} from '../../../main/core/contract/host-port.ts';
import type { SeedSection, SeedTarget } from '../../../main/core/deploy/section.ts';
import { seedTargetName } from '../../../main/core/deploy/seed-values.ts';
import { TOY_DEFAULT_PORT, TOY_KIND } from './config.ts';
import { pairToy } from './pairing.ts';

export interface ToySeed extends SeedTarget {
  server: HostPort;
}

/** The toy's part of the installer seed: `TOY_SERVER` pairs on first start, its key pinned on first use. */
export const toySeed: SeedSection<ToySeed> = {
  kind: TOY_KIND,
  protocol: 'toy',
  lead: 'TOY_SERVER',
  parameters: {
    TOY_SERVER: { description: `toy server HOST[:PORT=${TOY_DEFAULT_PORT}]` },
    TOY_TARGET: { description: 'target name (default toy)' },
  },
  parse: (values) => ({
    target: seedTargetName(values.get('TOY_TARGET') ?? 'toy', 'TOY_TARGET'),
    server: parseHostPort(values.get('TOY_SERVER')!, TOY_DEFAULT_PORT, 'TOY_SERVER'),
    secrets: {},
  }),
  async apply(s, { ctx }) {
    const { key } = await pairToy(ctx, s.target, s.server.host, s.server.port);
    return { outcome: 'created', detail: `paired with ${formatHostPort(s.server)}, key ${key}` };
  },
};
