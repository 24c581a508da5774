/**
 * The main view: the channel tree with the people in each channel, voice
 * controls, and the current channel's chat. Connects by itself on a reload
 * (the session is kept per tab), and shows why when it cannot.
 */
import { useEffect, useState } from 'react';
import { describeError, useI18n } from '../i18n';
import { getAuth, setAuth, useAuth } from '../lib/auth';
import { fetchServerInfo } from '../lib/server-info';
import { connect, disconnect, useSession } from '../voice/connection';
import { useVoiceState } from '../voice/hooks';
import { Button } from '../ui/Button';
import { ChannelTree } from './main/ChannelTree';
import { ChatPanel } from './main/ChatPanel';
import { VoiceBar } from './main/VoiceBar';
import { Shell } from './Shell';

/** Codes after which connecting again as the same identity is pointless: back to the sign-in page. */
const SIGN_OUT_CODES = new Set([
  'PARLEY_ERR_BAD_CREDENTIALS',
  'PARLEY_ERR_AUTH_REQUIRED',
  'PARLEY_ERR_NAME_TAKEN',
  'PARLEY_ERR_GUESTS_DISABLED',
  'PARLEY_ERR_BANNED',
]);

function codeOf(err: unknown): string {
  return typeof err === 'object' && err !== null && typeof (err as { code?: unknown }).code === 'string'
    ? (err as { code: string }).code
    : '';
}

export function MainPage() {
  const { t } = useI18n();
  const auth = useAuth();
  const session = useSession();
  const state = useVoiceState(session);
  const [error, setError] = useState<string | null>(null);
  const [attempt, setAttempt] = useState(0);

  // A reload (or a session that ended): connect again as who this tab is.
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

  const closed = state.status === 'closed' && state.closed !== null;
  return (
    <Shell wide>
      {error !== null && (
        <div className="banner" role="alert">
          {error}
          <Button size="sm" variant="secondary" onClick={() => setAttempt((n) => n + 1)}>
            {t('conn.retry')}
          </Button>
        </div>
      )}
      {closed && (
        <div className="banner" role="alert">
          {t('conn.closed', {
            reason: describeError(t, { code: state.closed?.code ?? '', message: state.closed?.reason }),
          })}
          <Button size="sm" variant="secondary" onClick={disconnect}>
            {t('conn.retry')}
          </Button>
        </div>
      )}
      {session === null && error === null && <p className="muted pad">{t('conn.connecting')}</p>}
      {session !== null && (
        <div className="main-grid">
          <aside className="sidebar" aria-label={t('channels.title')}>
            <ChannelTree session={session} state={state} />
            <VoiceBar session={session} state={state} />
          </aside>
          <ChatPanel session={session} state={state} />
        </div>
      )}
    </Shell>
  );
}
