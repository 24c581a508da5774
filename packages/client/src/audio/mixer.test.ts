import { describe, expect, it } from 'vitest';
import { FRAME_SAMPLES } from '@parley/protocol';
import { Mixer, dbToGain, limitSample } from './mixer.js';

const frame = (f: (i: number) => number, n = FRAME_SAMPLES): Int16Array =>
  Int16Array.from({ length: n }, (_, i) => f(i));

describe('Mixer', () => {
  it('passes one source at gain 1 through bit-exact', () => {
    const src = frame((i) => Math.round(20000 * Math.sin(i / 7)));
    expect(new Mixer().mix([{ id: 1, pcm: src }])).toEqual(src);
  });

  it('applies each source’s own gain exactly (1 when it carries none) and sums sources', () => {
    const m = new Mixer();
    const a = frame(() => 1000);
    const b = frame(() => -300);
    expect(
      Array.from(
        m
          .mix([
            { id: 1, pcm: a, gain: 0.5 },
            { id: 2, pcm: b },
          ])
          .subarray(0, 3),
      ),
    ).toEqual([200, 200, 200]);
    expect(m.mix([{ id: 2, pcm: b, gain: dbToGain(-6.0206) }])[0]).toBe(-150);
    expect(Array.from(m.mix([{ id: 1, pcm: a, gain: 0.25 }]).subarray(0, 2))).toEqual([250, 250]);
  });

  it('silences a source at gain 0 and keeps silence silent', () => {
    const m = new Mixer();
    expect(m.mix([{ id: 7, pcm: frame(() => 12345), gain: 0 }]).every((s) => s === 0)).toBe(true);
    expect(m.mix([{ id: 1, pcm: new Int16Array(FRAME_SAMPLES) }]).every((s) => s === 0)).toBe(true);
  });

  it('never wraps around: full-scale sources are limited smoothly', () => {
    const m = new Mixer();
    const loud = frame((i) => (i % 2 === 0 ? 32767 : -32768));
    const out = m.mix([
      { id: 1, pcm: loud },
      { id: 2, pcm: loud },
      { id: 3, pcm: loud },
    ]);
    for (let i = 0; i < out.length; i++) {
      expect(Math.sign(out[i]!)).toBe(Math.sign(loud[i]!));
      expect(Math.abs(out[i]!)).toBeGreaterThan(29490);
    }
    // The limiter is monotonic: a louder input never comes out quieter.
    let prev = -Infinity;
    for (let x = 0; x < 200000; x += 997) {
      const y = limitSample(x);
      expect(y).toBeGreaterThanOrEqual(prev);
      expect(y).toBeLessThanOrEqual(32767);
      prev = y;
    }
  });
});
