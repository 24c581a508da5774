/**
 * The load test's own measurements: a fixed-size log histogram for RTT
 * samples (no array that grows with the run), and per-stream receive
 * state — one sender as heard by one listener: unique / duplicate / late
 * packets and RFC 3550 interarrival jitter (the protocol package's
 * estimator; percentiles of sample sets are the protocol package's too).
 */
import { InterarrivalJitter, LatencyHistogram } from '@parley/protocol';

/** Buckets per doubling: the upper bound of a bucket is ≤ 2.2 % above its lower bound. */
const PER_DOUBLING = 32;

/** A log-bucketed histogram of microsecond values (the protocol package's, finer); recording allocates nothing. */
export class LogHistogram extends LatencyHistogram {
  constructor() {
    super(PER_DOUBLING);
  }
}

/** What happened to one received packet of a stream. */
export type StreamVerdict = 'ok' | 'duplicate' | 'too_old' | 'auth_failed';

/**
 * One sender as heard by one listener: the counts of what arrived and two
 * RFC 3550 §6.4.1 jitter estimates (`InterarrivalJitter`, ms):
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
  private readonly sendJitter = new InterarrivalJitter();
  private readonly rtpJitter = new InterarrivalJitter();

  /** Jitter on the packets' real send times (ms). */
  get jitterMs(): number {
    return this.sendJitter.ms;
  }

  /** Jitter on the RTP timestamps (ms). */
  get rtpJitterMs(): number {
    return this.rtpJitter.ms;
  }

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
    this.rtpJitter.updateRtp(arrivalMs, timestamp);
    this.sendJitter.update(arrivalMs, sentMs);
  }

  /** Packets missing between the first and the last sequence number received. */
  get lostInRange(): number {
    return this.lastSeq < 0 ? 0 : this.lastSeq - this.firstSeq + 1 - this.received;
  }
}
