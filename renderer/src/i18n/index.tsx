import { createContext, useContext, type ReactNode } from 'react';
import { de } from './de.ts';
import { en, type MessageKey, type Messages } from './en.ts';
import { fr } from './fr.ts';

export const LANGUAGES = ['en', 'fr', 'de'] as const;
export type Language = (typeof LANGUAGES)[number];

/** Every catalog is a `Messages`: a key missing in one language is a compile error. */
export const CATALOGS: Record<Language, Messages> = { en, fr, de };

export const LANGUAGE_NAMES: Record<Language, string> = {
  en: 'English',
  fr: 'Français',
  de: 'Deutsch',
};

export type Translate = (key: MessageKey, vars?: Record<string, string | number>) => string;

export function translator(language: Language): Translate {
  const catalog = CATALOGS[language];
  return (key, vars) => {
    const text = catalog[key];
    if (vars === undefined) return text;
    return text.replace(/\{(\w+)\}/g, (whole, name: string) =>
      name in vars ? String(vars[name]) : whole,
    );
  };
}

interface I18nValue {
  language: Language;
  setLanguage(language: Language): void;
  t: Translate;
}

const I18nContext = createContext<I18nValue>({
  language: 'en',
  setLanguage: () => undefined,
  t: translator('en'),
});

export function I18nProvider(props: {
  language: Language;
  setLanguage(l: Language): void;
  children: ReactNode;
}) {
  return (
    <I18nContext.Provider
      value={{
        language: props.language,
        setLanguage: props.setLanguage,
        t: translator(props.language),
      }}
    >
      {props.children}
    </I18nContext.Provider>
  );
}

export function useI18n(): I18nValue {
  return useContext(I18nContext);
}

export type { MessageKey, Messages };
