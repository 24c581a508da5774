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
