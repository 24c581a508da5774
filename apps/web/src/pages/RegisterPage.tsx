/** Create an account (when the server allows it); signed in and in the default channel right after. */
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

export function RegisterPage() {
  const { t } = useI18n();
  const { info } = useServerInfo();
  const [name, setName] = useState('');
  const [password, setPassword] = useState('');
  const [confirm, setConfirm] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const mismatch = confirm !== '' && confirm !== password;
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (password !== confirm) {
      setError(t('register.mismatch'));
      return;
    }
    setBusy(true);
    setError(null);
    try {
      const login = await api<Login>('/auth/register', {
        method: 'POST',
        body: { name: name.trim(), password },
      });
      setAuth(accountFrom(login));
      await connect({ kind: 'account', token: login.token }, info?.defaultChannel ?? 'Lobby').catch(
        () => undefined,
      );
      navigate('/');
    } catch (err) {
      setError(describeError(t, err));
      setBusy(false);
    }
  };
  return (
    <Shell>
      <div className="welcome">
        <section className="card narrow" aria-labelledby="register-title">
          <h1 id="register-title">{t('register.title')}</h1>
          {info?.allowRegistration === false ? (
            <p>{t('register.closed')}</p>
          ) : (
            <form className="stack" onSubmit={(e) => void submit(e)} noValidate>
              <Input
                label={t('signin.name')}
                value={name}
                maxLength={32}
                autoComplete="username"
                onChange={(e) => setName(e.currentTarget.value)}
              />
              <Input
                label={t('common.password')}
                type="password"
                value={password}
                minLength={8}
                autoComplete="new-password"
                hint={t('register.hint')}
                onChange={(e) => setPassword(e.currentTarget.value)}
              />
              <Input
                label={t('register.confirm')}
                type="password"
                value={confirm}
                autoComplete="new-password"
                onChange={(e) => setConfirm(e.currentTarget.value)}
                error={mismatch ? t('register.mismatch') : error}
              />
              <Button type="submit" busy={busy} block>
                {t('register.submit')}
              </Button>
            </form>
          )}
          <p className="muted welcome-foot">
            {t('register.haveAccount')} <Link href="/login">{t('signin.submit')}</Link>
          </p>
        </section>
      </div>
    </Shell>
  );
}
