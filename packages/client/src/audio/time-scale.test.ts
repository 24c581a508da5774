import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { dominantFrequency, rmsDbfs, toneInt16 } from './analysis.js';
import { accelerate, expand, findPitchLag, PERIODIC_CORR, scaleChoice } from './time-scale.js';
import { mulberry32 } from '../core/impair.js';

const RATE = 48_000;

/** Largest step between two neighbouring samples: a splice that clicks shows up as a jump. */
function maxStep(x: Int16Array): number {
  let m = 0;
  for (let i = 1; i < x.length; i++) m = Math.max(m, Math.abs(x[i]! - x[i - 1]!));
  return m;
}

/** A 20 ms frame cut from a longer tone, starting mid-cycle. */
const toneFrame = (freq: number, dbfs = -12): Int16Array =>
  toneInt16(freq, 0.1, RATE, dbfs).slice(1234, 1234 + 960);

describe('time-scale (pitch-synchronous overlap-add)', () => {
  for (const freq of [150, 440, 1000]) {
    it(`finds a whole number of periods of a ${freq} Hz tone and keeps its pitch both ways, without a click`, () => {
      const x = toneFrame(freq);
      const { lag, corr } = findPitchLag(x);
      const period = RATE / freq;
      // A multiple of the period, within a sample or two, in 2.5–10 ms.
      const periods = lag / period;
      expect(Math.abs(periods - Math.round(periods)) * period).toBeLessThan(2);
      expect(lag).toBeGreaterThanOrEqual(120);
      expect(lag).toBeLessThanOrEqual(480);
      expect(corr).toBeGreaterThanOrEqual(PERIODIC_CORR);
      const c = scaleChoice(x);
      expect(c).toMatchObject({ periodic: true, quiet: false });
      const shorter = accelerate(x, lag);
      const longer = expand(x, lag);
      expect(shorter.length).toBe(960 - lag);
      expect(longer.length).toBe(960 + lag);
      // The splice is as smooth as the tone itself (a click would jump by thousands).
      const step = maxStep(x);
      expect(maxStep(shorter)).toBeLessThanOrEqual(step * 1.05 + 2);
      expect(maxStep(longer)).toBeLessThanOrEqual(step * 1.05 + 2);
      for (const y of [shorter, longer]) expect(Math.abs(rmsDbfs(y) - rmsDbfs(x))).toBeLessThan(0.5);
      // The first sample and the join with the rest of the frame are the original's.
      expect(shorter[0]).toBe(x[0]);
      expect(longer[0]).toBe(x[0]);
      expect(shorter[shorter.length - 1]).toBe(x[959]);
      expect(longer[longer.length - 1]).toBe(x[959]);
    });
  }

  it('a second of a tone, every other frame accelerated and the others expanded, keeps its pitch, level and smoothness', () => {
    const tone = toneInt16(440, 1, RATE, -12);
    const parts: Int16Array[] = [];
    for (let f = 0; f + 960 <= tone.length; f += 960) {
      const x = tone.subarray(f, f + 960);
      const { lag } = findPitchLag(x);
      parts.push((f / 960) % 2 === 0 ? accelerate(x, lag) : expand(x, lag));
    }
    const y = new Int16Array(parts.reduce((n, p) => n + p.length, 0));
    let at = 0;
    for (const p of parts) {
      y.set(p, at);
      at += p.length;
    }
    expect(Math.abs(dominantFrequency(y, RATE) - 440)).toBeLessThan(1);
    expect(Math.abs(rmsDbfs(y) - rmsDbfs(tone))).toBeLessThan(0.3);
    expect(maxStep(y)).toBeLessThanOrEqual(maxStep(tone) * 1.05 + 2);
  });

  it('calls white noise neither periodic nor quiet, and silence quiet', () => {
    const rand = mulberry32(3);
    const noise = Int16Array.from({ length: 960 }, () => Math.round((rand() * 2 - 1) * 8000));
    expect(scaleChoice(noise)).toMatchObject({ periodic: false, quiet: false });
    expect(scaleChoice(new Int16Array(960))).toMatchObject({ quiet: true });
    expect(findPitchLag(new Int16Array(960)).corr).toBe(0);
  });

  it('changes the length by exactly the lag, or leaves a frame too short for two periods alone (any input)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: -32768, max: 32767 }), { maxLength: 2000 }),
        fc.integer({ min: -5, max: 1200 }),
        (samples, lag) => {
          const x = Int16Array.from(samples);
          const a = accelerate(x, lag);
          const e = expand(x, lag);
          const fits = lag > 0 && 2 * lag <= x.length;
          expect(a.length).toBe(fits ? x.length - lag : x.length);
          expect(e.length).toBe(fits ? x.length + lag : x.length);
          const p = findPitchLag(x);
          expect(Number.isFinite(p.corr)).toBe(true);
          expect(p.corr).toBeLessThanOrEqual(1 + 1e-9);
          if (x.length >= 4) expect(2 * p.lag).toBeLessThanOrEqual(Math.max(2, x.length));
        },
      ),
    );
  });
});
