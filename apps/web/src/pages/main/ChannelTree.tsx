/** The channel tree: each channel (lock, user limit), the people in it, a button to join it. */
import { useState } from 'react';
import type { ChannelInfo } from '@parley/protocol';
import { describeError, useI18n } from '../../i18n';
import type { VoiceSession } from '../../voice/session';
import { channelTree, countIn, peopleIn, type VoiceState } from '../../voice/state';
import { Button, IconButton } from '../../ui/Button';
import { Dialog } from '../../ui/Dialog';
import { Input } from '../../ui/Field';
import { Icon } from '../../ui/icons';
import { useToast } from '../../ui/Toast';
import { PersonRow } from './PersonRow';

export function ChannelTree({ session, state }: { session: VoiceSession; state: VoiceState }) {
  const { t } = useI18n();
  const toast = useToast();
  const [locked, setLocked] = useState<ChannelInfo | null>(null);
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [creating, setCreating] = useState(false);
  const [tempName, setTempName] = useState('');
  const [tempError, setTempError] = useState<string | null>(null);
  const createTemp = async () => {
    try {
      await session.createTemp(tempName.trim());
      setCreating(false);
    } catch (err) {
      setTempError(describeError(t, err));
    }
  };
  // Moderators and admins pass channel locks (docs/control-plane.md "Channels"): no password asked.
  const passesLocks = state.user?.role === 'admin' || state.user?.role === 'moderator';
  const join = async (c: ChannelInfo, pw?: string) => {
    if (c.hasPassword && pw === undefined && !passesLocks) {
      setPassword('');
      setError(null);
      setLocked(c);
      return;
    }
    try {
      await session.join(c.id, pw);
      setLocked(null);
    } catch (err) {
      if (locked !== null || pw !== undefined) setError(describeError(t, err));
      else toast.show(describeError(t, err), 'error');
    }
  };
  return (
    <nav className="tree" aria-labelledby="channels-title">
      <div className="row tree-head">
        <h2 id="channels-title" className="tree-title">
          {t('channels.title')}
        </h2>
        <span className="spacer" />
        <IconButton
          icon="plus"
          label={t('channels.newTemp')}
          onClick={() => {
            setTempName('');
            setTempError(null);
            setCreating(true);
          }}
        />
      </div>
      <ul className="tree-list">
        {channelTree(state.channels).map(({ channel: c, depth }) => {
          const people = peopleIn(state, c.id);
          const here = c.id === state.channelId;
          const count = countIn(state, c.id);
          return (
            <li
              key={c.id}
              className="tree-channel"
              data-channel={c.name}
              style={{ paddingLeft: `${depth * 1}rem` }}
            >
              <div className={`channel-row ${here ? 'channel-here' : ''}`}>
                <button
                  type="button"
                  className="channel-btn"
                  aria-current={here ? 'location' : undefined}
                  onClick={() => void (here ? undefined : join(c))}
                >
                  <Icon name="hash" className="icon icon-sm" />
                  <span className="channel-name">
                    {!here && <span className="visually-hidden">{t('channels.joinPrefix')} </span>}
                    {c.name}
                    {here && <span className="visually-hidden">, {t('channels.current')}</span>}
                  </span>
                </button>
                {c.hasPassword && (
                  <span title={t('channels.locked')} className="channel-flag">
                    <Icon name="lock" className="icon icon-sm" />
                    <span className="visually-hidden">{t('channels.locked')}</span>
                  </span>
                )}
                {c.temporary && <span className="badge">{t('channels.temporary')}</span>}
                <span className="channel-count">
                  {c.userLimit > 0 ? (
                    <>
                      <span aria-hidden="true">
                        {count}/{c.userLimit}
                      </span>
                      <span className="visually-hidden">
                        {t('channels.limit', { count, limit: c.userLimit })}
                      </span>
                    </>
                  ) : count > 0 ? (
                    <>
                      <span aria-hidden="true">{count}</span>
                      <span className="visually-hidden">{t('channels.people', { count })}</span>
                    </>
                  ) : null}
                </span>
              </div>
              {people.length > 0 && (
                <ul className="people" aria-label={t('channels.people', { count: people.length })}>
                  {people.map((p) => (
                    <PersonRow key={p.ssrc} person={p} session={session} state={state} inMyChannel={here} />
                  ))}
                </ul>
              )}
            </li>
          );
        })}
      </ul>
      <Dialog
        open={locked !== null}
        title={t('channels.passwordTitle', { name: locked?.name ?? '' })}
        onClose={() => setLocked(null)}
        closeLabel={t('common.close')}
        onSubmit={() => void (locked !== null && join(locked, password))}
        actions={
          <>
            <Button variant="secondary" onClick={() => setLocked(null)}>
              {t('common.cancel')}
            </Button>
            <Button type="submit">{t('guest.join')}</Button>
          </>
        }
      >
        <Input
          label={t('channels.passwordFor', { name: locked?.name ?? '' })}
          type="password"
          value={password}
          autoFocus
          onChange={(e) => setPassword(e.currentTarget.value)}
          error={error}
        />
      </Dialog>
      <Dialog
        open={creating}
        title={t('channels.newTemp')}
        onClose={() => setCreating(false)}
        closeLabel={t('common.close')}
        onSubmit={() => void createTemp()}
        actions={
          <>
            <Button variant="secondary" onClick={() => setCreating(false)}>
              {t('common.cancel')}
            </Button>
            <Button type="submit">{t('common.create')}</Button>
          </>
        }
      >
        <p className="muted">{t('channels.newTempHint')}</p>
        <Input
          label={t('admin.channelName')}
          value={tempName}
          maxLength={64}
          autoFocus
          onChange={(e) => setTempName(e.currentTarget.value)}
          error={tempError}
        />
      </Dialog>
    </nav>
  );
}
