/**
 * Sample-rate conversion to 48 kHz with a windowed-sinc (Blackman) low-pass
 * interpolator, and int16 ↔ float conversion.
 */

const HALF_TAPS = 24;

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

/** Resamples mono audio to `outRate` (default 48 kHz). */
export function resampleTo48k(input: Float32Array, inRate: number, outRate = 48000): Float32Array {
  if (inRate === outRate) return input.slice();
  const ratio = outRate / inRate;
  const outLen = Math.floor(input.length * ratio);
  const out = new Float32Array(outLen);
  // Low-pass at the lower of the two Nyquist frequencies (slightly under).
  const cutoff = Math.min(1, ratio) * 0.97;
  const half = Math.ceil(HALF_TAPS / Math.min(1, ratio));
  for (let j = 0; j < outLen; j++) {
    const center = j / ratio;
    const first = Math.max(0, Math.ceil(center - half));
    const last = Math.min(input.length - 1, Math.floor(center + half));
    let acc = 0;
    let norm = 0;
    for (let i = first; i <= last; i++) {
      const d = i - center;
      const w = cutoff * sinc(cutoff * d) * blackman(d / half);
      acc += input[i]! * w;
      norm += w;
    }
    out[j] = norm > 0 ? acc / norm : 0;
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
