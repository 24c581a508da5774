/**
 * The worklet's clock (the AudioContext's, in ms) on the page's wall clock
 * (`performance.timeOrigin + performance.now()`, the frame tracer's), for
 * trace events and tapped frames: the worklet scope has no `performance`.
 *
 * Each status message says which quantum was just rendered (`ctxMs`); it
 * reaches the main thread at `wallMs`, some time after. The offset is
 * the smallest `wallMs − ctxMs` of the last `window` observations: the
 * message that came the fastest, when the main thread was free. The audio
 * thread renders a few quanta at a time (one device callback), so this is
 * the steady timeline the output plays along, aligned on the last quantum
 * of a callback. The window is short (48 statuses: about a second) because
 * the context's clock can lose time for good — a stalled audio thread
 * renders nothing meanwhile — and the map must follow within a second,
 * not hold the old offset. Pure: the caller gives both clocks.
 */
export class ClockMap {
  private readonly offsets: Float64Array;
  private n = 0;
  private next = 0;
  private best = NaN;

  constructor(window = 48) {
    if (!Number.isInteger(window) || window < 1) throw new RangeError(`bad window ${window}`);
    this.offsets = new Float64Array(window);
  }

  /** Whether anything was observed yet. */
  get ready(): boolean {
    return this.n > 0;
  }

  /** A status about the quantum at `ctxMs` arrived at `wallMs`. */
  observe(ctxMs: number, wallMs: number): void {
    const off = wallMs - ctxMs;
    const old = this.n === this.offsets.length ? this.offsets[this.next]! : NaN;
    this.offsets[this.next] = off;
    this.next = (this.next + 1) % this.offsets.length;
    if (this.n < this.offsets.length) this.n++;
    if (Number.isNaN(this.best) || off <= this.best) this.best = off;
    else if (old === this.best) {
      // The smallest left the window: the smallest of what is left.
      let m = Infinity;
      for (let i = 0; i < this.n; i++) m = Math.min(m, this.offsets[i]!);
      this.best = m;
    }
  }

  /** Wall-clock ms of `ctxMs` (NaN before any observation). */
  toWall(ctxMs: number): number {
    return ctxMs + this.best;
  }
}
