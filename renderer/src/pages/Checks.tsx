import { Card, EmptyState, PageHeader } from '../components.tsx';
import { useI18n } from '../i18n/index.tsx';

/**
 * Local checks (issue #10): the page its module fills with the checks the
 * agent runs on this machine. Registered in pages/index.ts.
 */
export function ChecksPage() {
  const { t } = useI18n();
  return (
    <>
      <PageHeader title={t('checks.title')} subtitle={t('checks.subtitle')} />
      <Card>
        <EmptyState title={t('checks.empty')}>
          <p className="muted">{t('checks.emptyBody')}</p>
        </EmptyState>
      </Card>
    </>
  );
}
