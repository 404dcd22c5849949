import { z } from 'zod';

export const TOY_KIND = 'toy';
export const TOY_DEFAULT_PORT = 7777;

export const toyTargetConfigSchema = z
  .object({ host: z.string().min(1), port: z.number().int().min(1).max(65535) })
  .strict();
export type ToyTargetConfig = z.output<typeof toyTargetConfigSchema>;
