/**
 * The main view: the channel tree with the people in each channel, voice
 * controls, and the current channel's chat. The connection itself is kept
 * by SessionKeeper (in the Shell of every page).
 */
import { describeError, useI18n } from '../i18n';
import { disconnect, useSession } from '../voice/connection';
import { useVoiceState } from '../voice/hooks';
import { Button } from '../ui/Button';
import { ChannelTree } from './main/ChannelTree';
import { ChatPanel } from './main/ChatPanel';
import { VoiceBar } from './main/VoiceBar';
import { Shell } from './Shell';

export function MainPage() {
  const { t } = useI18n();
  const session = useSession();
  const state = useVoiceState(session);
  const closed = state.status === 'closed' && state.closed !== null;
  return (
    <Shell wide>
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
      {session === null && <p className="muted pad">{t('conn.connecting')}</p>}
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
