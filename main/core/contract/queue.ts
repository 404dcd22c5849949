import type { ContractShape } from './define.ts';

/** Requests of the queue module (filled in by its issue). */
export const queueContract = {} satisfies ContractShape;

// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface QueueEvents {}
