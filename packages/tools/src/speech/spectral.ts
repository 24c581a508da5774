/**
 * How far a recording's spectrum is from its source's: the log-spectral
 * distance (LSD) over short Hann-windowed frames where the source speaks,
 * and the share of those frames where the recording is missing (holes).
 * The two signals must be aligned first (align.ts). Pure.
 *
 * Per frame, LSD = √(mean over the band's bins of (L_src − L_rec)²), L a
 * bin's level in dB relative to a full-scale sine's peak bin, clamped from
 * below at `floorDb` (so that inaudible differences deep under the speech
 * do not count, and silence has a finite level). Identical frames give
 * 0 dB; the recording 6 dB quieter gives 6 dB; two independent white
 * noises of the same level, ≈ 7.9 dB (10/ln 10 · π/√3: the spread of two
 * log-periodograms).
 */
import { SAMPLE_RATE } from '@parley/protocol';
import { Fft } from './fft.js';

export interface SpectralDistanceOptions {
  sampleRate?: number;
  /** Analysis frame (default 20 ms), Hann-windowed, zero-padded to a power of two. */
  frameMs?: number;
  /** From one frame's start to the next (default 10 ms). */
  hopMs?: number;
  /** The band compared, Hz (default 50–8000: wideband speech). */
  lowHz?: number;
  highHz?: number;
  /** Bin levels are clamped from below at this, dB (default −80). */
  floorDb?: number;
  /** A source frame is speech when its level is within this of the source's loudest frame (default 30 dB). */
  speechRangeDb?: number;
  /** A speech frame is a hole when the recording is this much quieter there than the source (default 20 dB). */
  holeDb?: number;
}

export interface SpectralDistance {
  /** Mean LSD (dB) over the source's speech frames, holes included. */
  lsdDb: number;
  /** Mean LSD (dB) over the speech frames that are not holes: how what is heard differs. */
  heardLsdDb: number;
  speechFrames: number;
  holes: number;
  /** holes / speechFrames (0 without speech). */
  holeShare: number;
  /** Each speech frame's LSD (dB), in time order: for percentiles. */
  frames: Float64Array;
}

type Pcm = Int16Array | Float32Array;

/** Mean square of `x[from, from + n)` in full-scale units (missing samples are 0). */
function meanSquare(x: Pcm, from: number, n: number, scale: number): number {
  let sum = 0;
  const end = Math.min(x.length, from + n);
  for (let i = Math.max(0, from); i < end; i++) {
    const s = x[i]! / scale;
    sum += s * s;
  }
  return sum / n;
}

const toDb = (power: number): number => (power > 0 ? 10 * Math.log10(power) : -Infinity);

/**
 * The log-spectral distance of `rec` from `src`, frame by frame where `src`
 * speaks (both at the same rate, already aligned: `rec[i]` is heard for
 * `src[i]`; `rec` may be shorter, its missing end counts as silence).
 */
export function spectralDistance(src: Pcm, rec: Pcm, opts: SpectralDistanceOptions = {}): SpectralDistance {
  const rate = opts.sampleRate ?? SAMPLE_RATE;
  const frame = Math.round(((opts.frameMs ?? 20) * rate) / 1000);
  const hop = Math.max(1, Math.round(((opts.hopMs ?? 10) * rate) / 1000));
  const floorDb = opts.floorDb ?? -80;
  const speechRange = opts.speechRangeDb ?? 30;
  const holeDb = opts.holeDb ?? 20;
  let size = 2;
  while (size < frame) size *= 2;
  const fft = new Fft(size);
  const lowBin = Math.max(1, Math.ceil(((opts.lowHz ?? 50) * size) / rate));
  const highBin = Math.min(size / 2, Math.floor(((opts.highHz ?? 8000) * size) / rate));
  if (highBin < lowBin) throw new RangeError('the band holds no FFT bin');
  const window = new Float64Array(frame);
  let windowSum = 0;
  for (let i = 0; i < frame; i++) {
    window[i] = 0.5 - 0.5 * Math.cos((2 * Math.PI * i) / frame);
    windowSum += window[i]!;
  }
  // A full-scale sine's peak bin has magnitude windowSum / 2: 0 dB.
  const norm = (windowSum / 2) ** 2;
  const srcScale = src instanceof Int16Array ? 32768 : 1;
  const recScale = rec instanceof Int16Array ? 32768 : 1;

  const starts: number[] = [];
  for (let at = 0; at + frame <= src.length; at += hop) starts.push(at);
  const srcLevel = starts.map((at) => toDb(meanSquare(src, at, frame, srcScale)));
  const loudest = srcLevel.reduce((m, l) => Math.max(m, l), -Infinity);

  const re = new Float64Array(size);
  const im = new Float64Array(size);
  const levels = (x: Pcm, at: number, scale: number, out: Float64Array): void => {
    re.fill(0);
    im.fill(0);
    for (let i = 0; i < frame; i++) {
      const j = at + i;
      re[i] = j < x.length ? (x[j]! / scale) * window[i]! : 0;
    }
    fft.transform(re, im);
    for (let k = lowBin; k <= highBin; k++)
      out[k - lowBin] = Math.max(floorDb, toDb((re[k]! * re[k]! + im[k]! * im[k]!) / norm));
  };
  const bins = highBin - lowBin + 1;
  const a = new Float64Array(bins);
  const b = new Float64Array(bins);

  const perFrame: number[] = [];
  let speechFrames = 0;
  let holes = 0;
  let sumAll = 0;
  let sumHeard = 0;
  starts.forEach((at, f) => {
    const level = srcLevel[f]!;
    if (!(level > -Infinity) || level < loudest - speechRange) return;
    speechFrames++;
    levels(src, at, srcScale, a);
    levels(rec, at, recScale, b);
    let sq = 0;
    for (let k = 0; k < bins; k++) sq += (a[k]! - b[k]!) ** 2;
    const lsd = Math.sqrt(sq / bins);
    perFrame.push(lsd);
    sumAll += lsd;
    if (toDb(meanSquare(rec, at, frame, recScale)) < level - holeDb) holes++;
    else sumHeard += lsd;
  });
  const heard = speechFrames - holes;
  return {
    lsdDb: speechFrames === 0 ? 0 : sumAll / speechFrames,
    heardLsdDb: heard === 0 ? 0 : sumHeard / heard,
    speechFrames,
    holes,
    holeShare: speechFrames === 0 ? 0 : holes / speechFrames,
    frames: Float64Array.from(perFrame),
  };
}
