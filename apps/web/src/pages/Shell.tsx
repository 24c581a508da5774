/** The frame of every page: skip link, top bar (navigation, theme and language switches, sign out), content. */
import { useSyncExternalStore, type ReactNode } from 'react';
import { useI18n } from '../i18n';
import { setAuth, useAuth } from '../lib/auth';
import { api } from '../lib/api';
import { setPrefs, usePrefs, type LangChoice } from '../lib/prefs';
import { usePath } from '../lib/router';
import { resolveTheme } from '../lib/theme';
import { disconnect, useSession } from '../voice/connection';
import { INITIAL_STATE } from '../voice/state';
import { SessionKeeper } from '../voice/SessionKeeper';
import { IconButton } from '../ui/Button';
import { Link } from '../ui/Link';

export function Shell({ children, wide = false }: { children: ReactNode; wide?: boolean }) {
  const { t } = useI18n();
  const auth = useAuth();
  const path = usePath();
  const prefs = usePrefs();
  const session = useSession();
  const state = useSyncExternalStore(session?.subscribe ?? noop, session?.getState ?? initial);
  const role = auth?.kind === 'account' ? auth.user.role : 'guest';
  const dark = resolveTheme(prefs.theme, matchMedia('(prefers-color-scheme: dark)').matches) === 'dark';
  const signOut = () => {
    const token = auth?.kind === 'account' ? auth.token : null;
    disconnect();
    setAuth(null);
    if (token !== null) void api('/auth/logout', { method: 'POST', token }).catch(() => undefined);
  };
  const nav = [
    { href: '/', label: t('nav.voice'), show: auth !== null },
    { href: '/settings', label: t('nav.settings'), show: auth !== null },
    { href: '/admin', label: t('nav.admin'), show: role === 'admin' || role === 'moderator' },
    { href: '/design', label: t('nav.design'), show: true },
  ].filter((x) => x.show);
  const current = (href: string) => (href === '/' ? path === '/' : path.startsWith(href));
  return (
    <div className={`shell ${wide ? 'shell-wide' : ''}`}>
      <a className="skip-link" href="#content">
        {t('app.skip')}
      </a>
      <header className="topbar">
        <Link href="/" className="brand">
          <img src="/icon.svg" alt="" width="28" height="28" />
          <span>{t('app.name')}</span>
        </Link>
        <nav aria-label={t('nav.main')} className="topnav">
          {nav.map((n) => (
            <Link key={n.href} href={n.href} aria-current={current(n.href) ? 'page' : undefined}>
              {n.label}
            </Link>
          ))}
        </nav>
        <span className="spacer" />
        <label className="visually-hidden" htmlFor="lang-switch">
          {t('lang.label')}
        </label>
        <select
          id="lang-switch"
          className="select select-compact"
          value={prefs.lang}
          onChange={(e) => setPrefs({ lang: e.currentTarget.value as LangChoice })}
        >
          <option value="auto">{t('lang.auto')}</option>
          <option value="en">English</option>
          <option value="fr">Français</option>
        </select>
        <IconButton
          id="theme-toggle"
          icon={dark ? 'sun' : 'moon'}
          label={dark ? t('theme.light') : t('theme.dark')}
          onClick={() => setPrefs({ theme: dark ? 'light' : 'dark' })}
        />
        {auth !== null && (
          <>
            <span className="muted topbar-user">
              {t('nav.signedInAs', { name: auth.kind === 'account' ? auth.user.name : auth.name })}
            </span>
            <IconButton
              icon="logout"
              label={auth.kind === 'account' ? t('nav.signOut') : t('nav.leaveServer')}
              onClick={signOut}
            />
          </>
        )}
      </header>
      {auth !== null && <SessionKeeper />}
      {state.status === 'reconnecting' && (
        <div className="banner" role="status">
          {t('conn.reconnecting', { n: state.attempt })}
        </div>
      )}
      <main id="content" className="content" tabIndex={-1}>
        {children}
      </main>
    </div>
  );
}

const noop = () => () => undefined;
const initial = () => INITIAL_STATE;
