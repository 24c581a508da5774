/**
 * The first page: join as a guest (nickname → straight into the default
 * channel) or sign in (on a first start: admin and the password the server
 * printed). Both connect before leaving the page, so a refusal (name
 * taken, guests off, wrong password) is shown right here.
 */
import { useState, type FormEvent } from 'react';
import { describeError, useI18n } from '../i18n';
import { accountFrom, setAuth } from '../lib/auth';
import { api, type Login } from '../lib/api';
import { navigate } from '../lib/router';
import { useServerInfo } from '../lib/server-info';
import { connect } from '../voice/connection';
import { Button } from '../ui/Button';
import { Input } from '../ui/Field';
import { Link } from '../ui/Link';
import { Shell } from './Shell';

export function WelcomePage() {
  const { t } = useI18n();
  const { info, error: infoError } = useServerInfo();
  const channel = info?.defaultChannel ?? 'Lobby';
  return (
    <Shell>
      <div className="welcome">
        <div className="welcome-head">
          <h1>{t('welcome.title')}</h1>
          <p className="muted">{t('welcome.subtitle')}</p>
          {infoError !== null && (
            <p className="error-text" role="alert">
              {describeError(t, infoError)}
            </p>
          )}
        </div>
        <div className="welcome-cards">
          {info?.allowGuests !== false ? (
            <GuestCard channel={channel} />
          ) : (
            <section className="card">
              <h2>{t('guest.title')}</h2>
              <p>{t('guest.disabled')}</p>
            </section>
          )}
          <SignInCard channel={channel} allowRegistration={info?.allowRegistration ?? true} />
        </div>
      </div>
    </Shell>
  );
}

function GuestCard({ channel }: { channel: string }) {
  const { t } = useI18n();
  const [name, setName] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const nick = name.trim();
    if (nick === '') {
      setError(t('error.PARLEY_ERR_VALIDATION'));
      return;
    }
    setBusy(true);
    setError(null);
    try {
      await connect({ kind: 'guest', name: nick }, channel);
      setAuth({ kind: 'guest', name: nick });
      navigate('/');
    } catch (err) {
      setError(describeError(t, err));
      setBusy(false);
    }
  };
  return (
    <section className="card" aria-labelledby="guest-title">
      <h2 id="guest-title">{t('guest.title')}</h2>
      <p className="muted">{t('guest.hint', { channel })}</p>
      <form className="stack" onSubmit={(e) => void submit(e)} noValidate>
        <Input
          label={t('guest.nickname')}
          value={name}
          maxLength={32}
          autoComplete="nickname"
          onChange={(e) => setName(e.currentTarget.value)}
          error={error}
        />
        <Button type="submit" busy={busy} block>
          {t('guest.join')}
        </Button>
      </form>
    </section>
  );
}

function SignInCard({ channel, allowRegistration }: { channel: string; allowRegistration: boolean }) {
  const { t } = useI18n();
  const [name, setName] = useState('');
  const [password, setPassword] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const login = await api<Login>('/auth/login', {
        method: 'POST',
        body: { name: name.trim(), password },
      });
      await connect({ kind: 'account', token: login.token }, channel);
      setAuth(accountFrom(login));
      navigate('/');
    } catch (err) {
      setError(describeError(t, err));
      setBusy(false);
    }
  };
  return (
    <section className="card" aria-labelledby="signin-title">
      <h2 id="signin-title">{t('signin.title')}</h2>
      <p className="muted">{t('signin.hint')}</p>
      <form className="stack" onSubmit={(e) => void submit(e)} noValidate>
        <Input
          label={t('signin.name')}
          value={name}
          autoComplete="username"
          onChange={(e) => setName(e.currentTarget.value)}
        />
        <Input
          label={t('common.password')}
          type="password"
          value={password}
          autoComplete="current-password"
          onChange={(e) => setPassword(e.currentTarget.value)}
          error={error}
        />
        <Button type="submit" busy={busy} block>
          {t('signin.submit')}
        </Button>
      </form>
      {allowRegistration && (
        <p className="muted welcome-foot">
          {t('signin.noAccount')} <Link href="/register">{t('signin.register')}</Link>
        </p>
      )}
    </section>
  );
}
