import { useCallback, useEffect, useRef, useState } from 'react';
import { AgentProvider, useAgent } from './agent.tsx';
import { Icon } from './icons.tsx';
import { I18nProvider, LANGUAGES, useI18n, type Language } from './i18n/index.tsx';
import { PAGES } from './pages/index.ts';
import { applyTheme } from './theme.ts';
import type { Transport } from './transport/index.ts';

function readRoute(): string[] {
  const parts = window.location.hash
    .replace(/^#\/?/, '')
    .split('/')
    .filter((p) => p !== '');
  return parts.length === 0 ? ['overview'] : parts;
}

export function App(props: { transport: Transport }) {
  const [language, setLanguage] = useState<Language>('en');
  useEffect(() => {
    props.transport.call('getSettings', {}).then(
      (settings) => {
        if ((LANGUAGES as readonly string[]).includes(settings.agent.language))
          setLanguage(settings.agent.language);
        applyTheme(settings.agent.theme);
      },
      () => undefined,
    );
  }, [props.transport]);
  useEffect(() => {
    document.documentElement.lang = language;
  }, [language]);
  return (
    <AgentProvider value={props.transport}>
      <I18nProvider language={language} setLanguage={setLanguage}>
        <Shell />
      </I18nProvider>
    </AgentProvider>
  );
}

function Shell() {
  const { t } = useI18n();
  const agent = useAgent();
  const [route, setRoute] = useState(readRoute);
  const [connected, setConnected] = useState(true);
  useEffect(() => {
    const onHash = (): void => setRoute(readRoute());
    window.addEventListener('hashchange', onHash);
    // A hash change between the first render and this effect would otherwise be missed.
    onHash();
    return () => window.removeEventListener('hashchange', onHash);
  }, []);
  useEffect(() => agent.onConnection(setConnected), [agent]);
  const navigate = useCallback((path: string) => {
    window.location.hash = `#/${path}`;
  }, []);
  const [pageId = 'overview', ...params] = route;
  const page = PAGES.find((p) => p.id === pageId) ?? PAGES[0]!;
  const Page = page.component;
  const firstPage = useRef(true);
  useEffect(() => {
    document.title = `${t(page.label)} · Outpost`;
    // After a navigation, focus moves to the new page (screen readers announce it); not on first load.
    if (firstPage.current) firstPage.current = false;
    else document.getElementById('main')?.focus({ preventScroll: true });
  }, [page, t]);

  return (
    <div className="layout">
      <a
        className="skip-link"
        href="#main"
        onClick={(e) => (e.preventDefault(), document.getElementById('main')?.focus())}
      >
        {t('common.skipToContent')}
      </a>
      <nav className="sidebar" aria-label={t('nav.label')}>
        <div className="brand">
          <img src="./favicon.svg" alt="" width={28} height={28} />
          <span>Outpost</span>
        </div>
        <ul>
          {PAGES.map((p) => (
            <li key={p.id}>
              <a
                href={`#/${p.id}`}
                className={p.id === page.id ? 'active' : undefined}
                aria-current={p.id === page.id ? 'page' : undefined}
              >
                <span className="nav-icon">
                  <Icon name={p.id} />
                </span>
                {t(p.label)}
              </a>
            </li>
          ))}
        </ul>
        <div className="sidebar-foot">
          <span className={`dot ${connected ? 'dot-ok' : 'dot-bad'}`} aria-hidden="true" />
          <span>{connected ? t('app.connected') : t('app.disconnected')}</span>
        </div>
      </nav>
      <main id="main" tabIndex={-1}>
        {!connected && (
          <div className="banner banner-warning" role="alert">
            {t('app.disconnectedLong')}
          </div>
        )}
        <Page key={page.id} params={params} navigate={navigate} />
      </main>
    </div>
  );
}
