import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ClockMap } from './clock-map.js';

describe('ClockMap', () => {
  it('takes the fastest message of the window as the offset', () => {
    const m = new ClockMap(4);
    expect(m.ready).toBe(false);
    m.observe(100, 1_000_107); // came 7 ms late
    m.observe(121, 1_000_122); // 1 ms
    m.observe(142, 1_000_150); // 8 ms
    expect(m.ready).toBe(true);
    expect(m.toWall(200)).toBe(1_000_201);
  });

  it('forgets an offset once it leaves the window (a clock that drifts is followed)', () => {
    const m = new ClockMap(3);
    m.observe(0, 1000); // offset 1000
    m.observe(10, 1015); // 1005
    m.observe(20, 1026); // 1006
    expect(m.toWall(0)).toBe(1000);
    m.observe(30, 1037); // 1007: the 1000 leaves
    expect(m.toWall(0)).toBe(1005);
  });

  it('is the minimum of the last `window` offsets, whatever they are', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 16 }),
        fc.array(fc.double({ min: -1e6, max: 1e6, noNaN: true }), { minLength: 1, maxLength: 100 }),
        (window, offsets) => {
          const m = new ClockMap(window);
          const seen = offsets.map((off, i) => {
            m.observe(i * 2.5, i * 2.5 + off);
            return i * 2.5 + off - i * 2.5; // as the map computes it (floating point)
          });
          expect(m.toWall(0)).toBe(Math.min(...seen.slice(-window)));
        },
      ),
    );
  });
});
