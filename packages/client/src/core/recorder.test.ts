import { describe, expect, it } from 'vitest';
import { FRAME_SAMPLES } from '@parley/protocol';
import type { ClockDeps } from './clock.js';
import { recordMix, type FramePuller } from './recorder.js';

/** A clock that runs as fast as the recorder asks: each timer fires at once, in simulated time. */
function fastClock(): { deps: ClockDeps; drain: () => void } {
  let t = 0;
  let due: (() => void) | null = null;
  return {
    deps: {
      now: () => t,
      setTimeout: (fn, ms) => {
        due = () => {
          t += ms;
          fn();
        };
        return 1;
      },
      clearTimeout: () => {
        due = null;
      },
    },
    drain: () => {
      for (let steps = 0; due !== null && steps < 10_000; steps++) {
        const fn: () => void = due;
        due = null;
        fn();
      }
    },
  };
}

/** A puller whose frame k holds the value k everywhere, logging each pull. */
function counting(log: string[], frameSamples = FRAME_SAMPLES): FramePuller {
  let k = 0;
  return {
    pull: () => {
      log.push(`pull${k}`);
      return new Int16Array(frameSamples).fill(k++);
    },
  };
}

describe('recordMix', () => {
  it('hands each frame to the sink before pulling the next: the recorder holds no audio', async () => {
    const log: string[] = [];
    const clock = fastClock();
    const sunk: { pos: number; length: number; value: number }[] = [];
    const done = recordMix(
      counting(log),
      0.05, // 2400 samples: two whole frames and half of a third
      (frame, pos) => {
        log.push(`sink${frame[0]}`);
        sunk.push({ pos, length: frame.length, value: frame[0]! });
      },
      { clock: clock.deps, now: clock.deps.now },
    );
    clock.drain();
    expect(await done).toBe(2400);
    expect(log).toEqual(['pull0', 'sink0', 'pull1', 'sink1', 'pull2', 'sink2']);
    expect(sunk).toEqual([
      { pos: 0, length: 960, value: 0 },
      { pos: 960, length: 960, value: 1 },
      { pos: 1920, length: 480, value: 2 },
    ]);
  });

  it('records nothing for 0 s', async () => {
    const log: string[] = [];
    expect(await recordMix(counting(log), 0, () => log.push('sink'))).toBe(0);
    expect(log).toEqual([]);
  });
});
