import { describe, expect, it, vi } from 'vitest';
import { SourceLimiter } from './source-limiter.js';

describe('SourceLimiter', () => {
  const limits = { perSecond: 10, burst: 5, maxSources: 3, overflowPerSecond: 4 };

  it('gives each source its own bucket: a burst, then its rate', () => {
    const l = new SourceLimiter(limits);
    const takes = (a: string, n: number, now: number): number =>
      Array.from({ length: n }, () => l.take(a, now)).filter(Boolean).length;
    expect(takes('a', 9, 0)).toBe(5);
    expect(takes('b', 9, 0)).toBe(5); // a's flood costs b nothing
    expect(takes('a', 9, 300)).toBe(3);
  });

  it('stays within maxSources: idle sources are forgotten, and new ones share the overflow bucket meanwhile', () => {
    const l = new SourceLimiter(limits);
    for (const a of ['a', 'b', 'c']) l.take(a, 0);
    expect(l.size).toBe(3);
    // Full of busy sources: newcomers draw on the one overflow bucket (4), and the map does not grow.
    const fresh = Array.from({ length: 10 }, (_, i) => l.take(`x${i}`, 100)).filter(Boolean).length;
    expect([fresh, l.size]).toEqual([4, 3]);
    // Half a second later every bucket is full again: idle, forgotten to make room
    // (a full map is scanned at most every 100 ms: not once per new address).
    expect(l.take('y', 600)).toBe(true);
    expect(l.size).toBe(1);
    l.forgetIdle(1200);
    expect(l.size).toBe(0);
  });

  it('scans a full map of busy sources at most every 100 ms, however many new addresses come', () => {
    const l = new SourceLimiter({ ...limits, maxSources: 2 });
    l.take('a', 0);
    l.take('b', 0);
    const scan = vi.spyOn(l, 'forgetIdle');
    for (let i = 0; i < 1000; i++) l.take(`n${i}`, 50 + i / 100);
    expect(scan).toHaveBeenCalledTimes(1);
  });
});
