import { useI18n } from '../../i18n';
import { setPrefs, usePrefs, type VoiceModeChoice } from '../../lib/prefs';
import { useSession } from '../../voice/connection';
import { useEngine, useInputLevel } from '../../voice/hooks';
import { Select, Slider } from '../../ui/Field';
import { LevelMeter } from '../../ui/LevelMeter';
import { PttKeyField } from '../main/PttKeyField';

export function VoiceSettings() {
  const { t } = useI18n();
  const prefs = usePrefs();
  const engine = useEngine(useSession());
  const input = useInputLevel(engine);
  return (
    <div className="settings-grid">
      <Select
        label={t('voice.mode')}
        value={prefs.mode}
        options={(['voice-activity', 'push-to-talk', 'open'] as const).map((m) => ({
          value: m,
          label: t(`voice.mode.${m}`),
        }))}
        onChange={(e) => {
          const mode = e.currentTarget.value as VoiceModeChoice;
          setPrefs({ mode });
          engine?.setMode(mode);
        }}
      />
      <Slider
        label={t('voice.threshold')}
        value={prefs.vadThresholdDb}
        min={-80}
        max={0}
        format={(v) => `${v} dB`}
        disabled={prefs.mode !== 'voice-activity'}
        onChange={(v) => {
          setPrefs({ vadThresholdDb: v });
          engine?.setVadThreshold(v);
        }}
      />
      <LevelMeter
        label={t('voice.inputLevel')}
        db={input.db}
        thresholdDb={prefs.vadThresholdDb}
        active={input.sending}
        showLabel
      />
      <PttKeyField />
    </div>
  );
}
