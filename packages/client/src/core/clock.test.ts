import { describe, expect, it } from 'vitest';
import { FrameClock } from './clock.js';

/** A fake monotonic clock with a timer queue. */
function fakeTime() {
  let now = 0;
  let nextId = 1;
  const timers = new Map<number, { at: number; fn: () => void }>();
  return {
    now: () => now,
    setTimeout: (fn: () => void, ms: number) => {
      const id = nextId++;
      timers.set(id, { at: now + ms, fn });
      return id;
    },
    clearTimeout: (h: unknown) => void timers.delete(h as number),
    /** Runs the next timer, each firing `lateMs` after it was due. */
    step(lateMs = 0): boolean {
      let first: [number, { at: number; fn: () => void }] | undefined;
      for (const e of timers) if (!first || e[1].at < first[1].at) first = e;
      if (!first) return false;
      timers.delete(first[0]);
      now = Math.max(now, first[1].at + lateMs);
      first[1].fn();
      return true;
    },
    advance(ms: number) {
      now += ms;
    },
    pending: () => timers.size,
  };
}

describe('FrameClock', () => {
  it('does not drift over 10 000 ticks although every callback takes 5 ms and timers fire late', () => {
    const t = fakeTime();
    const ticks: number[] = [];
    const clock = new FrameClock({
      periodMs: 20,
      ...t,
      onTick: (i) => {
        ticks.push(t.now());
        t.advance(5); // the work of one frame
        if (i === 9999) clock.stop();
      },
    });
    clock.start();
    while (t.step(3));
    expect(ticks).toHaveLength(10000);
    // Tick n happens within a few ms of n·20 ms, never accumulating lateness.
    for (let n = 0; n < ticks.length; n += 997) {
      expect(ticks[n]! - n * 20).toBeGreaterThanOrEqual(0);
      expect(ticks[n]! - n * 20).toBeLessThan(10);
    }
    expect(clock.skipped).toBe(0);
  });

  it('catches up a short stall and skips ahead after a long one', () => {
    const t = fakeTime();
    const idx: number[] = [];
    const clock = new FrameClock({ periodMs: 20, maxLagFrames: 5, ...t, onTick: (i) => idx.push(i) });
    clock.start();
    t.step();
    t.step();
    t.advance(60); // a 3-frame stall: caught up in one go
    t.step();
    expect(idx).toEqual([0, 1, 2, 3, 4, 5]);
    t.advance(400); // a 20-frame stall: skipped
    t.step();
    expect(clock.skipped).toBeGreaterThan(10);
    expect(idx.length).toBeLessThan(10);
    clock.stop();
  });

  it('leaves no timer behind when stopped, and stop/start are idempotent', () => {
    const t = fakeTime();
    const clock = new FrameClock({ periodMs: 20, ...t, onTick: () => undefined });
    clock.start();
    clock.start();
    t.step();
    expect(t.pending()).toBe(1);
    clock.stop();
    clock.stop();
    expect(t.pending()).toBe(0);
  });

  it('afterIo: ticks run after the I/O of the same loop turn (setImmediate), and stop() cancels one pending', async () => {
    const order: string[] = [];
    const clock = new FrameClock({ periodMs: 10, afterIo: true, onTick: (i) => order.push(`tick${i}`) });
    clock.start();
    // Not inside start(): the first tick waits for the check phase.
    expect(order).toEqual([]);
    await new Promise<void>((resolve) => setImmediate(resolve));
    expect(order).toEqual(['tick0']);
    clock.stop();
    // Stopped with an immediate pending: nothing runs, nothing is left.
    const again = new FrameClock({ periodMs: 10, afterIo: true, onTick: () => order.push('late') });
    again.start();
    again.stop();
    // Its immediate was queued before this one: had it not been cancelled, it would have run first.
    await new Promise<void>((resolve) => setImmediate(resolve));
    expect(order).toEqual(['tick0']);
    expect(process.getActiveResourcesInfo().filter((r) => r === 'Immediate')).toEqual([]);
  });
});
