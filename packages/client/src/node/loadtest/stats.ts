/**
 * The load test's own measurements: a fixed-size log histogram for RTT
 * samples (no array that grows with the run), percentiles of small sample
 * sets, and per-stream receive state — one sender as heard by one listener:
 * unique / duplicate / late packets and RFC 3550 interarrival jitter.
 */
import { LatencyHistogram, ts32Diff } from '@parley/protocol';

/** Buckets per doubling: the upper bound of a bucket is ≤ 2.2 % above its lower bound. */
const PER_DOUBLING = 32;

/** A log-bucketed histogram of microsecond values (the protocol package's, finer); recording allocates nothing. */
export class LogHistogram extends LatencyHistogram {
  constructor() {
    super(PER_DOUBLING);
  }
}

export interface Percentiles {
  p50: number;
  p95: number;
  p99: number;
  max: number;
}

/** Nearest-rank percentiles of a small sample set (sorted in place). */
export function percentiles(values: number[] | Float64Array): Percentiles {
  const n = values.length;
  if (n === 0) return { p50: 0, p95: 0, p99: 0, max: 0 };
  const sorted = values instanceof Float64Array ? values.sort() : values.sort((a, b) => a - b);
  const at = (q: number): number => sorted[Math.min(n - 1, Math.max(0, Math.ceil(q * n) - 1))] ?? 0;
  return { p50: at(0.5), p95: at(0.95), p99: at(0.99), max: sorted[n - 1] ?? 0 };
}

/** What happened to one received packet of a stream. */
export type StreamVerdict = 'ok' | 'duplicate' | 'too_old' | 'auth_failed';

/**
 * One sender as heard by one listener. `inbound` extends the 16-bit
 * sequence, rejects duplicates before opening, and opens (authenticates)
 * the packet; this adds the counts and two RFC 3550 §6.4.1 jitter
 * estimates, J += (|D| − J) / 16 with D the change in transit time between
 * two consecutive arrivals (ms):
 * - `jitterMs` takes the packet's real send time on the generator's clock
 *   (sender and listener share it): network + relay, without the sender's
 *   own timer lateness;
 * - `rtpJitterMs` takes the RTP timestamp (the ideal 20 ms grid), as a
 *   real listener must: it also holds the sender's pacing error.
 */
export class RecvStream {
  /** Unique packets that authenticated. */
  received = 0;
  duplicates = 0;
  /** Arrived after a packet with a higher sequence number (reordered), but counted. */
  late = 0;
  /** More than the replay window behind: not counted as received. */
  tooOld = 0;
  authFailed = 0;
  firstSeq = -1;
  lastSeq = -1;
  jitterMs = 0;
  rtpJitterMs = 0;
  private prevArrivalMs = 0;
  private prevSentMs = NaN;
  private prevTimestamp = -1;

  /**
   * Records an opened packet: its extended sequence, RTP timestamp, arrival
   * time and send time (ms, NaN when unknown), and whether it came after a
   * packet with a higher sequence number (reordered).
   */
  accept(extSeq: number, timestamp: number, arrivalMs: number, sentMs: number, late: boolean): void {
    this.received++;
    if (late) this.late++;
    if (this.firstSeq < 0 || extSeq < this.firstSeq) this.firstSeq = extSeq;
    if (extSeq > this.lastSeq) this.lastSeq = extSeq;
    if (this.prevTimestamp >= 0) {
      const arrived = arrivalMs - this.prevArrivalMs;
      const d = arrived - ts32Diff(timestamp, this.prevTimestamp) / 48;
      this.rtpJitterMs += (Math.abs(d) - this.rtpJitterMs) / 16;
      const ds = arrived - (sentMs - this.prevSentMs);
      if (Number.isFinite(ds)) this.jitterMs += (Math.abs(ds) - this.jitterMs) / 16;
    }
    this.prevArrivalMs = arrivalMs;
    this.prevSentMs = sentMs;
    this.prevTimestamp = timestamp;
  }

  /** Packets missing between the first and the last sequence number received. */
  get lostInRange(): number {
    return this.lastSeq < 0 ? 0 : this.lastSeq - this.firstSeq + 1 - this.received;
  }
}
