import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ReplayWindow } from './replay.js';

describe('ReplayWindow', () => {
  it('accepts new numbers and rejects duplicates', () => {
    const w = new ReplayWindow(64);
    expect(w.check(10)).toBe('ok');
    w.commit(10);
    expect(w.check(10)).toBe('replayed');
    expect(w.check(11)).toBe('ok');
    expect(w.check(9)).toBe('ok'); // reordered, inside the window
    w.commit(9);
    expect(w.check(9)).toBe('replayed');
    expect(w.highest).toBe(10);
  });

  it('rejects numbers older than the window, accepts the window’s edge', () => {
    const w = new ReplayWindow(64);
    w.commit(1000);
    expect(w.check(1000 - 63)).toBe('ok');
    expect(w.check(1000 - 64)).toBe('too_old');
  });

  it('forgets old bits when the window slides, and across large jumps', () => {
    const w = new ReplayWindow(64);
    w.commit(5);
    w.commit(70); // slides: 5 is now out of the window
    expect(w.check(5)).toBe('too_old');
    expect(w.check(69)).toBe('ok'); // its slot shared 5's bit once; it was cleared
    w.commit(100_000);
    expect(w.check(99_999)).toBe('ok');
    expect(w.check(70)).toBe('too_old');
  });

  it('never accepts the same number twice in any order (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 3000 }), { maxLength: 400 }), (seqs) => {
        const w = new ReplayWindow(128);
        const accepted = new Set<number>();
        for (const s of seqs) {
          if (w.check(s) === 'ok') {
            expect(accepted.has(s)).toBe(false);
            accepted.add(s);
            w.commit(s);
          }
        }
      }),
    );
  });
});
