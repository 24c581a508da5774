/** Applies the theme choice to <html data-theme>, following the system's while the choice is "system". */
import { useEffect } from 'react';
import type { ThemeChoice } from './prefs';

const DARK = '(prefers-color-scheme: dark)';

export function resolveTheme(choice: ThemeChoice, systemDark: boolean): 'light' | 'dark' {
  return choice === 'system' ? (systemDark ? 'dark' : 'light') : choice;
}

export function applyTheme(choice: ThemeChoice): void {
  document.documentElement.dataset.theme = resolveTheme(choice, matchMedia(DARK).matches);
}

export function useThemeEffect(choice: ThemeChoice): void {
  useEffect(() => {
    applyTheme(choice);
    if (choice !== 'system') return;
    const mq = matchMedia(DARK);
    const onChange = () => applyTheme(choice);
    mq.addEventListener('change', onChange);
    return () => mq.removeEventListener('change', onChange);
  }, [choice]);
}
