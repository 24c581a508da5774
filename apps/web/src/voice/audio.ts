/**
 * The app's one door to the browser audio engine (`@parley/client/browser`,
 * issue 11 part 4): BrowserVoice for the call, MicTest for the settings
 * page, the device list and its watch. The rest of the app uses only what
 * is here.
 */
import type { VoiceClient } from '@parley/client';
import { BrowserVoice, listAudioDevices, MicTest, watchAudioDevices } from '@parley/client/browser';
import type { DeviceChange } from '@parley/client/browser';
import opusWasmUrl from '@evan/opus/wasm/opus.wasm?url';
import type { Prefs, VoiceModeChoice } from '../lib/prefs';
import { attachProbe, audioProbe } from './probe';

export type { DeviceChange };

export const AUDIO_AVAILABLE = true;

export interface DeviceInfo {
  deviceId: string;
  label: string;
}

export interface DeviceList {
  inputs: DeviceInfo[];
  outputs: DeviceInfo[];
}

export interface LinkStats {
  transport: string | null;
  cipher: string | null;
  encoder: string;
  rttMs: number | null;
  lossPct: number;
  jitterMs: number;
  jitterBufferMs: number;
  sendKbps: number;
  recvKbps: number;
}

export interface ProcessingOptions {
  echoCancellation: boolean;
  noiseSuppression: boolean;
  autoGainControl: boolean;
  rnnoise: boolean;
}

/** The call's audio: what BrowserVoice does, as the app uses it. */
export interface AudioEngine {
  setInputDevice(id: string): Promise<void>;
  setOutputDevice(id: string): Promise<void>;
  setProcessing(p: ProcessingOptions): Promise<void>;
  setBitrate(bps: number): void;
  setMode(m: VoiceModeChoice): void;
  setVadThreshold(db: number): void;
  setPushToTalk(pressed: boolean): void;
  /** Muting cuts the spurt at once (BrowserVoice.setMuted: its last packet is sent before this returns): tell the server after. */
  setMuted(b: boolean): void;
  setDeafened(b: boolean): void;
  setUserVolume(userKey: string, gain: number): void;
  onInputLevel(fn: (dbfs: number, sending: boolean) => void): () => void;
  onSpeaking(fn: (ssrc: number, speaking: boolean, dbfs: number) => void): () => void;
  onSelfSpeaking(fn: (speaking: boolean) => void): () => void;
  /** A device in use was unplugged (the default stands in) or came back. */
  onDeviceChange(fn: (change: DeviceChange) => void): () => void;
  /** The level of what is played (the mix you hear), every output frame, dBFS RMS. */
  onOutputLevel(fn: (dbfs: number) => void): () => void;
  remoteLevel(ssrc: number): number;
  /** The label of the microphone in use now (null: none yet). */
  inputLabel(): string | null;
  /** The id of the output device the call plays on now (`''` = the system default). */
  outputDevice(): string;
  isSpeaking(ssrc: number): boolean;
  stats(): LinkStats;
  close(): Promise<void>;
}

export interface MicTestHandle {
  onInputLevel(fn: (dbfs: number) => void): () => void;
  close(): Promise<void>;
}

/**
 * Browsers start audio only after the page was used (a click, a key):
 * after a reload the call waits for the first one instead of hanging.
 */
function afterUserGesture(): Promise<void> {
  const activation = (navigator as Navigator & { userActivation?: { hasBeenActive: boolean } })
    .userActivation;
  if (activation === undefined || activation.hasBeenActive) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      window.removeEventListener('pointerdown', done, true);
      window.removeEventListener('keydown', done, true);
      resolve();
    };
    window.addEventListener('pointerdown', done, true);
    window.addEventListener('keydown', done, true);
  });
}

/** RMS level of a 16-bit frame, dBFS (−Infinity for digital silence). */
export function int16Dbfs(frame: Int16Array): number {
  if (frame.length === 0) return -Infinity;
  let sum = 0;
  for (const s of frame) sum += s * s;
  const rms = Math.sqrt(sum / frame.length) / 32768;
  return rms > 0 ? 20 * Math.log10(rms) : -Infinity;
}

function wrap(v: BrowserVoice): AudioEngine {
  return {
    setInputDevice: (id) => v.setInputDevice(id),
    setOutputDevice: (id) => v.setOutputDevice(id),
    setProcessing: (p) => v.setProcessing(p),
    setBitrate: (bps) => v.setBitrate(bps),
    setMode: (m) => v.setMode(m),
    setVadThreshold: (db) => v.setVadThreshold(db),
    setPushToTalk: (pressed) => v.setPushToTalk(pressed),
    setMuted: (b) => v.setMuted(b),
    setDeafened: (b) => v.setDeafened(b),
    setUserVolume: (key, gain) => v.setUserVolume(key, gain),
    onInputLevel: (fn) => v.on('input-level', fn),
    onSpeaking: (fn) => v.on('speaking', fn),
    onSelfSpeaking: (fn) => v.on('self-speaking', fn),
    onDeviceChange: (fn) => v.on('device-change', fn),
    onOutputLevel: (fn) => v.tapOutput((frame) => fn(int16Dbfs(frame))),
    remoteLevel: (ssrc) => v.remoteLevel(ssrc),
    isSpeaking: (ssrc) => v.isSpeaking(ssrc),
    inputLabel: () => v.inputTrack?.label ?? null,
    outputDevice: () => v.outputDeviceId,
    stats: () => v.stats(),
    close: () => v.close(),
  };
}

/** Starts the call's audio on a joined client, with the user's devices and settings. */
export async function startAudio(client: VoiceClient, prefs: Prefs): Promise<AudioEngine> {
  await afterUserGesture();
  const tracer = audioProbe()?.tracer;
  const voice = await BrowserVoice.start(client, {
    opusWasmUrl: new URL(opusWasmUrl, location.href),
    ...(prefs.inputDeviceId === '' ? {} : { inputDeviceId: prefs.inputDeviceId }),
    ...(prefs.outputDeviceId === '' ? {} : { outputDeviceId: prefs.outputDeviceId }),
    echoCancellation: prefs.echoCancellation,
    noiseSuppression: prefs.noiseSuppression,
    autoGainControl: prefs.autoGainControl,
    rnnoise: prefs.rnnoise,
    ...(prefs.bitrate === 0 ? {} : { bitrate: prefs.bitrate }),
    mode: prefs.mode,
    vadThresholdDb: prefs.vadThresholdDb,
    ...(tracer === undefined ? {} : { tracer }),
  });
  attachProbe('call', voice);
  return wrap(voice);
}

export function listDevices(): Promise<DeviceList> {
  return listAudioDevices();
}

/** Calls `fn` when devices are plugged in or out; returns the unsubscribe. */
export function watchDevices(fn: () => void): () => void {
  return watchAudioDevices(() => fn());
}

export async function startMicTest(opts: {
  inputDeviceId: string;
  outputDeviceId: string;
  loopback: boolean;
  processing: ProcessingOptions;
}): Promise<MicTestHandle> {
  const test = await MicTest.start({
    loopback: opts.loopback,
    processing: opts.processing,
    ...(opts.inputDeviceId === '' ? {} : { inputDeviceId: opts.inputDeviceId }),
    ...(opts.outputDeviceId === '' ? {} : { outputDeviceId: opts.outputDeviceId }),
  });
  attachProbe('mic-test', test);
  return {
    onInputLevel: (fn) => test.on('input-level', (db) => fn(db)),
    close: () => test.close(),
  };
}
