import type { ContractShape } from './define.ts';

/** Requests of the onsphere module (filled in by its issue). */
export const onsphereContract = {} satisfies ContractShape;

// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface OnsphereEvents {}
