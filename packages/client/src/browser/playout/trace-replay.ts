/**
 * The playout worklet's frame trace on the page: the worklet records the
 * Receiver's events with a TraceRecorder on its own clock and sends them,
 * raw (`takeRaw`), with each status; the main thread replays them into the
 * app's FrameTracer with the times turned into its wall clock.
 */
import { TRACE_EVENTS, TRACE_FIELDS, type FrameTracer } from '../../core/trace.js';

/** Replays a raw batch into `tracer`, each time through `toWall` (the worklet's ms → wall-clock ms). */
export function replayTrace(batch: Float64Array, tracer: FrameTracer, toWall: (ms: number) => number): void {
  for (let o = 0; o + TRACE_FIELDS <= batch.length; o += TRACE_FIELDS) {
    const ev = TRACE_EVENTS[batch[o]!];
    if (ev === undefined) continue;
    const pos = batch[o + 4]!;
    tracer.mark(ev, batch[o + 1]!, batch[o + 2]!, toWall(batch[o + 3]!), Number.isNaN(pos) ? undefined : pos);
  }
}
