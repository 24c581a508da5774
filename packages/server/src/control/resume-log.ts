/** Server → client messages kept per session for resume (docs/protocol.md §2.5). */
export const RESUME_LOG_SIZE = 256;
/** …and at most this many characters of them (~1 MiB of JSON): a few `joined` of a big channel must not pin megabytes per session. */
export const RESUME_LOG_CHARS = 1 << 20;

/**
 * The last messages a session sent, already serialized, with their sequence
 * numbers 1, 2, 3 … At most `capacity` messages and `maxChars` characters
 * are kept: beyond either, the oldest are forgotten (the newest one always
 * stays, whatever its size). Pure and synchronous.
 */
export class ResumeLog {
  private readonly ring: (string | undefined)[];
  /** Sequence number of the newest message (0 = none yet), and of the oldest kept. */
  private last = 0;
  private first = 1;
  private chars = 0;

  constructor(
    private readonly capacity = RESUME_LOG_SIZE,
    private readonly maxChars = RESUME_LOG_CHARS,
  ) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError('capacity must be ≥ 1');
    if (!(maxChars >= 1)) throw new RangeError('maxChars must be ≥ 1');
    this.ring = new Array<string | undefined>(capacity);
  }

  /** Sequence number of the newest message kept (0 before the first). */
  get lastSeq(): number {
    return this.last;
  }

  /** Sequence number of the oldest message still kept (last + 1 when empty). */
  get firstKept(): number {
    return this.first;
  }

  /** Characters kept now. */
  get size(): number {
    return this.chars;
  }

  /** Allocates the next sequence number and keeps `serialize(seq)`; returns it. */
  append(serialize: (seq: number) => string): string {
    const seq = this.last + 1;
    const text = serialize(seq);
    if (seq - this.first >= this.capacity) this.forgetOldest(); // the slot is needed
    this.ring[(seq - 1) % this.capacity] = text;
    this.chars += text.length;
    this.last = seq;
    while (this.chars > this.maxChars && this.first < seq) this.forgetOldest();
    return text;
  }

  /**
   * Every kept message with a sequence number above `lastSeq`, oldest first;
   * null when some of them are no longer kept, or when `lastSeq` is ahead of
   * what was sent (the client is not telling the truth).
   */
  since(lastSeq: number): string[] | null {
    if (!Number.isInteger(lastSeq) || lastSeq < 0 || lastSeq > this.last) return null;
    if (lastSeq + 1 < this.first) return null;
    const out: string[] = [];
    for (let seq = lastSeq + 1; seq <= this.last; seq++) out.push(this.ring[(seq - 1) % this.capacity] ?? '');
    return out;
  }

  private forgetOldest(): void {
    const i = (this.first - 1) % this.capacity;
    this.chars -= this.ring[i]?.length ?? 0;
    this.ring[i] = undefined;
    this.first++;
  }
}
