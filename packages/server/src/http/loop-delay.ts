import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';
import type { LoopDelayFigures } from '@parley/protocol';

const RESOLUTION_MS = 10;
/** Length of a reporting window. */
const WINDOW_MS = 10_000;

/**
 * The event-loop delay over the last complete 10 s window (the window in
 * progress until the first one completes). Node's histogram records the
 * whole period between two firings of a `resolution` ms timer, so an idle
 * loop shows ≈ 10 ms; the figures here subtract the period and are the
 * delay proper (0 when idle). Windows rather than "since start", so that a
 * long-running server's figures say what the loop does now.
 */
export class LoopDelayMonitor {
  private readonly histogram: IntervalHistogram = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
  private last: LoopDelayFigures | null = null;
  private timer: NodeJS.Timeout | null = null;

  /** Starts sampling and the window timer; idempotent (a second timer would never be stopped). */
  start(): void {
    if (this.timer !== null) return;
    this.histogram.enable();
    this.timer = setInterval(() => this.rotate(), WINDOW_MS);
    this.timer.unref();
  }

  /** Stops sampling and the window timer; idempotent. */
  stop(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    this.histogram.disable();
  }

  /** Closes the current window: its figures become the reported ones, and a new window starts. */
  rotate(): void {
    this.last = figures(this.histogram);
    this.histogram.reset();
  }

  read(): LoopDelayFigures {
    return this.last ?? figures(this.histogram);
  }
}

function figures(h: IntervalHistogram): LoopDelayFigures {
  const ms = (ns: number): number =>
    Number.isFinite(ns) && h.count > 0 ? Math.max(0, ns / 1e6 - RESOLUTION_MS) : 0;
  return { p50: ms(h.percentile(50)), p99: ms(h.percentile(99)), max: ms(h.max) };
}
