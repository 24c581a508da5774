/**
 * The app's one door to the browser audio engine (`@parley/client/browser`,
 * issue 11 part 4). Everything audio in the app goes through these
 * functions, so the rest of the app does not change when the engine comes.
 * In a build without the engine they say so (`AUDIO_AVAILABLE` false) and
 * the app runs presence and chat only.
 */
import type { VoiceClient } from '@parley/client';
import type { Prefs, VoiceModeChoice } from '../lib/prefs';

export const AUDIO_AVAILABLE = false;

export interface DeviceInfo {
  deviceId: string;
  label: string;
}

export interface DeviceList {
  inputs: DeviceInfo[];
  outputs: DeviceInfo[];
}

export interface LinkStats {
  transport: string;
  cipher: string;
  encoder: string;
  rttMs: number;
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
  setMuted(b: boolean): void;
  setDeafened(b: boolean): void;
  setUserVolume(userKey: string, gain: number): void;
  onInputLevel(fn: (dbfs: number, sending: boolean) => void): () => void;
  onSpeaking(fn: (ssrc: number, speaking: boolean, dbfs: number) => void): () => void;
  remoteLevel(ssrc: number): number;
  stats(): LinkStats;
  close(): Promise<void>;
}

export interface MicTestHandle {
  onInputLevel(fn: (dbfs: number) => void): () => void;
  close(): Promise<void>;
}

const NOT_BUILT = 'the audio engine is not part of this build';

/** Starts the call's audio on a joined client (null when this build has no engine). */
export function startAudio(_client: VoiceClient, _prefs: Prefs): Promise<AudioEngine | null> {
  return Promise.resolve(null);
}

export function listDevices(): Promise<DeviceList> {
  return Promise.reject(new Error(NOT_BUILT));
}

/** Calls `fn` when devices are plugged in or out; returns the unsubscribe. */
export function watchDevices(_fn: () => void): () => void {
  return () => undefined;
}

export function startMicTest(_opts: {
  inputDeviceId: string;
  outputDeviceId: string;
  loopback: boolean;
  processing: ProcessingOptions;
}): Promise<MicTestHandle> {
  return Promise.reject(new Error(NOT_BUILT));
}
