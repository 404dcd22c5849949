import { useCall } from '../agent.tsx';
import { Banner, Code, ErrorBanner, KeyValues } from '../components.tsx';
import { useI18n, type MessageKey } from '../i18n/index.tsx';
import { ServerStep, WizardFrame } from './frame.tsx';
import { gorgoneAuthorizedClient } from './server-text.ts';
import type { WizardProps } from './wizards.tsx';

const STEPS: MessageKey[] = ['gorgone.step.authorize', 'gorgone.step.connect', 'gorgone.step.done'];

/**
 * Centreon Gorgone (gorgone.md): the admin authorises our key by its JWK
 * thumbprint in `authorized_clients` (§6); the connection itself comes with
 * the Gorgone module's contract (issue #6).
 */
export function GorgoneWizard(_props: WizardProps) {
  const { t } = useI18n();
  const thumbprint = useCall('getThumbprint', {});
  const server = (
    <ServerStep
      title={t('gorgone.server.authorize')}
      text={
        thumbprint.data === undefined
          ? undefined
          : gorgoneAuthorizedClient(thumbprint.data.thumbprint)
      }
    >
      <p className="muted small">{t('gorgone.server.authorizeHint')}</p>
    </ServerStep>
  );
  return (
    <WizardFrame steps={STEPS} current={0} server={server}>
      <h2>{t('gorgone.step.authorize')}</h2>
      <ErrorBanner error={thumbprint.error} onRetry={thumbprint.reload} />
      <p>{t('gorgone.intro')}</p>
      {thumbprint.data !== undefined && (
        <KeyValues
          rows={[
            [
              t('identity.thumbprint'),
              <Code
                key="t"
                value={thumbprint.data.thumbprint}
                label={t('identity.copyThumbprint')}
                testId="gorgone-thumbprint"
              />,
            ],
            [t('identity.bits'), `RSA ${thumbprint.data.bits}`],
            [
              t('identity.publicKey'),
              <code key="p" className="mono small">
                {thumbprint.data.source}
              </code>,
            ],
          ]}
        />
      )}
      <Banner tone="info">{t('gorgone.notInBuild')}</Banner>
    </WizardFrame>
  );
}
