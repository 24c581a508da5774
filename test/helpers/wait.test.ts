import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { nextEvent, waitFor } from './wait.js';

describe('waitFor', () => {
  it('resolves at once when the condition already holds', async () => {
    let calls = 0;
    await waitFor(() => ++calls > 0, 'nothing');
    expect(calls).toBe(1);
  });

  it('re-checks on the events it is given, after their other listeners, without polling', async () => {
    const e = new EventEmitter();
    let n = 0;
    e.on('tick', () => n++);
    const done = waitFor(() => n === 3, 'three ticks', { on: [[e, 'tick']], pollMs: false, timeoutMs: 1000 });
    for (let i = 0; i < 3; i++) e.emit('tick');
    await done;
    expect(e.listenerCount('tick')).toBe(1); // its own listener is gone
  });

  it('takes a subscription as an event source, and releases it', async () => {
    const listeners = new Set<() => void>();
    let ready = false;
    const done = waitFor(() => ready, 'ready', {
      on: [(wake) => (listeners.add(wake), () => listeners.delete(wake))],
      pollMs: false,
    });
    ready = true;
    for (const l of listeners) l();
    await done;
    expect(listeners.size).toBe(0);
  });

  it('polls a condition that no event announces', async () => {
    const until = performance.now() + 50;
    await waitFor(() => performance.now() >= until, '50 ms', { pollMs: 5 });
  });

  it('awaits an async condition, one evaluation at a time', async () => {
    let running = 0;
    let most = 0;
    let calls = 0;
    await waitFor(
      async () => {
        most = Math.max(most, ++running);
        await new Promise((r) => setTimeout(r, 10));
        running--;
        return ++calls === 3;
      },
      'the third answer',
      { pollMs: 1 },
    );
    expect(most).toBe(1);
    expect(calls).toBe(3);
  });

  it('fails after its bound, naming what it waited for and the state reached', async () => {
    let n = 0;
    const started = performance.now();
    await expect(
      waitFor(
        () => ++n < 0,
        () => `a negative count (${n})`,
        60,
      ),
    ).rejects.toThrow(/^timed out after 60 ms waiting for a negative count \(\d+\)$/);
    expect(performance.now() - started).toBeGreaterThanOrEqual(55);
  });

  it('fails with the error the condition throws', async () => {
    await expect(
      waitFor(() => {
        throw new Error('socket closed');
      }, 'x'),
    ).rejects.toThrow('socket closed');
    await expect(waitFor(() => Promise.reject(new Error('no')), 'x')).rejects.toThrow('no');
  });
});

describe('nextEvent', () => {
  it('resolves with the first matching value and unsubscribes; fails after its bound', async () => {
    const e = new EventEmitter();
    const subscribe = (fn: (v: number) => void): (() => void) => {
      e.on('v', fn);
      return () => e.off('v', fn);
    };
    const got = nextEvent(subscribe, (v) => v > 1, 'a value above 1');
    [0, 1, 2, 3].forEach((v) => e.emit('v', v));
    await expect(got).resolves.toBe(2);
    expect(e.listenerCount('v')).toBe(0);
    await expect(nextEvent(subscribe, () => true, 'anything', 20)).rejects.toThrow(
      'timed out after 20 ms waiting for anything',
    );
  });
});
