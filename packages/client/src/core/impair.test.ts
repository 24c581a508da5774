import { describe, expect, it } from 'vitest';
import { Impairment } from './impair.js';

describe('Impairment', () => {
  it('drops the asked fraction within ±0.5 % and delays within [0, jitter]', () => {
    const imp = new Impairment({ loss: 0.05, jitterMs: 30, seed: 42 });
    let drops = 0;
    let maxDelay = 0;
    let sumDelay = 0;
    const n = 100_000;
    for (let i = 0; i < n; i++) {
      const d = imp.decide();
      if (d.drop) drops++;
      else {
        expect(d.delayMs).toBeGreaterThanOrEqual(0);
        maxDelay = Math.max(maxDelay, d.delayMs);
        sumDelay += d.delayMs;
      }
    }
    expect(Math.abs(drops / n - 0.05)).toBeLessThan(0.005);
    expect(maxDelay).toBeLessThanOrEqual(30);
    expect(sumDelay / (n - drops)).toBeCloseTo(15, 0);
  });

  it('is reproducible from its seed', () => {
    const a = new Impairment({ loss: 0.3, jitterMs: 10, seed: 7 });
    const b = new Impairment({ loss: 0.3, jitterMs: 10, seed: 7 });
    for (let i = 0; i < 100; i++) expect(a.decide()).toEqual(b.decide());
  });
});
