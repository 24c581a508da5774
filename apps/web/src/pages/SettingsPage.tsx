/** Settings: audio devices and processing with a microphone test, voice mode, appearance, connection figures. */
import { useI18n } from '../i18n';
import { navigate, useSearch } from '../lib/router';
import { Tabs } from '../ui/Tabs';
import { AppearanceSettings } from './settings/AppearanceSettings';
import { AudioSettings } from './settings/AudioSettings';
import { ConnectionPanel } from './settings/ConnectionPanel';
import { VoiceSettings } from './settings/VoiceSettings';
import { Shell } from './Shell';

const TABS = ['audio', 'voice', 'appearance', 'connection'] as const;
type Tab = (typeof TABS)[number];

export function SettingsPage() {
  const { t } = useI18n();
  const wanted = new URLSearchParams(useSearch()).get('tab');
  const tab: Tab = TABS.find((x) => x === wanted) ?? 'audio';
  const select = (id: string) =>
    navigate(`/settings?tab=${TABS.find((x) => x === id) ?? 'audio'}`, { replace: true });
  return (
    <Shell>
      <div className="page">
        <h1>{t('settings.title')}</h1>
        <Tabs
          label={t('settings.title')}
          tabs={TABS.map((id) => ({ id, label: t(`settings.${id}`) }))}
          selected={tab}
          onSelect={select}
        >
          {tab === 'audio' && <AudioSettings />}
          {tab === 'voice' && <VoiceSettings />}
          {tab === 'appearance' && <AppearanceSettings />}
          {tab === 'connection' && <ConnectionPanel />}
        </Tabs>
      </div>
    </Shell>
  );
}
