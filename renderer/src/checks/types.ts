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

/** The free-text naming fields a check's entry for this target may set (from its driver). */
export function namingFields(
  target: TargetSummary,
): Array<'host' | 'service' | 'agentName' | 'moduleName' | 'valueId'> {
  return target.checkNaming.filter(
    (f): f is 'host' | 'service' | 'agentName' | 'moduleName' | 'valueId' =>
      f !== 'target' && f !== 'pandoraModule',
  );
}

export function stateTone(state: number | undefined): 'ok' | 'warn' | 'bad' | 'idle' {
  return state === 0 ? 'ok' : state === 1 ? 'warn' : state === 2 ? 'bad' : 'idle';
}
export type PandoraAgentSummary = Response<'listPandoraAgents'>[number];
export type PandoraConfChange = NonNullable<PandoraAgentSummary['definition']['lastChange']>;
