import type { WizardProps } from './wizards.tsx';

export function TentacleWizard(_props: WizardProps) {
  return null;
}
