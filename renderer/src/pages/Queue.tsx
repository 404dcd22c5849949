import { Card, EmptyState, PageHeader } from '../components.tsx';
import { useI18n } from '../i18n/index.tsx';

export function QueuePage() {
  const { t } = useI18n();
  return (
    <>
      <PageHeader title={t('queue.title')} subtitle={t('queue.subtitle')} />
      <Card>
        <EmptyState title={t('queue.empty')} />
      </Card>
    </>
  );
}
