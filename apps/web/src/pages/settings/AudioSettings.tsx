/**
 * Devices (listed again when one is plugged in or out), processing, RNNoise,
 * bitrate, and a microphone test with a meter and optional loopback. A
 * change applies to the call at once when one is running.
 */
import { useEffect, useState } from 'react';
import { describeError, useI18n } from '../../i18n';
import { setPrefs, usePrefs, type Prefs } from '../../lib/prefs';
import { useSession } from '../../voice/connection';
import { useEngine } from '../../voice/hooks';
import {
  listDevices,
  startMicTest,
  watchDevices,
  type DeviceList,
  type MicTestHandle,
} from '../../voice/audio';
import { Button } from '../../ui/Button';
import { Select, Toggle } from '../../ui/Field';
import { LevelMeter } from '../../ui/LevelMeter';
import { useToast } from '../../ui/Toast';

const BITRATES = [0, 16000, 24000, 32000, 48000, 64000, 96000, 128000];

function processingOf(p: Prefs) {
  return {
    echoCancellation: p.echoCancellation,
    noiseSuppression: p.noiseSuppression,
    autoGainControl: p.autoGainControl,
    rnnoise: p.rnnoise,
  };
}

export function AudioSettings() {
  const { t } = useI18n();
  const toast = useToast();
  const prefs = usePrefs();
  const engine = useEngine(useSession());
  const [devices, setDevices] = useState<DeviceList | null>(null);
  const [deviceError, setDeviceError] = useState<string | null>(null);
  const [test, setTest] = useState<MicTestHandle | null>(null);
  const [loopback, setLoopback] = useState(false);
  const [testLevel, setTestLevel] = useState(-100);
  /** The microphone the call uses now (after a switch has taken effect). */
  const [inUse, setInUse] = useState<string | null>(null);
  useEffect(() => setInUse(engine?.inputLabel() ?? null), [engine]);
  /** The output device the call plays on now (its id; '' = the system default). */
  const [outInUse, setOutInUse] = useState<string | null>(null);
  useEffect(() => setOutInUse(engine?.outputDevice() ?? null), [engine]);
  // Unplugged or plugged back: the engine has moved to another device.
  useEffect(
    () =>
      engine?.onDeviceChange(() => {
        setInUse(engine.inputLabel());
        setOutInUse(engine.outputDevice());
      }),
    [engine],
  );

  useEffect(() => {
    let live = true;
    const load = () =>
      listDevices().then(
        (d) => live && (setDevices(d), setDeviceError(null)),
        (err: unknown) => live && setDeviceError(describeError(t, err)),
      );
    void load();
    const stop = watchDevices(() => void load());
    return () => {
      live = false;
      stop();
    };
  }, [t]);

  useEffect(() => {
    if (test === null) return;
    const off = test.onInputLevel((db) => setTestLevel(db));
    return () => {
      off();
      void test.close();
    };
  }, [test]);

  const fail = (err: unknown) => toast.show(describeError(t, err), 'error');
  const update = (patch: Partial<Prefs>) => {
    setPrefs(patch);
    const next = { ...prefs, ...patch };
    if (engine === null) return;
    if (patch.inputDeviceId !== undefined) {
      engine.setInputDevice(patch.inputDeviceId).then(() => setInUse(engine.inputLabel()), fail);
    }
    if (patch.outputDeviceId !== undefined) {
      engine.setOutputDevice(patch.outputDeviceId).then(() => setOutInUse(engine.outputDevice()), fail);
    }
    if (patch.bitrate !== undefined) engine.setBitrate(patch.bitrate);
    if (['echoCancellation', 'noiseSuppression', 'autoGainControl', 'rnnoise'].some((k) => k in patch)) {
      engine.setProcessing(processingOf(next)).catch(fail);
    }
  };
  const toggleTest = async () => {
    if (test !== null) {
      setTest(null);
      setTestLevel(-100);
      return;
    }
    try {
      setTest(
        await startMicTest({
          inputDeviceId: prefs.inputDeviceId,
          outputDeviceId: prefs.outputDeviceId,
          loopback,
          processing: processingOf(prefs),
        }),
      );
    } catch (err) {
      fail(err);
    }
  };
  const deviceOptions = (list: DeviceList['inputs'] | undefined) => [
    { value: '', label: t('settings.default') },
    ...(list ?? [])
      .filter((d) => d.deviceId !== '' && d.deviceId !== 'default')
      .map((d) => ({ value: d.deviceId, label: d.label || d.deviceId })),
  ];
  return (
    <div className="settings-grid">
      {deviceError !== null && (
        <p className="muted">
          {t('settings.devicesUnavailable')} ({deviceError})
        </p>
      )}
      <Select
        label={t('settings.input')}
        hint={t('settings.devicesHint')}
        value={prefs.inputDeviceId}
        options={deviceOptions(devices?.inputs)}
        disabled={devices === null}
        onChange={(e) => update({ inputDeviceId: e.currentTarget.value })}
      />
      {inUse !== null && (
        <p className="field-hint" role="status" data-testid="input-in-use">
          {t('settings.inUse', { label: inUse })}
        </p>
      )}
      <Select
        label={t('settings.output')}
        value={prefs.outputDeviceId}
        options={deviceOptions(devices?.outputs)}
        disabled={devices === null}
        onChange={(e) => update({ outputDeviceId: e.currentTarget.value })}
      />
      {outInUse !== null && (
        <p className="field-hint" role="status" data-testid="output-in-use">
          {t('settings.outputInUse', {
            label:
              outInUse === '' || outInUse === 'default'
                ? t('settings.default')
                : (devices?.outputs.find((d) => d.deviceId === outInUse)?.label ?? outInUse),
          })}
        </p>
      )}
      <Toggle
        label={t('settings.echo')}
        checked={prefs.echoCancellation}
        onChange={(v) => update({ echoCancellation: v })}
      />
      <Toggle
        label={t('settings.noise')}
        checked={prefs.noiseSuppression}
        onChange={(v) => update({ noiseSuppression: v })}
      />
      <Toggle
        label={t('settings.agc')}
        checked={prefs.autoGainControl}
        onChange={(v) => update({ autoGainControl: v })}
      />
      <Toggle
        label={t('settings.rnnoise')}
        hint={t('settings.rnnoiseHint')}
        checked={prefs.rnnoise}
        onChange={(v) => update({ rnnoise: v })}
      />
      <Select
        label={t('settings.bitrate')}
        value={String(prefs.bitrate)}
        options={BITRATES.map((b) => ({
          value: String(b),
          label: b === 0 ? t('settings.bitrateDefault') : `${b / 1000} kbit/s`,
        }))}
        onChange={(e) => update({ bitrate: Number(e.currentTarget.value) })}
      />
      <section className="stack card" aria-labelledby="mic-test-title">
        <h2 id="mic-test-title">{t('settings.micTest')}</h2>
        <Toggle
          label={t('settings.loopback')}
          checked={loopback}
          disabled={test !== null}
          onChange={setLoopback}
        />
        <LevelMeter label={t('voice.inputLevel')} db={testLevel} active={test !== null} />
        <div>
          <Button variant={test === null ? 'primary' : 'secondary'} onClick={() => void toggleTest()}>
            {test === null ? t('settings.micTestStart') : t('settings.micTestStop')}
          </Button>
        </div>
      </section>
    </div>
  );
}
