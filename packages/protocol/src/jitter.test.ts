import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { InterarrivalJitter } from './jitter.js';
import { SAMPLES_PER_MS } from './constants.js';

/** RFC 3550 appendix A.8, transcribed: everything in timestamp units, `ts` not wrapped. */
function rfc3550(arrivals: readonly number[], ts: readonly number[]): number {
  let jitter = 0;
  let prevTransit: number | undefined;
  arrivals.forEach((arrival, i) => {
    const transit = arrival - ts[i]!;
    if (prevTransit !== undefined) {
      const d = Math.abs(transit - prevTransit);
      jitter += (1 / 16) * (d - jitter);
    }
    prevTransit = transit;
  });
  return jitter;
}

describe('InterarrivalJitter (RFC 3550 §6.4.1)', () => {
  it('follows J += (|D| − J) / 16 on a known sequence', () => {
    // 20 ms frames (960 samples) arriving at 0, 20, 45, 60, 80, 110 ms: D = 0, 5, −5, 0, 10.
    const arrivals = [0, 20, 45, 60, 80, 110];
    const j = new InterarrivalJitter();
    const got = arrivals.map((a, k) => j.updateRtp(a, k * 960));
    expect(got).toEqual([0, 0, 0.3125, 0.60546875, 0.567626953125, 1.1571502685546875]);
    expect(j.ms).toBe(1.1571502685546875);
    // The same packets with send times in ms on another clock (offset 12345 ms): the same J.
    const s = new InterarrivalJitter();
    arrivals.forEach((a, k) => s.update(a, 12_345 + k * 20));
    expect(s.ms).toBe(j.ms);
  });

  it('equals RFC 3550 appendix A.8 (in ms), across the 32-bit timestamp wrap', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 2 ** 32 - 1 }),
        fc.array(
          fc.record({
            gap: fc.integer({ min: 1, max: 4 }),
            delay: fc.double({ min: 0, max: 200, noNaN: true }),
          }),
          {
            minLength: 2,
            maxLength: 300,
          },
        ),
        (ts0, packets) => {
          const ts: number[] = [];
          const arrivals: number[] = [];
          let t = ts0;
          for (const p of packets) {
            t += p.gap * 960;
            ts.push(t); // not wrapped: the reference needs the true difference
            arrivals.push((t - ts0) / SAMPLES_PER_MS + p.delay); // ms
          }
          const j = new InterarrivalJitter();
          arrivals.forEach((a, k) => j.updateRtp(a, ts[k]! % 2 ** 32));
          const reference = rfc3550(
            arrivals.map((a) => a * SAMPLES_PER_MS),
            ts,
          );
          expect(j.ms).toBeCloseTo(reference / SAMPLES_PER_MS, 6);
        },
      ),
    );
  });

  it('leaves gaps out when asked (silence between talk spurts), and unknown send times', () => {
    const j = new InterarrivalJitter({ gapMs: 1000 });
    j.updateRtp(0, 0);
    j.updateRtp(25, 960); // D = 5
    const before = j.ms;
    j.updateRtp(5025, 1920); // D = 4980: a gap
    expect(j.ms).toBe(before);
    const s = new InterarrivalJitter();
    s.update(0, 0);
    s.update(20, NaN);
    s.update(45, 40); // no difference with an unknown send time
    expect(s.ms).toBe(0);
    s.update(70, 60); // D = 5
    expect(s.ms).toBe(5 / 16);
    s.reset();
    expect(s.ms).toBe(0);
    s.update(100, 0);
    expect(s.ms).toBe(0);
  });
});
