import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { en } from '../../renderer/src/i18n/en.ts';
import { CATALOGS, translator } from '../../renderer/src/i18n/index.tsx';

const SRC = join(import.meta.dirname, '..', '..', 'renderer', 'src');

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return name === 'i18n' ? [] : sources(path);
    return /\.tsx?$/.test(name) ? [path] : [];
  });
}

const placeholders = (text: string): string[] =>
  [...text.matchAll(/\{(\w+)\}/g)].map((m) => m[1]!).sort();

describe('i18n', () => {
  it('has every English key in French and German, none empty, none extra', () => {
    const keys = Object.keys(en).sort();
    for (const [language, catalog] of Object.entries(CATALOGS)) {
      expect(Object.keys(catalog).sort(), language).toEqual(keys);
      for (const [key, text] of Object.entries(catalog))
        expect(text.trim(), `${language} ${key}`).not.toBe('');
    }
  });

  it('keeps the same {placeholders} in every translation', () => {
    for (const [key, text] of Object.entries(en)) {
      for (const [language, catalog] of Object.entries(CATALOGS)) {
        expect(placeholders(catalog[key as keyof typeof en]), `${language} ${key}`).toEqual(
          placeholders(text),
        );
      }
    }
  });

  it('translates French and German, not just copies English', () => {
    const same = (language: 'fr' | 'de'): number =>
      Object.entries(en).filter(([k, v]) => CATALOGS[language][k as keyof typeof en] === v).length;
    // Some words are the same in every language (Info, Agent, Port, Ticket…): allow under 8 %.
    const limit = Object.keys(en).length * 0.08;
    expect(same('fr')).toBeLessThan(limit);
    expect(same('de')).toBeLessThan(limit);
  });

  it('every literal key the UI asks for exists', () => {
    const used = new Set<string>();
    for (const file of sources(SRC)) {
      for (const match of readFileSync(file, 'utf8').matchAll(/\bt\(\s*'([\w.]+)'/g))
        used.add(match[1]!);
    }
    expect(used.size).toBeGreaterThan(50);
    expect([...used].filter((k) => !(k in en))).toEqual([]);
  });

  it('fills placeholders', () => {
    expect(translator('fr')('identity.expiresSoon', { days: 12 })).toBe('Expire dans 12 jours');
    expect(translator('de')('pair.start', { kind: 'Icinga 2' })).toBe('Mit Icinga 2 koppeln');
  });
});
