import type { ContractShape } from './define.ts';

/** Requests of the checks module (filled in by its issue). */
export const checksContract = {} satisfies ContractShape;

// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface ChecksEvents {}
