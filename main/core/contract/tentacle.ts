import type { ContractShape } from './define.ts';

/** Requests of the tentacle module (filled in by its issue). */
export const tentacleContract = {} satisfies ContractShape;

// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface TentacleEvents {}
