import { describe, expect, it } from 'vitest';
import { parseRedundant, REDUNDANT_FLAG, type QualityAggregate } from '@parley/protocol';
import { RedundancyPolicy, RedundantFramer } from './redundancy.js';

const frame = (n: number, len = 40): Uint8Array => new Uint8Array(len).fill(n);

function agg(maxLoss: number): QualityAggregate {
  return {
    listeners: 1,
    lossPct: { mean: maxLoss, max: maxLoss },
    jitterMs: { max: 5 },
    delayMs: { mean: 60 },
    r: { min: 80, mean: 80 },
    mos: { min: 4, mean: 4 },
  };
}

describe('RedundantFramer', () => {
  it('carries the previous frames, oldest first, up to the depth', () => {
    const f = new RedundantFramer();
    expect(f.wrap(frame(1))).toEqual({ payload: frame(1), flags: 0 });
    f.setDepth(2);
    // Only one earlier frame exists yet.
    const second = f.wrap(frame(2));
    expect(second.flags).toBe(REDUNDANT_FLAG);
    const p2 = parseRedundant(second.payload);
    if (!p2.ok) throw new Error(p2.reason);
    expect(p2.value.blocks.map((b) => [b.back, b.frame[0]])).toEqual([[1, 1]]);
    const p3 = parseRedundant(f.wrap(frame(3)).payload);
    if (!p3.ok) throw new Error(p3.reason);
    expect(p3.value.blocks.map((b) => [b.back, b.frame[0]])).toEqual([
      [2, 1],
      [1, 2],
    ]);
    expect(p3.value.primary[0]).toBe(3);
    // A new talk spurt starts afresh; depth 0 sends plain frames.
    f.reset();
    expect(f.wrap(frame(4)).flags).toBe(0);
    f.setDepth(0);
    expect(f.wrap(frame(5))).toEqual({ payload: frame(5), flags: 0 });
  });

  it('leaves out what would not fit the packet size limit, and counts it', () => {
    const f = new RedundantFramer({ maxPacketSize: 12 + 16 + 1 + 3 + 500 + 500 });
    f.setDepth(2);
    f.wrap(frame(1, 600));
    f.wrap(frame(2, 400));
    const w = f.wrap(frame(3, 500));
    const p = parseRedundant(w.payload);
    if (!p.ok) throw new Error(p.reason);
    // The 600-byte frame does not fit next to a 500-byte one; the 400-byte one does.
    expect(p.value.blocks.map((b) => [b.back, b.frame.length])).toEqual([[1, 400]]);
    expect(f.omitted).toBe(1);
    expect(w.payload.length).toBeLessThanOrEqual(12 + 16 + 1 + 3 + 500 + 500 - 28);
  });
});

describe('RedundancyPolicy', () => {
  it('turns redundancy on with loss, deeper with more, and off only after 30 s of quiet', () => {
    const p = new RedundancyPolicy();
    expect(p.update(agg(0.2), 0)).toEqual({ depth: 0, expectedLossPct: 0 });
    expect(p.update(agg(2), 5_000)).toEqual({ depth: 1, expectedLossPct: 2 });
    expect(p.update(agg(8), 10_000)).toEqual({ depth: 2, expectedLossPct: 8 });
    expect(p.update(agg(2), 15_000).depth).toBe(2);
    expect(p.update(agg(0.1), 20_000).depth).toBe(2);
    expect(p.update(agg(0.1), 45_000).depth).toBe(2);
    expect(p.update(agg(0.1), 50_000).depth).toBe(0);
    // A loss in the quiet period restarts it.
    expect(p.update(agg(1.5), 55_000).depth).toBe(1);
    expect(p.update(agg(0.3), 60_000).depth).toBe(1);
    expect(p.update(agg(0.9), 70_000).depth).toBe(1);
    expect(p.update(agg(0.3), 89_000).depth).toBe(1);
    expect(p.update(agg(99), 90_000).expectedLossPct).toBe(30);
  });
});
