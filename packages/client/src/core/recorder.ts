import { FrameClock, type ClockDeps } from './clock.js';

/** Anything that yields one mixed 20 ms frame per call (the Receiver). */
export interface FramePuller {
  pull(nowMs: number): Int16Array;
  /** Optional: the frame just pulled was written to the output at sample `pos` (tracing). */
  played?(pos: number): void;
}

/**
 * Records exactly `seconds` of the mix, one frame per 20 ms tick on a
 * drift-free clock; silence where nobody speaks.
 */
export function recordMix(
  puller: FramePuller,
  seconds: number,
  opts: { frameSamples?: number; clock?: Partial<ClockDeps>; now?: () => number } = {},
): Promise<Int16Array> {
  const frameSamples = opts.frameSamples ?? 960;
  const total = Math.round(seconds * 48000);
  const out = new Int16Array(total);
  const now = opts.now ?? (() => performance.now());
  let written = 0;
  return new Promise((resolve) => {
    const clock = new FrameClock({
      periodMs: (frameSamples / 48000) * 1000,
      onTick: () => {
        const frame = puller.pull(now());
        const take = Math.min(frame.length, total - written);
        out.set(frame.subarray(0, take), written);
        puller.played?.(written);
        written += take;
        if (written >= total) {
          clock.stop();
          resolve(out);
        }
      },
      ...opts.clock,
    });
    if (total === 0) resolve(out);
    else clock.start();
  });
}
