/**
 * The delay target's estimator (docs/playout.md, "The delay target"): each
 * packet's transit (arrival − send time, the send time from its 48 kHz
 * timestamp, unwrapped) over a sliding window of the last `window`
 * packets; a packet's relative delay is its transit minus the window's
 * smallest. `quantileMs` is a high percentile of the relative delays: how
 * late, against the fastest recent packet, nearly every packet comes.
 * Pure, no allocation per packet.
 */
import { SAMPLES_PER_MS, ts32Diff } from '@parley/protocol';

export interface RelativeDelayOptions {
  /** Packets in the window (default 200: 4 s of 20 ms frames). */
  window?: number;
  /** The percentile of `quantileMs`, 0…1 (default 0.97). */
  quantile?: number;
}

export class RelativeDelay {
  private readonly ring: Float64Array;
  private readonly sorted: Float64Array;
  private readonly q: number;
  private n = 0;
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
    this.sorted = new Float64Array(w);
    this.q = Math.min(1, Math.max(0, opts.quantile ?? 0.97));
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
    this.at = (this.at + 1) % this.ring.length;
    if (this.n < this.ring.length) this.n++;
    this.dirty = true;
    return sendMs;
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
