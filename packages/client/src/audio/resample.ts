/**
 * Sample-rate conversion to 48 kHz with a windowed-sinc (Blackman) low-pass
 * interpolator, and int16 ↔ float conversion.
 *
 * The filter is computed once per call, not per tap. For a ratio
 * outRate/inRate = L/M in lowest terms, output sample j sits at input
 * position j·M/L, whose fractional part is one of L phases: with L ≤
 * MAX_EXACT_PHASES each phase gets its own exact table of weights (44.1 →
 * 48 kHz: 160 phases). Other ratios (44 099 Hz: 48 000 phases) use
 * QUANTIZED_PHASES tables and interpolate linearly between the two nearest.
 * The output is that of the direct formula (resample.test.ts compares them).
 */

import { SAMPLE_RATE } from '@parley/protocol';

const HALF_TAPS = 24;
/** Most phases given an exact table each. */
const MAX_EXACT_PHASES = 1024;
/** Tables of the quantized filter, one per 1/QUANTIZED_PHASES of a sample. */
const QUANTIZED_PHASES = 1024;

function blackman(x: number): number {
  // x in [−1, 1]
  const t = (x + 1) / 2;
  return 0.42 - 0.5 * Math.cos(2 * Math.PI * t) + 0.08 * Math.cos(4 * Math.PI * t);
}

function sinc(x: number): number {
  if (x === 0) return 1;
  const px = Math.PI * x;
  return Math.sin(px) / px;
}

function gcd(a: number, b: number): number {
  while (b !== 0) [a, b] = [b, a % b];
  return a;
}

/**
 * The filter's weights for `phases` + 1 fractional offsets f = p/phases
 * (p = 0 … phases; the last one lets the quantized path interpolate up to
 * f = 1): row p holds the weight of input sample base + k for k in
 * [−half, half + 1], zero outside the window |k − f| ≤ half.
 */
export interface Kernel {
  half: number;
  /** Taps per row: 2·half + 2. */
  taps: number;
  phases: number;
  weights: Float64Array;
  /** Sum of each row, to normalize (the filter's gain is 1 at DC). */
  sums: Float64Array;
}

function makeKernel(cutoff: number, half: number, phases: number): Kernel {
  const taps = 2 * half + 2;
  const weights = new Float64Array((phases + 1) * taps);
  const sums = new Float64Array(phases + 1);
  for (let p = 0; p <= phases; p++) {
    const f = p / phases;
    let sum = 0;
    for (let k = -half; k <= half + 1; k++) {
      const d = k - f;
      if (d < -half || d > half) continue;
      const w = cutoff * sinc(cutoff * d) * blackman(d / half);
      weights[p * taps + k + half] = w;
      sum += w;
    }
    sums[p] = sum;
  }
  return { half, taps, phases, weights, sums };
}

/** Σ input[base + k]·w over row `row`, and Σ w where samples exist (the edges of the input). */
function dot(input: Float32Array, k: Kernel, row: number, base: number, edge: { norm: number }): number {
  const { half, taps, weights } = k;
  const w0 = row * taps;
  const i0 = base - half;
  let acc = 0;
  if (i0 >= 0 && i0 + taps <= input.length) {
    for (let t = 0; t < taps; t++) acc += input[i0 + t]! * weights[w0 + t]!;
    edge.norm = k.sums[row]!;
    return acc;
  }
  let norm = 0;
  const from = Math.max(0, -i0);
  const to = Math.min(taps, input.length - i0);
  for (let t = from; t < to; t++) {
    const w = weights[w0 + t]!;
    acc += input[i0 + t]! * w;
    norm += w;
  }
  edge.norm = norm;
  return acc;
}

/** The low-pass of a conversion: at the lower of the two Nyquist frequencies (slightly under), and its half width. */
function lowPass(ratio: number): { cutoff: number; half: number } {
  return { cutoff: Math.min(1, ratio) * 0.97, half: Math.ceil(HALF_TAPS / Math.min(1, ratio)) };
}

/**
 * The filter `resampleTo48k` uses for ratios without exact tables, for a
 * stream converted chunk by chunk (stream-resample.ts): QUANTIZED_PHASES
 * rows, to interpolate between.
 */
export function quantizedKernel(inRate: number, outRate: number): Kernel {
  const { cutoff, half } = lowPass(outRate / inRate);
  return makeKernel(cutoff, half, QUANTIZED_PHASES);
}

/** Resamples mono audio to `outRate` (default SAMPLE_RATE, 48 kHz). */
export function resampleTo48k(input: Float32Array, inRate: number, outRate = SAMPLE_RATE): Float32Array {
  if (inRate === outRate) return input.slice();
  const ratio = outRate / inRate;
  const out = new Float32Array(Math.floor(input.length * ratio));
  const { cutoff, half } = lowPass(ratio);
  const g = Number.isInteger(inRate) && Number.isInteger(outRate) ? gcd(inRate, outRate) : 0;
  const up = g > 0 ? outRate / g : Infinity;
  const edge = { norm: 0 };
  if (up <= MAX_EXACT_PHASES) {
    // Output j is at input position base + phase/up, stepping by down/up.
    const down = inRate / g;
    const k = makeKernel(cutoff, half, up);
    let base = 0;
    let phase = 0;
    for (let j = 0; j < out.length; j++) {
      const acc = dot(input, k, phase, base, edge);
      out[j] = edge.norm > 0 ? acc / edge.norm : 0;
      phase += down;
      while (phase >= up) {
        phase -= up;
        base++;
      }
    }
    return out;
  }
  const k = makeKernel(cutoff, half, QUANTIZED_PHASES);
  for (let j = 0; j < out.length; j++) {
    const center = j / ratio;
    const base = Math.floor(center);
    const q = (center - base) * QUANTIZED_PHASES;
    const row = Math.min(QUANTIZED_PHASES - 1, Math.floor(q));
    const t = q - row;
    const a = dot(input, k, row, base, edge);
    const normA = edge.norm;
    const b = dot(input, k, row + 1, base, edge);
    const norm = (1 - t) * normA + t * edge.norm;
    out[j] = norm > 0 ? ((1 - t) * a + t * b) / norm : 0;
  }
  return out;
}

export function floatToInt16(x: Float32Array): Int16Array {
  const out = new Int16Array(x.length);
  for (let i = 0; i < x.length; i++) {
    const s = Math.max(-1, Math.min(1, x[i]!));
    out[i] = Math.round(s * 32767);
  }
  return out;
}

export function int16ToFloat(x: Int16Array): Float32Array {
  const out = new Float32Array(x.length);
  for (let i = 0; i < x.length; i++) out[i] = x[i]! / 32768;
  return out;
}
