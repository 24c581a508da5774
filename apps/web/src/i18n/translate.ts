/** Pure translation: a dictionary lookup with `{name}` placeholders. No React, no DOM. */
import { en, type MessageKey } from './en';
import { fr } from './fr';

export type Lang = 'en' | 'fr';
export type Params = Readonly<Record<string, string | number>>;
export type Translate = (key: MessageKey, params?: Params) => string;

export const DICTIONARIES: Readonly<Record<Lang, Readonly<Record<MessageKey, string>>>> = { en, fr };

/** `{name}` → params.name; an unknown placeholder stays as written. */
export function format(template: string, params?: Params): string {
  if (params === undefined) return template;
  return template.replace(/\{(\w+)\}/g, (whole, name: string) => {
    const v = params[name];
    return v === undefined ? whole : String(v);
  });
}

export function translator(lang: Lang): Translate {
  const dict = DICTIONARIES[lang];
  return (key, params) => format(dict[key], params);
}

/** The placeholders a message uses, sorted: `{count} of {limit}` → ['count', 'limit']. */
export function placeholders(template: string): string[] {
  return [...template.matchAll(/\{(\w+)\}/g)].map((m) => m[1] ?? '').sort();
}

/** French for a browser whose first language is French, English otherwise. */
export function pickLang(choice: 'auto' | Lang, browserLanguages: readonly string[]): Lang {
  if (choice !== 'auto') return choice;
  for (const l of browserLanguages) {
    const base = l.toLowerCase().split('-')[0];
    if (base === 'fr') return 'fr';
    if (base === 'en') return 'en';
  }
  return 'en';
}

/** A message for an error code: the code's own text, else a generic one naming the code. */
export function errorMessage(t: Translate, code: string): string {
  const key = `error.${code}`;
  if (key in en) return t(key as MessageKey);
  return t('error.unknown', { code });
}
