import { describe, expect, it } from 'vitest';
import { AttemptLimiter } from './attempt-limiter.js';

describe('AttemptLimiter', () => {
  const make = (limit: number, maxKeys = 100) => {
    let t = 0;
    const l = new AttemptLimiter({ limit, windowMs: 60_000, maxKeys, now: () => t });
    return { l, advance: (ms: number) => (t += ms) };
  };

  it('allows `limit` attempts per key per window, then says how long to wait', () => {
    const { l, advance } = make(3);
    expect([l.take('a'), l.take('a'), l.take('a')]).toEqual([0, 0, 0]);
    advance(10_000);
    expect(l.take('a')).toBe(50_000);
    expect(l.take('b')).toBe(0); // keys are independent
    advance(50_000);
    expect(l.take('a')).toBe(0); // a new window
  });

  it('a refund gives one attempt back', () => {
    const { l } = make(1);
    expect(l.take('a')).toBe(0);
    l.refund('a');
    expect(l.take('a')).toBe(0);
    expect(l.take('a')).toBeGreaterThan(0);
  });

  it('never tracks more than maxKeys: expired windows go first, then the oldest, counted', () => {
    const { l, advance } = make(1, 3);
    l.take('a');
    advance(61_000);
    l.take('b');
    l.take('c');
    l.take('d'); // a expired: dropped, not counted
    expect(l.size).toBe(3);
    expect(l.evicted).toBe(0);
    l.take('e'); // full of live windows: the oldest (b) goes
    expect(l.size).toBe(3);
    expect(l.evicted).toBe(1);
    for (let i = 0; i < 1000; i++) l.take(`k${i}`);
    expect(l.size).toBe(3);
  });
});
