import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { catchUpDrops } from './catch-up.js';

const FRAME = 960;

describe('catchUpDrops', () => {
  it('pays a debt with frames in excess, never more; forgives what the excess cannot cover', () => {
    expect(catchUpDrops(2.5 * FRAME, FRAME, 5)).toEqual({ drops: 2, debt: 0.5 * FRAME });
    expect(catchUpDrops(3 * FRAME, FRAME, 1)).toEqual({ drops: 1, debt: 0 });
    expect(catchUpDrops(3 * FRAME, FRAME, 0)).toEqual({ drops: 0, debt: 0 });
  });

  it('without a debt, drops one frame while two or more are in excess (a slow output clock)', () => {
    expect(catchUpDrops(100, FRAME, 1)).toEqual({ drops: 0, debt: 100 });
    expect(catchUpDrops(100, FRAME, 2)).toEqual({ drops: 1, debt: 100 });
    expect(catchUpDrops(0, FRAME, 9)).toEqual({ drops: 1, debt: 0 });
  });

  it('never drops more than the excess, never leaves a negative debt, and pays whole frames', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 100 * FRAME }),
        fc.integer({ min: 0, max: 20 }),
        (debt, excess) => {
          const r = catchUpDrops(debt, FRAME, excess);
          expect(r.drops).toBeGreaterThanOrEqual(0);
          expect(r.drops).toBeLessThanOrEqual(Math.max(excess, 0));
          expect(r.debt).toBeGreaterThanOrEqual(0);
          expect(r.debt).toBeLessThanOrEqual(debt);
          if (debt >= FRAME && r.debt > 0) expect(r.debt).toBe(debt - r.drops * FRAME);
          if (debt >= FRAME) expect(r.debt).toBeLessThan(FRAME); // paid or forgiven: never a frame left owing
        },
      ),
    );
  });
});
