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
 * `midSpurt`) the stream is idle and playout stops until it re-buffers. The target delay follows the RFC 3550 interarrival jitter:
 * frame + 3·jitter, clamped to [minDelayMs, maxDelayMs]. Shrinking looks
 * at what each played frame really waited (arrival → pop): when every frame
 * of the last SHRINK_AFTER_POPS waited at least a frame more than the
 * target, one frame is skipped — each later frame then waits a frame less
 * and still at least the target.
 */

import { InterarrivalJitter } from '@parley/protocol';

export interface JitterBufferOptions {
  /** Frames held at most (default 64). */
  capacity?: number;
  frameMs?: number;
  minDelayMs?: number;
  maxDelayMs?: number;
  /** Delay before the first playout, until jitter has been measured. */
  initialDelayMs?: number;
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
  | { kind: 'frame'; extSeq: number; payload: Uint8Array }
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
  /** Frames skipped to bring the delay back to the target. */
  skipped: number;
  /** Missing frames filled from a later packet's redundancy before their turn (`fill`). */
  filled: number;
}

interface Slot {
  extSeq: number;
  payload: Uint8Array;
  arrivalMs: number;
}

const WAITING: PopResult = { kind: 'waiting' };
/** Frames played per shrink window: at most one frame is skipped per window. */
const SHRINK_AFTER_POPS = 50;
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
  };
}

export class JitterBuffer {
  readonly stats: JitterBufferStats = emptyJitterStats();
  private readonly slots: (Slot | undefined)[];
  private readonly capacity: number;
  private readonly frameMs: number;
  private readonly configuredMinMs: number;
  private minDelayMs: number;
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
  /** Least wait (arrival → pop) of a frame played in the current shrink window, and the window's length so far. */
  private minWaitMs = Infinity;
  private windowPops = 0;
  /** RFC 3550 interarrival jitter of the packets pushed (not late, not duplicates). */
  private readonly jitterEstimate = new InterarrivalJitter({ gapMs: TALK_SPURT_GAP_MS });
  private targetMs: number;

  constructor(opts: JitterBufferOptions = {}) {
    this.capacity = opts.capacity ?? 64;
    this.frameMs = opts.frameMs ?? 20;
    this.configuredMinMs = opts.minDelayMs ?? 20;
    this.minDelayMs = this.configuredMinMs;
    this.maxDelayMs = opts.maxDelayMs ?? 400;
    this.idleAfterEnd = opts.idleAfterUnderruns ?? 3;
    this.idleAfterMid = Math.max(this.idleAfterEnd, opts.idleAfterUnderrunsMidSpurt ?? 10);
    this.idleAfter = this.idleAfterEnd;
    this.targetMs = opts.initialDelayMs ?? 40;
    this.slots = new Array<Slot | undefined>(this.capacity);
  }

  /**
   * A floor under the target delay for now (ms; 0 = the configured
   * minimum): a stream that carries redundancy k packets deep needs its
   * frames to wait about k frames, or their copies come after their turn.
   */
  setFloor(ms: number): void {
    this.minDelayMs = Math.min(this.maxDelayMs, Math.max(this.configuredMinMs, ms));
    if (this.targetMs < this.minDelayMs) this.targetMs = this.minDelayMs;
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

  /** Current target delay (ms). */
  get targetDelayMs(): number {
    return this.targetMs;
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
    this.measureJitter(timestamp, arrivalMs);
    // Too far ahead of the oldest frame held: the oldest go.
    while (this.count > 0 && extSeq - this.low >= this.capacity) {
      this.discard(this.low);
      this.stats.overflow++;
      if (this.next !== undefined && this.next < this.low) this.next = this.low;
    }
    if (this.next !== undefined && extSeq - this.next >= this.capacity)
      this.next = extSeq - this.capacity + 1;
    this.slots[i] = { extSeq, payload, arrivalMs };
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
    this.slots[i] = { extSeq, payload, arrivalMs };
    if (extSeq < this.low) this.low = extSeq;
    this.count++;
    this.stats.filled++;
    return true;
  }

  pop(nowMs: number): PopResult {
    if (!this.playing) {
      if (this.count === 0) return WAITING;
      const first = this.slots[this.low % this.capacity];
      const waited = first === undefined ? 0 : nowMs - first.arrivalMs;
      const depthMs = (this.high - this.low + 1) * this.frameMs;
      if (waited < this.targetMs && depthMs < this.targetMs + this.frameMs) return WAITING;
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
      this.maybeShrink(nowMs - slot.arrivalMs);
      return { kind: 'frame', extSeq: seq, payload: slot.payload };
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
    // Packets late by a frame or two call for more delay; a longer run is a burst of loss,
    // which more delay would not have saved (the credit skips its frames when later ones come).
    if (this.underrunRun <= 2) this.targetMs = Math.min(this.maxDelayMs, this.targetMs + this.frameMs);
    return { kind: 'missing', extSeq: seq };
  }

  private measureJitter(timestamp: number, arrivalMs: number): void {
    const jitterMs = this.jitterEstimate.updateRtp(arrivalMs, timestamp);
    const wanted = Math.min(this.maxDelayMs, Math.max(this.minDelayMs, this.frameMs + 3 * jitterMs));
    // Grow at once, shrink slowly.
    this.targetMs = wanted > this.targetMs ? wanted : this.targetMs + (wanted - this.targetMs) / 64;
  }

  /** Skips one frame when every frame of the window waited at least a frame more than the target. */
  private maybeShrink(waitedMs: number): void {
    if (waitedMs < this.minWaitMs) this.minWaitMs = waitedMs;
    if (++this.windowPops < SHRINK_AFTER_POPS) return;
    const roomMs = this.minWaitMs - this.frameMs;
    this.windowPops = 0;
    this.minWaitMs = Infinity;
    if (roomMs >= this.targetMs && this.next !== undefined && this.take(this.next) !== undefined) {
      this.next++;
      this.stats.skipped++;
    }
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
