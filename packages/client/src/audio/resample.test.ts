import { describe, expect, it } from 'vitest';
import { resampleTo48k, floatToInt16, int16ToFloat } from './resample.js';
import { dominantFrequency, longestGapMs, rmsDbfs, toneInt16 } from './analysis.js';

const sine = (f: number, rate: number, seconds: number, amp = 0.5): Float32Array =>
  Float32Array.from(
    { length: Math.round(rate * seconds) },
    (_, i) => amp * Math.sin((2 * Math.PI * f * i) / rate),
  );

describe('resampling to 48 kHz', () => {
  for (const rate of [8000, 16000, 22050, 44100, 96000]) {
    it(`keeps a 1 kHz tone from ${rate} Hz at 1 kHz and at its level`, () => {
      const out = resampleTo48k(sine(1000, rate, 1.5), rate);
      expect(out.length).toBe(Math.floor(1.5 * rate * (48000 / rate)));
      const mid = out.subarray(4800, 4800 + 48000);
      expect(Math.abs(dominantFrequency(mid, 48000) - 1000)).toBeLessThan(1);
      expect(Math.abs(rmsDbfs(mid) - rmsDbfs(sine(1000, 48000, 1)))).toBeLessThan(0.5);
    });
  }

  it('removes what 48 kHz cannot carry when downsampling', () => {
    const out = resampleTo48k(sine(30000, 96000, 1), 96000);
    expect(rmsDbfs(out.subarray(1000, -1000))).toBeLessThan(-40);
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
      expect(Math.abs(dominantFrequency(sine(f, 48000, 1), 48000) - f)).toBeLessThan(2);
  });

  it('measures levels and gaps', () => {
    const t = toneInt16(1000, 1, 48000, -6);
    expect(rmsDbfs(t)).toBeCloseTo(-6 - 3.01, 1);
    expect(rmsDbfs(new Int16Array(100))).toBe(-200);
    t.fill(0, 24000, 24000 + 48 * 50); // a 50 ms hole
    expect(longestGapMs(t, 48000)).toBeGreaterThanOrEqual(45);
    expect(longestGapMs(t, 48000)).toBeLessThanOrEqual(50);
    expect(longestGapMs(toneInt16(1000, 1, 48000, -6), 48000)).toBe(0);
  });
});
