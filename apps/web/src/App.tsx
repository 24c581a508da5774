/** Providers (language, theme, toasts) and the routes. */
import { useEffect } from 'react';
import { I18nProvider, useI18n } from './i18n';
import { useAuth } from './lib/auth';
import { usePrefs } from './lib/prefs';
import { navigate, usePath } from './lib/router';
import { useThemeEffect } from './lib/theme';
import { ToastProvider } from './ui/Toast';
import { AdminPage } from './admin/AdminPage';
import { DesignPage } from './pages/DesignPage';
import { MainPage } from './pages/MainPage';
import { NotFoundPage } from './pages/NotFoundPage';
import { RegisterPage } from './pages/RegisterPage';
import { SettingsPage } from './pages/SettingsPage';
import { WelcomePage } from './pages/WelcomePage';

export function App() {
  const prefs = usePrefs();
  useThemeEffect(prefs.theme);
  return (
    <I18nProvider>
      <Toasts>
        <Routes />
      </Toasts>
    </I18nProvider>
  );
}

function Toasts({ children }: { children: React.ReactNode }) {
  const { t } = useI18n();
  return <ToastProvider closeLabel={t('common.close')}>{children}</ToastProvider>;
}

/** Pages that need someone signed in (or a guest) send strangers to /login. */
function Routes() {
  const path = usePath();
  const auth = useAuth();
  const needsAuth = path === '/' || path === '/settings' || path.startsWith('/admin');
  useEffect(() => {
    if (needsAuth && auth === null) navigate('/login', { replace: true });
    if ((path === '/login' || path === '/register') && auth !== null) navigate('/', { replace: true });
  }, [needsAuth, auth, path]);
  if (needsAuth && auth === null) return null;
  if (path === '/') return <MainPage />;
  if (path === '/login') return <WelcomePage />;
  if (path === '/register') return <RegisterPage />;
  if (path === '/settings') return <SettingsPage />;
  if (path === '/admin' || path.startsWith('/admin/'))
    return <AdminPage tab={path.split('/')[2] ?? 'users'} />;
  if (path === '/design') return <DesignPage />;
  return <NotFoundPage />;
}
