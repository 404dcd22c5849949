import { ENGLISH_TRAY_LABELS, type TrayLabels } from './tray-menu.ts';

/** The tray speaks the language chosen in Settings, like the window (en/fr/de). */
export const TRAY_LABELS: Record<'en' | 'fr' | 'de', TrayLabels> = {
  en: ENGLISH_TRAY_LABELS,
  fr: {
    open: 'Ouvrir Outpost',
    pair: 'Appairer un serveur…',
    pause: 'Suspendre les envois',
    resume: 'Reprendre les envois',
    startAtLogin: 'Démarrer à l’ouverture de session',
    openLogs: 'Ouvrir le dossier des journaux',
    diagnostics: 'Collecter les diagnostics…',
    quit: 'Quitter',
    tooltip: {
      ok: 'Outpost : tout est livré',
      busy: 'Outpost : nouvelle tentative ou appairage en attente',
      bad: 'Outpost : un envoi a échoué, ouvrez Outpost',
    },
  },
  de: {
    open: 'Outpost öffnen',
    pair: 'Server koppeln…',
    pause: 'Senden pausieren',
    resume: 'Senden fortsetzen',
    startAtLogin: 'Bei der Anmeldung starten',
    openLogs: 'Protokollordner öffnen',
    diagnostics: 'Diagnose sammeln…',
    quit: 'Beenden',
    tooltip: {
      ok: 'Outpost: alles zugestellt',
      busy: 'Outpost: neuer Versuch oder Kopplung ausstehend',
      bad: 'Outpost: etwas ist fehlgeschlagen, Outpost öffnen',
    },
  },
};
