/**
 * Time-scale modification of one decoded frame, pitch-synchronous
 * overlap-add (WSOLA in spirit, as NetEQ's accelerate and pre-emptive
 * expand): `accelerate` merges two consecutive pitch periods into one (the
 * frame gets shorter by a period), `expand` repeats one (longer by a
 * period). The splice is a raised-cosine cross-fade between two stretches
 * of signal found to be alike, so value and slope stay continuous and the
 * pitch is kept. Pure; the caller decides when (docs/playout.md).
 */
import { rmsDbfs } from './analysis.js';

export interface PitchLag {
  /** Lag in samples. */
  lag: number;
  /** Normalized cross-correlation at that lag, −1…1 (0 for silence). */
  corr: number;
}

export interface TimeScaleOptions {
  /** Shortest and longest period tried (samples at 48 kHz: 2.5 ms and 10 ms by default). */
  minLag?: number;
  maxLag?: number;
}

const MIN_LAG = 120;
const MAX_LAG = 480;
const DECIMATE = 4;

/** Reused scratch for the decimated copy (one frame of 20 ms is 240 samples decimated). */
let scratch = new Float32Array(0);

/**
 * The lag in [minLag, maxLag] at which `x[0, len)` best matches
 * `x[lag, lag + len)`, with len = lag (two whole periods must fit:
 * 2·lag ≤ x.length). Searched on a 4× decimated copy, then refined at full
 * rate around the best decimated lag.
 */
export function findPitchLag(x: Int16Array, opts: TimeScaleOptions = {}): PitchLag {
  const maxLag = Math.min(opts.maxLag ?? MAX_LAG, x.length >> 1);
  const minLag = Math.min(opts.minLag ?? MIN_LAG, maxLag);
  if (maxLag < 2) return { lag: Math.max(1, maxLag), corr: 0 };
  const m = Math.floor(x.length / DECIMATE);
  if (scratch.length < m) scratch = new Float32Array(m);
  const d = scratch;
  for (let i = 0; i < m; i++) {
    let s = 0;
    for (let k = 0; k < DECIMATE; k++) s += x[i * DECIMATE + k]!;
    d[i] = s;
  }
  // Coarse: a fixed window (the shortest period) compared at every lag.
  const win = Math.max(1, Math.floor(minLag / DECIMATE));
  let best = Math.max(1, Math.floor(minLag / DECIMATE));
  let bestC = -Infinity;
  for (let lag = Math.max(1, Math.floor(minLag / DECIMATE)); lag <= Math.floor(maxLag / DECIMATE); lag++) {
    if (lag + win > m) break;
    const c = ncc(d, 0, lag, win);
    if (c > bestC) {
      bestC = c;
      best = lag;
    }
  }
  // Fine: at full rate, ±DECIMATE around the coarse lag, over a whole period.
  let lagOut = Math.min(maxLag, Math.max(minLag, best * DECIMATE));
  let corrOut = -Infinity;
  for (let lag = best * DECIMATE - DECIMATE; lag <= best * DECIMATE + DECIMATE; lag++) {
    if (lag < minLag || lag > maxLag) continue;
    const c = ncc(x, 0, lag, lag);
    if (c > corrOut) {
      corrOut = c;
      lagOut = lag;
    }
  }
  return { lag: lagOut, corr: Number.isFinite(corrOut) ? corrOut : 0 };
}

/** Normalized cross-correlation of x[a, a+len) and x[b, b+len); 0 when either is silent. */
function ncc(x: ArrayLike<number>, a: number, b: number, len: number): number {
  let xy = 0;
  let xx = 0;
  let yy = 0;
  for (let i = 0; i < len; i++) {
    const u = x[a + i]!;
    const v = x[b + i]!;
    xy += u * v;
    xx += u * u;
    yy += v * v;
  }
  return xx === 0 || yy === 0 ? 0 : xy / Math.sqrt(xx * yy);
}

function clamp16(v: number): number {
  return v > 32767 ? 32767 : v < -32768 ? -32768 : Math.round(v);
}

/** Raised-cosine fade-in weight of sample i of n (0 → 1). */
function fadeIn(i: number, n: number): number {
  return 0.5 - 0.5 * Math.cos((Math.PI * (i + 0.5)) / n);
}

/**
 * The frame `lag` samples shorter: its first two periods, x[0, lag) fading
 * out and x[lag, 2·lag) fading in, become one; the rest follows as it is.
 * Starts like x (x[0]) and joins x[2·lag] seamlessly.
 */
export function accelerate(x: Int16Array, lag: number): Int16Array {
  if (lag <= 0 || 2 * lag > x.length) return x;
  const out = new Int16Array(x.length - lag);
  for (let i = 0; i < lag; i++) {
    const w = fadeIn(i, lag);
    out[i] = clamp16(x[i]! * (1 - w) + x[lag + i]! * w);
  }
  out.set(x.subarray(2 * lag), lag);
  return out;
}

/**
 * The frame `lag` samples longer: x[0, lag) is played, then a period that
 * blends from x[lag, 2·lag) (fading out) into x[0, lag) (fading in), and
 * the frame goes on from x[lag] again: one period is heard twice, and both
 * joins are continuous.
 */
export function expand(x: Int16Array, lag: number): Int16Array {
  if (lag <= 0 || 2 * lag > x.length) return x;
  const out = new Int16Array(x.length + lag);
  out.set(x.subarray(0, lag), 0);
  for (let i = 0; i < lag; i++) {
    const w = fadeIn(i, lag);
    out[lag + i] = clamp16(x[lag + i]! * (1 - w) + x[i]! * w);
  }
  out.set(x.subarray(lag), 2 * lag);
  return out;
}

/** How a frame may be time-scaled: which lag, and whether it is fit for it. */
export interface ScaleChoice {
  lag: number;
  /** Voiced or tonal: the periods match (correlation ≥ 0.9). */
  periodic: boolean;
  /** Quiet enough (< −45 dBFS) that any splice is inaudible. */
  quiet: boolean;
}

/** Below this a frame is quiet: any lag will do. */
export const QUIET_DBFS = -45;
/** At or above this normalized correlation, two periods are alike enough to merge or repeat. */
export const PERIODIC_CORR = 0.9;

/** Looks at one frame: its pitch period and whether it can be time-scaled without an artefact. */
export function scaleChoice(x: Int16Array, opts: TimeScaleOptions = {}): ScaleChoice {
  const quiet = rmsDbfs(x) < QUIET_DBFS;
  if (quiet) return { lag: Math.min(opts.maxLag ?? MAX_LAG, x.length >> 1), periodic: false, quiet };
  const p = findPitchLag(x, opts);
  return { lag: p.lag, periodic: p.corr >= PERIODIC_CORR, quiet };
}
