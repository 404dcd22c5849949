import type { Request, Response } from '../transport/index.ts';

/** Shapes of the checks contract, derived from the AgentApi (the renderer imports nothing else from the core). */
export type CheckSummary = Response<'listChecks'>[number];
export type CheckDefinition = CheckSummary['definition'];
export type CheckDefinitionInput = Request<'addCheck'>;
export type CheckTargetNaming = CheckDefinitionInput['targets'][number];
export type CheckResult = Response<'runCheckNow'>['result'];
export type CheckRunOutcome = Response<'runCheckNow'>;
export type BuiltinPreset = Response<'listBuiltinPresets'>[number];
export type ImportReport = Response<'importPandora'>;
export type TargetSummary = Response<'listTargets'>[number];

/** Naming fields each target kind reads (mirrors the core's NAMING_FIELDS). */
export const NAMING: Record<
  TargetSummary['kind'],
  Array<'host' | 'service' | 'agentName' | 'moduleName' | 'valueId'>
> = {
  icinga: ['host', 'service'],
  tentacle: ['agentName', 'moduleName'],
  onsphere: ['valueId'],
  gorgone: [],
};

export function stateTone(state: number | undefined): 'ok' | 'warn' | 'bad' | 'idle' {
  return state === 0 ? 'ok' : state === 1 ? 'warn' : state === 2 ? 'bad' : 'idle';
}
