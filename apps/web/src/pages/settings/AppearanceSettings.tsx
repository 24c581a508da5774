import { useI18n } from '../../i18n';
import { setPrefs, usePrefs, type LangChoice, type ThemeChoice } from '../../lib/prefs';
import { Select } from '../../ui/Field';

export function AppearanceSettings() {
  const { t } = useI18n();
  const prefs = usePrefs();
  return (
    <div className="settings-grid">
      <Select
        label={t('theme.label')}
        value={prefs.theme}
        options={(['system', 'light', 'dark'] as const).map((v) => ({ value: v, label: t(`theme.${v}`) }))}
        onChange={(e) => setPrefs({ theme: e.currentTarget.value as ThemeChoice })}
      />
      <Select
        label={t('lang.label')}
        value={prefs.lang}
        options={(['auto', 'en', 'fr'] as const).map((v) => ({ value: v, label: t(`lang.${v}`) }))}
        onChange={(e) => setPrefs({ lang: e.currentTarget.value as LangChoice })}
      />
    </div>
  );
}
