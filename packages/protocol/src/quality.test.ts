import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { CODEC_DELAY_MS, mosFromR, rFactor, streamScore } from './quality.js';

describe('E-model score (docs/protocol.md §2.6)', () => {
  it('gives the textbook figures', () => {
    // No loss, no delay: R0 − Is = 93.2, a MOS of 4.41.
    expect(rFactor(0, 0)).toBeCloseTo(93.2, 6);
    expect(mosFromR(93.2)).toBeCloseTo(4.41, 2);
    // The delay knee: 0.024 per ms up to 177.3 ms, 0.134 per ms beyond.
    expect(rFactor(100, 0)).toBeCloseTo(93.2 - 2.4, 6);
    expect(rFactor(277.3, 0)).toBeCloseTo(93.2 - 0.024 * 277.3 - 11, 6);
    // Loss: Ie,eff = 95·Ppl/(Ppl + 20) — 5 % costs 19 points.
    expect(rFactor(0, 5)).toBeCloseTo(93.2 - 19, 6);
    // MOS bounds and the usual landmarks (R 50 ≈ 2.6, R 80 ≈ 4.0).
    expect(mosFromR(0)).toBe(1);
    expect(mosFromR(100)).toBe(4.5);
    expect(mosFromR(50)).toBeCloseTo(2.58, 2);
    expect(mosFromR(80)).toBeCloseTo(4.02, 2);
  });

  it('scores a stream from its report: delay from RTT, jitter buffer and device; late counts as lost', () => {
    const s = streamScore({ expected: 250, lost: 5, late: 5, delayMs: 40, deviceMs: 10, rttMs: 20 });
    expect(s.lossPct).toBeCloseTo(4, 6);
    expect(s.delayMs).toBeCloseTo(10 + 40 + 10 + CODEC_DELAY_MS, 6);
    expect(s.r).toBeCloseTo(rFactor(s.delayMs, 4), 6);
    expect(s.mos).toBeCloseTo(mosFromR(s.r), 6);
    // Nothing expected: no loss.
    expect(streamScore({ expected: 0, lost: 3, late: 0, delayMs: 0 }).lossPct).toBe(0);
    // Missing frames are capped at what was expected.
    expect(streamScore({ expected: 10, lost: 30, late: 5, delayMs: 0 }).lossPct).toBe(100);
  });

  it('never leaves its bounds and never gets better with more loss or more delay', () => {
    const figure = fc.double({ min: 0, max: 100_000, noNaN: true });
    fc.assert(
      fc.property(
        figure,
        figure,
        figure,
        fc.double({ min: 0, max: 100, noNaN: true }),
        (delay, more, _x, loss) => {
          const r = rFactor(delay, loss);
          expect(r).toBeGreaterThanOrEqual(0);
          expect(r).toBeLessThanOrEqual(93.2);
          expect(rFactor(delay + more, loss)).toBeLessThanOrEqual(r + 1e-9);
          expect(rFactor(delay, Math.min(100, loss + 1))).toBeLessThanOrEqual(r + 1e-9);
          const mos = mosFromR(r);
          expect(mos).toBeGreaterThanOrEqual(1);
          expect(mos).toBeLessThanOrEqual(4.5);
        },
      ),
    );
  });
});
