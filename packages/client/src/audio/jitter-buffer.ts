/**
 * Adaptive jitter buffer: a fixed-capacity ring indexed by extended sequence
 * number (the caller extends; see @parley/protocol wrap.ts). Pure: the
 * caller passes arrival and playout times in milliseconds.
 *
 * Playout: `pop(now)` once per frame tick. It starts (and restarts after a
 * talk spurt) once the first buffered frame has waited the target delay. A
 * frame that is missing while later ones are here is lost (its successor is
 * returned for FEC). When nothing is buffered (an underrun: packets are
 * late), concealment is asked for without consuming the sequence number, so
 * the late frame still plays and the delay grows by one frame (for the
 * first two underruns of a run: a longer run is loss, not lateness); after
 * a few underruns in a row (3, or 10 while the speaker is mid-spurt:
 * `midSpurt`) the stream is idle and playout stops until it re-buffers.
 *
 * The target delay (docs/playout.md, "The delay target") is the 97th
 * percentile of each packet's delay against the fastest recent packet,
 * over the last 200 packets (or the peak detector's hold, when higher),
 * plus 2 ms, plus k frames for redundancy k deep, clamped to [minDelayMs,
 * maxDelayMs]: how long after its fastest-path arrival a frame must be
 * needed for nearly every packet to be in time. This buffer never drops a
 * frame to shrink: the Receiver time-scales decoded audio instead
 * (audio/time-scale.ts), asking `fastestArrivalMs` where it stands.
 */

import { InterarrivalJitter } from '@parley/protocol';
import { RelativeDelay } from './relative-delay.js';

export interface JitterBufferOptions {
  /** Frames held at most (default 64). */
  capacity?: number;
  frameMs?: number;
  minDelayMs?: number;
  maxDelayMs?: number;
  /** The target while fewer than 16 packets have been measured (default 20 ms). */
  initialDelayMs?: number;
  /** Added to the relative-delay percentile: our own processing (ms, default 2). */
  marginMs?: number;
  /** Packets in the relative-delay window (default 200). */
  delayWindow?: number;
  /** How long two late packets hold the target up (ms, default 10 000; 0 = no peak detector). */
  peakHoldMs?: number;
  /** Underruns in a row after which the stream is considered idle. */
  idleAfterUnderruns?: number;
  /**
   * The same, while the speaker is known to be mid-spurt (`midSpurt(true)`:
   * no TALK_END yet): a burst of lost packets is concealed through instead
   * of stopping playout and re-buffering (default 10, 200 ms of 20 ms frames).
   */
  idleAfterUnderrunsMidSpurt?: number;
}

/**
 * What `push` did with a packet: `late` when it is below the next frame to
 * play, or a whole ring (capacity) older than the newest frame held.
 */
export type PushResult = 'ok' | 'late' | 'duplicate' | 'overflow';

export type PopResult =
  | {
      kind: 'frame';
      extSeq: number;
      payload: Uint8Array;
      /** Send time (ms, RelativeDelay's unwrapped timeline). */ sendMs: number;
    }
  | { kind: 'missing'; extSeq: number; next?: Uint8Array }
  | { kind: 'waiting' };

export interface JitterBufferStats {
  received: number;
  played: number;
  late: number;
  duplicate: number;
  /** Frames discarded because the ring was full (the oldest go). */
  overflow: number;
  lost: number;
  underruns: number;
  /** Frames skipped to shrink the delay: always 0 now (the Receiver time-scales instead; kept for the report's shape). */
  skipped: number;
  /** Missing frames filled from a later packet's redundancy before their turn (`fill`). */
  filled: number;
  /** Frames dropped unplayed because their spurt was cut (mute: `cut`). */
  cut: number;
}

interface Slot {
  extSeq: number;
  payload: Uint8Array;
  arrivalMs: number;
  sendMs: number;
}

const WAITING: PopResult = { kind: 'waiting' };
/** How long the relative delay of a packet that came after its turn holds the target up (ms). */
const PEAK_HOLD_MS = 10_000;
/** Packets measured before the relative-delay percentile is trusted over `initialDelayMs`. */
const TRUST_AFTER = 16;
/** A change in transit time this large is the gap between two talk spurts, not jitter (ms). */
const TALK_SPURT_GAP_MS = 1000;

/** All counters at zero. */
export function emptyJitterStats(): JitterBufferStats {
  return {
    received: 0,
    played: 0,
    late: 0,
    duplicate: 0,
    overflow: 0,
    lost: 0,
    underruns: 0,
    skipped: 0,
    filled: 0,
    cut: 0,
  };
}

export class JitterBuffer {
  readonly stats: JitterBufferStats = emptyJitterStats();
  private readonly slots: (Slot | undefined)[];
  private readonly capacity: number;
  private readonly frameMs: number;
  private readonly minDelayMs: number;
  private extraMs = 0;
  private readonly maxDelayMs: number;
  private readonly idleAfterEnd: number;
  private readonly idleAfterMid: number;
  private idleAfter: number;
  private count = 0;
  /** Lowest and highest sequence buffered (valid when count > 0). */
  private low = 0;
  private high = 0;
  private playing = false;
  /** Next sequence to play; everything below it is late. */
  private next: number | undefined;
  private underrunRun = 0;
  /** Frames concealed in the current underrun, not yet matched to a sequence number. */
  private credit = 0;
  /** RFC 3550 interarrival jitter of the packets pushed (not late, not duplicates), for reports. */
  private readonly jitterEstimate = new InterarrivalJitter({ gapMs: TALK_SPURT_GAP_MS });
  /** Transit times of the packets pushed: the target and the fastest path. */
  private readonly delay: RelativeDelay;
  private readonly initialMs: number;
  private readonly marginMs: number;
  /**
   * The peak detector: a packet that came after its turn (an underrun was
   * concealed for it) is a peak of its relative delay. A q97 over 200
   * packets moves only after 7 late ones; when a second peak comes within
   * PEAK_HOLD_MS of the one before, the higher of the two holds the target
   * up for PEAK_HOLD_MS, so the frame of delay a concealment added is kept
   * instead of accelerated away into the next underrun. A lone peak (one
   * stall) does not count: it would hold a whole stall's delay.
   */
  private peakMs = 0;
  private peakUntilMs = -Infinity;
  private lastPeakMs = NaN;
  private lastPeakAt = -Infinity;
  private lastArrivalMs = -Infinity;
  private readonly peakHoldMs: number;

  constructor(opts: JitterBufferOptions = {}) {
    this.capacity = opts.capacity ?? 64;
    this.frameMs = opts.frameMs ?? 20;
    this.minDelayMs = opts.minDelayMs ?? 0;
    this.maxDelayMs = opts.maxDelayMs ?? 400;
    this.idleAfterEnd = opts.idleAfterUnderruns ?? 3;
    this.idleAfterMid = Math.max(this.idleAfterEnd, opts.idleAfterUnderrunsMidSpurt ?? 10);
    this.idleAfter = this.idleAfterEnd;
    this.initialMs = opts.initialDelayMs ?? 20;
    this.marginMs = opts.marginMs ?? 2;
    this.peakHoldMs = opts.peakHoldMs ?? PEAK_HOLD_MS;
    this.delay = new RelativeDelay({ window: opts.delayWindow ?? 200 });
    this.slots = new Array<Slot | undefined>(this.capacity);
  }

  /**
   * Delay added to the measured target for now (ms, ≥ 0): a stream that
   * carries redundancy k packets deep needs k frames more, because the
   * copy of a frame travels k packets later, with the same jitter.
   */
  setExtraDelay(ms: number): void {
    this.extraMs = Math.min(this.maxDelayMs, Math.max(0, ms));
  }

  /**
   * Whether the speaker is mid-spurt (its packets carry no TALK_END yet):
   * underruns then mean a burst of loss or lateness, concealed through for
   * up to `idleAfterUnderrunsMidSpurt` frames; after a TALK_END (or when the
   * sender marks nothing) the stream goes idle after `idleAfterUnderruns`.
   */
  midSpurt(on: boolean): void {
    this.idleAfter = on ? this.idleAfterMid : this.idleAfterEnd;
  }

  /**
   * Current target delay (ms): how long after a frame's fastest-path
   * arrival it may be needed, for 97 % of packets (and of redundancy
   * copies: `setExtraDelay`) to be in time.
   */
  get targetDelayMs(): number {
    const peak = this.lastArrivalMs < this.peakUntilMs ? this.peakMs : 0;
    const measured = Math.max(this.delay.quantileMs, peak) + this.marginMs + this.extraMs;
    const t = this.delay.count < TRUST_AFTER ? Math.max(this.initialMs, measured) : measured;
    return Math.min(this.maxDelayMs, Math.max(this.minDelayMs, t));
  }

  /** When a frame sent at `sendMs` (as popped) would arrive on the fastest recent path (arrival clock, ms). */
  fastestArrivalMs(sendMs: number): number {
    return this.delay.fastestArrivalMs(sendMs);
  }

  /** Smoothed interarrival jitter (ms). */
  get jitter(): number {
    return this.jitterEstimate.ms;
  }

  get isPlaying(): boolean {
    return this.playing;
  }

  /** Frames buffered now. */
  get size(): number {
    return this.count;
  }

  /** The extended sequence numbers held now, ascending (diagnostics and tests; allocates). */
  buffered(): number[] {
    const out: number[] = [];
    for (const s of this.slots) if (s !== undefined) out.push(s.extSeq);
    return out.sort((a, b) => a - b);
  }

  push(extSeq: number, timestamp: number, payload: Uint8Array, arrivalMs: number): PushResult {
    this.stats.received++;
    if (this.next !== undefined && extSeq < this.next) {
      this.stats.late++;
      return 'late';
    }
    // A whole ring older than the newest frame held: it has no slot of its
    // own (it would overwrite a newer frame) and would be overflowed at once.
    if (this.count > 0 && this.high - extSeq >= this.capacity) {
      this.stats.late++;
      return 'late';
    }
    const i = extSeq % this.capacity;
    const existing = this.slots[i];
    if (existing !== undefined && existing.extSeq === extSeq) {
      this.stats.duplicate++;
      return 'duplicate';
    }
    this.jitterEstimate.updateRtp(arrivalMs, timestamp);
    const sendMs = this.delay.push(arrivalMs, timestamp);
    if (arrivalMs > this.lastArrivalMs) this.lastArrivalMs = arrivalMs;
    // Late for its turn: playout is concealing while waiting for this very frame.
    if (this.playing && this.credit > 0 && extSeq === this.next) {
      const late = arrivalMs - this.delay.fastestArrivalMs(sendMs);
      if (arrivalMs - this.lastPeakAt <= this.peakHoldMs) {
        this.peakMs = Math.max(late, this.lastPeakMs);
        this.peakUntilMs = arrivalMs + this.peakHoldMs;
      }
      this.lastPeakMs = late;
      this.lastPeakAt = arrivalMs;
    }
    // Too far ahead of the oldest frame held: the oldest go.
    while (this.count > 0 && extSeq - this.low >= this.capacity) {
      this.discard(this.low);
      this.stats.overflow++;
      if (this.next !== undefined && this.next < this.low) this.next = this.low;
    }
    if (this.next !== undefined && extSeq - this.next >= this.capacity)
      this.next = extSeq - this.capacity + 1;
    this.slots[i] = { extSeq, payload, arrivalMs, sendMs };
    if (this.count === 0) {
      this.low = extSeq;
      this.high = extSeq;
    } else {
      if (extSeq < this.low) this.low = extSeq;
      if (extSeq > this.high) this.high = extSeq;
    }
    this.count++;
    return 'ok';
  }

  /**
   * A copy of an earlier frame, carried by a later packet (docs/protocol.md,
   * "Redundancy"): it takes the frame's slot only when that frame has
   * neither arrived nor been played, and the packet that carried it is held
   * (so the slot is inside the ring's window). Counts `filled`; never counts
   * as received, late or duplicate, and does not move the jitter estimate.
   * True when it was taken.
   */
  fill(extSeq: number, payload: Uint8Array, arrivalMs: number): boolean {
    if (this.count === 0 || extSeq < 0 || extSeq >= this.high || this.high - extSeq >= this.capacity)
      return false;
    if (this.next !== undefined && extSeq < this.next) return false;
    // A playout that has not started begins at `low`: older frames would never play.
    if (this.next === undefined && extSeq < this.low && this.low - extSeq > 3) return false;
    const i = extSeq % this.capacity;
    if (this.slots[i] !== undefined) return false;
    const carrier = this.peek(this.high);
    const sendMs = carrier === undefined ? 0 : carrier.sendMs - (this.high - extSeq) * this.frameMs;
    this.slots[i] = { extSeq, payload, arrivalMs, sendMs };
    if (extSeq < this.low) this.low = extSeq;
    this.count++;
    this.stats.filled++;
    return true;
  }

  /**
   * The sender cut its spurt at `extSeq` (a mute: docs/protocol.md, "Cut
   * by mute"): every frame held up to it is dropped unplayed (counted
   * `cut`), playout stops (the next spurt starts as a new one) and packets
   * up to `extSeq` are late from now on. Returns false, changing nothing,
   * when the cut is older than what has been played (a reordered copy
   * arriving after the next spurt began): the frame being played is not
   * the cut spurt's.
   */
  cut(extSeq: number): boolean {
    if (this.next !== undefined && this.next > extSeq + 1) return false;
    if (this.count > 0) {
      let low = Infinity;
      let high = -Infinity;
      for (let i = 0; i < this.capacity; i++) {
        const slot = this.slots[i];
        if (slot === undefined) continue;
        if (slot.extSeq <= extSeq) {
          this.slots[i] = undefined;
          this.count--;
          this.stats.cut++;
        } else {
          low = Math.min(low, slot.extSeq);
          high = Math.max(high, slot.extSeq);
        }
      }
      if (this.count > 0) {
        this.low = low;
        this.high = high;
      }
    }
    this.playing = false;
    this.next = extSeq + 1;
    this.underrunRun = 0;
    this.credit = 0;
    return true;
  }

  pop(nowMs: number): PopResult {
    if (!this.playing) {
      if (this.count === 0) return WAITING;
      const first = this.slots[this.low % this.capacity];
      // Waited since it would have come on the fastest path (a late first packet starts at once).
      const waited =
        first === undefined ? 0 : nowMs - Math.min(first.arrivalMs, this.fastestArrivalMs(first.sendMs));
      const depthMs = (this.high - this.low + 1) * this.frameMs;
      const target = this.targetDelayMs;
      if (waited < target && depthMs < target + this.frameMs) return WAITING;
      this.playing = true;
      this.next = this.low;
      this.underrunRun = 0;
      this.credit = 0;
    }
    let seq = this.next!;
    // Frames concealed during an underrun stood in for the sequence numbers
    // that were due then. When later frames show those were lost, not late,
    // the concealment already covered them: skip the holes instead of
    // concealing them a second time (NetEQ's "merge").
    while (this.credit > 0 && this.count > 0 && this.peek(seq) === undefined) {
      this.credit--;
      this.stats.lost++;
      seq++;
    }
    this.next = seq;
    const slot = this.take(seq);
    if (slot !== undefined) {
      this.underrunRun = 0;
      this.credit = 0;
      this.next = seq + 1;
      this.stats.played++;
      return { kind: 'frame', extSeq: seq, payload: slot.payload, sendMs: slot.sendMs };
    }
    if (this.count > 0) {
      // A hole with later frames present: lost (or reordered beyond the delay).
      this.underrunRun = 0;
      this.credit = 0;
      this.next = seq + 1;
      this.stats.lost++;
      const following = this.peek(seq + 1);
      return following === undefined
        ? { kind: 'missing', extSeq: seq }
        : { kind: 'missing', extSeq: seq, next: following.payload };
    }
    // Nothing buffered: late packets, or the end of a talk spurt.
    this.stats.underruns++;
    this.underrunRun++;
    this.credit++;
    if (this.underrunRun > this.idleAfter) {
      this.playing = false;
      return WAITING;
    }
    // The concealment stands in for the late frame, which plays after it: the delay grew by a
    // frame (a run of them is a burst of loss: the credit skips its frames when later ones come).
    return { kind: 'missing', extSeq: seq };
  }

  private peek(seq: number): Slot | undefined {
    const s = this.slots[seq % this.capacity];
    return s !== undefined && s.extSeq === seq ? s : undefined;
  }

  private take(seq: number): Slot | undefined {
    const s = this.peek(seq);
    if (s !== undefined) this.discard(seq);
    return s;
  }

  private discard(seq: number): void {
    const i = seq % this.capacity;
    if (this.slots[i]?.extSeq !== seq) return;
    this.slots[i] = undefined;
    this.count--;
    if (this.count === 0) return;
    // Bounded walks: the ring holds count > 0 frames between low and high.
    if (seq === this.low) {
      let s = seq + 1;
      while (s < this.high && this.peek(s) === undefined) s++;
      this.low = s;
    }
    if (seq === this.high) {
      let s = seq - 1;
      while (s > this.low && this.peek(s) === undefined) s--;
      this.high = s;
    }
  }
}
