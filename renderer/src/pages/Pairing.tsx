import type { TargetSummary } from '../../../main/core/contract/index.ts';
import { Card, PageHeader } from '../components.tsx';
import { useI18n, type MessageKey } from '../i18n/index.tsx';
import { WIZARDS } from '../pairing/wizards.tsx';
import type { PageProps } from './page.ts';
import { KIND_LABEL } from '../target-labels.ts';

type Kind = TargetSummary['kind'];
const KINDS: readonly Kind[] = ['icinga', 'tentacle', 'gorgone', 'onsphere'];

const KIND_BLURB: Record<Kind, MessageKey> = {
  icinga: 'pair.blurb.icinga',
  tentacle: 'pair.blurb.tentacle',
  gorgone: 'pair.blurb.gorgone',
  onsphere: 'pair.blurb.onsphere',
};

/** `#/pair` picks a protocol; `#/pair/<kind>[/<target>]` runs (or reopens) its wizard. */
export function PairingPage(props: PageProps) {
  const { t } = useI18n();
  const [kind, existing] = props.params;
  if (kind !== undefined && (KINDS as readonly string[]).includes(kind)) {
    const Wizard = WIZARDS[kind as Kind];
    return (
      <>
        <PageHeader
          title={t('pair.titleKind', { kind: KIND_LABEL[kind as Kind] })}
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
        {KINDS.map((k) => (
          <Card key={k} className="protocol-card" title={KIND_LABEL[k]}>
            <p className="muted">{t(KIND_BLURB[k])}</p>
            <div className="card-foot">
              <a className="btn btn-primary" href={`#/pair/${k}`}>
                {t('pair.start', { kind: KIND_LABEL[k] })}
              </a>
            </div>
          </Card>
        ))}
      </div>
    </>
  );
}
