/** The language of the app: from the preference (or the browser's), as a React context. */
import { createContext, useContext, useEffect, useMemo, type ReactNode } from 'react';
import { usePrefs } from '../lib/prefs';
import { ApiError } from '../lib/api';
import { errorMessage, pickLang, translator, type Lang, type Translate } from './translate';

export type { MessageKey } from './en';
export type { Lang, Translate } from './translate';

interface I18n {
  lang: Lang;
  t: Translate;
}

const I18nContext = createContext<I18n>({ lang: 'en', t: translator('en') });

export function I18nProvider({ children }: { children: ReactNode }) {
  const { lang: choice } = usePrefs();
  const lang = pickLang(choice, navigator.languages);
  const value = useMemo(() => ({ lang, t: translator(lang) }), [lang]);
  useEffect(() => {
    document.documentElement.lang = lang;
  }, [lang]);
  return <I18nContext.Provider value={value}>{children}</I18nContext.Provider>;
}

export function useI18n(): I18n {
  return useContext(I18nContext);
}

/** What to show for a failure: the code's message, and the server's `detail` when it says more. */
export function describeError(t: Translate, err: unknown): string {
  if (err instanceof ApiError) {
    const base = errorMessage(t, err.code);
    return err.detail !== undefined && err.detail !== '' ? `${base} ${err.detail}` : base;
  }
  if (typeof err === 'object' && err !== null && typeof (err as { code?: unknown }).code === 'string') {
    const e = err as { code: string; message?: unknown };
    const base = errorMessage(t, e.code);
    return typeof e.message === 'string' && e.message !== '' ? `${base} (${e.message})` : base;
  }
  return err instanceof Error ? err.message : String(err);
}
