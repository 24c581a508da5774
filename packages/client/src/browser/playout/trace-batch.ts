/**
 * The frame tracer of the playout worklet: the Receiver's events go into a
 * preallocated batch (no allocation per event), which each status message
 * takes along; the main thread turns the worklet's clock into wall-clock
 * time and hands them to the app's FrameTracer. Bounded: events past `max`
 * in one batch are counted in `dropped`.
 */
import { TRACE_EVENTS, type FrameTracer, type TraceEventName } from '../../core/trace.js';
import { TRACE_FIELDS } from './messages.js';

export class TraceBatch implements FrameTracer {
  /** Events not kept since the last `take` (the batch was full). */
  dropped = 0;
  private readonly buf: Float64Array<ArrayBuffer>;
  private n = 0;

  constructor(
    private readonly max: number,
    private readonly clock: () => number,
  ) {
    this.buf = new Float64Array(max * TRACE_FIELDS);
  }

  now(): number {
    return this.clock();
  }

  mark(ev: TraceEventName, ssrc: number, seq: number, t = this.clock(), pos = NaN): void {
    if (this.n >= this.max) {
      this.dropped++;
      return;
    }
    const o = this.n++ * TRACE_FIELDS;
    this.buf[o] = TRACE_EVENTS.indexOf(ev);
    this.buf[o + 1] = ssrc;
    this.buf[o + 2] = seq;
    this.buf[o + 3] = t;
    this.buf[o + 4] = pos;
  }

  /** The events since the last call (a copy, to transfer), or null when none. */
  take(): Float64Array<ArrayBuffer> | null {
    if (this.n === 0) return null;
    const out = this.buf.slice(0, this.n * TRACE_FIELDS);
    this.n = 0;
    return out;
  }
}

/** Replays a batch into `tracer`, each time through `toWall` (the worklet's ms → wall-clock ms). */
export function replayTrace(batch: Float64Array, tracer: FrameTracer, toWall: (ms: number) => number): void {
  for (let o = 0; o + TRACE_FIELDS <= batch.length; o += TRACE_FIELDS) {
    const ev = TRACE_EVENTS[batch[o]!];
    if (ev === undefined) continue;
    const pos = batch[o + 4]!;
    tracer.mark(ev, batch[o + 1]!, batch[o + 2]!, toWall(batch[o + 3]!), Number.isNaN(pos) ? undefined : pos);
  }
}
