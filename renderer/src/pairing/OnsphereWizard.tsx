import { Banner } from '../components.tsx';
import { useI18n, type MessageKey } from '../i18n/index.tsx';
import { ServerStep, WizardFrame } from './frame.tsx';
import { ONSPHERE_FILES } from './server-text.ts';
import type { WizardProps } from './wizards.tsx';

const STEPS: MessageKey[] = [
  'onsphere.step.files',
  'onsphere.step.dispatcher',
  'onsphere.step.done',
];

/**
 * OnSphere (onsphere.md §2.1): the stack's admin exports the module's three
 * PEM files; the import and the dispatcher connection come with the OnSphere
 * module's contract (issue #7).
 */
export function OnsphereWizard(_props: WizardProps) {
  const { t } = useI18n();
  const server = (
    <ServerStep title={t('onsphere.server.files')}>
      <p className="muted small">{t('onsphere.server.filesHint')}</p>
      <ul className="file-list">
        {ONSPHERE_FILES.map((file) => (
          <li key={file}>
            <code className="mono">{file}</code> — {t(`onsphere.file.${file}`)}
          </li>
        ))}
      </ul>
    </ServerStep>
  );
  return (
    <WizardFrame steps={STEPS} current={0} server={server}>
      <h2>{t('onsphere.step.files')}</h2>
      <p>{t('onsphere.intro')}</p>
      <Banner tone="info">{t('onsphere.notInBuild')}</Banner>
    </WizardFrame>
  );
}
