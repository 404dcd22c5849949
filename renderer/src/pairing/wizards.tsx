import type { ComponentType } from 'react';
import type { WizardKind } from '../target-labels.ts';
import { GorgoneWizard } from './GorgoneWizard.tsx';
import { IcingaWizard } from './IcingaWizard.tsx';
import { OnsphereWizard } from './OnsphereWizard.tsx';
import { TentacleWizard } from './TentacleWizard.tsx';
import type { WizardProps } from './wizard-props.ts';

export const WIZARDS: Record<WizardKind, ComponentType<WizardProps>> = {
  icinga: IcingaWizard,
  tentacle: TentacleWizard,
  gorgone: GorgoneWizard,
  onsphere: OnsphereWizard,
};

export type { WizardProps } from './wizard-props.ts';
