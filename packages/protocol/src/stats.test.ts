import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  cumulativeQuantile,
  median,
  nearestRank,
  percentiles,
  quantile,
  quantileOf,
  sortedCopy,
} from './stats.js';
import { LatencyHistogram } from './histogram.js';

describe('nearest-rank percentiles', () => {
  it('take the value of rank ⌈q·n⌉, clamped to 1..n', () => {
    const xs = [15, 20, 35, 40, 50]; // the textbook example
    expect([0.05, 0.3, 0.4, 0.5, 1].map((q) => quantile(xs, q))).toEqual([15, 20, 20, 35, 50]);
    expect(quantile(xs, 0)).toBe(15);
    expect(nearestRank(0.5, 0)).toBe(0);
    expect(quantile([], 0.5)).toBeNaN();
    expect(median([4, 1, 3, 2])).toBe(2); // the lower middle: a value that was observed
  });

  it('p50 / p95 / p99 / max of an unsorted set, leaving it as it was; zeros when empty', () => {
    const xs = [5, 1, 4, 2, 3];
    expect(percentiles(xs)).toEqual({ p50: 3, p95: 5, p99: 5, max: 5 });
    expect(xs).toEqual([5, 1, 4, 2, 3]);
    expect(percentiles(new Float64Array([0.5, 0.25]))).toEqual({ p50: 0.25, p95: 0.5, p99: 0.5, max: 0.5 });
    expect(percentiles([])).toEqual({ p50: 0, p95: 0, p99: 0, max: 0 });
  });

  it('always answer a member of the set, with at least q·n values at or below it', () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ noNaN: true, noDefaultInfinity: true }), { minLength: 1, maxLength: 200 }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        (xs, q) => {
          const v = quantileOf(xs, q);
          expect(xs).toContain(v);
          const atOrBelow = xs.filter((x) => x <= v).length;
          const below = xs.filter((x) => x < v).length;
          expect(atOrBelow).toBeGreaterThanOrEqual(q * xs.length);
          expect(below).toBeLessThan(Math.max(1, q * xs.length));
          expect([...sortedCopy(xs)]).toEqual([...xs].sort((a, b) => a - b));
        },
      ),
    );
  });

  it('of a cumulative histogram: the bound of the first bucket that holds the rank', () => {
    // 7 observations: 2 ≤ 4, 1 in (4, 16], 1 in (16, 128], 3 in (128, 1024].
    const buckets = [
      { leUs: 1, count: 0 },
      { leUs: 4, count: 2 },
      { leUs: 16, count: 3 },
      { leUs: 128, count: 4 },
      { leUs: 1024, count: 7 },
    ];
    const at = (q: number): number => cumulativeQuantile(buckets, 7, q);
    expect([0, 0.2, 0.4, 0.5, 0.6, 1].map(at)).toEqual([4, 4, 16, 128, 1024, 1024]);
    expect(cumulativeQuantile([], 0, 0.5)).toBe(0);
    expect(cumulativeQuantile([{ leUs: 8, count: 1 }], 3, 0.99)).toBe(8); // buckets that stop short
    // The histogram's own quantile picks the same bucket (it caps the answer at the largest value seen).
    const h = new LatencyHistogram(4);
    for (const us of [3, 3, 10, 100, 1000, 1000, 1000]) h.record(us);
    const snap = h.snapshot();
    for (const q of [0.2, 0.5, 0.95]) {
      const fromBuckets = cumulativeQuantile(snap.buckets, snap.count, q);
      expect(fromBuckets).toBeGreaterThanOrEqual(h.quantile(q) * 0.999);
      expect(fromBuckets).toBeLessThan(h.quantile(q) * 2 ** 0.25);
    }
  });
});
