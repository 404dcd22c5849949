import type { WizardProps } from './wizards.tsx';

export function IcingaWizard(_props: WizardProps) {
  return null;
}
