/**
 * @parley/client/browser — the browser audio engine: microphone capture
 * in an AudioWorklet, Opus through WebCodecs (or the SDK's wasm libopus),
 * the receive side (jitter buffers, decoding, the mix) inside the playout
 * AudioWorklet, voice activation / push-to-talk, per-user volume,
 * priority ducking and speaking detection from the SDK core, devices,
 * RNNoise, and a microphone test for the settings page.
 */
export { BrowserVoice } from './voice.js';
export type {
  BrowserVoiceOptions,
  BrowserVoiceStats,
  BrowserVoiceCounters,
  BrowserVoiceEvents,
  DeviceChange,
  InputTap,
  VoiceMode,
} from './voice.js';
export { MicTest } from './mic-test.js';
export type { MicTestOptions } from './mic-test.js';
export { listAudioDevices, watchAudioDevices } from './devices.js';
export type { AudioDeviceInfo, AudioDeviceList } from './devices.js';
export type { AudioProcessing } from './capture.js';
export type { OutputTap, OutputTapInfo } from './playout/worklet-node.js';
export type { PlayoutStats } from './playout/messages.js';
export { PlaybackRing } from './playback-ring.js';
export { loadOpusModule, loadOpusWasm } from './opus-loader.js';
export { webCodecsOpusSupported } from './encoders.js';
export type { EncoderKind } from './encoders.js';
