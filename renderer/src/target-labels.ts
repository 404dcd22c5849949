import type { TargetSummary } from '../../main/core/contract/index.ts';
import type { Tone } from './components.tsx';
import type { MessageKey } from './i18n/index.tsx';

/** How a target's kind and state are shown, on the Overview and in the wizards alike. */
export const STATE_TONE: Record<TargetSummary['status']['state'], Tone> = {
  ready: 'ok',
  idle: 'idle',
  connecting: 'busy',
  pairing: 'busy',
  retrying: 'warn',
  failed: 'bad',
};

export function stateLabel(state: TargetSummary['status']['state']): MessageKey {
  return `state.${state}`;
}

/** The kinds this UI has pairing wizards for; the agent's kinds are an open set. */
export const WIZARD_KINDS = ['icinga', 'tentacle', 'gorgone', 'onsphere'] as const;
export type WizardKind = (typeof WIZARD_KINDS)[number];

export function isWizardKind(kind: string): kind is WizardKind {
  return (WIZARD_KINDS as readonly string[]).includes(kind);
}

const KIND_LABELS: Record<WizardKind, string> = {
  tentacle: 'Pandora FMS Tentacle',
  icinga: 'Icinga 2',
  gorgone: 'Centreon Gorgone',
  onsphere: 'OnSphere',
};

/** A kind as people know it; a kind without a wizard here shows as its own name. */
export function kindLabel(kind: string): string {
  return isWizardKind(kind) ? KIND_LABELS[kind] : kind;
}
