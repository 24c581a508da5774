import { useEffect, useState } from 'react';
import { describeError, useI18n } from '../i18n';
import { api, type RuntimeSettings } from '../lib/api';
import { Button } from '../ui/Button';
import { Input, Select, Toggle } from '../ui/Field';
import { useToast } from '../ui/Toast';
import { ErrorLine } from './common';

export function ConfigAdmin({ token }: { token: string }) {
  const { t } = useI18n();
  const toast = useToast();
  const [s, setS] = useState<RuntimeSettings | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    const ctl = new AbortController();
    api<RuntimeSettings>('/config', { token, signal: ctl.signal }).then(
      setS,
      (err: unknown) => !ctl.signal.aborted && setError(err),
    );
    return () => ctl.abort();
  }, [token]);
  if (s === null) return <ErrorLine error={error} />;
  const save = async () => {
    setBusy(true);
    setError(null);
    try {
      setS(await api<RuntimeSettings>('/config', { method: 'PATCH', token, body: s }));
      toast.show(t('common.saved'), 'success');
    } catch (err) {
      setError(err);
      toast.show(describeError(t, err), 'error');
    } finally {
      setBusy(false);
    }
  };
  return (
    <form
      className="settings-grid"
      onSubmit={(e) => {
        e.preventDefault();
        void save();
      }}
      aria-label={t('admin.settings')}
    >
      <Toggle
        label={t('admin.allowGuests')}
        checked={s.allowGuests}
        onChange={(v) => setS({ ...s, allowGuests: v })}
      />
      <Toggle
        label={t('admin.allowRegistration')}
        checked={s.allowRegistration}
        onChange={(v) => setS({ ...s, allowRegistration: v })}
      />
      <Input
        label={t('admin.defaultBitrate')}
        type="number"
        min={6000}
        max={510000}
        step={1000}
        value={s.defaultBitrate}
        onChange={(e) => setS({ ...s, defaultBitrate: Number(e.currentTarget.value) })}
      />
      <Select
        label={t('admin.frameMs')}
        value={String(s.frameMs)}
        options={[10, 20, 40, 60].map((v) => ({ value: String(v), label: `${v} ms` }))}
        onChange={(e) => setS({ ...s, frameMs: Number(e.currentTarget.value) as RuntimeSettings['frameMs'] })}
      />
      <Input
        label={t('admin.maxUsers')}
        type="number"
        min={0}
        value={s.maxUsersPerChannel}
        onChange={(e) => setS({ ...s, maxUsersPerChannel: Number(e.currentTarget.value) })}
      />
      <ErrorLine error={error} />
      <div>
        <Button type="submit" busy={busy}>
          {t('common.save')}
        </Button>
      </div>
    </form>
  );
}
