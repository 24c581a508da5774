import { FRAME_SAMPLES, SAMPLE_RATE, SAMPLES_PER_MS } from '@parley/protocol';
import { FrameClock, type ClockDeps } from './clock.js';

/** Anything that yields one mixed 20 ms frame per call (the Receiver). */
export interface FramePuller {
  pull(nowMs: number): Int16Array;
  /** Optional: the frame just pulled was written to the output at sample `pos` (tracing). */
  played?(pos: number): void;
}

/**
 * Receives each recorded frame as soon as it is mixed, with the position of
 * its first sample. The frame is a view of the puller's buffer: copy what
 * must outlive the call.
 */
export type FrameSink = (frame: Int16Array, pos: number) => void;

export interface RecordOptions {
  frameSamples?: number;
  clock?: Partial<ClockDeps>;
  now?: () => number;
  /** Aborting it ends the recording early: its clock stops, and the promise resolves with the samples delivered so far. */
  signal?: AbortSignal;
}

/**
 * Records exactly `seconds` of the mix (or until `opts.signal` aborts), one frame per tick on a drift-free
 * clock (silence where nobody speaks), handing each frame to `sink` before
 * the next is pulled (the last one cut to length): the recorder itself
 * holds no audio. Resolves with the number of samples delivered; rejects,
 * and stops, if the sink throws.
 */
export function recordMix(
  puller: FramePuller,
  seconds: number,
  sink: FrameSink,
  opts: RecordOptions = {},
): Promise<number> {
  const frameSamples = opts.frameSamples ?? FRAME_SAMPLES;
  const total = Math.round(seconds * SAMPLE_RATE);
  const now = opts.now ?? (() => performance.now());
  let written = 0;
  return new Promise((resolve, reject) => {
    const clock = new FrameClock({
      periodMs: frameSamples / SAMPLES_PER_MS,
      afterIo: opts.clock?.setTimeout === undefined,
      onTick: () => {
        try {
          const frame = puller.pull(now());
          const take = Math.min(frame.length, total - written);
          sink(take === frame.length ? frame : frame.subarray(0, take), written);
          puller.played?.(written);
          written += take;
        } catch (err) {
          stop();
          reject(err instanceof Error ? err : new Error(String(err)));
          return;
        }
        if (written >= total) {
          stop();
          resolve(written);
        }
      },
      ...opts.clock,
    });
    const abort = (): void => {
      stop();
      resolve(written);
    };
    const stop = (): void => {
      clock.stop();
      opts.signal?.removeEventListener('abort', abort);
    };
    if (total === 0 || opts.signal?.aborted === true) resolve(0);
    else {
      opts.signal?.addEventListener('abort', abort);
      clock.start();
    }
  });
}
