/**
 * Mouth-to-ear latency: the per-frame trace a participant records. Pure
 * and isomorphic (Node and browsers); nothing here does I/O. Reading and
 * analysing traces is tooling: `@parley/tools` (src/trace/analysis.ts).
 *
 * A traced participant records one event per stage of each 20 ms frame:
 *
 *   sender:   capture → encoded → sent
 *   receiver: arrived → popped → decoded → played
 *
 * each as `{ ev, ssrc, seq, t, pos? }`, `t` in wall-clock milliseconds with
 * sub-millisecond precision (`performance.timeOrigin + performance.now()`),
 * comparable between processes on one machine. Frames are matched across
 * the two traces by (ssrc, seq), and the differences are the stages. The
 * format (JSON lines) is defined in docs/benchmarks.md "Mouth-to-ear
 * latency" so that the browser app can emit the same events.
 *
 */

export const TRACE_EVENTS = ['capture', 'encoded', 'sent', 'arrived', 'popped', 'decoded', 'played'] as const;
export type TraceEventName = (typeof TRACE_EVENTS)[number];

/** Version of the trace format (the `v` of the `meta` line). */
export const TRACE_FORMAT_VERSION = 1;

export interface TraceEvent {
  ev: TraceEventName;
  /** The speaker's ssrc (session id). */
  ssrc: number;
  /** Extended sequence number of the frame's packet, as this side extended it. */
  seq: number;
  /** Wall-clock milliseconds, sub-ms precision, comparable between processes on one machine. */
  t: number;
  /** `capture`: the frame's first sample in the source; `played`: in the output. In samples. */
  pos?: number;
}

/**
 * The hook the sender and the receiver call when tracing. Absent = no cost
 * beyond one `undefined` check per frame.
 */
export interface FrameTracer {
  /** The trace clock (wall-clock ms). */
  now(): number;
  /** Records one event, at `t` (default: now). */
  mark(ev: TraceEventName, ssrc: number, seq: number, t?: number, pos?: number): void;
}

/** `performance.timeOrigin + performance.now()`: wall-clock ms, monotonic within a process. */
export function traceClock(): number {
  return performance.timeOrigin + performance.now();
}

/** A trace file is a benchmark tool's output: it stops growing here. */
export const DEFAULT_MAX_TRACE_EVENTS = 100_000;

/** Fields of one event in a raw batch (`takeRaw`): event index in TRACE_EVENTS, ssrc, seq, t, pos (NaN = none). */
export const TRACE_FIELDS = 5;
const FIELDS = TRACE_FIELDS;

/**
 * Records events into a preallocated buffer (no allocation per event, no
 * I/O while the audio runs); serialize with `toJsonLines()` at the end.
 * Events past `maxEvents` are counted in `dropped` and not kept.
 */
export class TraceRecorder implements FrameTracer {
  /** Events not kept because the buffer was full. */
  dropped = 0;
  private buf: Float64Array;
  private readonly max: number;
  private readonly clock: () => number;
  private n = 0;

  constructor(opts: { maxEvents?: number; now?: () => number } = {}) {
    this.max = opts.maxEvents ?? DEFAULT_MAX_TRACE_EVENTS;
    this.clock = opts.now ?? traceClock;
    // Grown on demand up to `max`, so a short trace does not hold 4 MB.
    this.buf = new Float64Array(Math.min(this.max, 4096) * FIELDS);
  }

  now(): number {
    return this.clock();
  }

  mark(ev: TraceEventName, ssrc: number, seq: number, t = this.clock(), pos = NaN): void {
    if (this.n >= this.max) {
      this.dropped++;
      return;
    }
    if ((this.n + 1) * FIELDS > this.buf.length) {
      const bigger = new Float64Array(Math.min(this.max, this.n * 2) * FIELDS);
      bigger.set(this.buf);
      this.buf = bigger;
    }
    const o = this.n * FIELDS;
    this.buf[o] = TRACE_EVENTS.indexOf(ev);
    this.buf[o + 1] = ssrc;
    this.buf[o + 2] = seq;
    this.buf[o + 3] = t;
    this.buf[o + 4] = pos;
    this.n++;
  }

  /**
   * The events kept so far, raw (TRACE_FIELDS numbers each), and forgets
   * them: a batch to hand to another thread (the playout worklet sends
   * its trace this way). Null when there is none. `dropped` is not reset.
   */
  takeRaw(): Float64Array<ArrayBuffer> | null {
    if (this.n === 0) return null;
    const out = this.buf.slice(0, this.n * FIELDS);
    this.n = 0;
    return out;
  }

  /** Events kept. */
  get size(): number {
    return this.n;
  }

  events(): TraceEvent[] {
    const out: TraceEvent[] = [];
    for (let i = 0; i < this.n; i++) {
      const o = i * FIELDS;
      const e: TraceEvent = {
        ev: TRACE_EVENTS[this.buf[o]!]!,
        ssrc: this.buf[o + 1]!,
        seq: this.buf[o + 2]!,
        t: this.buf[o + 3]!,
      };
      const pos = this.buf[o + 4]!;
      if (!Number.isNaN(pos)) e.pos = pos;
      out.push(e);
    }
    return out;
  }

  /**
   * The trace file: a `meta` line (format version, clock, `dropped`, and
   * whatever `meta` adds), then one event per line, `t` rounded to µs.
   */
  toJsonLines(meta: Record<string, unknown> = {}): string {
    const head = {
      ev: 'meta',
      v: TRACE_FORMAT_VERSION,
      clock: 'performance.timeOrigin+performance.now() ms',
      events: this.n,
      dropped: this.dropped,
      ...meta,
    };
    const lines = [JSON.stringify(head)];
    for (const e of this.events()) lines.push(JSON.stringify({ ...e, t: Math.round(e.t * 1000) / 1000 }));
    return lines.join('\n') + '\n';
  }
}
