import type { WizardProps } from './wizards.tsx';

export function GorgoneWizard(_props: WizardProps) {
  return null;
}
