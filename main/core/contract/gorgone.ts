import type { ContractShape } from './define.ts';

/** Requests of the gorgone module (filled in by its issue). */
export const gorgoneContract = {} satisfies ContractShape;

// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface GorgoneEvents {}
