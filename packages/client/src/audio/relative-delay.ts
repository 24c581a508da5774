/**
 * The delay target's estimator (docs/playout.md, "The delay target"): each
 * packet's transit (arrival − send time, the send time from its 48 kHz
 * timestamp, unwrapped) over a sliding window of the last `window`
 * packets; a packet's relative delay is its transit minus the window's
 * smallest. `quantileMs` is a high percentile of the relative delays: how
 * late, against the fastest recent packet, nearly every packet comes.
 * Pure, no allocation per packet.
 *
 * Steps: the newest packets faster than the rest of the window by more
 * than `stepMs` are a clock that lost time (an audio thread that stalled
 * renders nothing meanwhile, and its clock stays behind for good) or a
 * path that got faster at once. Either way the packets of before — those
 * no faster than the old fastest — are moved down with the step,
 * and keep moving while it goes on (the packets queued during a stall
 * come in a burst, each a frame faster than the one before): their
 * spread, the jitter, is kept, and the old clock no longer counts as
 * delay. Without this the target would hold the whole step for the
 * window's 4 s. The burst's own packets are not moved: on the new clock
 * they were late, and count as such.
 */
import { SAMPLES_PER_MS, ts32Diff } from '@parley/protocol';

export interface RelativeDelayOptions {
  /** Packets in the window (default 200: 4 s of 20 ms frames). */
  window?: number;
  /** The percentile of `quantileMs`, 0…1 (default 0.97). */
  quantile?: number;
  /** A packet this much faster than the window's fastest (ms) moves the window down with it (default 30). */
  stepMs?: number;
}

/** The newest packets that may make a step; a new fastest packet within this many of the last continues it. */
const STEP_RECENT = 8;

export class RelativeDelay {
  private readonly ring: Float64Array;
  /** Entries from before the step being followed (moved with it). */
  private readonly before: Uint8Array;
  /** The window's fastest transit before that step, how far its packets were moved, and until when it goes on. */
  private stepBase = NaN;
  private stepShift = 0;
  private stepUntil = -1;
  private pushes = 0;
  private readonly sorted: Float64Array;
  private readonly q: number;
  private readonly stepMs: number;
  private n = 0;
  /** Steps taken (see the header). */
  steps = 0;
  private at = 0;
  /** Unwrapped send time (ms) of the newest timestamp seen, and that timestamp. */
  private lastTs = 0;
  private lastSendMs = NaN;
  private minCache = 0;
  private quantCache = 0;
  private dirty = false;

  constructor(opts: RelativeDelayOptions = {}) {
    const w = Math.max(1, Math.floor(opts.window ?? 200));
    this.ring = new Float64Array(w);
    this.before = new Uint8Array(w);
    this.sorted = new Float64Array(w);
    this.q = Math.min(1, Math.max(0, opts.quantile ?? 0.97));
    this.stepMs = opts.stepMs ?? 30;
  }

  /** Packets in the window now. */
  get count(): number {
    return this.n;
  }

  /**
   * The send time (ms, on the sender's timeline as unwrapped here) of a
   * 48 kHz timestamp, relative to the newest one seen. NaN before any.
   */
  sendMs(timestamp: number): number {
    if (Number.isNaN(this.lastSendMs)) return NaN;
    return this.lastSendMs + ts32Diff(timestamp, this.lastTs) / SAMPLES_PER_MS;
  }

  /** Feeds one packet (any arrival order); returns its send time (ms, unwrapped). */
  push(arrivalMs: number, timestamp: number): number {
    let sendMs = this.sendMs(timestamp);
    if (Number.isNaN(sendMs)) sendMs = 0;
    if (sendMs >= this.lastSendMs || Number.isNaN(this.lastSendMs)) {
      this.lastSendMs = sendMs;
      this.lastTs = timestamp >>> 0;
    }
    const transit = arrivalMs - sendMs;
    if (!Number.isFinite(transit)) return sendMs;
    this.ring[this.at] = transit;
    this.before[this.at] = 0;
    this.at = (this.at + 1) % this.ring.length;
    if (this.n < this.ring.length) this.n++;
    this.dirty = true;
    this.pushes++;
    // Only a packet faster than the (cached) fastest, or one during a step, can make or move one.
    if (transit < this.minCache || this.pushes <= this.stepUntil) this.step(transit);
    return sendMs;
  }

  /** Starts or follows a step (see the header) at the newest packet, whose transit is `transit`. */
  private step(transit: number): void {
    const len = this.ring.length;
    if (this.pushes <= this.stepUntil) {
      const more = this.stepBase - transit - this.stepShift;
      if (more <= 0) return; // not faster than the packets of before, as moved so far
      for (let i = 0; i < this.n; i++) if (this.before[i] === 1) this.ring[i]! -= more;
      this.stepShift += more;
      this.stepUntil = this.pushes + STEP_RECENT;
      return;
    }
    if (this.n <= 2 * STEP_RECENT) return;
    let olderMin = Infinity;
    let recentMin = Infinity;
    for (let k = 0; k < this.n; k++) {
      const v = this.ring[(this.at - 1 - k + len) % len]!;
      if (k < STEP_RECENT) recentMin = Math.min(recentMin, v);
      else olderMin = Math.min(olderMin, v);
    }
    if (!(olderMin - recentMin > this.stepMs)) return;
    this.steps++;
    this.stepBase = olderMin;
    this.stepShift = olderMin - recentMin;
    this.stepUntil = this.pushes + STEP_RECENT;
    // The older packets, and those of the newest no faster than them: a newest one a little faster is
    // the burst's (a clock that stood still stamps them at its start), and moved it would stand below
    // every packet of the new clock, as delay for the whole window.
    for (let i = 0; i < this.n; i++) {
      const old = this.ring[i]! >= olderMin;
      this.before[i] = old ? 1 : 0;
      if (old) this.ring[i]! -= this.stepShift;
    }
  }

  /** The smallest transit in the window (ms; 0 when empty): the fastest recent path. */
  get minTransitMs(): number {
    this.refresh();
    return this.minCache;
  }

  /** The chosen percentile of the relative delays in the window (ms, ≥ 0; 0 when empty). */
  get quantileMs(): number {
    this.refresh();
    return this.quantCache;
  }

  /** When a packet sent at `sendMs` (ms, as `push` returns) arrives on the fastest recent path. */
  fastestArrivalMs(sendMs: number): number {
    return sendMs + this.minTransitMs;
  }

  /** Forgets every packet. */
  reset(): void {
    this.n = 0;
    this.at = 0;
    this.lastSendMs = NaN;
    this.lastTs = 0;
    this.minCache = 0;
    this.quantCache = 0;
    this.dirty = false;
    this.stepBase = NaN;
    this.stepShift = 0;
    this.stepUntil = -1;
    this.pushes = 0;
  }

  private refresh(): void {
    if (!this.dirty) return;
    this.dirty = false;
    const n = this.n;
    const s = this.sorted.subarray(0, n);
    s.set(this.ring.subarray(0, n));
    s.sort();
    this.minCache = s[0]!;
    const i = Math.min(n - 1, Math.ceil(this.q * n) - 1);
    this.quantCache = s[Math.max(0, i)]! - this.minCache;
  }
}
