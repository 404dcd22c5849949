/** What the pairing page gives each protocol's wizard. */
export interface WizardProps {
  /** Set when reopening the wizard of a paired target: its current settings are shown. */
  existing: string | undefined;
  done(): void;
}
