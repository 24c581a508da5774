/**
 * Mixes 16-bit frames, each carrying its own gain (the Receiver keeps the
 * volumes, per speaker and apart from the streams). Sums in floating point,
 * then a soft-knee limiter: below 90 % of full scale samples pass unchanged
 * (one source at gain 1 stays bit-exact), above it they bend smoothly
 * toward full scale instead of wrapping or clipping hard.
 */

import { FRAME_SAMPLES } from '@parley/protocol';

const KNEE = 0.9 * 32767;
const HEADROOM = 32767 - KNEE;

/** dB → linear gain. */
export function dbToGain(db: number): number {
  return Math.pow(10, db / 20);
}

/** Soft-knee limit of one sample (in int16 units) into the int16 range. */
export function limitSample(x: number): number {
  const a = Math.abs(x);
  if (a <= KNEE) return Math.round(x);
  const bent = KNEE + HEADROOM * Math.tanh((a - KNEE) / HEADROOM);
  return Math.round(x < 0 ? -bent : bent);
}

/** One source's frame for `Mixer.mix`. */
export interface MixSource {
  /** Whose frame (the speaker's ssrc); not used by the mix. */
  id: number;
  pcm: Int16Array;
  /** Linear gain for this frame (≥ 0; 1 = unchanged, the default; 0 = muted). */
  gain?: number;
  /**
   * Gain at the frame's first sample, ramping linearly to `gain` at its
   * last (a fade, e.g. ducking): absent = `gain` throughout.
   */
  rampFrom?: number;
}

export class Mixer {
  /** The float accumulator, reused across mixes (grown to the longest frame seen). */
  private acc = new Float32Array(FRAME_SAMPLES);

  /** Mixes the sources into `out` (a new frame of the longest source's length by default). */
  mix(sources: readonly MixSource[], out?: Int16Array): Int16Array {
    let n = out?.length ?? 0;
    if (out === undefined) for (const s of sources) n = Math.max(n, s.pcm.length);
    if (this.acc.length < n) this.acc = new Float32Array(n);
    const acc = this.acc;
    acc.fill(0, 0, n);
    for (const s of sources) {
      const g = s.gain ?? 1;
      const g0 = s.rampFrom ?? g;
      if (g === 0 && g0 === 0) continue;
      const pcm = s.pcm;
      const len = Math.min(n, pcm.length);
      if (g0 === g) for (let i = 0; i < len; i++) acc[i]! += pcm[i]! * g;
      else {
        const step = len > 1 ? (g - g0) / (len - 1) : 0;
        for (let i = 0; i < len; i++) acc[i]! += pcm[i]! * (g0 + step * i);
      }
    }
    const dst = out ?? new Int16Array(n);
    for (let i = 0; i < n; i++) dst[i] = limitSample(acc[i]!);
    return dst;
  }
}
