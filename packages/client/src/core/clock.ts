/**
 * A drift-free frame clock: tick n is due at start + n·period on a monotonic
 * clock, and each wait is computed from that ideal time, so timer lateness
 * never accumulates (setInterval drifts; this does not). When it falls more
 * than `maxLagFrames` behind (a stalled event loop), it skips ahead and
 * counts the frames skipped instead of bursting them out.
 */

export interface ClockDeps {
  now: () => number;
  setTimeout: (fn: () => void, ms: number) => unknown;
  clearTimeout: (handle: unknown) => void;
}

export interface FrameClockOptions extends Partial<ClockDeps> {
  periodMs: number;
  onTick: (index: number, idealMs: number) => void;
  /** Frames of lag tolerated (caught up) before skipping ahead. Default: 100 ms worth (at least 5). */
  maxLagFrames?: number;
  /**
   * Run the due ticks after the event loop has read pending I/O (Node's
   * `setImmediate`, after the poll phase), not in the timer callback
   * itself: after a stall, the packets that came meanwhile are pushed
   * before the output pulls, instead of the pull finding the buffer empty
   * and concealing a frame that is sitting in the socket. Ignored where
   * there is no `setImmediate` (browsers).
   */
  afterIo?: boolean;
}

/** Node's setImmediate / clearImmediate, looked up when used (fake timers replace them); undefined in browsers. */
const immediates = globalThis as {
  setImmediate?: (fn: () => void) => unknown;
  clearImmediate?: (h: unknown) => void;
};

export class FrameClock {
  /** Frames skipped because the clock fell too far behind. */
  skipped = 0;
  private readonly deps: ClockDeps;
  private readonly periodMs: number;
  private readonly maxLag: number;
  private readonly onTick: (index: number, idealMs: number) => void;
  private start0 = 0;
  private index = 0;
  private handle: unknown = null;
  private immediate: unknown = null;
  private readonly afterIo: boolean;
  private running = false;

  constructor(opts: FrameClockOptions) {
    this.periodMs = opts.periodMs;
    this.onTick = opts.onTick;
    this.maxLag = opts.maxLagFrames ?? Math.max(5, Math.ceil(100 / opts.periodMs));
    this.afterIo = opts.afterIo === true && typeof immediates.setImmediate === 'function';
    this.deps = {
      now: opts.now ?? (() => performance.now()),
      setTimeout: opts.setTimeout ?? ((fn, ms) => globalThis.setTimeout(fn, ms)),
      clearTimeout: opts.clearTimeout ?? ((h) => globalThis.clearTimeout(h as ReturnType<typeof setTimeout>)),
    };
  }

  /** Starts ticking now (tick 0 is immediate). Idempotent. */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.start0 = this.deps.now();
    this.index = 0;
    this.run();
  }

  /** Stops; no timer is left behind. Idempotent. */
  stop(): void {
    this.running = false;
    if (this.handle !== null) {
      this.deps.clearTimeout(this.handle);
      this.handle = null;
    }
    if (this.immediate !== null) {
      immediates.clearImmediate?.(this.immediate);
      this.immediate = null;
    }
  }

  private run(): void {
    this.handle = null;
    if (!this.running) return;
    if (this.afterIo) {
      this.immediate = immediates.setImmediate!(() => {
        this.immediate = null;
        this.runDue();
      });
      return;
    }
    this.runDue();
  }

  private runDue(): void {
    if (!this.running) return;
    const now = this.deps.now();
    const lag = Math.floor((now - this.start0) / this.periodMs) - this.index;
    if (lag > this.maxLag) {
      this.skipped += lag;
      this.index += lag;
    }
    while (this.running && this.start0 + this.index * this.periodMs <= now) {
      const i = this.index++;
      this.onTick(i, this.start0 + i * this.periodMs);
    }
    if (!this.running) return;
    const wait = Math.max(0, this.start0 + this.index * this.periodMs - this.deps.now());
    this.handle = this.deps.setTimeout(() => this.run(), wait);
  }
}
