import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { LatencyHistogram } from './histogram.js';
import { quantileOf } from './stats.js';

describe('LatencyHistogram', () => {
  it('answers quantiles within one bucket (19 %) above the exact value, never below', () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: 0.5, max: 1e6, noNaN: true }), { minLength: 1, maxLength: 500 }),
        (xs) => {
          const h = new LatencyHistogram();
          for (const x of xs) h.record(x);
          for (const q of [0.5, 0.95, 0.99]) {
            const exact = quantileOf(xs, q);
            const est = h.quantile(q);
            expect(est).toBeGreaterThanOrEqual(Math.min(exact, 1));
            expect(est).toBeLessThanOrEqual(Math.max(exact, 1) * 2 ** 0.25 * 1.0001);
          }
        },
      ),
    );
  });

  it('reports cumulative Prometheus-style buckets, count, sum and max', () => {
    const h = new LatencyHistogram();
    for (const us of [3, 3, 10, 100, 1000]) h.record(us);
    const s = h.snapshot();
    expect(s.count).toBe(5);
    expect(s.sumUs).toBe(1116);
    expect(s.maxUs).toBe(1000);
    expect(s.buckets.at(-1)?.count).toBe(5);
    for (let i = 1; i < s.buckets.length; i++) {
      expect(s.buckets[i]?.count).toBeGreaterThanOrEqual(s.buckets[i - 1]?.count ?? 0);
      expect(s.buckets[i]?.leUs).toBeGreaterThan(s.buckets[i - 1]?.leUs ?? 0);
    }
    expect(s.p50Us).toBeGreaterThanOrEqual(10);
    expect(s.p50Us).toBeLessThan(12);
    h.reset();
    expect(h.snapshot()).toMatchObject({ count: 0, p99Us: 0, buckets: [] });
  });
});
