/** Server → client messages kept per session for resume (docs/protocol.md §2.5). */
export const RESUME_LOG_SIZE = 256;

/**
 * The last `capacity` messages a session sent, already serialized, with
 * their sequence numbers 1, 2, 3 … A ring: pushing beyond the capacity
 * forgets the oldest. Pure and synchronous.
 */
export class ResumeLog {
  private readonly ring: string[];
  /** Sequence number of the newest message (0 = none yet). */
  private last = 0;

  constructor(private readonly capacity = RESUME_LOG_SIZE) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError('capacity must be ≥ 1');
    this.ring = new Array<string>(capacity);
  }

  /** Sequence number of the newest message kept (0 before the first). */
  get lastSeq(): number {
    return this.last;
  }

  /** Sequence number of the oldest message still kept (last + 1 when empty). */
  get firstKept(): number {
    return Math.max(1, this.last - this.capacity + 1);
  }

  /** Allocates the next sequence number and keeps `serialize(seq)`; returns it. */
  append(serialize: (seq: number) => string): string {
    const seq = this.last + 1;
    const text = serialize(seq);
    this.ring[(seq - 1) % this.capacity] = text;
    this.last = seq;
    return text;
  }

  /**
   * Every kept message with a sequence number above `lastSeq`, oldest first;
   * null when some of them are no longer kept, or when `lastSeq` is ahead of
   * what was sent (the client is not telling the truth).
   */
  since(lastSeq: number): string[] | null {
    if (!Number.isInteger(lastSeq) || lastSeq < 0 || lastSeq > this.last) return null;
    if (lastSeq + 1 < this.firstKept) return null;
    const out: string[] = [];
    for (let seq = lastSeq + 1; seq <= this.last; seq++) out.push(this.ring[(seq - 1) % this.capacity] ?? '');
    return out;
  }
}
