/**
 * Keeps this tab connected as who it is signed in as, on every page: after
 * a reload, or when a session ended, it connects again (and shows why it
 * cannot, with a retry). A refusal that another try would not change (bad
 * token, name taken, banned, guests off) signs the tab out instead.
 */
import { useEffect, useRef, useState } from 'react';
import { describeError, useI18n } from '../i18n';
import { getAuth, setAuth, useAuth } from '../lib/auth';
import { fetchServerInfo } from '../lib/server-info';
import { Button } from '../ui/Button';
import { useToast } from '../ui/Toast';
import { connect, useSession } from './connection';
import { useEngine, useVoiceState } from './hooks';

const SIGN_OUT_CODES = new Set([
  'PARLEY_ERR_BAD_CREDENTIALS',
  'PARLEY_ERR_AUTH_REQUIRED',
  'PARLEY_ERR_NAME_TAKEN',
  'PARLEY_ERR_GUESTS_DISABLED',
  'PARLEY_ERR_BANNED',
]);

export function codeOf(err: unknown): string {
  return typeof err === 'object' && err !== null && typeof (err as { code?: unknown }).code === 'string'
    ? (err as { code: string }).code
    : '';
}

export function SessionKeeper() {
  const { t } = useI18n();
  const auth = useAuth();
  const session = useSession();
  const [error, setError] = useState<string | null>(null);
  const [attempt, setAttempt] = useState(0);
  const toast = useToast();
  const { status, lastReconnect } = useVoiceState(session);
  const previous = useRef(status);
  // Back after a break (the banner said "reconnecting"): say so once, and whether it is the same session.
  useEffect(() => {
    if (previous.current === 'reconnecting' && status === 'live') {
      toast.show(t(lastReconnect === 'restarted' ? 'conn.restarted' : 'conn.reconnected'), 'success');
    }
    previous.current = status;
  }, [status, lastReconnect, toast, t]);
  // A device unplugged or plugged back during a call: the engine has moved to the default one (or back).
  const engine = useEngine(session);
  useEffect(
    () =>
      engine?.onDeviceChange((c) => {
        const key =
          c.kind === 'input'
            ? c.state === 'back'
              ? 'device.inputBack'
              : c.error !== undefined
                ? 'device.inputNone'
                : 'device.inputLost'
            : c.state === 'back'
              ? 'device.outputBack'
              : 'device.outputLost';
        // One toast per device kind: the latest news replaces the one before.
        toast.show(
          t(key),
          c.state === 'back' ? 'success' : c.error !== undefined ? 'error' : 'info',
          `device-${c.kind}`,
        );
      }),
    [engine, toast, t],
  );
  useEffect(() => {
    if (session !== null || auth === null) return;
    let cancelled = false;
    setError(null);
    void (async () => {
      try {
        const info = await fetchServerInfo();
        const a = getAuth();
        if (cancelled || a === null) return;
        await connect(
          a.kind === 'account' ? { kind: 'account', token: a.token } : { kind: 'guest', name: a.name },
          info.defaultChannel,
        );
      } catch (err) {
        if (cancelled) return;
        if (SIGN_OUT_CODES.has(codeOf(err))) setAuth(null);
        else setError(describeError(t, err));
      }
    })();
    return () => {
      cancelled = true;
    };
  }, [session, auth, attempt, t]);
  if (error === null) return null;
  return (
    <div className="banner" role="alert">
      {error}
      <Button size="sm" variant="secondary" onClick={() => setAttempt((n) => n + 1)}>
        {t('conn.retry')}
      </Button>
    </div>
  );
}
