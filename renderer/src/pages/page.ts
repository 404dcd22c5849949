import type { ComponentType } from 'react';
import type { MessageKey } from '../i18n/index.tsx';

/** What the shell gives every page; pages import it from here, never from the page list. */
export interface PageProps {
  /** Route segments after the page id: `#/pair/icinga` gives ['icinga']. */
  params: string[];
  navigate(path: string): void;
}

export interface PageDef {
  id: string;
  label: MessageKey;
  component: ComponentType<PageProps>;
}
