/** The current channel's text chat: the log (a live region) and the message box. */
import { useEffect, useRef, useState, type FormEvent } from 'react';
import { describeError, useI18n } from '../../i18n';
import type { VoiceSession } from '../../voice/session';
import type { VoiceState } from '../../voice/state';
import { Avatar } from '../../ui/Avatar';
import { Button } from '../../ui/Button';
import { useToast } from '../../ui/Toast';

export function ChatPanel({ session, state }: { session: VoiceSession; state: VoiceState }) {
  const { t, lang } = useI18n();
  const toast = useToast();
  const [text, setText] = useState('');
  const [busy, setBusy] = useState(false);
  const logRef = useRef<HTMLDivElement>(null);
  const channel = state.channelId === null ? null : state.channels.get(state.channelId);
  useEffect(() => {
    const el = logRef.current;
    if (el !== null) el.scrollTop = el.scrollHeight;
  }, [state.chat.length]);
  if (channel == null) {
    return (
      <section className="chat chat-empty-state">
        <p className="muted">{t('voice.notInChannel')}</p>
      </section>
    );
  }
  const time = new Intl.DateTimeFormat(lang, { hour: '2-digit', minute: '2-digit' });
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const msg = text.trim();
    if (msg === '') return;
    setBusy(true);
    try {
      await session.sendChat(msg);
      setText('');
    } catch (err) {
      toast.show(describeError(t, err), 'error');
    } finally {
      setBusy(false);
    }
  };
  return (
    <section className="chat" aria-labelledby="chat-title">
      <header className="chat-head">
        <h2 id="chat-title">{t('chat.title', { channel: channel.name })}</h2>
        {channel.description !== '' && <p className="muted">{channel.description}</p>}
      </header>
      <div className="chat-log" ref={logRef} role="log" aria-label={t('chat.log')} tabIndex={0}>
        <ol className="chat-list">
          {state.chat.length === 0 && <li className="muted chat-none">{t('chat.empty')}</li>}
          {state.chat.map((m) => (
            <li key={m.id} className="chat-msg" data-author={m.authorName}>
              <Avatar name={m.authorName} />
              <div>
                <div className="chat-meta">
                  <strong>{m.authorName}</strong>{' '}
                  <time className="muted" dateTime={m.createdAt}>
                    {time.format(new Date(m.createdAt))}
                  </time>
                </div>
                <p className="chat-text">{m.text}</p>
              </div>
            </li>
          ))}
        </ol>
      </div>
      <form className="chat-form" onSubmit={(e) => void submit(e)}>
        <label htmlFor="chat-input" className="visually-hidden">
          {t('chat.label')}
        </label>
        <input
          id="chat-input"
          className="input"
          value={text}
          maxLength={2000}
          placeholder={t('chat.placeholder', { channel: channel.name })}
          autoComplete="off"
          onChange={(e) => setText(e.currentTarget.value)}
        />
        <Button type="submit" icon="send" busy={busy} disabled={text.trim() === ''}>
          {t('chat.send')}
        </Button>
      </form>
    </section>
  );
}
