import type { ContractShape } from './define.ts';

/** Requests of the icinga module (filled in by its issue). */
export const icingaContract = {} satisfies ContractShape;

// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface IcingaEvents {}
