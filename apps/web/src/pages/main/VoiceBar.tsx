/**
 * Voice controls: mute, deafen, leave; the voice mode (voice activity with
 * its threshold on a live meter, push-to-talk on a key of your choice,
 * always on). Push-to-talk listens on the window while the page is shown,
 * not while typing in a text field; released when the window loses focus.
 */
import { useEffect } from 'react';
import { describeError, useI18n } from '../../i18n';
import { setPrefs, usePrefs, type VoiceModeChoice } from '../../lib/prefs';
import { useEngine, useInputLevel, useOutputLevel } from '../../voice/hooks';
import type { VoiceSession } from '../../voice/session';
import type { VoiceState } from '../../voice/state';
import { AUDIO_AVAILABLE } from '../../voice/audio';
import { Avatar } from '../../ui/Avatar';
import { Button, IconButton } from '../../ui/Button';
import { Select, Slider } from '../../ui/Field';
import { LevelMeter } from '../../ui/LevelMeter';
import { useToast } from '../../ui/Toast';
import { keyName, PttKeyField } from './PttKeyField';

function typingTarget(e: KeyboardEvent): boolean {
  const el = e.target;
  return (
    el instanceof HTMLElement &&
    (el.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(el.tagName))
  );
}

export function VoiceBar({ session, state }: { session: VoiceSession; state: VoiceState }) {
  const { t } = useI18n();
  const toast = useToast();
  const prefs = usePrefs();
  const engine = useEngine(session);
  const input = useInputLevel(engine);
  const output = useOutputLevel(engine);
  const self = state.self;

  useEffect(() => {
    engine?.setMode(prefs.mode);
    engine?.setVadThreshold(prefs.vadThresholdDb);
  }, [engine, prefs.mode, prefs.vadThresholdDb]);

  useEffect(() => {
    if (engine === null || prefs.mode !== 'push-to-talk') return;
    const down = (e: KeyboardEvent) => {
      if (e.code !== prefs.pttKey || typingTarget(e) || e.repeat) return;
      e.preventDefault();
      engine.setPushToTalk(true);
    };
    const up = (e: KeyboardEvent) => {
      if (e.code !== prefs.pttKey) return;
      engine.setPushToTalk(false);
    };
    const release = () => engine.setPushToTalk(false);
    window.addEventListener('keydown', down);
    window.addEventListener('keyup', up);
    window.addEventListener('blur', release);
    return () => {
      window.removeEventListener('keydown', down);
      window.removeEventListener('keyup', up);
      window.removeEventListener('blur', release);
      engine.setPushToTalk(false);
    };
  }, [engine, prefs.mode, prefs.pttKey]);

  const run = (f: () => Promise<void>) => {
    f().catch((err: unknown) => toast.show(describeError(t, err), 'error'));
  };
  const muted = self?.muted ?? false;
  const deafened = self?.deafened ?? false;
  return (
    <section className="voicebar" aria-label={t('voice.controls')}>
      {self === null ? (
        <>
          <p className="muted">{t('voice.notInChannel')}</p>
          <Button icon="mic" onClick={() => run(() => session.join(session.defaultChannel))}>
            {t('voice.join')}
          </Button>
        </>
      ) : (
        <>
          <div className="row">
            <Avatar name={self.name} speaking={session.speaking(self.ssrc, self.speaking)} />
            <span className="voicebar-name">{self.name}</span>
            <span className="spacer" />
            <IconButton
              icon={muted ? 'mic-off' : 'mic'}
              label={muted ? t('voice.unmute') : t('voice.mute')}
              on={muted}
              onClick={() => run(() => session.setMuted(!muted))}
            />
            <IconButton
              icon={deafened ? 'headphones-off' : 'headphones'}
              label={deafened ? t('voice.undeafen') : t('voice.deafen')}
              on={deafened}
              onClick={() => run(() => session.setDeafened(!deafened))}
            />
            <IconButton
              icon="phone-off"
              label={t('voice.leave')}
              onClick={() => run(() => session.leave())}
            />
          </div>
          {!AUDIO_AVAILABLE && <p className="field-hint">{t('voice.noAudio')}</p>}
          {session.engineError !== null && (
            <p className="error-text" role="alert">
              {t('voice.audioError', { reason: session.engineError })}
            </p>
          )}
          <Select
            label={t('voice.mode')}
            value={prefs.mode}
            options={(['voice-activity', 'push-to-talk', 'open'] as const).map((m) => ({
              value: m,
              label: t(`voice.mode.${m}`),
            }))}
            onChange={(e) => setPrefs({ mode: e.currentTarget.value as VoiceModeChoice })}
          />
          {prefs.mode === 'voice-activity' && (
            <>
              <Slider
                label={t('voice.threshold')}
                value={prefs.vadThresholdDb}
                min={-80}
                max={0}
                format={(v) => `${v} dB`}
                onChange={(v) => setPrefs({ vadThresholdDb: v })}
              />
              <LevelMeter
                label={t('voice.inputLevel')}
                db={input.db}
                thresholdDb={prefs.vadThresholdDb}
                active={input.sending}
                showLabel
              />
            </>
          )}
          {prefs.mode === 'push-to-talk' && (
            <>
              <PttKeyField />
              <p className="field-hint">{t('voice.pttHold', { key: keyName(prefs.pttKey) })}</p>
              <LevelMeter label={t('voice.inputLevel')} db={input.db} active={input.sending} showLabel />
            </>
          )}
          {engine !== null && <LevelMeter label={t('voice.outputLevel')} db={output} showLabel />}
        </>
      )}
    </section>
  );
}
