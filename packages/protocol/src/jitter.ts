/**
 * RFC 3550 §6.4.1 interarrival jitter, the one estimator of the project
 * (load generator, jitter buffer, reports): with D the change in transit
 * time between two packets,
 *
 *   D(i, j) = (R_j − R_i) − (S_j − S_i)        R arrival, S send time
 *   J      += (|D(i, j)| − J) / 16
 *
 * in milliseconds. The send time is either a clock in ms (`update`) or
 * the packet's RTP timestamp (`updateRtp`, SAMPLE_RATE, wrapping at 2^32,
 * differences through the wraparound helper). The offset between the
 * sender's and the receiver's clocks cancels out. Pure; no allocation.
 */
import { SAMPLE_RATE } from './constants.js';
import { ts32Diff } from './wrap.js';

export interface InterarrivalJitterOptions {
  /**
   * A change in transit time this large or larger (ms, either sign) is a
   * gap, not jitter — e.g. the silence between two talk spurts — and is
   * left out of the estimate. Default: nothing is left out (RFC 3550).
   */
  gapMs?: number;
  /** Clock rate of RTP timestamps (Hz). Default SAMPLE_RATE. */
  clockRate?: number;
}

/**
 * One stream's interarrival jitter. Feed every packet in arrival order,
 * all through `update` or all through `updateRtp` (one kind per instance).
 */
export class InterarrivalJitter {
  private j = 0;
  private prevArrivalMs = NaN;
  private prevSend = NaN;
  private readonly gapMs: number;
  private readonly samplesPerMs: number;

  constructor(opts: InterarrivalJitterOptions = {}) {
    this.gapMs = opts.gapMs ?? Infinity;
    this.samplesPerMs = (opts.clockRate ?? SAMPLE_RATE) / 1000;
  }

  /** The estimate J (ms); 0 until two packets have been seen. */
  get ms(): number {
    return this.j;
  }

  /**
   * Feeds one packet: its arrival time and its send time, both in ms (each
   * on its own clock). A NaN send time (unknown) skips this packet and the
   * next difference. Returns J.
   */
  update(arrivalMs: number, sentMs: number): number {
    const d = arrivalMs - this.prevArrivalMs - (sentMs - this.prevSend);
    this.prevArrivalMs = arrivalMs;
    this.prevSend = sentMs;
    return this.addDelta(d);
  }

  /** Feeds one packet: its arrival time (ms) and RTP timestamp (u32). Returns J. */
  updateRtp(arrivalMs: number, timestamp: number): number {
    const d = Number.isNaN(this.prevSend)
      ? NaN
      : arrivalMs - this.prevArrivalMs - ts32Diff(timestamp, this.prevSend) / this.samplesPerMs;
    this.prevArrivalMs = arrivalMs;
    this.prevSend = timestamp;
    return this.addDelta(d);
  }

  /** Feeds one difference D (ms) directly; NaN and gaps are ignored. Returns J. */
  addDelta(d: number): number {
    const a = Math.abs(d);
    if (a < this.gapMs) this.j += (a - this.j) / 16; // false for NaN
    return this.j;
  }

  /** Forgets the stream: J back to 0, no previous packet. */
  reset(): void {
    this.j = 0;
    this.prevArrivalMs = NaN;
    this.prevSend = NaN;
  }
}
