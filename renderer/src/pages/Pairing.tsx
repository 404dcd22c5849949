import { Card, PageHeader } from '../components.tsx';
import { useI18n, type MessageKey } from '../i18n/index.tsx';
import { WIZARDS } from '../pairing/wizards.tsx';
import type { PageProps } from './page.ts';
import { isWizardKind, kindLabel, WIZARD_KINDS, type WizardKind } from '../target-labels.ts';

const KIND_BLURB: Record<WizardKind, MessageKey> = {
  icinga: 'pair.blurb.icinga',
  tentacle: 'pair.blurb.tentacle',
  gorgone: 'pair.blurb.gorgone',
  onsphere: 'pair.blurb.onsphere',
};

/** `#/pair` picks a protocol; `#/pair/<kind>[/<target>]` runs (or reopens) its wizard. */
export function PairingPage(props: PageProps) {
  const { t } = useI18n();
  const [kind, existing] = props.params;
  if (kind !== undefined && isWizardKind(kind)) {
    const Wizard = WIZARDS[kind];
    return (
      <>
        <PageHeader
          title={t('pair.titleKind', { kind: kindLabel(kind) })}
          actions={
            <button type="button" className="btn btn-ghost" onClick={() => props.navigate('pair')}>
              {t('pair.otherProtocol')}
            </button>
          }
        />
        <Wizard
          existing={existing === undefined ? undefined : decodeURIComponent(existing)}
          done={() => props.navigate('overview')}
        />
      </>
    );
  }
  return (
    <>
      <PageHeader title={t('pair.title')} subtitle={t('pair.subtitle')} />
      <div className="grid">
        {WIZARD_KINDS.map((k) => (
          <Card key={k} className="protocol-card" title={kindLabel(k)}>
            <p className="muted">{t(KIND_BLURB[k])}</p>
            <div className="card-foot">
              <a className="btn btn-primary" href={`#/pair/${k}`}>
                {t('pair.start', { kind: kindLabel(k) })}
              </a>
            </div>
          </Card>
        ))}
      </div>
    </>
  );
}
