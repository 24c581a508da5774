/**
 * Where a source is in a recording of it, block by block. A recording
 * played out by a jitter buffer starts late, and its timing moves while it
 * plays (a frame concealed while the buffer grows, a frame skipped to catch
 * up, a stretch), so one lag for the whole recording would compare later
 * words with the wrong instants. Each block of the source is matched, on a
 * window around it, by normalized cross-correlation of the waveforms
 * (computed with an FFT): until the first match over all lags in
 * `[0, maxLagMs]`, then within ± `trackMs` of the previous block's lag.
 * Quiet blocks, and blocks without a clear match (a hole), keep the
 * previous lag; a match that neither neighbouring match confirms is
 * replaced by their median. Every search is over a bounded range. Pure.
 */
import { SAMPLE_RATE } from '@parley/protocol';
import { Fft } from './fft.js';

export interface AlignOptions {
  sampleRate?: number;
  /** Until the first match, lags are searched in [0, maxLagMs] (default 1000). */
  maxLagMs?: number;
  /** One lag per block of the source this long (default 100 ms). */
  blockMs?: number;
  /** Each block is matched on a window this long centred on it (default 200 ms). */
  windowMs?: number;
  /** After the first match, a block's lag is searched within ± this of the previous block's (default 120 ms). */
  trackMs?: number;
  /** A block whose best normalized correlation is under this is not matched: it keeps the lag before it (default 0.5). */
  minCorrelation?: number;
  /** A window this far (dB) under the source's loudest is quiet: not matched (default 30). */
  quietDb?: number;
}

export interface Alignment {
  /** The recording's lag at the first matched block, samples: `rec[i + lag]` is heard for `src[i]`. */
  lag: number;
  /** The median best correlation of the blocks that were not quiet (0..1; near 1: a faithful copy). */
  correlation: number;
  /** Samples per block. */
  blockSamples: number;
  /** Each block's lag, samples. */
  blockLags: Int32Array;
}

type Pcm = Int16Array | Float32Array;

/** Unmatched blocks in a row after which the whole lag range is searched again. */
const RECOVER_AFTER = 3;
/** How much better (correlation) another lag must match than the current one to replace it. */
const HYSTERESIS = 0.1;

const sample = (x: Pcm, i: number): number => (i >= 0 && i < x.length ? x[i]! : 0);

/** An FFT of one size and its four scratch arrays. */
interface Plan {
  fft: Fft;
  zr: Float64Array;
  zi: Float64Array;
  pr: Float64Array;
  pi: Float64Array;
}

function plan(plans: Map<number, Plan>, size: number): Plan {
  let p = plans.get(size);
  if (p === undefined) {
    const arr = (): Float64Array => new Float64Array(size);
    p = { fft: new Fft(size), zr: arr(), zi: arr(), pr: arr(), pi: arr() };
    plans.set(size, p);
  }
  return p;
}

/**
 * Normalized cross-correlation of `src[from, from + n)` with `rec` at each
 * lag in [lo, hi]: Σ s[i]·r[i + lag] / √(Σ s² · Σ r[i + lag]²), r 0 outside
 * its range. By FFT, O((n + hi − lo) log) instead of O(n · (hi − lo)): both
 * real signals in one complex transform (s + i·r), their cross-spectrum,
 * and one transform back.
 */
function correlate(
  plans: Map<number, Plan>,
  src: Pcm,
  from: number,
  n: number,
  rec: Pcm,
  lo: number,
  hi: number,
): Float64Array {
  const span = hi - lo;
  const m = n + span;
  let size = 2;
  while (size < m) size *= 2;
  const { fft, zr, zi, pr, pi } = plan(plans, size);
  zr.fill(0);
  zi.fill(0);
  let srcEnergy = 0;
  for (let i = 0; i < n; i++) {
    const x = sample(src, from + i);
    zr[i] = x;
    srcEnergy += x * x;
  }
  // Prefix sums of the recording's energy, for each lag's normalization.
  const recEnergy = new Float64Array(m + 1);
  for (let i = 0; i < m; i++) {
    const y = sample(rec, from + lo + i);
    zi[i] = y;
    recEnergy[i + 1] = recEnergy[i]! + y * y;
  }
  fft.transform(zr, zi);
  // S[k] = (Z[k] + conj Z[−k]) / 2, R[k] = (Z[k] − conj Z[−k]) / 2i; P = conj(S)·R, conjugated
  // so that the forward transform inverts it.
  for (let k = 0; k < size; k++) {
    const j = (size - k) & (size - 1);
    const sr = (zr[k]! + zr[j]!) / 2;
    const si = (zi[k]! - zi[j]!) / 2;
    const rr = (zi[k]! + zi[j]!) / 2;
    const ri = (zr[j]! - zr[k]!) / 2;
    pr[k] = sr * rr + si * ri;
    pi[k] = -(sr * ri - si * rr);
  }
  fft.transform(pr, pi);
  const out = new Float64Array(span + 1);
  for (let l = 0; l <= span; l++) {
    const energy = srcEnergy * (recEnergy[l + n]! - recEnergy[l]!);
    out[l] = energy > 0 ? pr[l]! / size / Math.sqrt(energy) : 0;
  }
  return out;
}

/** Aligns `rec` to `src` (same rate), block by block. */
export function align(src: Pcm, rec: Pcm, opts: AlignOptions = {}): Alignment {
  const perMs = (opts.sampleRate ?? SAMPLE_RATE) / 1000;
  const blockSamples = Math.max(1, Math.round((opts.blockMs ?? 100) * perMs));
  const windowSamples = Math.max(blockSamples, Math.round((opts.windowMs ?? 200) * perMs));
  const maxLag = Math.max(0, Math.round((opts.maxLagMs ?? 1000) * perMs));
  const track = Math.max(0, Math.round((opts.trackMs ?? 120) * perMs));
  const minCorrelation = opts.minCorrelation ?? 0.5;
  const quiet = Math.pow(10, -(opts.quietDb ?? 30) / 10);

  const blocks = Math.ceil(src.length / blockSamples);
  const windows: { from: number; n: number; energy: number }[] = [];
  let loudest = 0;
  for (let k = 0; k < blocks; k++) {
    const centre = k * blockSamples + blockSamples / 2;
    const from = Math.max(0, Math.round(centre - windowSamples / 2));
    const n = Math.min(src.length, Math.round(centre + windowSamples / 2)) - from;
    let energy = 0;
    for (let i = from; i < from + n; i++) energy += sample(src, i) ** 2;
    energy /= Math.max(1, n);
    loudest = Math.max(loudest, energy);
    windows.push({ from, n, energy });
  }

  // First pass: each block's match, tracked from the previous one.
  const plans = new Map<number, Plan>();
  const correlations: number[] = [];
  const matches: { block: number; lag: number }[] = [];
  let prev = 0;
  let misses = 0;
  windows.forEach((w, k) => {
    if (!(w.n > 0 && w.energy > 0 && w.energy >= loudest * quiet)) return;
    // Tracking, or searching the whole range: before the first match, and after
    // RECOVER_AFTER blocks in a row without one (playout jumped further than `track`).
    const wide = matches.length === 0 || misses >= RECOVER_AFTER;
    const lo = wide ? 0 : prev - track;
    const hi = wide ? Math.max(maxLag, prev + track) : prev + track;
    const c = correlate(plans, src, w.from, w.n, rec, lo, hi);
    let best = 0;
    for (let l = 1; l < c.length; l++) if (c[l]! > c[best]!) best = l;
    correlations.push(Math.max(0, c[best]!));
    if (c[best]! < minCorrelation) {
      misses++;
      return;
    }
    misses = 0;
    // Hysteresis: the lag moves only for a clearly better match.
    const stay = matches.length === 0 ? -Infinity : (c[prev - lo] ?? -Infinity);
    if (c[best]! > stay + HYSTERESIS) prev = lo + best;
    matches.push({ block: k, lag: prev });
  });
  // Second pass: a match that neither neighbour confirms is an outlier (a window full of
  // concealment can resemble another instant): the median of three consecutive matches.
  const lags = matches.map((m, i) => {
    const before = matches[i - 1];
    const after = matches[i + 1];
    if (before === undefined || after === undefined) return m.lag;
    return [before.lag, m.lag, after.lag].sort((a, b) => a - b)[1]!;
  });
  // Every block takes the lag of the last match at or before it (the first match's, before it).
  const blockLags = new Int32Array(blocks);
  let next = 0;
  for (let k = 0; k < blocks; k++) {
    while (next < matches.length && matches[next]!.block <= k) next++;
    blockLags[k] = lags[Math.max(0, next - 1)] ?? 0;
  }
  correlations.sort((a, b) => a - b);
  return {
    lag: lags[0] ?? 0,
    correlation: correlations.length === 0 ? 0 : correlations[Math.floor(correlations.length / 2)]!,
    blockSamples,
    blockLags,
  };
}

/** The recording re-timed to the source: `out[i] = rec[i + lag of i's block]`, 0 where there is none. */
export function warp(rec: Int16Array, alignment: Alignment, length: number): Int16Array {
  const out = new Int16Array(length);
  const { blockSamples, blockLags } = alignment;
  if (blockLags.length === 0) return out;
  for (let i = 0; i < length; i++) {
    const j = i + blockLags[Math.min(blockLags.length - 1, Math.floor(i / blockSamples))]!;
    if (j >= 0 && j < rec.length) out[i] = rec[j]!;
  }
  return out;
}
