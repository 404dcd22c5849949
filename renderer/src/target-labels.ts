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

export const KIND_LABEL: Record<TargetSummary['kind'], string> = {
  tentacle: 'Pandora FMS Tentacle',
  icinga: 'Icinga 2',
  gorgone: 'Centreon Gorgone',
  onsphere: 'OnSphere',
};
