import { describe, expect, it } from 'vitest';
import { NetworkModel } from './network-model.js';

const N = 200_000;

function run(
  m: NetworkModel,
  n = N,
): { lost: number; bursts: number[]; delays: number[]; reordered: number; dups: number } {
  let lost = 0;
  let reordered = 0;
  let dups = 0;
  let run = 0;
  const bursts: number[] = [];
  const delays: number[] = [];
  for (let i = 0; i < n; i++) {
    const f = m.next();
    if (f.drop) {
      lost++;
      run++;
      continue;
    }
    if (run > 0) bursts.push(run);
    run = 0;
    if (f.reordered) reordered++;
    dups += f.delaysMs.length - 1;
    delays.push(f.delaysMs[0] ?? NaN);
  }
  return { lost, bursts, delays, reordered, dups };
}

// 4.5 standard deviations of a binomial proportion: fails by chance about once in 150,000 runs.
const tol = (p: number, n: number): number => 4.5 * Math.sqrt((p * (1 - p)) / n);

describe('NetworkModel', () => {
  it('drops the asked fraction at random', () => {
    const r = run(new NetworkModel({ loss: 0.05, seed: 1 }));
    expect(Math.abs(r.lost / N - 0.05)).toBeLessThan(tol(0.05, N));
    // Independent loss: bursts are short (mean ≈ 1 / (1 − p)).
    const mean = r.bursts.reduce((a, b) => a + b, 0) / r.bursts.length;
    expect(mean).toBeLessThan(1.1);
  });

  it('drops in bursts of the asked mean length at the asked rate (Gilbert–Elliott)', () => {
    const r = run(new NetworkModel({ burstLoss: 0.1, burstLength: 4, seed: 2 }));
    // Bursts make the estimate noisier than a binomial: allow ±1.5 points.
    expect(Math.abs(r.lost / N - 0.1)).toBeLessThan(0.015);
    const mean = r.bursts.reduce((a, b) => a + b, 0) / r.bursts.length;
    expect(mean).toBeGreaterThan(3.6);
    expect(mean).toBeLessThan(4.4);
  });

  it('delays by the base delay plus uniform jitter, holds back the asked share, duplicates the asked share', () => {
    const r = run(
      new NetworkModel({ delayMs: 30, jitterMs: 20, reorder: 0.1, reorderMs: 50, duplicate: 0.02, seed: 3 }),
    );
    const plain = r.delays.filter((d) => d < 80);
    expect(r.delays.reduce((a, b) => Math.min(a, b), Infinity)).toBeGreaterThanOrEqual(30);
    expect(plain.reduce((a, b) => Math.max(a, b), 0)).toBeLessThanOrEqual(50);
    const mean = plain.reduce((a, b) => a + b, 0) / plain.length;
    expect(Math.abs(mean - 40)).toBeLessThan(0.2);
    expect(Math.abs(r.reordered / N - 0.1)).toBeLessThan(tol(0.1, N));
    expect(Math.abs(r.dups / N - 0.02)).toBeLessThan(tol(0.02, N));
  });

  it('is reproducible from its seed and checks its options', () => {
    const a = new NetworkModel({ loss: 0.3, jitterMs: 10, seed: 42 });
    const b = new NetworkModel({ loss: 0.3, jitterMs: 10, seed: 42 });
    for (let i = 0; i < 1000; i++) expect(a.next()).toEqual(b.next());
    expect(() => new NetworkModel({ loss: 1.5 })).toThrow(RangeError);
    expect(() => new NetworkModel({ delayMs: -1 })).toThrow(RangeError);
    expect(() => new NetworkModel({ burstLoss: 0.1, burstLength: 0.5 })).toThrow(RangeError);
  });
});
