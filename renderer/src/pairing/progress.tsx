import { useState } from 'react';
import type { TargetSummary } from '../../../main/core/contract/index.ts';
import { useEvent } from '../agent.tsx';

/** What the core reports doing for this target while it pairs; cleared before each attempt. */
export function usePairingProgress(
  kind: TargetSummary['kind'],
  target: string,
): { lines: string[]; clear(): void } {
  const [lines, setLines] = useState<string[]>([]);
  useEvent('pairing.step', (s) => {
    if (s.target === target && s.kind === kind)
      setLines((p) => [...p, `${s.step}${s.detail === undefined ? '' : `: ${s.detail}`}`]);
  });
  return { lines, clear: () => setLines([]) };
}

export function PairingProgress(props: { lines: string[] }) {
  if (props.lines.length === 0) return null;
  return (
    <ol className="progress-list" aria-live="polite">
      {props.lines.map((line, i) => (
        <li key={i}>
          <span aria-hidden="true">•</span> {line}
        </li>
      ))}
    </ol>
  );
}
