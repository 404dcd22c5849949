import { ChecksPage } from './Checks.tsx';
import { IdentityPage } from './Identity.tsx';
import { LogsPage } from './Logs.tsx';
import { OverviewPage } from './Overview.tsx';
import { PairingPage } from './Pairing.tsx';
import { QueuePage } from './Queue.tsx';
import { SettingsPage } from './Settings.tsx';
import type { PageDef } from './page.ts';

/** The sidebar, in order. A module's page (e.g. issue #10's local checks) is one entry here. */
export const PAGES: readonly PageDef[] = [
  { id: 'overview', label: 'nav.overview', component: OverviewPage },
  { id: 'pair', label: 'nav.pair', component: PairingPage },
  { id: 'queue', label: 'nav.queue', component: QueuePage },
  { id: 'checks', label: 'nav.checks', component: ChecksPage },
  { id: 'identity', label: 'nav.identity', component: IdentityPage },
  { id: 'settings', label: 'nav.settings', component: SettingsPage },
  { id: 'logs', label: 'nav.logs', component: LogsPage },
];

export type { PageDef, PageProps } from './page.ts';
