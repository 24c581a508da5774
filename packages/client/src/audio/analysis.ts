/**
 * Measurements of audio, for tests and load tests: dominant frequency,
 * level, gaps, and a tone generator.
 */

/** In-place radix-2 FFT (re/im of length 2^k). */
function fft(re: Float64Array, im: Float64Array): void {
  const n = re.length;
  for (let i = 1, j = 0; i < n; i++) {
    let bit = n >> 1;
    for (; j & bit; bit >>= 1) j ^= bit;
    j ^= bit;
    if (i < j) {
      [re[i], re[j]] = [re[j]!, re[i]!];
      [im[i], im[j]] = [im[j]!, im[i]!];
    }
  }
  for (let len = 2; len <= n; len <<= 1) {
    const ang = (-2 * Math.PI) / len;
    const wr = Math.cos(ang);
    const wi = Math.sin(ang);
    for (let i = 0; i < n; i += len) {
      let cr = 1;
      let ci = 0;
      for (let k = 0; k < len / 2; k++) {
        const a = i + k;
        const b = a + len / 2;
        const tr = re[b]! * cr - im[b]! * ci;
        const ti = re[b]! * ci + im[b]! * cr;
        re[b] = re[a]! - tr;
        im[b] = im[a]! - ti;
        re[a]! += tr;
        im[a]! += ti;
        const ncr = cr * wr - ci * wi;
        ci = cr * wi + ci * wr;
        cr = ncr;
      }
    }
  }
}

/**
 * The strongest frequency in Hz: Hann-windowed FFT over the first 2^k
 * samples (up to 65536), refined by parabolic interpolation of the peak.
 */
export function dominantFrequency(samples: ArrayLike<number>, sampleRate: number): number {
  let n = 1;
  while (n * 2 <= samples.length && n < 65536) n *= 2;
  if (n < 64) return 0;
  const re = new Float64Array(n);
  const im = new Float64Array(n);
  for (let i = 0; i < n; i++) re[i] = samples[i]! * (0.5 - 0.5 * Math.cos((2 * Math.PI * i) / (n - 1)));
  fft(re, im);
  let best = 1;
  let bestMag = -1;
  const mags = new Float64Array(n / 2);
  for (let k = 1; k < n / 2; k++) {
    const m = Math.hypot(re[k]!, im[k]!);
    mags[k] = m;
    if (m > bestMag) {
      bestMag = m;
      best = k;
    }
  }
  let offset = 0;
  if (best > 1 && best < n / 2 - 1) {
    const a = Math.log(mags[best - 1]! + 1e-12);
    const b = Math.log(mags[best]! + 1e-12);
    const c = Math.log(mags[best + 1]! + 1e-12);
    const denom = a - 2 * b + c;
    if (denom !== 0) offset = (0.5 * (a - c)) / denom;
  }
  return ((best + offset) * sampleRate) / n;
}

/** RMS level in dB relative to full scale (1.0 for float, 32768 for int16); −200 for silence. */
export function rmsDbfs(samples: Float32Array | Int16Array): number {
  if (samples.length === 0) return -200;
  const scale = samples instanceof Int16Array ? 32768 : 1;
  let sum = 0;
  for (let i = 0; i < samples.length; i++) {
    const s = samples[i]! / scale;
    sum += s * s;
  }
  const rms = Math.sqrt(sum / samples.length);
  return rms > 0 ? Math.max(-200, 20 * Math.log10(rms)) : -200;
}

/** Longest run of consecutive `windowMs` windows below `thresholdDb`, in ms. */
export function longestGapMs(
  samples: Float32Array | Int16Array,
  sampleRate: number,
  opts: { windowMs?: number; thresholdDb?: number } = {},
): number {
  const windowMs = opts.windowMs ?? 5;
  const threshold = opts.thresholdDb ?? -40;
  const w = Math.max(1, Math.round((sampleRate * windowMs) / 1000));
  let run = 0;
  let longest = 0;
  for (let i = 0; i + w <= samples.length; i += w) {
    if (rmsDbfs(samples.subarray(i, i + w)) < threshold) {
      run++;
      if (run > longest) longest = run;
    } else run = 0;
  }
  return longest * windowMs;
}

/** A sine tone as 16-bit samples, at `dbfs` peak level. */
export function toneInt16(freq: number, seconds: number, sampleRate: number, dbfs: number): Int16Array {
  const amp = 32767 * Math.pow(10, dbfs / 20);
  const out = new Int16Array(Math.round(seconds * sampleRate));
  for (let i = 0; i < out.length; i++)
    out[i] = Math.round(amp * Math.sin((2 * Math.PI * freq * i) / sampleRate));
  return out;
}
