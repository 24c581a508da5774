/**
 * The playback ring of the browser engine: mono float samples written by
 * the main thread (one mixed frame per 20 ms) and read by the output
 * AudioWorklet in render quanta (128 samples). Bounded: a write that does
 * not fit drops the oldest samples (`overruns`, in samples); a read with
 * too little buffered plays silence for the rest (`underruns`, in quanta
 * short, `underrunSamples`).
 *
 * Self-contained on purpose — no import, no closure over module state —
 * because the worklet source is built from this class's own text
 * (`PlaybackRing.toString()`, worklet-source.ts): the same code runs in
 * the worklet and in the unit tests.
 */
export class PlaybackRing {
  readonly capacity: number;
  private readonly buf: Float32Array;
  /** Absolute read / write positions (samples); fill = write − read. */
  private readPos = 0;
  private writePos = 0;
  underruns = 0;
  underrunSamples = 0;
  overruns = 0;

  constructor(capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`bad ring capacity ${capacity}`);
    this.capacity = capacity;
    this.buf = new Float32Array(capacity);
  }

  /** Samples buffered. */
  get fill(): number {
    return this.writePos - this.readPos;
  }

  /** Appends `x`; when it does not fit, the oldest samples go (counted in `overruns`). */
  write(x: Float32Array): void {
    let src = x;
    if (src.length > this.capacity) {
      this.overruns += src.length - this.capacity;
      this.readPos += src.length - this.capacity; // what would have been overwritten is dropped too
      src = src.subarray(src.length - this.capacity);
    }
    const over = this.fill + src.length - this.capacity;
    if (over > 0) {
      this.overruns += over;
      this.readPos += over;
    }
    const cap = this.capacity;
    const w = this.writePos % cap;
    const first = Math.min(src.length, cap - w);
    this.buf.set(src.subarray(0, first), w);
    if (first < src.length) this.buf.set(src.subarray(first), 0);
    this.writePos += src.length;
  }

  /** Fills `out` from the ring; what is missing is silence (counted in `underruns`). Returns samples read. */
  read(out: Float32Array): number {
    const n = Math.min(out.length, this.fill);
    const cap = this.capacity;
    const r = this.readPos % cap;
    const first = Math.min(n, cap - r);
    out.set(this.buf.subarray(r, r + first), 0);
    if (first < n) out.set(this.buf.subarray(0, n - first), first);
    if (n < out.length) {
      out.fill(0, n);
      this.underruns++;
      this.underrunSamples += out.length - n;
    }
    this.readPos += n;
    return n;
  }

  /** Drops everything buffered (deafen, device switch). */
  clear(): void {
    this.readPos = this.writePos;
  }
}
