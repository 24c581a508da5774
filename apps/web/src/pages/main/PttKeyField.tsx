/** Chooses the push-to-talk key: press the button, then the key (Escape cancels). */
import { useEffect, useState } from 'react';
import { useI18n } from '../../i18n';
import { setPrefs, usePrefs } from '../../lib/prefs';
import { Button } from '../../ui/Button';

/** A key code as a person reads it: `KeyT` → `T`, `Digit5` → `5`, `Space` stays. */
export function keyName(code: string): string {
  return code.replace(/^(Key|Digit)/, '');
}

export function PttKeyField() {
  const { t } = useI18n();
  const { pttKey } = usePrefs();
  const [listening, setListening] = useState(false);
  useEffect(() => {
    if (!listening) return;
    const onKey = (e: KeyboardEvent) => {
      e.preventDefault();
      e.stopPropagation();
      if (e.code !== 'Escape') setPrefs({ pttKey: e.code });
      setListening(false);
    };
    window.addEventListener('keydown', onKey, { capture: true });
    return () => window.removeEventListener('keydown', onKey, { capture: true });
  }, [listening]);
  return (
    <div className="field">
      <span className="field-label" id="ptt-key-label">
        {t('voice.pttKey')}
      </span>
      <Button
        variant="secondary"
        aria-describedby="ptt-key-label"
        onClick={() => setListening(true)}
        aria-live="polite"
      >
        {listening ? t('voice.pttPress') : keyName(pttKey)}
      </Button>
    </div>
  );
}
