import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RelativeDelay } from './relative-delay.js';

describe('RelativeDelay', () => {
  it('is the chosen percentile of each packet’s delay against the fastest one in the window', () => {
    const d = new RelativeDelay({ window: 100, quantile: 0.9 });
    // Transit 50 ms, every tenth packet 25 ms later, one 300 ms later.
    for (let k = 0; k < 100; k++)
      d.push(50 + k * 20 + (k % 10 === 0 ? 25 : 0) + (k === 55 ? 300 : 0), k * 960);
    expect(d.minTransitMs).toBe(50);
    expect(d.quantileMs).toBe(25); // 11 late of 100: the 90th percentile is one of the 25s
    expect(d.fastestArrivalMs(100 * 20)).toBe(50 + 2000);
    // The window slides: 100 calm packets later, nothing late is left.
    for (let k = 100; k < 200; k++) d.push(50 + k * 20, k * 960);
    expect(d.quantileMs).toBe(0);
    expect(d.count).toBe(100);
  });

  it('a clock that loses 100 ms at once (a stalled audio thread): the window moves down with it, keeping its jitter', () => {
    const d = new RelativeDelay();
    // 3 s of packets with 0–8 ms of jitter, then the receiver's clock is 100 ms behind for good.
    const jitter = (k: number) => (k * 7) % 9;
    for (let k = 0; k < 150; k++) d.push(40 + k * 20 + jitter(k), k * 960);
    const before = d.quantileMs;
    expect(before).toBeGreaterThanOrEqual(7);
    expect(before).toBeLessThanOrEqual(8);
    for (let k = 150; k < 160; k++) d.push(40 - 100 + k * 20 + jitter(k), k * 960);
    expect(d.steps).toBe(1);
    // The target did not take the 100 ms step as delay: the spread is what it was, give or take the
    // jitter of the packet the step was measured on (6 ms here).
    expect(d.quantileMs).toBeLessThanOrEqual(before + 8);
    expect(d.minTransitMs).toBe(-60);
    // A path that gets slower is not a step: the window holds it as delay until it is forgotten.
    for (let k = 160; k < 170; k++) d.push(40 + k * 20 + jitter(k), k * 960);
    expect(d.steps).toBe(1);
    expect(d.quantileMs).toBeGreaterThan(100);
  });

  it('a stall of the listening clock: the burst stamped at its start does not move with the old packets, whatever its phase', () => {
    // 3 s of packets with 0–8 ms of jitter; then the listener's clock stands still for 100 ms and
    // resumes where it stopped: what arrives meanwhile is stamped at the stall's start (a burst,
    // each packet a frame faster than the one before), and everything after it 100 ms earlier.
    const jitter = (k: number) => (k * 7) % 9;
    for (let phase = 0; phase < 20; phase++) {
      const d = new RelativeDelay();
      const stallAt = 3000 + phase;
      const arrival = (t: number) => (t < stallAt ? t : t < stallAt + 100 ? stallAt : t - 100);
      let worst = 0;
      for (let k = 0; k < 340; k++) {
        d.push(arrival(40 + k * 20 + jitter(k)), k * 960);
        if (k >= 170) worst = Math.max(worst, d.quantileMs); // after the step and its burst
      }
      expect(d.steps).toBe(1);
      // The new clock's fastest is a packet that came, not a burst packet moved below it; the
      // jitter the window measured (8 ms), give or take the step's own packet, is what the target keeps.
      expect({ phase, q: Math.min(worst, 10) }).toEqual({ phase, q: worst });
    }
  });

  it('stays finite, non-negative and within its window for any arrivals and timestamps', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 50 }),
        fc.array(
          fc.tuple(fc.double({ min: -1e9, max: 1e9, noNaN: true }), fc.integer({ min: 0, max: 2 ** 32 - 1 })),
          { maxLength: 300 },
        ),
        (window, packets) => {
          const d = new RelativeDelay({ window });
          for (const [arrival, ts] of packets) {
            const sendMs = d.push(arrival, ts);
            expect(Number.isFinite(sendMs)).toBe(true);
            expect(d.count).toBeLessThanOrEqual(window);
            expect(d.quantileMs).toBeGreaterThanOrEqual(0);
            expect(Number.isFinite(d.quantileMs)).toBe(true);
          }
        },
      ),
    );
  });
});
