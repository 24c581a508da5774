import { describe, expect, it } from 'vitest';
import { SAMPLE_RATE, SAMPLES_PER_MS } from '@parley/protocol';
import { resampleTo48k, floatToInt16, int16ToFloat } from './resample.js';
import { dominantFrequency, longestGapMs, rmsDbfs, toneInt16 } from './analysis.js';

/** The resampler as it was before its tables: the windowed sinc recomputed for every tap (the quality reference). */
function referenceResample(input: Float32Array, inRate: number, outRate = SAMPLE_RATE): Float32Array {
  const HALF_TAPS = 24;
  const blackman = (x: number): number => {
    const t = (x + 1) / 2;
    return 0.42 - 0.5 * Math.cos(2 * Math.PI * t) + 0.08 * Math.cos(4 * Math.PI * t);
  };
  const sinc = (x: number): number => (x === 0 ? 1 : Math.sin(Math.PI * x) / (Math.PI * x));
  const ratio = outRate / inRate;
  const out = new Float32Array(Math.floor(input.length * ratio));
  const cutoff = Math.min(1, ratio) * 0.97;
  const half = Math.ceil(HALF_TAPS / Math.min(1, ratio));
  for (let j = 0; j < out.length; j++) {
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

/** Runs `fn` counting the calls to Math.sin and Math.cos. */
function countTrig(fn: () => void): number {
  const { sin, cos } = Math;
  let calls = 0;
  Math.sin = (x: number): number => (calls++, sin(x));
  Math.cos = (x: number): number => (calls++, cos(x));
  try {
    fn();
  } finally {
    Math.sin = sin;
    Math.cos = cos;
  }
  return calls;
}

const sine = (f: number, rate: number, seconds: number, amp = 0.5): Float32Array =>
  Float32Array.from(
    { length: Math.round(rate * seconds) },
    (_, i) => amp * Math.sin((2 * Math.PI * f * i) / rate),
  );

describe('resampling to 48 kHz', () => {
  for (const rate of [8000, 16000, 22050, 44100, 96000]) {
    it(`keeps a 1 kHz tone from ${rate} Hz at 1 kHz and at its level`, () => {
      const out = resampleTo48k(sine(1000, rate, 1.5), rate);
      expect(out.length).toBe(Math.floor(1.5 * rate * (SAMPLE_RATE / rate)));
      const mid = out.subarray(4800, 4800 + SAMPLE_RATE);
      expect(Math.abs(dominantFrequency(mid, SAMPLE_RATE) - 1000)).toBeLessThan(1);
      expect(Math.abs(rmsDbfs(mid) - rmsDbfs(sine(1000, SAMPLE_RATE, 1)))).toBeLessThan(0.5);
    });
  }

  it('removes what 48 kHz cannot carry when downsampling', () => {
    const out = resampleTo48k(sine(30000, 96000, 1), 96000);
    expect(rmsDbfs(out.subarray(1000, -1000))).toBeLessThan(-40);
  });

  it('computes its filter once, not for every tap: the work on the filter does not grow with the audio', () => {
    const tone = sine(1000, 44100, 1);
    const long = sine(1000, 44100, 10);
    const once = countTrig(() => resampleTo48k(tone, 44100));
    // 160 phases (+1) × 49 taps, three trigonometric calls each; computing it per tap made 6.9 million.
    expect(once).toBeLessThanOrEqual(161 * 49 * 3);
    expect(countTrig(() => resampleTo48k(long, 44100))).toBe(once);
  });

  // Rational ratios use one exact table per output phase; a ratio with more
  // phases than that (44 099 Hz → 48 kHz: 48 000 phases) a finely quantized table.
  for (const [rate, tolerance] of [
    [44100, 1e-7],
    [16000, 1e-7],
    [22050, 1e-7],
    [96000, 1e-7],
    [44099, 1e-6],
    [50123, 1e-6],
  ] as const) {
    it(`gives the windowed sinc's output, ${rate} Hz → 48 kHz (within ${tolerance})`, () => {
      const input = sine(997, rate, 0.25, 0.9);
      for (let i = 0; i < input.length; i++) input[i]! += 0.05 * Math.sin(i * 0.37); // a second, high tone
      const expected = referenceResample(input, rate);
      const got = resampleTo48k(input, rate);
      expect(got.length).toBe(expected.length);
      let worst = 0;
      for (let i = 0; i < got.length; i++) worst = Math.max(worst, Math.abs(got[i]! - expected[i]!));
      expect(worst).toBeLessThan(tolerance);
    });
  }

  it('keeps tones at their frequency and level through odd ratios', () => {
    for (const [rate, f] of [
      [44099, 440],
      [50123, 3150],
      [11025, 2500],
    ] as const) {
      const out = resampleTo48k(sine(f, rate, 1.5), rate);
      const mid = out.subarray(4800, 4800 + SAMPLE_RATE);
      expect(Math.abs(dominantFrequency(mid, SAMPLE_RATE) - f)).toBeLessThan(1);
      expect(Math.abs(rmsDbfs(mid) - rmsDbfs(sine(f, SAMPLE_RATE, 1)))).toBeLessThan(0.1);
    }
  });

  it('converts between int16 and float, clamping', () => {
    expect(Array.from(floatToInt16(Float32Array.of(0, 1, -1, 2, -2)))).toEqual([
      0, 32767, -32767, 32767, -32767,
    ]);
    expect(Array.from(int16ToFloat(Int16Array.of(-32768, 16384)))).toEqual([-1, 0.5]);
  });
});

describe('analysis', () => {
  it('finds the dominant frequency within 2 Hz', () => {
    for (const f of [200, 440, 997.3, 3150])
      expect(Math.abs(dominantFrequency(sine(f, SAMPLE_RATE, 1), SAMPLE_RATE) - f)).toBeLessThan(2);
  });

  it('measures levels and gaps', () => {
    const t = toneInt16(1000, 1, SAMPLE_RATE, -6);
    expect(rmsDbfs(t)).toBeCloseTo(-6 - 3.01, 1);
    expect(rmsDbfs(new Int16Array(100))).toBe(-200);
    t.fill(0, 24000, 24000 + SAMPLES_PER_MS * 50); // a 50 ms hole
    expect(longestGapMs(t, SAMPLE_RATE)).toBeGreaterThanOrEqual(45);
    expect(longestGapMs(t, SAMPLE_RATE)).toBeLessThanOrEqual(50);
    expect(longestGapMs(toneInt16(1000, 1, SAMPLE_RATE, -6), SAMPLE_RATE)).toBe(0);
  });
});
