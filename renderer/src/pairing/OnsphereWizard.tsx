import type { WizardProps } from './wizards.tsx';

export function OnsphereWizard(_props: WizardProps) {
  return null;
}
