/** Audio building blocks: Opus, jitter buffer, time-scaling, mixer, WAV, resampling, analysis. */
export { instantiateOpus, OpusEncoder, OpusDecoder } from './opus.js';
export type { OpusModule, OpusEncoderOptions, OpusDecoderStats } from './opus.js';
export { JitterBuffer } from './jitter-buffer.js';
export type { JitterBufferOptions, JitterBufferStats, PushResult, PopResult } from './jitter-buffer.js';
export { accelerate, expand, findPitchLag, scaleChoice } from './time-scale.js';
export type { PitchLag, ScaleChoice, TimeScaleOptions } from './time-scale.js';
export { RelativeDelay } from './relative-delay.js';
export type { RelativeDelayOptions } from './relative-delay.js';
export { Mixer, dbToGain, limitSample } from './mixer.js';
export type { MixSource } from './mixer.js';
export { parseWav, encodeWav, wavHeader, MAX_WAV_SAMPLES, MAX_WAV_DATA_BYTES } from './wav.js';
export type { WavAudio } from './wav.js';
export { resampleTo48k, floatToInt16, int16ToFloat } from './resample.js';
export { dominantFrequency, rmsDbfs, longestGapMs, toneInt16 } from './analysis.js';
export {
  VoiceActivityDetector,
  SpeakingDetector,
  DEFAULT_VAD_THRESHOLD_DB,
  DEFAULT_SPEAKING_THRESHOLD_DB,
} from './vad.js';
export type { LevelGateOptions } from './vad.js';
