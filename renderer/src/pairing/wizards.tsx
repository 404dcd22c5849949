import type { ComponentType } from 'react';
import type { TargetSummary } from '../../../main/core/api.ts';
import { GorgoneWizard } from './GorgoneWizard.tsx';
import { IcingaWizard } from './IcingaWizard.tsx';
import { OnsphereWizard } from './OnsphereWizard.tsx';
import { TentacleWizard } from './TentacleWizard.tsx';

export interface WizardProps {
  /** Set when reopening the wizard of a paired target: its current settings are shown. */
  existing: string | undefined;
  done(): void;
}

export const WIZARDS: Record<TargetSummary['kind'], ComponentType<WizardProps>> = {
  icinga: IcingaWizard,
  tentacle: TentacleWizard,
  gorgone: GorgoneWizard,
  onsphere: OnsphereWizard,
};
